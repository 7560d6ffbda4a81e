import { describe, expect, it } from 'vitest';
import { ago, backlogHighWater, backlogPercent, summarize } from './sync';

import type { SyncStatus } from './generated';

const status = (online: boolean, waiting: number, conflicts = 0): SyncStatus => ({
  device_id: 'k1',
  state: online ? 'online' : 'offline',
  online,
  waiting,
  oldest_waiting_at: null,
  last_sync_at: null,
  conflicts: Array.from({ length: conflicts }, (_, i) => ({
    stream_type: 'product',
    stream_id: `p${i}`,
    code: 'conflict',
    message: 'r',
    at: 0,
  })),
  problem: null,
  quarantined: [],
});

describe('summarize', () => {
  it('says online, offline, what waits and conflicts', () => {
    expect(summarize(status(true, 0))).toEqual({ tone: 'ok', label: 'Online', percent: null });
    expect(summarize(status(true, 3))).toEqual({ tone: 'busy', label: 'Online · 3 changes waiting', percent: null });
    expect(summarize(status(false, 1))).toEqual({ tone: 'off', label: 'Offline · 1 change waiting', percent: null });
    expect(summarize(status(true, 0, 2))).toEqual({ tone: 'bad', label: 'Online · 2 conflicts', percent: null });
  });
  it('shows one clear state when the device cannot sync', () => {
    const problem = { code: 'sync.not_enrolled', message: 'not enrolled: …', fix: 'mallbots-central enroll …' };
    expect(summarize({ ...status(false, 4), state: 'not_enrolled', problem })).toEqual({
      tone: 'bad',
      label: 'Not enrolled',
      percent: null,
    });
    const refused = { ...problem, code: 'sync.refused' };
    expect(summarize({ ...status(false, 0), state: 'refused', problem: refused }).label).toBe('Credentials refused');
  });
  it('counts changes the server refused', () => {
    const q = {
      event_id: 'e1',
      event_type: 'ProductAdded',
      stream_type: 'product',
      stream_id: 'p',
      subject: 'mallbots.ev.catalog.s.product.p',
      code: 'catalog.kiosk_forbidden',
      reason: 'r',
      at: 0,
      blocked: 0,
    };
    expect(summarize({ ...status(true, 0), quarantined: [q] })).toEqual({
      tone: 'bad',
      label: 'Online · 1 change refused',
      percent: null,
    });
  });
});

describe('a draining backlog', () => {
  it('is measured against the most that waited since the outbox was empty', () => {
    let high = 0;
    for (const waiting of [5, 1200, 900]) high = backlogHighWater(high, waiting);
    expect(high).toBe(1200);
    expect(backlogPercent(high, 900)).toBe(25);
    expect(summarize(status(true, 900), high)).toEqual({
      tone: 'busy',
      label: 'Online · sending 900 left (25% sent)',
      percent: 25,
    });
    // Offline, nothing is being sent: no progress, just what waits.
    expect(summarize(status(false, 900), high).percent).toBeNull();
    // Empty again: the next backlog starts from zero; a small one shows no bar.
    expect(backlogHighWater(high, 0)).toBe(0);
    expect(backlogPercent(10, 4)).toBeNull();
  });
});

describe('ago', () => {
  it('reads like a person would say it', () => {
    const now = Date.UTC(2026, 10, 23, 12);
    expect(ago(now - 10_000, now)).toBe('just now');
    expect(ago(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(ago(now - 3 * 3600_000, now)).toBe('3 h ago');
    expect(ago(Date.UTC(2026, 10, 1), now)).toBe('2026-11-01');
  });
});
