//! Catalog queries: stores, products, case-insensitive search by name, and the product facts
//! `add_item` decides with.

use crate::error::EdgeError;
use crate::views::{CatalogView, LineView, ProductView, StoreCatalogView, StoreView};
use crate::Edge;
use mallbots_domain::baskets::ProductFacts;
use mallbots_domain::mall_map::Place;
use mallbots_domain::{Currency, Money, ProductId, StoreId};
use rusqlite::{params, Connection, OptionalExtension, Row};

fn parse_id<T: std::str::FromStr>(text: String) -> rusqlite::Result<T> {
    text.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("bad id `{text}`").into(),
        )
    })
}

pub(crate) fn id<T: std::str::FromStr>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    parse_id(row.get(index)?)
}

/// A cart or order line from `product_id, store_id, store_name, product_name, price_cents,
/// quantity` (the column order of `rm_cart_lines` and `rm_order_items` queries).
pub(crate) fn line_row(row: &Row<'_>) -> rusqlite::Result<LineView> {
    let (price, quantity): (i64, i64) = (row.get(4)?, row.get(5)?);
    Ok(LineView {
        product_id: id(row, 0)?,
        store_id: id(row, 1)?,
        store_name: row.get(2)?,
        product_name: row.get(3)?,
        price_cents: price,
        quantity,
        line_total_cents: price.saturating_mul(quantity),
    })
}

fn store_row(row: &Row<'_>) -> rusqlite::Result<StoreView> {
    Ok(StoreView {
        store_id: id(row, 0)?,
        name: row.get(1)?,
        location: row.get(2)?,
        participating: row.get(3)?,
        automated_shopping: row.get(4)?,
        removed: row.get(5)?,
        place: match (row.get(6)?, row.get(7)?, row.get(8)?) {
            (Some(level), Some(x), Some(y)) => Some(Place { level, x, y }),
            _ => None,
        },
    })
}

const STORE_COLUMNS: &str =
    "store_id, name, location, participating, automated, removed, place_level, place_x, place_y";

const PRODUCT_COLUMNS: &str =
    "p.product_id, p.store_id, p.sku, p.name, p.description, p.price_cents, p.currency, p.removed";

fn product_row(row: &Row<'_>) -> rusqlite::Result<ProductView> {
    Ok(ProductView {
        product_id: id(row, 0)?,
        store_id: id(row, 1)?,
        sku: row.get(2)?,
        name: row.get(3)?,
        description: row.get(4)?,
        price_cents: row.get(5)?,
        currency: row.get(6)?,
        removed: row.get(7)?,
    })
}

/// What the catalog read model says about a product now (`None` if it was never added here).
pub(crate) fn product_facts(
    conn: &Connection,
    product: ProductId,
) -> Result<Option<ProductFacts>, EdgeError> {
    let facts = conn
        .prepare_cached(
            "SELECT p.store_id, COALESCE(s.name, ''), p.name, p.price_cents, p.currency,
                    COALESCE(s.participating, 0), p.removed
             FROM rm_products p LEFT JOIN rm_stores s ON s.store_id = p.store_id
             WHERE p.product_id = ?1",
        )?
        .query_row([product.to_string()], |r| {
            let currency: String = r.get(4)?;
            let removed: bool = r.get(6)?;
            Ok(ProductFacts {
                product_id: product,
                store_id: id(r, 0)?,
                store_name: r.get(1)?,
                product_name: r.get(2)?,
                price: Money::new(r.get(3)?, Currency::parse(&currency).unwrap_or_default()),
                store_participating: r.get(5)?,
                product_available: !removed,
            })
        })
        .optional()?;
    Ok(facts)
}

impl Edge {
    /// Every store not removed, by name.
    pub fn stores(&self) -> Result<Vec<StoreView>, EdgeError> {
        self.read(|r| {
            let mut stmt = r.connection().prepare_cached(&format!(
                "SELECT {STORE_COLUMNS} FROM rm_stores WHERE removed = 0 ORDER BY name, store_id"
            ))?;
            let rows = stmt.query_map([], store_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// One store (removed ones too); `not_found` if unknown.
    pub fn store(&self, store: StoreId) -> Result<StoreView, EdgeError> {
        self.read(|r| {
            r.connection()
                .prepare_cached(&format!(
                    "SELECT {STORE_COLUMNS} FROM rm_stores WHERE store_id = ?1"
                ))?
                .query_row([store.to_string()], store_row)
                .optional()?
                .ok_or_else(|| EdgeError::not_found("store", store))
        })
    }

    /// One product (removed ones too); `not_found` if unknown.
    pub fn product(&self, product: ProductId) -> Result<ProductView, EdgeError> {
        self.read(|r| {
            r.connection()
                .prepare_cached(&format!(
                    "SELECT {PRODUCT_COLUMNS} FROM rm_products p WHERE p.product_id = ?1"
                ))?
                .query_row([product.to_string()], product_row)
                .optional()?
                .ok_or_else(|| EdgeError::not_found("product", product))
        })
    }

    /// Products not removed, optionally of one store and / or whose name contains `search`
    /// (case-insensitive), by name.
    pub fn products(
        &self,
        store: Option<StoreId>,
        search: Option<&str>,
    ) -> Result<Vec<ProductView>, EdgeError> {
        let pattern = search.map(|s| format!("%{}%", s.trim().to_lowercase()));
        self.read(|r| {
            let mut stmt = r.connection().prepare_cached(&format!(
                "SELECT {PRODUCT_COLUMNS} FROM rm_products p
                 WHERE p.removed = 0 AND (?1 IS NULL OR p.store_id = ?1)
                   AND (?2 IS NULL OR p.name_lower LIKE ?2)
                 ORDER BY p.name_lower, p.sku"
            ))?;
            let rows =
                stmt.query_map(params![store.map(|s| s.to_string()), pattern], product_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// The catalog: stores (all, or only participating ones for a kiosk) and their products,
    /// filtered by a case-insensitive name search.
    pub fn catalog(
        &self,
        search: Option<&str>,
        participating_only: bool,
    ) -> Result<CatalogView, EdgeError> {
        let stores: Vec<StoreView> = self
            .stores()?
            .into_iter()
            .filter(|s| s.participating || !participating_only)
            .collect();
        let products = self
            .products(None, search)?
            .into_iter()
            .filter(|p| stores.iter().any(|s| s.store_id == p.store_id))
            .collect();
        Ok(CatalogView { stores, products })
    }

    /// The catalog grouped by store, stores by name with their products on sale (removed ones
    /// left out) in [`Edge::catalog`]'s order: what the kiosk browses (`participating_only`,
    /// stores without a matching product dropped) and the manager edits (`with_empty`).
    pub fn catalog_by_store(
        &self,
        search: Option<&str>,
        participating_only: bool,
        with_empty: bool,
    ) -> Result<Vec<StoreCatalogView>, EdgeError> {
        let catalog = self.catalog(search, participating_only)?;
        let mut stores: Vec<StoreCatalogView> = catalog
            .stores
            .into_iter()
            .filter(|s| !s.removed)
            .map(|store| StoreCatalogView {
                store,
                products: Vec::new(),
            })
            .collect();
        stores.sort_by(|a, b| a.store.name.cmp(&b.store.name));
        for product in catalog.products.into_iter().filter(|p| !p.removed) {
            if let Some(entry) = stores
                .iter_mut()
                .find(|s| s.store.store_id == product.store_id)
            {
                entry.products.push(product);
            }
        }
        stores.retain(|s| with_empty || !s.products.is_empty());
        Ok(stores)
    }
}
