import { describe, expect, it } from 'vitest';
import { concerns } from './events';

describe('concerns', () => {
  it('matches on any shared topic', () => {
    expect(concerns({ topics: ['catalog', 'sync'] }, ['catalog'])).toBe(true);
    expect(concerns({ topics: ['catalog', 'sync'] }, ['orders', 'depot'])).toBe(false);
  });
  it("lets an order's screen ignore other orders", () => {
    const change = { topics: ['orders', 'sync'] as const, order_id: 'o-1' };
    expect(concerns({ ...change, topics: [...change.topics] }, ['orders'], 'o-1')).toBe(true);
    expect(concerns({ ...change, topics: [...change.topics] }, ['orders'], 'o-2')).toBe(false);
  });
  it('keeps list screens (no id) interested in every order', () => {
    expect(concerns({ topics: ['orders'], order_id: 'o-9' }, ['orders'])).toBe(true);
  });
  it("ignores the other device's changes", () => {
    expect(concerns({ topics: ['catalog'], window: 'manager' }, ['catalog'], undefined, 'kiosk')).toBe(false);
    expect(concerns({ topics: ['catalog'], window: 'kiosk' }, ['catalog'], undefined, 'kiosk')).toBe(true);
    expect(concerns({ topics: ['catalog'] }, ['catalog'], undefined, 'kiosk')).toBe(true);
  });
});
