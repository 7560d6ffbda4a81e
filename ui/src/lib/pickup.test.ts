import { describe, expect, it } from 'vitest';
import { canHandOver, codeComplete, refusalText, spacedCode } from './pickup';

describe('pickup refusals', () => {
  it('explains each coded refusal in plain words', () => {
    expect(refusalText('pickup.not_ready', 'x')).toMatch(/not ready yet/);
    expect(refusalText('pickup.already_completed', 'x')).toMatch(/already handed over/);
    expect(refusalText('pickup.not_your_store', 'x')).toMatch(/store this desk does not manage/);
    expect(refusalText('pickup.wrong_code', 'x')).toMatch(/not this order's pickup code/);
    expect(refusalText('pickup.too_many_tries', 'x')).toMatch(/15 minutes/);
    expect(refusalText('something.else', 'the backend says so')).toBe('the backend says so');
  });
  it('offers the hand-over for ready orders only', () => {
    expect(canHandOver({ status: 'ready' })).toBe(true);
    for (const status of ['pending', 'approved', 'in_progress', 'completed', 'canceled'] as const) {
      expect(canHandOver({ status })).toBe(false);
    }
  });
});

describe('pickup codes', () => {
  it('takes six digits as people type them', () => {
    for (const typed of ['042517', '042 517', '042-517', ' 042517 ']) {
      expect(codeComplete(typed)).toBe(true);
    }
    for (const typed of ['', '04251', '0425170', '04251a', 'abcdef']) {
      expect(codeComplete(typed)).toBe(false);
    }
  });
  it('reads a code in threes', () => {
    expect(spacedCode('042517')).toBe('042 517');
    expect(spacedCode('042 517')).toBe('042 517');
  });
});
