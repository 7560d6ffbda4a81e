import { describe, expect, it } from 'vitest';
import { botActivity, botName, listState, listUnits, progress, stopName, stopProducts, summarize } from './depot';
import { bot, list } from './depot.fixtures';
import type { Depot } from './generated';

describe('depot words', () => {
  it('names robots and stores even when the desk never learned them', () => {
    expect(botName(bot({}))).toBe('Scout');
    expect(botName(bot({ name: ' ' }))).toBe('Robot #00B001');
    expect(stopName(list({}).stops[1])).toBe('Store #ABCDEF');
  });

  it('says what a robot is doing, with its order', () => {
    const l = list({ list_id: 'L', status: 'in_progress' });
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
      bots: [bot({}), bot({ bot_id: 'b2', status: 'shopping' }), bot({ bot_id: 'b3', status: 'offline' })],
      lists: [
        list({}),
        list({ list_id: 'x', status: 'completed' }),
        list({ list_id: 'y', status: 'assigned' }),
      ],
    };
    expect(summarize(depot)).toEqual({ working: 1, ready: 1, offline: 1, open: 2, waiting: 1 });
    expect(progress(list({}))).toBe('1 of 2 stores');
    expect(listUnits(list({}))).toBe(3);
    expect(stopProducts(list({}).stops[0])).toBe('2 × Apples');
    expect(listState('available').label).toBe('Waiting for a robot');
  });
});
