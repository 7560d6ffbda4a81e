import { describe, expect, it } from 'vitest';
import { canHandOver, refusalText } from './pickup';

describe('pickup refusals', () => {
  it('explains each coded refusal in plain words', () => {
    expect(refusalText('pickup.not_ready', 'x')).toMatch(/not ready yet/);
    expect(refusalText('pickup.already_completed', 'x')).toMatch(/already handed over/);
    expect(refusalText('pickup.not_your_store', 'x')).toMatch(/store this desk does not manage/);
    expect(refusalText('something.else', 'the backend says so')).toBe('the backend says so');
  });
  it('offers the hand-over for ready orders only', () => {
    expect(canHandOver({ status: 'ready' })).toBe(true);
    for (const status of ['pending', 'approved', 'in_progress', 'completed', 'canceled'] as const) {
      expect(canHandOver({ status })).toBe(false);
    }
  });
});
