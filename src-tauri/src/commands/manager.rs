//! Store-manager commands: sign-in and catalog administration. Granted to the `manager` window
//! only; every command but sign-in needs a signed-in manager. Each change is announced to every
//! window as an `edge:changed` event (the kiosk reloads its catalog).

use crate::api::{NewProduct, NewStore, ProductView, StoreCatalog, StoreView};
use crate::error::ApiError;
use crate::events::{emit, Changed, Topic};
use crate::state::{AppState, ManagerSession};
use std::time::Instant;
use tauri::{AppHandle, Runtime, State};

/// A catalog change: announced to every window, and it waits to be synced.
const CATALOG: &[Topic] = &[Topic::Catalog, Topic::Sync];

fn announce<R: Runtime, T>(app: &AppHandle<R>, result: Result<T, ApiError>) -> Result<T, ApiError> {
    if result.is_ok() {
        emit(app, Changed::of(CATALOG));
    }
    result
}

/// Signs a manager in with user name and password (argon2-checked, locked out after repeated
/// failures: `bad_credentials`, `locked_out`).
#[tauri::command]
pub async fn manager_sign_in(
    state: State<'_, AppState>,
    user: String,
    password: String,
) -> Result<ManagerSession, ApiError> {
    let account = state.account();
    let now = Instant::now();
    // Hashing takes a while by design: keep it off the async workers.
    let user = tauri::async_runtime::spawn_blocking(move || account.verify(&user, &password, now))
        .await
        .map_err(|e| ApiError::internal(format!("sign-in check failed: {e}")))??;
    let session = ManagerSession { user };
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
pub async fn manager_create_store<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store: NewStore,
) -> Result<StoreView, ApiError> {
    state.require_manager()?;
    announce(&app, state.edge().create_store(&store))
}

/// Adds a product to a store.
#[tauri::command]
pub async fn manager_add_product<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product: NewProduct,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    announce(&app, state.edge().add_product(&product))
}

/// Turns a store's participation in kiosk ordering on or off.
#[tauri::command]
pub async fn manager_set_participation<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: String,
    participating: bool,
) -> Result<StoreView, ApiError> {
    state.require_manager()?;
    announce(
        &app,
        state.edge().set_participation(&store_id, participating),
    )
}

/// Lets bots shop in a store, or stops them.
#[tauri::command]
pub async fn manager_set_automated_shopping<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: String,
    enabled: bool,
) -> Result<StoreView, ApiError> {
    state.require_manager()?;
    announce(
        &app,
        state.edge().set_automated_shopping(&store_id, enabled),
    )
}

/// Renames a product and replaces its description.
#[tauri::command]
pub async fn manager_rebrand_product<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product_id: String,
    name: String,
    description: Option<String>,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    let description = description.as_deref().unwrap_or("");
    announce(
        &app,
        state
            .edge()
            .rebrand_product(&product_id, &name, description),
    )
}

/// Sets a product's price in cents.
#[tauri::command]
pub async fn manager_change_price<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product_id: String,
    price_cents: i64,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    announce(&app, state.edge().change_price(&product_id, price_cents))
}

/// Removes a product from its store.
#[tauri::command]
pub async fn manager_remove_product<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    product_id: String,
) -> Result<ProductView, ApiError> {
    state.require_manager()?;
    announce(&app, state.edge().remove_product(&product_id))
}
