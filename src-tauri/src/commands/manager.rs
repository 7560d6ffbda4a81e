//! Store-manager commands: sign-in and catalog administration. Granted to the `manager` window
//! only; every command but sign-in needs a signed-in manager, and runs on the manager device's
//! edge. Each change is announced to the manager window as an `edge:changed` event (the kiosk,
//! another device, learns of it through central): [`edit`] and [`edit_one`] do the sign-in
//! check, id parsing and announcement around one edge call.

use super::arg::Arg;
use crate::error::ApiError;
use crate::events::{Changed, Topic};
use crate::state::{AppState, ManagerSession};
use crate::views::NewStore;
use mallbots_edge::domain::{ProductId, StoreId};
use mallbots_edge::{
    Edge, EdgeError, NewProduct, ProductView, StoreCatalogView as StoreCatalog, StoreView,
};
use std::time::Instant;
use tauri::{AppHandle, Runtime, State};

/// A catalog change: announced to the manager window, and it waits to be synced.
const CATALOG: &[Topic] = &[Topic::Catalog, Topic::Sync];

/// A catalog change by the signed-in manager: checks the session, runs `change` on the manager
/// device's edge, announces it to its window (and sync) and converts the view for the UI.
fn edit<R: Runtime, T, U: From<T>>(
    app: &AppHandle<R>,
    state: &AppState,
    change: impl FnOnce(&Edge) -> Result<T, ApiError>,
) -> Result<U, ApiError> {
    let manager = state.signed_in_manager()?;
    let value = change(manager.edge())?;
    manager.announce(app, Changed::of(CATALOG));
    Ok(value.into())
}

/// [`edit`] of one store or product.
fn edit_one<R: Runtime, I, T, U: From<T>>(
    app: &AppHandle<R>,
    state: &AppState,
    id: I,
    change: impl FnOnce(&Edge, I) -> Result<T, EdgeError>,
) -> Result<U, ApiError> {
    edit(app, state, |edge| Ok(change(edge, id)?))
}

/// Signs a manager in with user name and password (argon2-checked, locked out after repeated
/// failures: `bad_credentials`, `locked_out`).
#[tauri::command]
pub async fn manager_sign_in(
    state: State<'_, AppState>,
    user: Arg<String>,
    password: Arg<String>,
) -> Result<ManagerSession, ApiError> {
    let user = user.take("user")?;
    let password = password.take("password")?;
    let account = state.account();
    let now = Instant::now();
    // Hashing takes a while by design: keep it off the async workers.
    let user = tauri::async_runtime::spawn_blocking(move || account.verify(&user, &password, now))
        .await
        .map_err(|e| ApiError::internal(format!("sign-in check failed: {e}")))??;
    // The manager device's edits carry the signed-in user (and the device) in their metadata.
    state.manager()?.edge().set_user(Some(&user));
    let session = ManagerSession { user };
    state.set_manager(Some(session.clone()))?;
    Ok(session)
}

/// Signs the manager out.
#[tauri::command]
pub async fn manager_sign_out(state: State<'_, AppState>) -> Result<(), ApiError> {
    if let Ok(manager) = state.manager() {
        manager.edge().set_user(None);
    }
    state.set_manager(None)
}

/// Every store (participating or not) with its products.
#[tauri::command]
pub async fn manager_stores(state: State<'_, AppState>) -> Result<Vec<StoreCatalog>, ApiError> {
    let manager = state.signed_in_manager()?;
    Ok(manager.edge().catalog_by_store(None, false, true)?)
}

/// Creates a store (not yet taking kiosk orders).
#[tauri::command]
pub async fn manager_create_store<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store: Arg<NewStore>,
) -> Result<StoreView, ApiError> {
    let store = store.take("store")?;
    edit(&app, &state, |edge| {
        Ok(edge.create_store(&store.name, &store.location)?)
    })
}

/// Adds a product to a store.
#[tauri::command]
pub async fn manager_add_product<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product: Arg<NewProduct>,
) -> Result<ProductView, ApiError> {
    let product = product.take("product")?;
    edit(&app, &state, |edge| Ok(edge.add_product(product)?))
}

/// Turns a store's participation in kiosk ordering on or off.
#[tauri::command]
pub async fn manager_set_participation<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: Arg<StoreId>,
    participating: Arg<bool>,
) -> Result<StoreView, ApiError> {
    let store_id = store_id.take("storeId")?;
    let participating = participating.take("participating")?;
    edit_one(&app, &state, store_id, |edge, store| {
        edge.set_participation(store, participating)
    })
}

/// Lets bots shop in a store, or stops them.
#[tauri::command]
pub async fn manager_set_automated_shopping<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: Arg<StoreId>,
    enabled: Arg<bool>,
) -> Result<StoreView, ApiError> {
    let store_id = store_id.take("storeId")?;
    let enabled = enabled.take("enabled")?;
    edit_one(&app, &state, store_id, |edge, store| {
        edge.set_automated_shopping(store, enabled)
    })
}

/// Puts a store on the mall map (dragged there by the manager): `store.place_off_plan` off it.
#[tauri::command]
pub async fn manager_place_store<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: Arg<StoreId>,
    level: Arg<u8>,
    x: Arg<u16>,
    y: Arg<u16>,
) -> Result<StoreView, ApiError> {
    let store_id = store_id.take("storeId")?;
    let (level, x, y) = (level.take("level")?, x.take("x")?, y.take("y")?);
    edit_one(&app, &state, store_id, |edge, store| {
        edge.place_store(store, level, x, y)
    })
}

/// Renames a product and replaces its description.
#[tauri::command]
pub async fn manager_rebrand_product<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product_id: Arg<ProductId>,
    name: Arg<String>,
    description: Arg<Option<String>>,
) -> Result<ProductView, ApiError> {
    let product_id = product_id.take("productId")?;
    let name = name.take("name")?;
    let description = description.take("description")?;
    let description = description.as_deref().unwrap_or("");
    edit_one(&app, &state, product_id, |edge, product| {
        edge.rebrand_product(product, &name, description)
    })
}

/// Sets a product's price in cents (a price increase or decrease event).
#[tauri::command]
pub async fn manager_change_price<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product_id: Arg<ProductId>,
    price_cents: Arg<i64>,
) -> Result<ProductView, ApiError> {
    let product_id = product_id.take("productId")?;
    let price_cents = price_cents.take("priceCents")?;
    edit_one(&app, &state, product_id, |edge, product| {
        edge.reprice_product(product, price_cents)
    })
}

/// Removes a product from its store.
#[tauri::command]
pub async fn manager_remove_product<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product_id: Arg<ProductId>,
) -> Result<ProductView, ApiError> {
    let product_id = product_id.take("productId")?;
    edit_one(&app, &state, product_id, Edge::remove_product)
}
