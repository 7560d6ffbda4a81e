//! An in-process [`EdgeApi`] over plain collections, used until the shell is wired to
//! `mallbots-edge` (which persists to SQLite and syncs over NATS). It enforces the same rules the
//! domain does for what the screens exercise, so the UI and the GUI tests see real behaviour.

use crate::api::{
    BasketLine, BasketStatus, BasketView, CheckoutInput, EdgeApi, MoneyView, NewProduct, NewStore,
    OrderView, ProductView, StoreCatalog, StoreView,
};
use crate::error::{codes, ApiError};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use uuid::Uuid;

#[derive(Debug, Default)]
struct Tables {
    stores: BTreeMap<String, StoreView>,
    products: BTreeMap<String, ProductView>,
    baskets: BTreeMap<String, BasketView>,
    orders: BTreeMap<String, OrderView>,
}

/// The in-memory edge: a catalog, baskets and orders behind one lock, and one manager account.
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

impl Tables {
    fn catalog(&self, include: impl Fn(&StoreView, &ProductView) -> bool) -> Vec<StoreCatalog> {
        let mut out: Vec<StoreCatalog> = self
            .stores
            .values()
            .map(|store| {
                let mut products: Vec<ProductView> = self
                    .products
                    .values()
                    .filter(|p| p.store_id == store.id && include(store, p))
                    .cloned()
                    .collect();
                products.sort_by(|a, b| a.name.cmp(&b.name));
                StoreCatalog {
                    store: store.clone(),
                    products,
                }
            })
            .collect();
        out.sort_by(|a, b| a.store.name.cmp(&b.store.name));
        out
    }

    fn open_basket(&mut self, basket: &str) -> Result<&mut BasketView, ApiError> {
        let view = self
            .baskets
            .get_mut(basket)
            .ok_or_else(|| ApiError::not_found("basket", basket))?;
        if view.status != BasketStatus::Open {
            return Err(ApiError::new(
                codes::BASKET_CLOSED,
                "this basket was already checked out or canceled",
            ));
        }
        Ok(view)
    }
}

fn retotal(basket: &mut BasketView) {
    basket.lines.retain(|l| l.quantity > 0);
    for line in &mut basket.lines {
        line.line_total = MoneyView::usd(line.unit_price.cents * i64::from(line.quantity));
    }
    basket.total = MoneyView::usd(basket.lines.iter().map(|l| l.line_total.cents).sum());
}

impl EdgeApi for MemoryEdge {
    fn catalog(&self, query: &str) -> Result<Vec<StoreCatalog>, ApiError> {
        let query = query.trim().to_lowercase();
        let tables = self.lock()?;
        let mut catalog = tables.catalog(|store, product| {
            store.participating
                && (query.is_empty()
                    || product.name.to_lowercase().contains(&query)
                    || store.name.to_lowercase().contains(&query))
        });
        catalog.retain(|entry| entry.store.participating && !entry.products.is_empty());
        Ok(catalog)
    }

    fn start_basket(&self) -> Result<BasketView, ApiError> {
        let basket = BasketView {
            id: new_id(),
            lines: Vec::new(),
            total: MoneyView::usd(0),
            status: BasketStatus::Open,
        };
        self.lock()?
            .baskets
            .insert(basket.id.clone(), basket.clone());
        Ok(basket)
    }

    fn add_item(&self, basket: &str, product: &str, quantity: u32) -> Result<BasketView, ApiError> {
        if quantity == 0 {
            return Err(ApiError::invalid("quantity must be at least 1"));
        }
        let mut tables = self.lock()?;
        let item = tables
            .products
            .get(product)
            .cloned()
            .ok_or_else(|| ApiError::not_found("product", product))?;
        let store = tables.stores.get(&item.store_id).cloned();
        let store = match store {
            Some(store) if store.participating => store,
            _ => {
                return Err(ApiError::new(
                    codes::PRODUCT_UNAVAILABLE,
                    format!("{} cannot be ordered from this kiosk", item.name),
                ))
            }
        };
        let view = tables.open_basket(basket)?;
        match view.lines.iter_mut().find(|l| l.product_id == item.id) {
            Some(line) => line.quantity = line.quantity.saturating_add(quantity),
            None => view.lines.push(BasketLine {
                product_id: item.id.clone(),
                name: item.name.clone(),
                store_name: store.name,
                unit_price: item.price.clone(),
                quantity,
                line_total: MoneyView::usd(0),
            }),
        }
        retotal(view);
        Ok(view.clone())
    }

