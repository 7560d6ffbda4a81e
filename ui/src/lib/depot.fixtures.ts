// Test data for the depot screen: a robot and a shopping list with two stops, one picked.
import type { Bot, ShoppingList } from './generated';

export const NOW = 1_800_000_000_000;
export const bot = (over: Partial<Bot>): Bot => ({
  id: '0192f0c0-0000-7000-8000-00000000b001',
  name: 'Scout',
  status: 'idle',
  list_id: null,
  store_id: null,
  store_name: null,
  walk: null,
  updated_at: NOW - 60_000,
  ...over,
});
export const list = (over: Partial<ShoppingList>): ShoppingList => ({
  id: '0192f0c0-0000-7000-8000-00000000a001',
  order_id: '0192f0c0-0000-7000-8000-0000c0ffee01',
  status: 'available',
  bot_id: null,
  bot_name: null,
  stops: [
    { store_id: 's1', store_name: 'Green Grocer', items: 2, products: ['2 × Apples'], picked: true },
    { store_id: '0192f0c0-0000-7000-8000-000000abcdef', store_name: null, items: 1, products: ['1 × Item'], picked: false },
  ],
  items: 3,
  updated_at: NOW,
  ...over,
});
