//! Kiosk commands: browse, cart, checkout, order status. Granted to the `kiosk` window only.
//! Each is a few lines over `mallbots_edge::Edge`; every change is announced as `edge:changed`.

use super::arg::Arg;
use crate::backoffice::SyncStatus;
use crate::error::ApiError;
use crate::events::{Changed, Topic};
use crate::state::{AppState, Device};
use crate::views::{CheckoutInput, KioskOrder};
use mallbots_edge::domain::{BasketId, OrderId, ProductId};
use mallbots_edge::StoreCatalogView as StoreCatalog;
use mallbots_edge::{CartView, Edge, EdgeError};
use tauri::{AppHandle, Runtime, State};

/// The name the kiosk registers its anonymous customers under (the SMS number identifies them).
const KIOSK_CUSTOMER: &str = "Kiosk customer";

/// A cart change: announced, and it waits to be synced.
const CART: &[Topic] = &[Topic::Baskets, Topic::Sync];

fn cart_changed<R: Runtime>(
    app: &AppHandle<R>,
    kiosk: &Device,
    result: Result<mallbots_edge::CartView, mallbots_edge::EdgeError>,
) -> Result<CartView, ApiError> {
    let mut cart = result?;
    cart.unavailable = kiosk.edge().unavailable_items(cart.cart_id)?;
    kiosk.announce(app, Changed::of(CART));
    Ok(cart)
}

/// The basket as it stands now, with the products in it that are no longer sold (the window
/// reloads it when the catalog changes).
#[tauri::command]
pub async fn kiosk_basket(
    state: State<'_, AppState>,
    basket_id: Arg<BasketId>,
) -> Result<CartView, ApiError> {
    let basket_id = basket_id.take("basketId")?;
    Ok(state.kiosk()?.edge().cart(basket_id)?)
}

fn kiosk_order(edge: &Edge, order: mallbots_edge::OrderView) -> Result<KioskOrder, ApiError> {
    let sms_number = edge.customer(order.customer_id)?.sms_number;
    Ok(KioskOrder::new(order, sms_number))
}

/// Participating stores and their products, filtered by `query`.
#[tauri::command]
pub async fn kiosk_catalog(
    state: State<'_, AppState>,
    query: Arg<Option<String>>,
) -> Result<Vec<StoreCatalog>, ApiError> {
    let query = query.take("query")?;
    let query = query.filter(|q| !q.trim().is_empty());
    Ok(state
        .kiosk()?
        .edge()
        .catalog_by_store(query.as_deref(), true, false)?)
}

/// Opens a new basket for a customer who tapped "start".
#[tauri::command]
pub async fn kiosk_start_basket<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<CartView, ApiError> {
    let kiosk = state.kiosk()?;
    cart_changed(&app, kiosk, kiosk.edge().start_cart(None))
}

/// The arguments of a cart line change: the basket, the product, how many (default 1).
type LineArgs = (Arg<BasketId>, Arg<ProductId>, Arg<Option<i64>>);

/// Adds or removes (`change`) a quantity of a product in the basket and announces the cart.
fn line_change<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    (basket_id, product_id, quantity): LineArgs,
    change: impl FnOnce(&Edge, BasketId, ProductId, i64) -> Result<CartView, EdgeError>,
) -> Result<CartView, ApiError> {
    let cart = basket_id.take("basketId")?;
    let product = product_id.take("productId")?;
    let quantity = quantity.take("quantity")?.unwrap_or(1);
    let kiosk = state.kiosk()?;
    let result = change(kiosk.edge(), cart, product, quantity);
    cart_changed(app, kiosk, result)
}

/// Adds `quantity` (default 1) of a product to the basket.
#[tauri::command]
pub async fn kiosk_add_item<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    basket_id: Arg<BasketId>,
    product_id: Arg<ProductId>,
    quantity: Arg<Option<i64>>,
) -> Result<CartView, ApiError> {
    let args = (basket_id, product_id, quantity);
    line_change(&app, &state, args, |edge, cart, product, n| {
        edge.add_item(cart, product, n)
    })
}

/// Removes `quantity` (default 1) of a product from the basket.
#[tauri::command]
pub async fn kiosk_remove_item<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    basket_id: Arg<BasketId>,
    product_id: Arg<ProductId>,
    quantity: Arg<Option<i64>>,
) -> Result<CartView, ApiError> {
    let args = (basket_id, product_id, quantity);
    line_change(&app, &state, args, |edge, cart, product, n| {
        edge.remove_item(cart, product, n)
    })
}

/// The customer cancels the basket (the "Start over" button).
#[tauri::command]
pub async fn kiosk_cancel_basket<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    basket_id: Arg<BasketId>,
) -> Result<CartView, ApiError> {
    let basket_id = basket_id.take("basketId")?;
    let kiosk = state.kiosk()?;
    let result = kiosk.edge().cancel_cart(basket_id);
    cart_changed(&app, kiosk, result)
}

/// The kiosk was left alone: every cart idle for the configured time is canceled as
/// `abandoned`; returns how many were.
#[tauri::command]
pub async fn kiosk_abandon_idle<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<usize, ApiError> {
    let kiosk = state.kiosk()?;
    let edge = kiosk.edge();
    let abandoned = edge.abandon_idle(edge.now())?;
    if !abandoned.is_empty() {
        kiosk.announce(&app, Changed::of(CART));
    }
    Ok(abandoned.len())
}

/// Places the order: the phone number registers the customer for SMS, the card swipe's token
/// pays. Committed locally (durably) and synced later.
#[tauri::command]
pub async fn kiosk_checkout<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    checkout: Arg<CheckoutInput>,
) -> Result<KioskOrder, ApiError> {
    let checkout = checkout.take("checkout")?;
    let kiosk = state.kiosk()?;
    let edge = kiosk.edge();
    let cart = checkout.basket_id;
    // Registration and checkout are decided together and committed in one transaction: a
    // refused checkout (closed or empty cart, blank card token, bad phone) registers no one.
    let (customer, order) = edge.checkout_registering(
        cart,
        KIOSK_CUSTOMER,
        &checkout.sms_number,
        &checkout.card_token,
    )?;
    kiosk.announce(&app, Changed::order(&order.order_id.to_string()));
    Ok(KioskOrder::new(order, customer.sms_number))
}

/// The order's current status, for the live status screen.
#[tauri::command]
pub async fn kiosk_order_status(
    state: State<'_, AppState>,
    order_id: Arg<OrderId>,
) -> Result<KioskOrder, ApiError> {
    let order_id = order_id.take("orderId")?;
    let edge = state.kiosk()?.edge();
    kiosk_order(edge, edge.order(order_id)?)
}

/// Asks central to cancel a placed order; the answer arrives later as the order's status.
#[tauri::command]
pub async fn kiosk_request_cancel<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    order_id: Arg<OrderId>,
) -> Result<KioskOrder, ApiError> {
    let order_id = order_id.take("orderId")?;
    let kiosk = state.kiosk()?;
    let edge = kiosk.edge();
    let order = edge.request_order_cancellation(order_id, "the customer canceled at the kiosk")?;
    kiosk.announce(&app, Changed::order(&order.order_id.to_string()));
    kiosk_order(edge, order)
}

/// The kiosk device's sync: online/offline, changes waiting, and why it cannot sync (not
/// enrolled, credentials refused) with the command that fixes it.
#[tauri::command]
pub async fn kiosk_sync_status(state: State<'_, AppState>) -> Result<SyncStatus, ApiError> {
    state.kiosk()?.sync().status().await
}
