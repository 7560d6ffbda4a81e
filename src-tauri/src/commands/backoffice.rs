//! Back-office commands of the manager window beyond single catalog edits: CSV import, orders,
//! the depot, daily sales and the sync status. Each needs a signed-in manager.

use super::arg::Arg;
use crate::backoffice::{daily_sales, store_sales, DepotView, SalesDay, SyncStatus};
use crate::error::{parse_id, ApiError};
use crate::events::{Changed, Topic};
use crate::state::AppState;
use crate::views::{ImportReport, OrderView};
use tauri::{AppHandle, Runtime, State};

/// The most days the sales chart may ask for.
const MAX_SALES_DAYS: u32 = 366;

/// Imports products into a store from CSV text (header `sku,name,description,price`); valid
/// lines are added, the others come back with their line number and `{code, message}`.
#[tauri::command]
pub async fn manager_import_products<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: Arg<String>,
    csv: Arg<String>,
) -> Result<ImportReport, ApiError> {
    let store_id = store_id.take("storeId")?;
    let csv = csv.take("csv")?;
    state.require_manager()?;
    let store = parse_id("store", &store_id)?;
    let report = state.edge().import_products_csv(store, csv.as_bytes())?;
    if !report.imported.is_empty() {
        state.announce(&app, Changed::of(&[Topic::Catalog, Topic::Sync]));
    }
    Ok(report.into())
}

/// Every order this edge knows (of one store when `storeId` is given), newest first.
#[tauri::command]
pub async fn manager_orders(
    state: State<'_, AppState>,
    store_id: Arg<Option<String>>,
) -> Result<Vec<OrderView>, ApiError> {
    let store_id = store_id.take("storeId")?;
    state.require_manager()?;
    let store = store_id.map(|s| parse_id("store", &s)).transpose()?;
    let orders = state.edge().orders(store)?;
    Ok(orders.into_iter().map(OrderView::from).collect())
}

/// Robots and shopping lists as central reported them to this desk (open lists first).
#[tauri::command]
pub async fn manager_depot(state: State<'_, AppState>) -> Result<DepotView, ApiError> {
    state.require_manager()?;
    Ok(state.edge().depot()?.into())
}

/// Sales per day for the last `days` days (default 14), oldest first, zero days included; of
/// one store when `storeId` is given, else of every order.
#[tauri::command]
pub async fn manager_sales(
    state: State<'_, AppState>,
    days: Arg<Option<u32>>,
    store_id: Arg<Option<String>>,
) -> Result<Vec<SalesDay>, ApiError> {
    let days = days.take("days")?;
    let store_id = store_id.take("storeId")?;
    state.require_manager()?;
    let days = days.unwrap_or(14);
    if days == 0 || days > MAX_SALES_DAYS {
        return Err(ApiError::invalid(format!(
            "days must be between 1 and {MAX_SALES_DAYS}"
        )));
    }
    let edge = state.edge();
    let now = edge.now().0;
    match store_id {
        Some(store) => Ok(store_sales(
            &edge.sales_per_day(parse_id("store", &store)?)?,
            days,
            now,
        )),
        None => {
            let orders: Vec<OrderView> = edge.orders(None)?.into_iter().map(Into::into).collect();
            Ok(daily_sales(&orders, days, now))
        }
    }
}

/// Online/offline, events waiting to be sent, last sync and conflicts.
#[tauri::command]
pub async fn manager_sync_status(state: State<'_, AppState>) -> Result<SyncStatus, ApiError> {
    state.require_manager()?;
    state.sync().status().await
}
