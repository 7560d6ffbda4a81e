//! An in-process [`EdgeApi`] over plain collections, used until the shell is wired to
//! `mallbots-edge` (which persists to SQLite and syncs over NATS). It enforces the same rules the
//! domain does for what the screens exercise, so the UI and the GUI tests see real behaviour.
//! Nothing is persisted and nothing is synced: orders stay `pending` as on an offline kiosk.

mod baskets;
mod catalog;

use crate::api::{
    BasketView, CheckoutInput, EdgeApi, NewProduct, NewStore, OrderView, ProductView, StoreCatalog,
    StoreView,
};
use crate::backoffice::{DepotView, OrderSummary, SyncStatus};
use crate::error::ApiError;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use uuid::Uuid;

/// Everything the in-memory edge knows, behind one lock.
#[derive(Debug, Default)]
struct Tables {
    stores: BTreeMap<String, StoreView>,
    products: BTreeMap<String, ProductView>,
    baskets: BTreeMap<String, BasketView>,
    orders: BTreeMap<String, OrderView>,
    /// When each order was placed (ms since the Unix epoch).
    placed_at: BTreeMap<String, i64>,
    /// Successful changes so far: all of them wait for a sync that never comes.
    changes: u64,
}

/// The in-memory edge: a catalog, baskets and orders.
#[derive(Debug, Default)]
pub struct MemoryEdge {
    tables: Mutex<Tables>,
}

fn new_id() -> String {
    Uuid::now_v7().to_string()
}

fn not_blank(value: &str, what: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid(format!("{what} must not be blank")));
    }
    Ok(value.to_owned())
}

impl MemoryEdge {
    /// An empty edge.
    pub fn new() -> Self {
        Self::default()
    }

    /// An edge holding the demonstration mall of [`crate::demo`].
    pub fn with_demo_mall() -> Result<Self, ApiError> {
        let edge = Self::new();
        crate::demo::seed(&edge)?;
        Ok(edge)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Tables>, ApiError> {
        self.tables
            .lock()
            .map_err(|_| ApiError::internal("the in-memory store was poisoned by a panic"))
    }

    /// Runs a change; a successful one counts as waiting to be synced.
    fn change<T>(
        &self,
        work: impl FnOnce(&mut Tables) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut tables = self.lock()?;
        let out = work(&mut tables)?;
        tables.changes += 1;
        Ok(out)
    }
}

impl EdgeApi for MemoryEdge {
    fn catalog(&self, query: &str) -> Result<Vec<StoreCatalog>, ApiError> {
        Ok(self.lock()?.kiosk_catalog(query))
    }

    fn start_basket(&self) -> Result<BasketView, ApiError> {
        self.change(|t| Ok(t.start_basket()))
    }

    fn add_item(&self, basket: &str, product: &str, quantity: u32) -> Result<BasketView, ApiError> {
        self.change(|t| t.add_item(basket, product, quantity))
    }

    fn remove_item(
        &self,
        basket: &str,
        product: &str,
        quantity: u32,
    ) -> Result<BasketView, ApiError> {
        self.change(|t| t.remove_item(basket, product, quantity))
    }

    fn cancel_basket(&self, basket: &str) -> Result<BasketView, ApiError> {
        self.change(|t| t.cancel_basket(basket))
    }

    fn checkout(&self, input: &CheckoutInput) -> Result<OrderView, ApiError> {
        self.change(|t| {
            let order = t.checkout(input)?;
            t.placed_at.insert(order.id.clone(), now_ms());
            Ok(order)
        })
    }

    fn order(&self, order: &str) -> Result<OrderView, ApiError> {
        self.lock()?
            .orders
            .get(order)
            .cloned()
            .ok_or_else(|| ApiError::not_found("order", order))
    }

    fn request_cancel(&self, order: &str) -> Result<OrderView, ApiError> {
        self.change(|t| t.request_cancel(order))
    }

    fn stores(&self) -> Result<Vec<StoreCatalog>, ApiError> {
        Ok(self.lock()?.catalog(|_, _| true))
    }

    fn create_store(&self, input: &NewStore) -> Result<StoreView, ApiError> {
        self.change(|t| t.create_store(input))
    }

    fn add_product(&self, input: &NewProduct) -> Result<ProductView, ApiError> {
        self.change(|t| t.add_product(input))
    }

    fn rebrand_product(
        &self,
        product: &str,
        name: &str,
        description: &str,
    ) -> Result<ProductView, ApiError> {
        self.change(|t| t.rebrand_product(product, name, description))
    }

    fn change_price(&self, product: &str, price_cents: i64) -> Result<ProductView, ApiError> {
        self.change(|t| t.change_price(product, price_cents))
    }

    fn remove_product(&self, product: &str) -> Result<ProductView, ApiError> {
        self.change(|t| t.remove_product(product))
    }

    fn set_participation(&self, store: &str, participating: bool) -> Result<StoreView, ApiError> {
        self.change(|t| t.store_flag(store, |s| &mut s.participating, participating))
    }

    fn set_automated_shopping(&self, store: &str, enabled: bool) -> Result<StoreView, ApiError> {
        self.change(|t| t.store_flag(store, |s| &mut s.automated_shopping, enabled))
    }

    fn orders(&self) -> Result<Vec<OrderSummary>, ApiError> {
        let tables = self.lock()?;
        let mut orders: Vec<OrderSummary> = tables
            .orders
            .values()
            .map(|o| OrderSummary {
                id: o.id.clone(),
                status: o.status.clone(),
                total: o.total.clone(),
                placed_at: tables.placed_at.get(&o.id).copied().unwrap_or_default(),
                lines: o.lines.clone(),
                reason: None,
            })
            .collect();
        orders.sort_by_key(|o| std::cmp::Reverse(o.placed_at));
        Ok(orders)
    }

    fn depot(&self) -> Result<DepotView, ApiError> {
        // Bots and lists come from central; an edge that never synced has heard of none.
        Ok(DepotView::default())
    }

    fn sync_status(&self) -> Result<SyncStatus, ApiError> {
        Ok(SyncStatus {
            online: false,
            waiting: self.lock()?.changes,
            last_sync_at: None,
            conflicts: Vec::new(),
        })
    }
}

/// Now, in ms since the Unix epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
