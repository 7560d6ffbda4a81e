//! Store-manager commands: sign-in and catalog administration. Granted to the `manager` window
//! only; every command but sign-in needs a signed-in manager.

use crate::api::{NewProduct, NewStore, ProductView, StoreCatalog, StoreView};
use crate::error::ApiError;
use crate::state::{AppState, ManagerSession};
use tauri::State;

/// Signs a manager in with user name and password.
#[tauri::command]
pub async fn manager_sign_in(
    state: State<'_, AppState>,
    user: String,
    password: String,
) -> Result<ManagerSession, ApiError> {
    state.edge().verify_manager(&user, &password)?;
    let session = ManagerSession {
        user: user.trim().to_owned(),
    };
    state.set_manager(Some(session.clone()))?;
    Ok(session)
}

/// Signs the manager out.
#[tauri::command]
pub async fn manager_sign_out(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.set_manager(None)
}

/// Every store with its products.
#[tauri::command]
pub async fn manager_stores(state: State<'_, AppState>) -> Result<Vec<StoreCatalog>, ApiError> {
    state.require_manager()?;
    state.edge().stores()
}

/// Creates a store.
#[tauri::command]
pub async fn manager_create_store(
    state: State<'_, AppState>,
    store: NewStore,
) -> Result<StoreView, ApiError> {
    state.require_manager()?;
    state.edge().create_store(&store)
}

/// Adds a product to a store.
#[tauri::command]
pub async fn manager_add_product(
    state: State<'_, AppState>,
    product: NewProduct,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    state.edge().add_product(&product)
}

/// Turns a store's participation in kiosk ordering on or off.
#[tauri::command]
pub async fn manager_set_participation(
    state: State<'_, AppState>,
    store_id: String,
    participating: bool,
) -> Result<StoreView, ApiError> {
    state.require_manager()?;
    state.edge().set_participation(&store_id, participating)
}

/// Lets bots shop in a store, or stops them.
#[tauri::command]
pub async fn manager_set_automated_shopping(
    state: State<'_, AppState>,
    store_id: String,
    enabled: bool,
) -> Result<StoreView, ApiError> {
    state.require_manager()?;
    state.edge().set_automated_shopping(&store_id, enabled)
}

/// Renames a product and replaces its description.
#[tauri::command]
pub async fn manager_rebrand_product(
    state: State<'_, AppState>,
    product_id: String,
    name: String,
    description: Option<String>,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    state
        .edge()
        .rebrand_product(&product_id, &name, description.as_deref().unwrap_or(""))
}

/// Sets a product's price in cents.
#[tauri::command]
pub async fn manager_change_price(
    state: State<'_, AppState>,
    product_id: String,
    price_cents: i64,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    state.edge().change_price(&product_id, price_cents)
}

/// Removes a product from its store.
#[tauri::command]
pub async fn manager_remove_product(
    state: State<'_, AppState>,
    product_id: String,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    state.edge().remove_product(&product_id)
}
