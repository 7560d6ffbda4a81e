import { describe, expect, it } from 'vitest';
import { formatPhone, isCompletePhone, MAX_DIGITS, pressKey, smsNumber, type PadKey } from './phone';

function typeKeys(keys: PadKey[]): string {
  return keys.reduce(pressKey, '');
}

describe('phone pad', () => {
  it('appends digits, deletes and clears', () => {
    expect(typeKeys(['5', '5', '5'])).toBe('555');
    expect(typeKeys(['5', '5', 'back', '1'])).toBe('51');
    expect(typeKeys(['5', '5', 'clear', '9'])).toBe('9');
    expect(pressKey('', 'back')).toBe('');
  });
  it('stops at the maximum length', () => {
    const full = '1'.repeat(MAX_DIGITS);
    expect(pressKey(full, '2')).toBe(full);
  });
  it('knows when the number is complete', () => {
    expect(isCompletePhone('555123456')).toBe(false);
    expect(isCompletePhone('5551234567')).toBe(true);
    expect(isCompletePhone('55512a4567')).toBe(false);
  });
  it('formats while typing', () => {
    expect(formatPhone('')).toBe('');
    expect(formatPhone('55')).toBe('(55');
    expect(formatPhone('55512')).toBe('(555) 12');
    expect(formatPhone('5551234567')).toBe('(555) 123-4567');
    expect(formatPhone('445551234567')).toBe('+445 551 234 567');
  });
  it('follows the mall\'s international format', () => {
    expect(isCompletePhone('4420794', 'international')).toBe(false);
    expect(isCompletePhone('44207946', 'international')).toBe(true);
    expect(isCompletePhone('44207946', 'north_american')).toBe(false);
    expect(formatPhone('4420', 'international')).toBe('+4 420');
    expect(formatPhone('442079460958', 'international')).toBe('+442 079 460 958');
    expect(smsNumber('442079460958', 'international')).toBe('+442079460958');
    expect(smsNumber('5551234567')).toBe('5551234567');
    // The number as an order stores it, shown on the confirmation.
    expect(formatPhone('+44207946')).toBe('+44 207 946');
  });
});
