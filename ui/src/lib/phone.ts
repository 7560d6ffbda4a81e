// The kiosk's phone-number pad: what each key does and how the number is shown.

export const MAX_DIGITS = 15;
export const MIN_DIGITS = 10;
/** The fewest digits of an international number (country code included). */
export const MIN_INTERNATIONAL_DIGITS = 8;

/** The mall's phone format (`mallbots phone-format`, the app's `--phone-format`). */
export type PhoneFormat = 'north_american' | 'international';

export type PadKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'back' | 'clear';

/** The digits after pressing `key`. Extra digits past MAX_DIGITS are ignored. */
export function pressKey(digits: string, key: PadKey): string {
  if (key === 'back') return digits.slice(0, -1);
  if (key === 'clear') return '';
  if (digits.length >= MAX_DIGITS) return digits;
  return digits + key;
}

/** Whether the digits can be used for SMS notifications in `format`. */
export function isCompletePhone(digits: string, format: PhoneFormat = 'north_american'): boolean {
  const min = format === 'international' ? MIN_INTERNATIONAL_DIGITS : MIN_DIGITS;
  return /^\d+$/.test(digits) && digits.length >= min && digits.length <= MAX_DIGITS;
}

/** The number the kiosk sends for the typed digits: an international one with its `+`. */
export function smsNumber(digits: string, format: PhoneFormat = 'north_american'): string {
  return format === 'international' ? `+${digits}` : digits;
}

/** Shows digits while typing: North American `(555) 123-4567` (longer ones grouped as an
 * international number), or in `international` format always `+44 207 946 0958`-style. */
export function formatPhone(digits: string, format: PhoneFormat = 'north_american'): string {
  if (digits.length === 0) return '';
  // A stored number with its `+` is international whatever the mall's format.
  if (digits.startsWith('+')) return formatPhone(digits.slice(1), 'international');
  if (format === 'international' || digits.length > 10) {
    return `+${digits.replace(/(\d{1,3})(?=(\d{3})+$)/g, '$1 ')}`;
  }
  const area = digits.slice(0, 3);
  const prefix = digits.slice(3, 6);
  const line = digits.slice(6);
  if (digits.length <= 3) return `(${area}`;
  if (digits.length <= 6) return `(${area}) ${prefix}`;
  return `(${area}) ${prefix}-${line}`;
}
