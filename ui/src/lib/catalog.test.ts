import { describe, expect, it } from 'vitest';
import { filterCatalog } from './catalog';
import type { StoreCatalog } from './generated';

const store = (id: string, name: string, products: string[]): StoreCatalog => ({
  store: {
    store_id: id,
    name,
    location: '',
    participating: true,
    automated_shopping: true,
    removed: false,
    place: null,
  },
  products: products.map((p, i) => ({
    product_id: `${id}-${i}`,
    store_id: id,
    name: p,
    description: '',
    sku: `${id}${i}`,
    price_cents: 100,
    currency: 'USD',
    removed: false,
  })),
});

const mall = [
  store('g', 'Green Grocer', ['Sourdough loaf', 'Oat milk']),
  store('v', 'Volt Electronics', ['USB-C cable', 'Wireless earbuds']),
];

describe('filterCatalog', () => {
  it('keeps everything for an empty query', () => {
    expect(filterCatalog(mall, '  ')).toBe(mall);
  });
  it('matches product names case-insensitively and drops empty stores', () => {
    const found = filterCatalog(mall, 'MILK');
    expect(found.map((s) => s.store.name)).toEqual(['Green Grocer']);
    expect(found[0].products.map((p) => p.name)).toEqual(['Oat milk']);
  });
  it('needs every word, in the product or the store name', () => {
    expect(filterCatalog(mall, 'volt cable')[0].products.map((p) => p.name)).toEqual([
      'USB-C cable',
    ]);
    expect(filterCatalog(mall, 'volt milk')).toEqual([]);
  });
});
