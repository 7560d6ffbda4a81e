//! Kiosk commands: browse, cart, checkout, order status. Granted to the `kiosk` window only.

use crate::api::{BasketView, CheckoutInput, OrderView, StoreCatalog};
use crate::error::ApiError;
use crate::events::{emit, Changed, Topic};
use crate::state::AppState;
use tauri::{AppHandle, Runtime, State};

/// Participating stores and their products, filtered by `query`.
#[tauri::command]
pub async fn kiosk_catalog(
    state: State<'_, AppState>,
    query: Option<String>,
) -> Result<Vec<StoreCatalog>, ApiError> {
    state.edge().catalog(query.as_deref().unwrap_or(""))
}

/// Opens a new basket for a customer who tapped "start".
#[tauri::command]
pub async fn kiosk_start_basket<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<BasketView, ApiError> {
    let basket = state.edge().start_basket()?;
    emit(&app, Changed::of(&[Topic::Baskets, Topic::Sync]));
    Ok(basket)
}

/// Adds `quantity` (default 1) of a product to the basket.
#[tauri::command]
pub async fn kiosk_add_item<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    basket_id: String,
    product_id: String,
    quantity: Option<u32>,
) -> Result<BasketView, ApiError> {
    let basket = state
        .edge()
        .add_item(&basket_id, &product_id, quantity.unwrap_or(1))?;
    emit(&app, Changed::of(&[Topic::Baskets, Topic::Sync]));
    Ok(basket)
}

/// Removes `quantity` (default 1) of a product from the basket.
#[tauri::command]
pub async fn kiosk_remove_item<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    basket_id: String,
    product_id: String,
    quantity: Option<u32>,
) -> Result<BasketView, ApiError> {
    let basket = state
        .edge()
        .remove_item(&basket_id, &product_id, quantity.unwrap_or(1))?;
    emit(&app, Changed::of(&[Topic::Baskets, Topic::Sync]));
    Ok(basket)
}

/// Cancels the basket (cancel button or idle reset).
#[tauri::command]
pub async fn kiosk_cancel_basket<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    basket_id: String,
) -> Result<BasketView, ApiError> {
    let basket = state.edge().cancel_basket(&basket_id)?;
    emit(&app, Changed::of(&[Topic::Baskets, Topic::Sync]));
    Ok(basket)
}

/// Places the order: phone number for SMS and the card swipe's token.
#[tauri::command]
pub async fn kiosk_checkout<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    checkout: CheckoutInput,
) -> Result<OrderView, ApiError> {
    let order = state.edge().checkout(&checkout)?;
    emit(&app, Changed::order(&order.id));
    Ok(order)
}

/// The order's current status, for the live status screen.
#[tauri::command]
pub async fn kiosk_order_status(
    state: State<'_, AppState>,
    order_id: String,
) -> Result<OrderView, ApiError> {
    state.edge().order(&order_id)
}

/// Asks to cancel a placed order; the answer arrives as the order's status.
#[tauri::command]
pub async fn kiosk_request_cancel<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    order_id: String,
) -> Result<OrderView, ApiError> {
    let order = state.edge().request_cancel(&order_id)?;
    emit(&app, Changed::order(&order.id));
    Ok(order)
}
