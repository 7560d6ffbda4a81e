// Geometry of the sales bar chart (drawn as plain SVG, no chart library).
import type { SalesDay } from './generated';

export interface Bar {
  day: string;
  /** Short label under the bar, e.g. `23`, or `Nov 23` on the first day and month starts. */
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
  cents: number;
  orders: number;
}

export interface Chart {
  bars: Bar[];
  /** Horizontal guide lines with their amount in cents, bottom first. */
  ticks: { y: number; cents: number }[];
  maxCents: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A "nice" upper bound ≥ `value` (1, 2, 2.5 or 5 × a power of ten), at least 1000 cents. */
export function niceCeiling(value: number): number {
  if (value <= 1000) return 1000;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** Lays `days` out as bars in a `width` × `height` plot area (y grows downwards). */
export function layoutBars(days: SalesDay[], width: number, height: number): Chart {
  const maxCents = niceCeiling(Math.max(0, ...days.map((d) => d.total_cents)));
  const slot = days.length > 0 ? width / days.length : width;
  const barWidth = Math.max(2, slot * 0.64);
  const bars = days.map((d, i) => {
    const h = (d.total_cents / maxCents) * height;
    const [, month, dayOfMonth] = d.day.split('-');
    const first = i === 0 || dayOfMonth === '01';
    const label = first ? `${MONTHS[Number(month) - 1]} ${Number(dayOfMonth)}` : String(Number(dayOfMonth));
    return {
      day: d.day,
      label,
      x: i * slot + (slot - barWidth) / 2,
      y: height - h,
      width: barWidth,
      height: h,
      cents: d.total_cents,
      orders: d.orders,
    };
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ y: height - f * height, cents: f * maxCents }));
  return { bars, ticks, maxCents };
}
