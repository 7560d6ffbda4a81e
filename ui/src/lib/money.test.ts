import { describe, expect, it } from 'vitest';
import { formatMoney, parsePriceToCents } from './money';

describe('formatMoney', () => {
  it('formats cents as dollars with grouping', () => {
    expect(formatMoney({ cents: 123450, currency: 'USD' })).toBe('$1,234.50');
    expect(formatMoney({ cents: 5, currency: 'USD' })).toBe('$0.05');
    expect(formatMoney({ cents: 100000000, currency: 'USD' })).toBe('$1,000,000.00');
  });
  it('handles negatives, zero-decimal currencies and free items', () => {
    expect(formatMoney({ cents: -250, currency: 'USD' })).toBe('−$2.50');
    expect(formatMoney({ cents: 1500, currency: 'JPY' })).toBe('1,500 JPY');
    expect(formatMoney({ cents: 0, currency: 'USD' }, { zeroAsFree: true })).toBe('Free');
    expect(formatMoney({ cents: 0, currency: 'USD' })).toBe('$0.00');
  });
});

describe('parsePriceToCents', () => {
  it('accepts the ways people type prices', () => {
    expect(parsePriceToCents('12')).toBe(1200);
    expect(parsePriceToCents('12.5')).toBe(1250);
    expect(parsePriceToCents('$1,299.99')).toBe(129999);
    expect(parsePriceToCents(' 0.07 ')).toBe(7);
    // A euro or pound mall's prices.
    expect(parsePriceToCents('€12,50')).toBe(1250);
    expect(parsePriceToCents('12,5 €')).toBe(1250);
    expect(parsePriceToCents('£3.99')).toBe(399);
    expect(parsePriceToCents('12.50 EUR')).toBe(1250);
    expect(parsePriceToCents('1,299')).toBe(129900);
  });
  it('refuses what is not a price', () => {
    expect(parsePriceToCents('')).toBeNull();
    expect(parsePriceToCents('-1')).toBeNull();
    expect(parsePriceToCents('1.234')).toBeNull();
    expect(parsePriceToCents('abc')).toBeNull();
  });
});
