import { describe, expect, it } from 'vitest';
import { get } from 'svelte/store';
import { CATALOG, LOCALES, fill, placeholders, setLocale, t, translate } from './i18n';

describe('the kiosk message catalog', () => {
  const english = CATALOG.en;
  it('gives every language every key, with the same placeholders', () => {
    for (const { code } of LOCALES) {
      const messages = CATALOG[code];
      expect(Object.keys(messages).sort()).toEqual(Object.keys(english).sort());
      for (const [key, text] of Object.entries(messages)) {
        expect(text.trim(), `${code} ${key}`).not.toBe('');
        expect(placeholders(text), `${code} ${key}`).toEqual(
          placeholders(english[key as keyof typeof english]),
        );
      }
    }
  });
  it('translates every key into Spanish (none left in English by mistake)', () => {
    const same = Object.keys(english).filter(
      (k) => CATALOG.es[k as keyof typeof english] === english[k as keyof typeof english],
    );
    // Words that are the same in both languages.
    expect(same.sort()).toEqual(['cart.total']);
  });
  it('fills placeholders', () => {
    expect(fill('Pay {total}', { total: '$4.50' })).toBe('Pay $4.50');
    expect(fill('{n} items', { n: 3 })).toBe('3 items');
    expect(fill('keep {unknown}', {})).toBe('keep {unknown}');
    expect(translate('es', 'card.pay', { total: '$9.00' })).toBe('Pagar $9.00');
  });
  it('switches the language for components', () => {
    setLocale('es');
    expect(get(t)('start.cta')).toBe('Toque para empezar su pedido');
    setLocale('en');
    expect(get(t)('start.cta')).toBe('Tap to start your order');
  });
});