    fn remove_item(
        &self,
        basket: &str,
        product: &str,
        quantity: u32,
    ) -> Result<BasketView, ApiError> {
        let mut tables = self.lock()?;
        let view = tables.open_basket(basket)?;
        let line = view
            .lines
            .iter_mut()
            .find(|l| l.product_id == product)
            .ok_or_else(|| ApiError::not_found("basket item", product))?;
        line.quantity = line.quantity.saturating_sub(quantity.max(1));
        retotal(view);
        Ok(view.clone())
    }

    fn cancel_basket(&self, basket: &str) -> Result<BasketView, ApiError> {
        let mut tables = self.lock()?;
        let view = tables.open_basket(basket)?;
        view.status = BasketStatus::Canceled;
        Ok(view.clone())
    }

    fn checkout(&self, input: &CheckoutInput) -> Result<OrderView, ApiError> {
        let digits = input.sms_number.trim();
        if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid(
                "the phone number must have 7 to 15 digits",
            ));
        }
        not_blank(&input.card_token, "the card token")?;
        let mut tables = self.lock()?;
        let view = tables.open_basket(&input.basket_id)?;
        if view.lines.is_empty() {
            return Err(ApiError::new(
                codes::BASKET_EMPTY,
                "add an item before paying",
            ));
        }
        view.status = BasketStatus::CheckedOut;
        let order = OrderView {
            id: view.id.clone(),
            status: "pending".to_owned(),
            total: view.total.clone(),
            sms_number: digits.to_owned(),
            lines: view.lines.clone(),
        };
        tables.orders.insert(order.id.clone(), order.clone());
        Ok(order)
    }

    fn order(&self, order: &str) -> Result<OrderView, ApiError> {
        self.lock()?
            .orders
            .get(order)
            .cloned()
            .ok_or_else(|| ApiError::not_found("order", order))
    }

    fn verify_manager(&self, user: &str, password: &str) -> Result<(), ApiError> {
        let (expected_user, expected_password) = &self.manager;
        // Compare both fields fully so the time taken does not say which one was wrong.
        let user_ok = user.trim() == expected_user;
        let password_ok = password.len() == expected_password.len()
            && password
                .bytes()
                .zip(expected_password.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
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
        let name = not_blank(&input.name, "the store name")?;
        let location = not_blank(&input.location, "the location")?;
        let mut tables = self.lock()?;
        if tables
            .stores
            .values()
            .any(|s| s.name.eq_ignore_ascii_case(&name))
        {
            return Err(ApiError::new(
                codes::ALREADY_EXISTS,
                format!("a store named {name} already exists"),
            ));
        }
        let store = StoreView {
            id: new_id(),
            name,
            location,
            participating: true,
            automated_shopping: true,
        };
        tables.stores.insert(store.id.clone(), store.clone());
        Ok(store)
    }

    fn add_product(&self, input: &NewProduct) -> Result<ProductView, ApiError> {
        let name = not_blank(&input.name, "the product name")?;
        let sku = not_blank(&input.sku, "the SKU")?;
        if input.price_cents < 0 {
            return Err(ApiError::invalid("the price must not be negative"));
        }
        let mut tables = self.lock()?;
        if !tables.stores.contains_key(&input.store_id) {
            return Err(ApiError::not_found("store", &input.store_id));
        }
        let taken = tables
            .products
            .values()
            .any(|p| p.store_id == input.store_id && p.sku.eq_ignore_ascii_case(&sku));
        if taken {
            return Err(ApiError::new(
                codes::ALREADY_EXISTS,
                format!("SKU {sku} is already used in this store"),
            ));
        }
        let product = ProductView {
            id: new_id(),
            store_id: input.store_id.clone(),
            name,
            description: input.description.trim().to_owned(),
            sku,
            price: MoneyView::usd(input.price_cents),
        };
        tables.products.insert(product.id.clone(), product.clone());
        Ok(product)
    }

    fn set_participation(&self, store: &str, participating: bool) -> Result<StoreView, ApiError> {
        let mut tables = self.lock()?;
        let view = tables
            .stores
            .get_mut(store)
            .ok_or_else(|| ApiError::not_found("store", store))?;
        view.participating = participating;
        Ok(view.clone())
    }
}
