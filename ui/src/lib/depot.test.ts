import { describe, expect, it } from 'vitest';
import { botActivity, botName, listState, progress, stopName, summarize } from './depot';
import type { Bot, Depot, ShoppingList } from './types';

const NOW = 1_800_000_000_000;
const bot = (over: Partial<Bot>): Bot => ({
  id: '0192f0c0-0000-7000-8000-00000000b001',
  name: 'Scout',
  status: 'idle',
  list_id: null,
  store_name: null,
  updated_at: NOW - 60_000,
  ...over,
});
const list = (over: Partial<ShoppingList>): ShoppingList => ({
  id: '0192f0c0-0000-7000-8000-00000000a001',
  order_id: '0192f0c0-0000-7000-8000-0000c0ffee01',
  status: 'available',
  bot_id: null,
  bot_name: null,
  stops: [
    { store_id: 's1', store_name: 'Green Grocer', items: 2, picked: true },
    { store_id: '0192f0c0-0000-7000-8000-000000abcdef', store_name: null, items: 1, picked: false },
  ],
  items: 3,
  updated_at: NOW,
  ...over,
});

describe('depot words', () => {
  it('names robots and stores even when the desk never learned them', () => {
    expect(botName(bot({}))).toBe('Scout');
    expect(botName(bot({ name: ' ' }))).toBe('Robot #00B001');
    expect(stopName(list({}).stops[1])).toBe('Store #ABCDEF');
  });

  it('says what a robot is doing, with its order', () => {
    const l = list({ id: 'L', status: 'in_progress' });
    const shopping = bot({ status: 'shopping', list_id: 'L', store_name: 'Green Grocer' });
    expect(botActivity(shopping, [l])).toBe('At Green Grocer for order #FFEE01');
    expect(botActivity(bot({ status: 'returning', list_id: 'L' }), [l])).toBe(
      'Bringing order #FFEE01 to the depot',
    );
    expect(botActivity(bot({}), [l])).toBe('Waiting at the depot');
    expect(botActivity(bot({ status: 'offline' }), [])).toBe('Not connected');
  });

  it('counts robots and lists for the tiles', () => {
    const depot: Depot = {
      bots: [bot({}), bot({ id: 'b2', status: 'shopping' }), bot({ id: 'b3', status: 'offline' })],
      lists: [list({}), list({ id: 'x', status: 'completed' }), list({ id: 'y', status: 'assigned' })],
    };
    expect(summarize(depot)).toEqual({ working: 1, ready: 1, offline: 1, open: 2, waiting: 1 });
    expect(progress(list({}))).toBe('1 of 2 stores');
    expect(listState('available').label).toBe('Waiting for a robot');
  });
});
