//! Catalog and customer read models: `rm_stores`, `rm_products`, `rm_customers`.

use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::products::ProductEvent;
use mallbots_domain::stores::StoreEvent;
use mallbots_sync::store::StoreError;
use rusqlite::{params, Transaction};

fn set_store_flag(
    tx: &Transaction<'_>,
    column: &str,
    value: bool,
    store_id: String,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(&format!(
        "UPDATE rm_stores SET {column} = ?1, updated_at = ?2 WHERE store_id = ?3"
    ))?
    .execute(params![value, at, store_id])?;
    Ok(())
}

/// Projects a store event.
pub(super) fn store(tx: &Transaction<'_>, event: &StoreEvent) -> Result<(), StoreError> {
    let id = event.store_id().to_string();
    let at = event.at().0;
    match event {
        StoreEvent::StoreCreated { name, location, .. } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO rm_stores
                 (store_id, name, location, participating, automated, removed, updated_at)
                 VALUES (?1, ?2, ?3, 0, 0, 0, ?4)",
            )?
            .execute(params![id, name, location, at])?;
        }
        StoreEvent::StoreRebranded { name, .. } => {
            tx.prepare_cached(
                "UPDATE rm_stores SET name = ?1, updated_at = ?2 WHERE store_id = ?3",
            )?
            .execute(params![name, at, id])?;
        }
        StoreEvent::StoreParticipationEnabled { .. } => {
            set_store_flag(tx, "participating", true, id, at)?
        }
        StoreEvent::StoreParticipationDisabled { .. } => {
            set_store_flag(tx, "participating", false, id, at)?
        }
        StoreEvent::AutomatedShoppingEnabled { .. } => {
            set_store_flag(tx, "automated", true, id, at)?
        }
        StoreEvent::AutomatedShoppingDisabled { .. } => {
            set_store_flag(tx, "automated", false, id, at)?
        }
        StoreEvent::StorePlaced { level, x, y, .. } => {
            tx.prepare_cached(
                "UPDATE rm_stores SET place_level = ?1, place_x = ?2, place_y = ?3,
                 updated_at = ?4 WHERE store_id = ?5",
            )?
            .execute(params![level, x, y, at, id])?;
        }
        StoreEvent::StoreRemoved { .. } => {
            tx.prepare_cached(
                "UPDATE rm_stores SET removed = 1, participating = 0, automated = 0,
                 updated_at = ?1 WHERE store_id = ?2",
            )?
            .execute(params![at, id])?;
        }
    }
    Ok(())
}

/// Projects a product event.
pub(super) fn product(tx: &Transaction<'_>, event: &ProductEvent) -> Result<(), StoreError> {
    let id = event.product_id().to_string();
    let at = event.at().0;
    match event {
        ProductEvent::ProductAdded {
            store_id,
            sku,
            name,
            description,
            price,
            ..
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO rm_products (product_id, store_id, sku, name, name_lower,
                 description, price_cents, currency, removed, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9)",
            )?
            .execute(params![
                id,
                store_id.to_string(),
                sku,
                name,
                name.to_lowercase(),
                description,
                price.cents,
                price.currency.as_str(),
                at
            ])?;
        }
        ProductEvent::ProductRebranded {
            name, description, ..
        } => {
            tx.prepare_cached(
                "UPDATE rm_products SET name = ?1, name_lower = ?2, description = ?3,
                 updated_at = ?4 WHERE product_id = ?5",
            )?
            .execute(params![name, name.to_lowercase(), description, at, id])?;
        }
        ProductEvent::ProductPriceIncreased { price, .. }
        | ProductEvent::ProductPriceDecreased { price, .. } => {
            tx.prepare_cached(
                "UPDATE rm_products SET price_cents = ?1, currency = ?2, updated_at = ?3
                 WHERE product_id = ?4",
            )?
            .execute(params![price.cents, price.currency.as_str(), at, id])?;
        }
        ProductEvent::ProductRemoved { .. } => {
            tx.prepare_cached(
                "UPDATE rm_products SET removed = 1, updated_at = ?1 WHERE product_id = ?2",
            )?
            .execute(params![at, id])?;
        }
    }
    Ok(())
}

/// Projects a customer event.
pub(super) fn customer(tx: &Transaction<'_>, event: &CustomerEvent) -> Result<(), StoreError> {
    let id = event.customer_id().to_string();
    match event {
        CustomerEvent::CustomerRegistered {
            name,
            sms_number,
            at,
            ..
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO rm_customers
                 (customer_id, name, sms_number, enabled, registered_at)
                 VALUES (?1, ?2, ?3, 1, ?4)",
            )?
            .execute(params![id, name, sms_number, at.0])?;
        }
        CustomerEvent::CustomerSmsChanged { sms_number, .. } => {
            tx.prepare_cached("UPDATE rm_customers SET sms_number = ?1 WHERE customer_id = ?2")?
                .execute(params![sms_number, id])?;
        }
        CustomerEvent::CustomerAuthorized { .. } => {}
        CustomerEvent::CustomerEnabled { .. } | CustomerEvent::CustomerDisabled { .. } => {
            let enabled = matches!(event, CustomerEvent::CustomerEnabled { .. });
            tx.prepare_cached("UPDATE rm_customers SET enabled = ?1 WHERE customer_id = ?2")?
                .execute(params![enabled, id])?;
        }
    }
    Ok(())
}
