// Test data for the depot screen: a robot and a shopping list with two stops, one picked.
import type { Bot, ShoppingList } from './generated';

export const NOW = 1_800_000_000_000;
export const bot = (over: Partial<Bot>): Bot => ({
  bot_id: '0192f0c0-0000-7000-8000-00000000b001',
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
  list_id: '0192f0c0-0000-7000-8000-00000000a001',
  order_id: '0192f0c0-0000-7000-8000-0000c0ffee01',
  status: 'available',
  bot_id: null,
  bot_name: null,
  current_stop: null,
  stops: [
    {
      store_id: 's1',
      store_name: 'Green Grocer',
      items: [{ product_id: 'p1', product_name: 'Apples', quantity: 2 }],
      quantity: 2,
      picked: true,
      prepared: false,
    },
    {
      store_id: '0192f0c0-0000-7000-8000-000000abcdef',
      store_name: null,
      items: [{ product_id: 'p2', product_name: 'Item', quantity: 1 }],
      quantity: 1,
      picked: false,
      prepared: false,
    },
  ],
  created_at: NOW,
  updated_at: NOW,
  ...over,
});
