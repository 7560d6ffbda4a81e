import { describe, expect, it } from 'vitest';
import { trailWho } from './trail';
import type { TrailEntry } from './generated';

const entry = (device: string | null, user: string | null): TrailEntry => ({
  at: 0,
  event_type: 'OrderPickupRequested',
  stream: 'pickupreq',
  device,
  user,
  summary: 'hand-over asked',
});

describe('trailWho', () => {
  it('names the user at the desk, else the device', () => {
    expect(trailWho(entry('m1', 'alice'))).toBe('alice at m1');
    expect(trailWho(entry('central', null))).toBe('central');
    expect(trailWho(entry(null, null))).toBe('');
  });
});
