// Money is integer minor units with a currency; never floating point arithmetic. The views
// carry amounts as `*_cents` plus a `currency`; the screens format them as `Money`.

/** An amount: integer minor units of an ISO-4217 currency. */
export type Money = { cents: number; currency: string };

const DIGITS: Record<string, number> = { JPY: 0, KRW: 0, BHD: 3, KWD: 3 };

/** Minor-unit digits of a currency (2 unless listed). */
export function minorDigits(currency: string): number {
  return DIGITS[currency.toUpperCase()] ?? 2;
}

/** Formats money for display, e.g. `$1,234.50`; `Free` for a zero price when asked. */
export function formatMoney(money: Money, opts: { zeroAsFree?: boolean } = {}): string {
  if (opts.zeroAsFree && money.cents === 0) return 'Free';
  const digits = minorDigits(money.currency);
  const negative = money.cents < 0;
  const abs = Math.abs(money.cents);
  const scale = 10 ** digits;
  const whole = Math.floor(abs / scale);
  const fraction = digits > 0 ? '.' + String(abs % scale).padStart(digits, '0') : '';
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = money.currency === 'USD' ? '$' : money.currency === 'EUR' ? '€' : '';
  const body = symbol ? `${symbol}${grouped}${fraction}` : `${grouped}${fraction} ${money.currency}`;
  return negative ? `−${body}` : body;
}

/** A catalog price (`price_cents` and `currency`, as the edge's product view has them) as money. */
export function priceOf(product: { price_cents: number; currency: string }): Money {
  return { cents: product.price_cents, currency: product.currency };
}

/** An amount in minor units of `currency` as money (cart and order lines carry cents; their
 * currency is the cart's or order's). */
export function money(cents: number, currency: string): Money {
  return { cents, currency };
}

/** Parses a price typed by a manager (`12`, `12.5`, `$1,299.00`, `€12,50`, `12.50 EUR`)
 * into cents: a currency sign or code around it is dropped; a comma is the decimal mark when
 * it is the only separator and two or fewer digits follow it, else a thousands separator. */
export function parsePriceToCents(text: string): number | null {
  let cleaned = text
    .trim()
    .replace(/^[$€£]\s*/, '')
    .replace(/\s*[A-Za-z]{3}$/, '')
    .replace(/\s*[$€£]$/, '');
  if (!cleaned.includes('.') && /^\d+,\d{1,2}$/.test(cleaned)) {
    cleaned = cleaned.replace(',', '.');
  }
  cleaned = cleaned.replace(/,/g, '');
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return null;
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + fraction;
}
