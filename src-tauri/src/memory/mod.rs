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
use crate::error::{codes, ApiError};
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
}

/// The in-memory edge: a catalog, baskets and orders, and one manager account.
#[derive(Debug)]
pub struct MemoryEdge {
    tables: Mutex<Tables>,
    manager: (String, String),
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

/// Compares two secrets in time that depends only on their lengths.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl MemoryEdge {
    /// An empty edge whose only manager account is `user` / `password`.
    pub fn new(user: &str, password: &str) -> Self {
        Self {
            tables: Mutex::default(),
            manager: (user.to_owned(), password.to_owned()),
        }
    }

    /// An edge holding the demonstration mall of [`crate::demo`].
    pub fn with_demo_mall(user: &str, password: &str) -> Result<Self, ApiError> {
        let edge = Self::new(user, password);
        crate::demo::seed(&edge)?;
        Ok(edge)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Tables>, ApiError> {
        self.tables
            .lock()
            .map_err(|_| ApiError::internal("the in-memory store was poisoned by a panic"))
    }
}

impl EdgeApi for MemoryEdge {
    fn catalog(&self, query: &str) -> Result<Vec<StoreCatalog>, ApiError> {
        Ok(self.lock()?.kiosk_catalog(query))
    }

    fn start_basket(&self) -> Result<BasketView, ApiError> {
        Ok(self.lock()?.start_basket())
    }

    fn add_item(&self, basket: &str, product: &str, quantity: u32) -> Result<BasketView, ApiError> {
        self.lock()?.add_item(basket, product, quantity)
    }

    fn remove_item(
        &self,
        basket: &str,
        product: &str,
        quantity: u32,
    ) -> Result<BasketView, ApiError> {
        self.lock()?.remove_item(basket, product, quantity)
    }

    fn cancel_basket(&self, basket: &str) -> Result<BasketView, ApiError> {
        self.lock()?.cancel_basket(basket)
    }

    fn checkout(&self, input: &CheckoutInput) -> Result<OrderView, ApiError> {
        self.lock()?.checkout(input)
    }

    fn order(&self, order: &str) -> Result<OrderView, ApiError> {
        self.lock()?
            .orders
            .get(order)
            .cloned()
            .ok_or_else(|| ApiError::not_found("order", order))
    }

    fn request_cancel(&self, order: &str) -> Result<OrderView, ApiError> {
        self.lock()?.request_cancel(order)
    }

    fn verify_manager(&self, user: &str, password: &str) -> Result<(), ApiError> {
        let (expected_user, expected_password) = &self.manager;
        // Check both fields fully so the time taken does not tell which one was wrong.
        let user_ok = same_secret(user.trim(), expected_user);
        let password_ok = same_secret(password, expected_password);
        if user_ok && password_ok {
            Ok(())
        } else {
            Err(ApiError::new(
                codes::BAD_CREDENTIALS,
                "that user name and password do not match",
            ))
        }
    }

    fn stores(&self) -> Result<Vec<StoreCatalog>, ApiError> {
        Ok(self.lock()?.catalog(|_, _| true))
    }

    fn create_store(&self, input: &NewStore) -> Result<StoreView, ApiError> {
        self.lock()?.create_store(input)
    }

    fn add_product(&self, input: &NewProduct) -> Result<ProductView, ApiError> {
        self.lock()?.add_product(input)
    }

    fn rebrand_product(
        &self,
        product: &str,
        name: &str,
        description: &str,
    ) -> Result<ProductView, ApiError> {
        self.lock()?.rebrand_product(product, name, description)
    }

    fn change_price(&self, product: &str, price_cents: i64) -> Result<ProductView, ApiError> {
        self.lock()?.change_price(product, price_cents)
    }

    fn remove_product(&self, product: &str) -> Result<ProductView, ApiError> {
        self.lock()?.remove_product(product)
    }

    fn set_participation(&self, store: &str, participating: bool) -> Result<StoreView, ApiError> {
        self.lock()?
            .store_flag(store, |s| &mut s.participating, participating)
    }

    fn set_automated_shopping(&self, store: &str, enabled: bool) -> Result<StoreView, ApiError> {
        self.lock()?
            .store_flag(store, |s| &mut s.automated_shopping, enabled)
    }
}
