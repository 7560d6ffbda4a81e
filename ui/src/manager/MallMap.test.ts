import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import MallMap from './MallMap.svelte';
import { bot } from '../lib/depot.fixtures';
import type { Depot, Store } from '../lib/generated';

const store = (id: string, name: string, place: Store['place'] = null): Store => ({
  store_id: id,
  name,
  location: '',
  participating: true,
  automated_shopping: true,
  removed: false,
  place,
});

describe('the mall map', () => {
  const stores = [store('g', 'Green Grocer', { level: 0, x: 300, y: 100 }), store('b', 'Books')];

  it('draws the stores of the ground floor, the depot and every robot there', () => {
    const depot: Depot = {
      bots: [
        bot({ bot_id: 'r1', name: 'sim-1', status: 'shopping', store_id: 'g', list_id: 'L' }),
        bot({ bot_id: 'r2', name: 'sim-2', status: 'idle' }),
        bot({ bot_id: 'r3', name: 'sim-3', status: 'offline' }),
      ],
      lists: [],
    };
    const { body } = render(MallMap, { props: { depot, stores } });
    expect(body).toContain('data-testid="map-depot"');
    expect(body).toMatch(/data-store-id="g"[^>]*data-x="300" data-y="100"/);
    expect(body).toContain('aria-label="Books, not placed"');
    expect(body).toMatch(/data-bot-id="r1"[^>]*data-status="shopping" data-x="300" data-y="100"/);
    expect(body).toMatch(/data-bot-id="r2"[^>]*data-x="500" data-y="560"/);
    expect(body).not.toContain('data-bot-id="r3"');
    expect(body).toContain('Offline: sim-3');
    expect(body).not.toContain('data-testid="map-stale"');
  });

  it('shows a walking robot between its places and says when the state is the last known', () => {
    const now = Date.now();
    const walking = bot({
      bot_id: 'w',
      status: 'assigned',
      list_id: 'L',
      walk: { from: null, to: 'g', departed_at: now - 60_000, eta: now + 60_000 },
    });
    const { body } = render(MallMap, {
      props: { depot: { bots: [walking], lists: [] }, stores, stale: 'Offline: robots as last reported.' },
    });
    const match = /data-bot-id="w"[^>]*data-x="(\d+)" data-y="(\d+)" data-walking="true"/.exec(body);
    expect(match).not.toBeNull();
    const [x, y] = [Number(match![1]), Number(match![2])];
    // Halfway from the depot (500, 560) to the grocer (300, 100), give or take the render time.
    expect(Math.abs(x - 400)).toBeLessThan(5);
    expect(Math.abs(y - 330)).toBeLessThan(10);
    expect(body).toContain('Offline: robots as last reported.');
  });

  it('draws fifty robots at once, each on its own spot', () => {
    const now = Date.now();
    const bots = Array.from({ length: 50 }, (_, i) =>
      bot({
        bot_id: `r${i}`,
        name: `sim-${i}`,
        status: 'assigned',
        list_id: `L${i}`,
        walk: { from: null, to: 'g', departed_at: now - i * 1_000, eta: now + 60_000 },
      }),
    );
    const { body } = render(MallMap, { props: { depot: { bots, lists: [] }, stores } });
    const spots = [...body.matchAll(/data-testid="map-robot"[^>]*data-x="(\d+)" data-y="(\d+)"/g)];
    expect(spots).toHaveLength(50);
    expect(new Set(spots.map((m) => `${m[1]},${m[2]}`)).size).toBeGreaterThan(40);
  });
});
