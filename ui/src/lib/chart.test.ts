import { describe, expect, it } from 'vitest';
import { layoutBars, niceCeiling } from './chart';

const day = (d: string, cents: number, orders = 1) => ({
  day: d,
  orders,
  items: orders,
  total_cents: cents,
  currency: 'USD',
});

describe('niceCeiling', () => {
  it('rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceCeiling(0)).toBe(1000);
    expect(niceCeiling(1001)).toBe(2000);
    expect(niceCeiling(2400)).toBe(2500);
    expect(niceCeiling(4100)).toBe(5000);
    expect(niceCeiling(9999)).toBe(10000);
    expect(niceCeiling(10000)).toBe(10000);
  });
});

describe('layoutBars', () => {
  it('scales bars to the tallest day and labels month starts', () => {
    const chart = layoutBars([day('2026-10-31', 500), day('2026-11-01', 1000), day('2026-11-02', 0, 0)], 300, 100);
    expect(chart.maxCents).toBe(1000);
    expect(chart.bars.map((b) => b.height)).toEqual([50, 100, 0]);
    expect(chart.bars.map((b) => b.y)).toEqual([50, 0, 100]);
    expect(chart.bars.map((b) => b.label)).toEqual(['Oct 31', 'Nov 1', '2']);
    expect(chart.bars[1].x).toBeGreaterThan(chart.bars[0].x);
    expect(chart.ticks[0]).toEqual({ y: 100, cents: 0 });
    expect(chart.ticks[4]).toEqual({ y: 0, cents: 1000 });
  });
  it('copes with no data', () => {
    expect(layoutBars([], 300, 100).bars).toEqual([]);
  });
});
