import { describe, expect, it } from 'vitest';
import {
  DEPOT,
  LIFT,
  LIFT_RIDE_UNITS,
  anyWalking,
  botPoint,
  badge,
  clampToPlan,
  layout,
  levelName,
  levelsInUse,
  pointAlong,
  progressAt,
  route,
  spread,
  walkingDistance,
  type Point,
} from './map';

const store = (id: string, name: string, place: Point | null = null) => ({ id, name, place });

describe('layout', () => {
  it('keeps placed stores where the manager put them', () => {
    const places = layout([store('a', 'Deli', { level: 2, x: 640, y: 120 })]);
    expect(places.get('a')).toEqual({ level: 2, x: 640, y: 120 });
  });

  it('lays out unplaced stores by name on free slots of the ground floor', () => {
    const places = layout([store('b', 'Zoo'), store('a', 'Books'), store('c', 'Cafe', { level: 0, x: 100, y: 90 })]);
    // The first slot (100, 90) is taken by the placed cafe: Books gets the next one, then Zoo.
    expect(places.get('a')).toEqual({ level: 0, x: 250, y: 90 });
    expect(places.get('b')).toEqual({ level: 0, x: 400, y: 90 });
    const again = layout([store('a', 'Books'), store('b', 'Zoo'), store('c', 'Cafe', { level: 0, x: 100, y: 90 })]);
    expect(again).toEqual(places);
  });

  it('keeps unplaced stores clear of a placed store box', () => {
    const places = layout([store('g', 'Grocer', { level: 0, x: 310, y: 110 }), store('v', 'Volt')]);
    // (100, 90) is free; (250, 90) and (400, 90) overlap the grocer's box.
    expect(places.get('v')).toEqual({ level: 0, x: 100, y: 90 });
    const more = layout([store('g', 'Grocer', { level: 0, x: 100, y: 90 }), store('a', 'A'), store('b', 'B')]);
    expect(more.get('a')).toEqual({ level: 0, x: 250, y: 90 });
  });

  it('goes up a level when the ground floor is full, and never loses a store', () => {
    const many = Array.from({ length: 40 }, (_, i) => store(`s${i}`, `Store ${String(i).padStart(2, '0')}`));
    const places = layout(many);
    expect(places.size).toBe(40);
    expect(places.get('s17')!.level).toBe(0);
    expect(places.get('s18')!.level).toBe(1);
    const spots = new Set([...places.values()].map((p) => `${p.level}:${p.x}:${p.y}`));
    expect(spots.size).toBe(40);
  });
});

describe('routes', () => {
  const a: Point = { level: 1, x: 100, y: 100 };
  const b: Point = { level: 1, x: 400, y: 500 };

  it('walks straight on one level', () => {
    expect(route(a, b)).toEqual([a, b]);
    expect(walkingDistance(a, b)).toBe(500);
  });

  it('goes through the lift between levels, as the domain counts it', () => {
    const up: Point = { level: 3, x: 500, y: 500 };
    const from: Point = { level: 1, x: 500, y: 100 };
    expect(route(from, up)).toEqual([from, { level: 1, ...LIFT }, { level: 3, ...LIFT }, up]);
    expect(walkingDistance(from, up)).toBe(200 + 2 * LIFT_RIDE_UNITS + 200);
  });

  it('interpolates along the route by distance', () => {
    expect(pointAlong(a, b, 0)).toEqual(a);
    expect(pointAlong(a, b, 1)).toEqual(b);
    expect(pointAlong(a, b, 0.5)).toEqual({ level: 1, x: 250, y: 300 });
    expect(pointAlong(a, b, 7)).toEqual(b);
  });

  it('rides the lift: the old level until halfway, then the new one', () => {
    const from: Point = { level: 0, x: 500, y: 100 };
    const to: Point = { level: 1, x: 500, y: 500 };
    // 200 to the lift, 120 riding, 200 on: 520 in all.
    expect(pointAlong(from, to, 200 / 520)).toEqual({ level: 0, x: 500, y: 300 });
    expect(pointAlong(from, to, 250 / 520)).toEqual({ level: 0, x: 500, y: 300 });
    expect(pointAlong(from, to, 270 / 520)).toEqual({ level: 1, x: 500, y: 300 });
    expect(pointAlong(from, to, 420 / 520).y).toBeCloseTo(400);
  });

  it('measures progress from departure to eta', () => {
    const walk = { departed_at: 1000, eta: 3000 };
    expect(progressAt(walk, 500)).toBe(0);
    expect(progressAt(walk, 2000)).toBe(0.5);
    expect(progressAt(walk, 9000)).toBe(1);
    expect(progressAt({ departed_at: 5, eta: 5 }, 0)).toBe(1);
  });
});

describe('robots', () => {
  const places = new Map<string, Point>([
    ['deli', { level: 0, x: 100, y: 560 }],
    ['books', { level: 2, x: 300, y: 100 }],
  ]);
  const bot = (over: Partial<Parameters<typeof botPoint>[0]>) => ({ status: 'idle' as const, store_id: null, walk: null, ...over });

  it('stands at the depot, in its store, or nowhere when offline', () => {
    expect(botPoint(bot({}), places, 0)).toEqual(DEPOT);
    expect(botPoint(bot({ status: 'shopping', store_id: 'books' }), places, 0)).toEqual(places.get('books'));
    expect(botPoint(bot({ status: 'offline' }), places, 0)).toBeNull();
    expect(botPoint(bot({ status: 'shopping', store_id: 'unknown' }), places, 0)).toEqual(DEPOT);
  });

  it('moves along its walk as time passes', () => {
    const walking = bot({ status: 'assigned', walk: { from: null, to: 'deli', departed_at: 0, eta: 4000 } });
    const start = botPoint(walking, places, 0)!;
    const middle = botPoint(walking, places, 2000)!;
    const end = botPoint(walking, places, 4000)!;
    expect(start).toEqual(DEPOT);
    expect(middle).toEqual({ level: 0, x: 300, y: 560 });
    expect(end).toEqual(places.get('deli'));
    expect(anyWalking([walking], 2000)).toBe(true);
    expect(anyWalking([walking], 4000)).toBe(false);
  });

  it('fans out robots on one spot and leaves a lone robot alone', () => {
    const p: Point = { level: 0, x: 10, y: 10 };
    const offsets = spread([p, p, { level: 1, x: 10, y: 10 }, null]);
    expect(offsets[2]).toEqual({ dx: 0, dy: 0 });
    expect(offsets[0]).not.toEqual(offsets[1]);
    expect(Math.hypot(offsets[0].dx, offsets[0].dy)).toBeCloseTo(18);
  });
});

describe('plan', () => {
  it('clamps a drag to the plan and names levels', () => {
    expect(clampToPlan(0, -5, 700.4)).toEqual({ level: 0, x: 0, y: 600 });
    expect(clampToPlan(9, 1200, 33.6)).toEqual({ level: 5, x: 1000, y: 34 });
    expect(badge('sim-4821-12')).toBe('12');
    expect(badge('Scout')).toBe('SC');
    expect(badge('--')).toBe('?');
    expect(levelName(0)).toBe('Ground floor');
    expect(levelName(2)).toBe('Level 2');
    expect(levelsInUse([{ level: 3, x: 0, y: 0 }])).toEqual([0, 1, 2, 3]);
    expect(levelsInUse([])).toEqual([0, 1]);
  });
});
