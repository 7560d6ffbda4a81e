import { describe, expect, it, vi } from 'vitest';
import type { Changed } from './generated';
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

describe('onChanged', () => {
  it('catches up once listening has started, then follows the changes that concern it', async () => {
    vi.resetModules();
    let deliver: ((event: { payload: Changed }) => void) | null = null;
    vi.doMock('@tauri-apps/api/event', () => ({
      listen: (_name: string, cb: (event: { payload: Changed }) => void) => {
        deliver = cb;
        return Promise.resolve(() => {
          deliver = null;
        });
      },
    }));
    const g = globalThis as unknown as Record<string, unknown>;
    const hadWindow = 'window' in g;
    if (!hadWindow) g.window = globalThis;
    g.__TAURI_INTERNALS__ = { metadata: { currentWindow: { label: 'kiosk' } } };
    try {
      const { onChanged } = await import('./events');
      const seen: Changed[] = [];
      const stop = onChanged(['orders'], (c) => seen.push(c), 'o-1');
      expect(seen).toHaveLength(0);
      await Promise.resolve();
      await Promise.resolve();
      expect(seen).toHaveLength(1);
      expect(seen[0].topics).toEqual(['orders']);
      deliver!({ payload: { topics: ['catalog'] } });
      deliver!({ payload: { topics: ['orders'], order_id: 'o-1' } });
      deliver!({ payload: { topics: ['orders'], order_id: 'o-2' } });
      expect(seen).toHaveLength(2);
      stop();
      expect(deliver).toBeNull();
      expect(seen[0].window).toBe('kiosk');
    } finally {
      delete g.__TAURI_INTERNALS__;
      if (!hadWindow) delete g.window;
      vi.doUnmock('@tauri-apps/api/event');
    }
  });
});
