// The kiosk's phone-number pad: what each key does and how the number is shown.

export const MAX_DIGITS = 15;
export const MIN_DIGITS = 10;

export type PadKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'back' | 'clear';

/** The digits after pressing `key`. Extra digits past MAX_DIGITS are ignored. */
export function pressKey(digits: string, key: PadKey): string {
  if (key === 'back') return digits.slice(0, -1);
  if (key === 'clear') return '';
  if (digits.length >= MAX_DIGITS) return digits;
  return digits + key;
}

/** Whether the digits can be used for SMS notifications. */
export function isCompletePhone(digits: string): boolean {
  return /^\d+$/.test(digits) && digits.length >= MIN_DIGITS && digits.length <= MAX_DIGITS;
}

/** Shows digits as a North American number while typing: `(555) 123-4567`; longer ones grouped. */
export function formatPhone(digits: string): string {
  if (digits.length === 0) return '';
  if (digits.length > 10) return `+${digits.replace(/(\d{1,3})(?=(\d{3})+$)/g, '$1 ')}`;
  const area = digits.slice(0, 3);
  const prefix = digits.slice(3, 6);
  const line = digits.slice(6);
  if (digits.length <= 3) return `(${area}`;
  if (digits.length <= 6) return `(${area}) ${prefix}`;
  return `(${area}) ${prefix}-${line}`;
}
