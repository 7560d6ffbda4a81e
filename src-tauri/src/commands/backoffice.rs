//! Back-office commands of the manager window beyond single catalog edits: CSV import, the
//! mall's orders and one order's detail, the pickup hand-over, the depot and counter-prepared
//! stops, daily sales and the sync status. Each needs a signed-in manager and runs on the
//! manager device's edge.

use super::arg::Arg;
use crate::backoffice::SyncStatus;
use crate::error::ApiError;
use crate::events::{Changed, Topic};
use crate::orders::OrderQuery;
use crate::state::AppState;
use mallbots_edge::domain::{BotId, OrderId, ProductId, ShoppingListId, StoreId};
use mallbots_edge::TrailEntry;
use mallbots_edge::{
    DailySalesView, DepotView, DeskRequestView, ManagerOrderDetail, ManagerOrderView,
};
use tauri::{AppHandle, Runtime, State};

/// Imports products into a store from CSV text (header `sku,name,description,price`); valid
/// lines are added, the others come back with their line number and `{code, message}`.
#[tauri::command]
pub async fn manager_import_products<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: Arg<StoreId>,
    csv: Arg<String>,
) -> Result<mallbots_edge::ImportReport, ApiError> {
    let store_id = store_id.take("storeId")?;
    let csv = csv.take("csv")?;
    let manager = state.signed_in_manager()?;
    let store = store_id;
    let report = manager.edge().import_products_csv(store, csv.as_bytes())?;
    if !report.imported.is_empty() {
        manager.announce(&app, Changed::of(&[Topic::Catalog, Topic::Sync]));
    }
    Ok(report)
}

/// The mall's orders of this desk's stores, newest first, filtered by status, day range
/// (`from_day`/`to_day`, `YYYY-MM-DD`), the last digits of the customer's phone and store (all
/// optional, in `filter`; `storeId` is the store filter too).
#[tauri::command]
pub async fn manager_orders(
    state: State<'_, AppState>,
    filter: Arg<Option<OrderQuery>>,
    store_id: Arg<Option<StoreId>>,
) -> Result<Vec<ManagerOrderView>, ApiError> {
    let mut filter = filter.take("filter")?.unwrap_or_default().to_filter()?;
    if let Some(store) = store_id.take("storeId")? {
        filter.store = Some(store);
    }
    Ok(state.signed_in_manager()?.edge().manager_orders(&filter)?)
}

/// One order with its lines, status history, payment and invoice (`not_found` if this desk
/// does not know it).
#[tauri::command]
pub async fn manager_order(
    state: State<'_, AppState>,
    order_id: Arg<OrderId>,
) -> Result<ManagerOrderDetail, ApiError> {
    let order_id = order_id.take("orderId")?;
    let edge = state.signed_in_manager()?.edge();
    Ok(edge
        .manager_order(order_id)?
        .ok_or_else(|| mallbots_edge::EdgeError::not_found("order", order_id))?)
}

/// The order's audit trail from this desk's event log, oldest first (`not_found` if the log
/// holds nothing of it).
#[tauri::command]
pub async fn manager_order_trail(
    state: State<'_, AppState>,
    order_id: Arg<OrderId>,
) -> Result<Vec<TrailEntry>, ApiError> {
    let order_id = order_id.take("orderId")?;
    Ok(state.signed_in_manager()?.edge().order_trail(order_id)?)
}

/// A robot's events since `sinceMs` (the window passes its local midnight: its lists of the
/// day), oldest first.
#[tauri::command]
pub async fn manager_bot_trail(
    state: State<'_, AppState>,
    bot_id: Arg<BotId>,
    since_ms: Arg<i64>,
) -> Result<Vec<TrailEntry>, ApiError> {
    let (bot_id, since_ms) = (bot_id.take("botId")?, since_ms.take("sinceMs")?);
    Ok(state
        .signed_in_manager()?
        .edge()
        .bot_trail(bot_id, since_ms)?)
}

/// A product's history (who changed it, where, when), oldest first.
#[tauri::command]
pub async fn manager_product_trail(
    state: State<'_, AppState>,
    product_id: Arg<ProductId>,
) -> Result<Vec<TrailEntry>, ApiError> {
    let product_id = product_id.take("productId")?;
    Ok(state
        .signed_in_manager()?
        .edge()
        .product_trail(product_id)?)
}

/// Hands a ready order over at the depot, with the pickup code the customer shows: asks
/// central to complete it (capture the payment, pay the invoice). Refused with
/// `pickup.wrong_code`, `pickup.not_ready`, `pickup.already_completed`, `pickup.not_your_store`
/// or `pickup.unknown_order` (changing nothing), at once when this desk already knows, else
/// later as the order's `pickup_refusal`; "picked up" arrives as the order's status
/// `completed`. A code that is not digits is `desk.code_invalid`.
#[tauri::command]
pub async fn manager_request_pickup<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    order_id: Arg<OrderId>,
    code: Arg<String>,
) -> Result<DeskRequestView, ApiError> {
    let order_id = order_id.take("orderId")?;
    let code = code.take("code")?;
    let manager = state.signed_in_manager()?;
    let request = manager.edge().request_pickup(order_id, &code)?;
    manager.announce(&app, Changed::order(&order_id.to_string()));
    Ok(request)
}

/// Marks a waiting stop of a store with automated shopping off as prepared at the counter, so
/// a robot collects it.
#[tauri::command]
pub async fn manager_mark_stop_prepared<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    list_id: Arg<ShoppingListId>,
    store_id: Arg<StoreId>,
) -> Result<(), ApiError> {
    let list_id = list_id.take("listId")?;
    let store_id = store_id.take("storeId")?;
    let manager = state.signed_in_manager()?;
    let (list, store) = (list_id, store_id);
    manager.edge().mark_stop_prepared(list, store)?;
    manager.announce(&app, Changed::of(&[Topic::Depot, Topic::Sync]));
    Ok(())
}

/// Robots and shopping lists as central reported them to this desk (open lists first).
#[tauri::command]
pub async fn manager_depot(state: State<'_, AppState>) -> Result<DepotView, ApiError> {
    Ok(state.signed_in_manager()?.edge().depot()?)
}

/// Sales per day for the last `days` days (default 14), oldest first, zero days included, as
/// central reports the desk's stores' orders (ready or completed, on the day they got there);
/// of one store when `storeId` is given, else of every store in the desk's catalog.
#[tauri::command]
pub async fn manager_sales(
    state: State<'_, AppState>,
    days: Arg<Option<u32>>,
    store_id: Arg<Option<StoreId>>,
) -> Result<Vec<DailySalesView>, ApiError> {
    let days = days.take("days")?.unwrap_or(14);
    let store_id = store_id.take("storeId")?;
    let manager = state.signed_in_manager()?;
    Ok(manager.edge().sales_days(store_id, days)?)
}

/// The manager device's sync: online/offline, events waiting, last sync, conflicts,
/// quarantined changes and why it cannot sync (not enrolled, credentials refused).
#[tauri::command]
pub async fn manager_sync_status(state: State<'_, AppState>) -> Result<SyncStatus, ApiError> {
    state.signed_in_manager()?.sync().status().await
}
