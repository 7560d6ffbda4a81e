//! Back-office commands of the manager window beyond single catalog edits: CSV import, orders,
//! the depot, daily sales and the sync status. Each needs a signed-in manager.

use crate::api::NewProduct;
use crate::backoffice::{daily_sales, DepotView, OrderSummary, SalesDay, SyncStatus};
use crate::csv_import::{self, ImportReport};
use crate::error::ApiError;
use crate::events::{emit, Changed, Topic};
use crate::state::AppState;
use tauri::{AppHandle, Runtime, State};

/// The most days the sales chart may ask for.
const MAX_SALES_DAYS: u32 = 366;

/// Imports products into a store from CSV text (`sku,name,price[,description]` with a header);
/// valid lines are added, the others come back with their line number and `{code, message}`.
#[tauri::command]
pub async fn manager_import_products<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    store_id: String,
    csv: String,
) -> Result<ImportReport, ApiError> {
    state.require_manager()?;
    let edge = state.edge();
    let report = csv_import::import(&csv, |line| {
        edge.add_product(&NewProduct {
            store_id: store_id.clone(),
            name: line.name.clone(),
            description: line.description.clone(),
            sku: line.sku.clone(),
            price_cents: line.price_cents,
        })
        .map(drop)
    })?;
    if !report.added.is_empty() {
        emit(&app, Changed::of(&[Topic::Catalog, Topic::Sync]));
    }
    Ok(report)
}

/// Every order this edge knows, newest first.
#[tauri::command]
pub async fn manager_orders(state: State<'_, AppState>) -> Result<Vec<OrderSummary>, ApiError> {
    state.require_manager()?;
    state.edge().orders()
}

/// Bots and shopping lists.
#[tauri::command]
pub async fn manager_depot(state: State<'_, AppState>) -> Result<DepotView, ApiError> {
    state.require_manager()?;
    state.edge().depot()
}

/// Sales per day for the last `days` days (default 14), oldest first, zero days included.
#[tauri::command]
pub async fn manager_sales(
    state: State<'_, AppState>,
    days: Option<u32>,
) -> Result<Vec<SalesDay>, ApiError> {
    state.require_manager()?;
    let days = days.unwrap_or(14);
    if days == 0 || days > MAX_SALES_DAYS {
        return Err(ApiError::invalid(format!(
            "days must be between 1 and {MAX_SALES_DAYS}"
        )));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| ApiError::internal(format!("clock before 1970: {e}")))?;
    let now_ms = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    Ok(daily_sales(&state.edge().orders()?, days, now_ms))
}

/// Online/offline, events waiting to be sent, last sync and conflicts.
#[tauri::command]
pub async fn manager_sync_status(state: State<'_, AppState>) -> Result<SyncStatus, ApiError> {
    state.require_manager()?;
    state.edge().sync_status()
}
