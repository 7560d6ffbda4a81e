// The mall map's geometry: where stores, the depot and robots are on the floor plan, and where a
// walking robot is at a given moment. Mirrors `mallbots_domain::mall_map` (plan size, depot,
// lift, ride cost), so a walk drawn here lasts as long as the simulator's (departed → eta).
import type { Bot, Place, Walk } from './generated';

/** Every level's plan, in plan units. */
export const PLAN = { width: 1000, height: 600 } as const;
/** The highest level (0 = ground floor). */
export const MAX_LEVEL = 5;
/** The depot's fixed place. */
export const DEPOT: Place = { level: 0, x: 500, y: 560 };
/** The lift between levels stands here on every level. */
export const LIFT = { x: 500, y: 300 } as const;
/** What riding the lift one level costs, in plan units of walking. */
export const LIFT_RIDE_UNITS = 120;
/** Spots for stores without a place: a grid clear of the depot and the lift. */
const SLOT_COLUMNS = [100, 250, 400, 600, 750, 900];
const SLOT_ROWS = [90, 220, 400];
/** A slot this close to a placed store (its box is 124 × 60 units) counts as taken. */
const SLOT_CLEARANCE = { x: 130, y: 70 } as const;

export type Point = { level: number; x: number; y: number };

/** `Ground floor`, `Level 1`, … */
export function levelName(level: number): string {
  return level === 0 ? 'Ground floor' : `Level ${level}`;
}

/** Clamps a point to the plan (what a drag may produce), rounded to whole units. */
export function clampToPlan(level: number, x: number, y: number): Place {
  const clamp = (v: number, max: number) => Math.min(max, Math.max(0, Math.round(v)));
  return { level: clamp(level, MAX_LEVEL), x: clamp(x, PLAN.width), y: clamp(y, PLAN.height) };
}

function flat(a: { x: number; y: number }, b: { x: number; y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/**
 * Where every store is: its own place when a manager set one; otherwise the next free slot of
 * a grid, ground floor first (by name, then id, so the layout is stable), until placed.
 */
export function layout(stores: { id: string; name: string; place: Place | null }[]): Map<string, Point> {
  const out = new Map<string, Point>();
  const placed = stores.filter((s) => s.place);
  for (const s of placed) out.set(s.id, { ...(s.place as Place) });
  const unplaced = stores
    .filter((s) => !s.place)
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  let next = 0;
  for (let level = 0; level <= MAX_LEVEL && next < unplaced.length; level++) {
    for (const y of SLOT_ROWS) {
      for (const x of SLOT_COLUMNS) {
        if (next >= unplaced.length) break;
        const taken = placed.some(
          (p) =>
            p.place!.level === level &&
            Math.abs(p.place!.x - x) < SLOT_CLEARANCE.x &&
            Math.abs(p.place!.y - y) < SLOT_CLEARANCE.y,
        );
        if (taken) continue;
        out.set(unplaced[next++].id, { level, x, y });
      }
    }
  }
  // More stores than slots: stack the rest on the top level's first slot.
  for (; next < unplaced.length; next++) out.set(unplaced[next].id, { level: MAX_LEVEL, x: SLOT_COLUMNS[0], y: SLOT_ROWS[0] });
  return out;
}

/** The legs of a walk: straight on one level, through the lift between levels. */
export function route(from: Point, to: Point): Point[] {
  if (from.level === to.level) return [from, to];
  return [from, { level: from.level, ...LIFT }, { level: to.level, ...LIFT }, to];
}

/** The length of one leg (a lift ride costs `LIFT_RIDE_UNITS` per level). */
function legLength(a: Point, b: Point): number {
  return a.level === b.level ? flat(a, b) : Math.abs(a.level - b.level) * LIFT_RIDE_UNITS;
}

/** The walking distance along `route(from, to)`, as the domain computes it. */
export function walkingDistance(from: Point, to: Point): number {
  const legs = route(from, to);
  let total = 0;
  for (let i = 1; i < legs.length; i++) total += legLength(legs[i - 1], legs[i]);
  return total;
}

/** How far along a walk (0 … 1) the robot is at `now`, at an even pace from departure to eta. */
export function progressAt(walk: Pick<Walk, 'departed_at' | 'eta'>, now: number): number {
  const span = walk.eta - walk.departed_at;
  if (span <= 0) return 1;
  return Math.min(1, Math.max(0, (now - walk.departed_at) / span));
}

/** The point `fraction` (0 … 1) of the way along `route(from, to)`; in the lift, the level it left until halfway. */
export function pointAlong(from: Point, to: Point, fraction: number): Point {
  const legs = route(from, to);
  const total = walkingDistance(from, to);
  if (total === 0) return { ...to };
  let left = Math.min(1, Math.max(0, fraction)) * total;
  for (let i = 1; i < legs.length; i++) {
    const [a, b] = [legs[i - 1], legs[i]];
    const length = legLength(a, b);
    if (left <= length && length > 0) {
      const t = left / length;
      if (a.level !== b.level) return { level: t < 0.5 ? a.level : b.level, x: a.x, y: a.y };
      return { level: a.level, x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
    }
    left -= length;
  }
  return { ...to };
}

/**
 * Where a robot is drawn at `now`: along its walk (interpolated between the departure and the
 * expected arrival), in the store it is at, or at the depot. `null` for an offline robot.
 * A walk to or from a store the map does not know starts or ends at the depot.
 */
export function botPoint(bot: Pick<Bot, 'status' | 'store_id' | 'walk'>, places: Map<string, Point>, now: number): Point | null {
  if (bot.status === 'offline') return null;
  const at = (store: string | null) => (store ? (places.get(store) ?? DEPOT) : DEPOT);
  if (bot.walk) return pointAlong(at(bot.walk.from), at(bot.walk.to), progressAt(bot.walk, now));
  if (bot.store_id && places.has(bot.store_id)) return { ...places.get(bot.store_id)! };
  return { ...DEPOT };
}

/** Whether any robot is walking at `now` (the map animates only then). */
export function anyWalking(bots: Pick<Bot, 'walk'>[], now: number): boolean {
  return bots.some((b) => b.walk && progressAt(b.walk, now) < 1);
}

/**
 * Robots standing on the same spot, fanned out on a small ring so each can be seen and tapped;
 * a single robot stays where it is. Returns the offsets in input order.
 */
export function spread(points: (Point | null)[], radius = 18): { dx: number; dy: number }[] {
  const groups = new Map<string, number[]>();
  points.forEach((p, i) => {
    if (!p) return;
    const key = `${p.level}:${Math.round(p.x)}:${Math.round(p.y)}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const out = points.map(() => ({ dx: 0, dy: 0 }));
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    members.forEach((index, k) => {
      const angle = (2 * Math.PI * k) / members.length;
      out[index] = { dx: radius * Math.cos(angle), dy: radius * Math.sin(angle) };
    });
  }
  return out;
}

/** A robot's badge on the map: the number its name ends with, else its first two letters. */
export function badge(name: string): string {
  const number = /(\d+)\s*$/.exec(name);
  if (number) return number[1].slice(-3);
  return name.replace(/[^\p{L}\p{N}]/gu, '').slice(0, 2).toUpperCase() || '?';
}

/** The levels the map offers: every level in use, at least the ground floor and level 1. */
export function levelsInUse(points: Point[]): number[] {
  const top = Math.max(1, ...points.map((p) => p.level));
  return Array.from({ length: Math.min(MAX_LEVEL, top) + 1 }, (_, i) => i);
}
