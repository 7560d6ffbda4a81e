//! Stores and products of the in-memory edge, with the catalog rules of the domain: names not
//! blank, prices ≥ 0, SKU unique per store, no double enable/disable.

use super::{new_id, not_blank, Tables};
use crate::api::{MoneyView, NewProduct, NewStore, ProductView, StoreCatalog, StoreView};
use crate::error::{codes, ApiError};

impl Tables {
    /// Stores with their products that pass `include`, both by name.
    pub(super) fn catalog(
        &self,
        include: impl Fn(&StoreView, &ProductView) -> bool,
    ) -> Vec<StoreCatalog> {
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

    /// What the kiosk offers: participating stores' products matching `query`.
    pub(super) fn kiosk_catalog(&self, query: &str) -> Vec<StoreCatalog> {
        let query = query.trim().to_lowercase();
        let mut catalog = self.catalog(|store, product| {
            store.participating
                && (query.is_empty()
                    || product.name.to_lowercase().contains(&query)
                    || store.name.to_lowercase().contains(&query))
        });
        catalog.retain(|entry| entry.store.participating && !entry.products.is_empty());
        catalog
    }

    pub(super) fn create_store(&mut self, input: &NewStore) -> Result<StoreView, ApiError> {
        let name = not_blank(&input.name, "the store name")?;
        let location = not_blank(&input.location, "the location")?;
        if self
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
        self.stores.insert(store.id.clone(), store.clone());
        Ok(store)
    }

    pub(super) fn add_product(&mut self, input: &NewProduct) -> Result<ProductView, ApiError> {
        let name = not_blank(&input.name, "the product name")?;
        let sku = not_blank(&input.sku, "the SKU")?;
        if input.price_cents < 0 {
            return Err(ApiError::invalid("the price must not be negative"));
        }
        if !self.stores.contains_key(&input.store_id) {
            return Err(ApiError::not_found("store", &input.store_id));
        }
        let taken = self
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
        self.products.insert(product.id.clone(), product.clone());
        Ok(product)
    }

    fn product_mut(&mut self, product: &str) -> Result<&mut ProductView, ApiError> {
        self.products
            .get_mut(product)
            .ok_or_else(|| ApiError::not_found("product", product))
    }

    pub(super) fn rebrand_product(
        &mut self,
        product: &str,
        name: &str,
        description: &str,
    ) -> Result<ProductView, ApiError> {
        let name = not_blank(name, "the product name")?;
        let view = self.product_mut(product)?;
        view.name = name;
        view.description = description.trim().to_owned();
        Ok(view.clone())
    }

    pub(super) fn change_price(
        &mut self,
        product: &str,
        price_cents: i64,
    ) -> Result<ProductView, ApiError> {
        if price_cents < 0 {
            return Err(ApiError::invalid("the price must not be negative"));
        }
        let view = self.product_mut(product)?;
        if view.price.cents == price_cents {
            return Err(ApiError::new(codes::UNCHANGED, "that is already the price"));
        }
        view.price = MoneyView::usd(price_cents);
        Ok(view.clone())
    }

    pub(super) fn remove_product(&mut self, product: &str) -> Result<ProductView, ApiError> {
        self.products
            .remove(product)
            .ok_or_else(|| ApiError::not_found("product", product))
    }

    /// Sets one of a store's switches; setting it to what it already is, is an error.
    pub(super) fn store_flag(
        &mut self,
        store: &str,
        flag: impl Fn(&mut StoreView) -> &mut bool,
        on: bool,
    ) -> Result<StoreView, ApiError> {
        let view = self
            .stores
            .get_mut(store)
            .ok_or_else(|| ApiError::not_found("store", store))?;
        let slot = flag(view);
        if *slot == on {
            return Err(ApiError::new(
                codes::UNCHANGED,
                format!("already {}", if on { "enabled" } else { "disabled" }),
            ));
        }
        *slot = on;
        Ok(view.clone())
    }
}
