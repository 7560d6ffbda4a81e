//! Product use cases: add, rebrand, reprice, remove, and CSV import (one product per row, each
//! row its own all-or-nothing command).

use crate::csv_import::{parse_products, ImportReport, RowError};
use crate::engine::execute::{run_for_view, Target};
use crate::error::EdgeError;
use crate::views::ProductView;
use crate::Edge;
use mallbots_domain::products::{Product, ProductCommand};
use mallbots_domain::{Currency, Money, ProductId, StoreId, Timestamp};
use rusqlite::{Connection, OptionalExtension};

/// A product to add.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewProduct {
    /// The store selling it.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub store_id: StoreId,
    /// Unique per store; the product id is UUIDv5(store, SKU).
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Free text; may be empty.
    pub description: String,
    /// Unit price in cents, in the mall's currency ([`Edge::currency`]).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub price_cents: i64,
}

/// `(exists, removed)` of a store per the catalog read model.
fn store_state(conn: &Connection, store: StoreId) -> Result<(bool, bool), EdgeError> {
    let removed: Option<bool> = conn
        .prepare_cached("SELECT removed FROM rm_stores WHERE store_id = ?1")?
        .query_row([store.to_string()], |r| r.get(0))
        .optional()?;
    Ok((removed.is_some(), removed.unwrap_or(false)))
}

/// The store of a product per the catalog read model.
fn product_store(conn: &Connection, product: ProductId) -> Result<StoreId, EdgeError> {
    let store: Option<String> = conn
        .prepare_cached("SELECT store_id FROM rm_products WHERE product_id = ?1")?
        .query_row([product.to_string()], |r| r.get(0))
        .optional()?;
    store
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| EdgeError::not_found("product", product))
}

impl Edge {
    fn add_product_target(&self, product: &NewProduct) -> (ProductId, Target) {
        let id = ProductId::for_sku(product.store_id, &product.sku);
        (
            id,
            self.target(id, self.subjects().product(product.store_id, id)),
        )
    }

    /// Adds a product to a store's catalog (`product.sku_taken` if the SKU exists).
    pub fn add_product(&self, product: NewProduct) -> Result<ProductView, EdgeError> {
        self.catalog_gate()?.check(product.store_id)?;
        let currency = self.currency()?;
        let (_, target) = self.add_product_target(&product);
        self.with_writer(move |store, cache| {
            let (exists, removed) = store_state(store.connection(), product.store_id)?;
            let at = Timestamp(target.occurred_at);
            let build = |_: &Product| {
                Ok(ProductCommand::AddProduct {
                    store_id: product.store_id,
                    sku: product.sku.clone(),
                    name: product.name.clone(),
                    description: product.description.clone(),
                    price: Money::new(product.price_cents, currency),
                    store_exists: exists,
                    store_removed: removed,
                    at,
                })
            };
            run_for_view::<_, ProductView>(store, cache, &target, &build)
        })
    }

    /// Renames a product and replaces its description.
    pub fn rebrand_product(
        &self,
        product: ProductId,
        name: &str,
        description: &str,
    ) -> Result<ProductView, EdgeError> {
        let (name, description) = (name.to_owned(), description.to_owned());
        self.product_command(product, move |at| ProductCommand::RebrandProduct {
            name: name.clone(),
            description: description.clone(),
            at,
        })
    }

    /// Sets a new price (an increase or a decrease event by the difference).
    pub fn reprice_product(
        &self,
        product: ProductId,
        price_cents: i64,
    ) -> Result<ProductView, EdgeError> {
        // In the product's own currency (one set before the mall's currency changed keeps it).
        let currency = Currency::parse(&self.product(product)?.currency).unwrap_or_default();
        self.product_command(product, move |at| ProductCommand::ChangePrice {
            new_price: Money::new(price_cents, currency),
            at,
        })
    }

    /// Takes a product off the catalog.
    pub fn remove_product(&self, product: ProductId) -> Result<ProductView, EdgeError> {
        self.product_command(product, |at| ProductCommand::RemoveProduct { at })
    }

    fn product_command(
        &self,
        product: ProductId,
        command: impl Fn(Timestamp) -> ProductCommand + Send + 'static,
    ) -> Result<ProductView, EdgeError> {
        let gate = self.catalog_gate()?;
        let subjects = self.subjects().clone();
        let mut target = self.target(product, String::new());
        self.with_writer(move |store, cache| {
            let store_id = product_store(store.connection(), product)?;
            gate.check(store_id)?;
            target.subject = subjects.product(store_id, product);
            let at = Timestamp(target.occurred_at);
            let build = |_: &Product| Ok(command(at));
            run_for_view::<_, ProductView>(store, cache, &target, &build)
        })
    }

    /// Imports products from CSV (header `sku,name,description,price`, price in major units such
    /// as `12.99`). Good rows are added, bad rows (parse errors or rule violations) are reported
    /// by line number; each row is its own all-or-nothing command.
    pub fn import_products_csv(
        &self,
        store: StoreId,
        csv: impl std::io::Read,
    ) -> Result<ImportReport, EdgeError> {
        self.catalog_gate()?.check(store)?;
        let (rows, mut errors) = parse_products(csv)?;
        let mut imported = Vec::new();
        for row in rows {
            let product = NewProduct {
                store_id: store,
                sku: row.sku,
                name: row.name,
                description: row.description,
                price_cents: row.price_cents,
            };
            match self.add_product(product) {
                Ok(view) => imported.push(view),
                Err(err) => errors.push(RowError {
                    line: row.line,
                    code: err.code().to_owned(),
                    message: err.to_string(),
                }),
            }
        }
        errors.sort_by_key(|e| e.line);
        Ok(ImportReport { imported, errors })
    }
}
