// Catalog search as the kiosk does it: words match product or store names, case-insensitively.
import type { StoreCatalog } from './generated';

/** Stores whose products match every word of `query` (in the product's or store's name). */
export function filterCatalog(catalog: StoreCatalog[], query: string): StoreCatalog[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return catalog;
  return catalog
    .map((entry) => ({
      ...entry,
      products: entry.products.filter((p) => {
        const hay = `${p.name} ${entry.store.name}`.toLowerCase();
        return words.every((w) => hay.includes(w));
      }),
    }))
    .filter((entry) => entry.products.length > 0);
}
