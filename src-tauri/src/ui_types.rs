//! The TypeScript declarations of everything the windows receive from and send to the commands,
//! generated from the Rust types (ts-rs) into `ui/src/lib/generated.ts`. The UI imports its
//! types from there only, so `svelte-check` fails when the UI reads a field the Rust side does
//! not send; the test below fails when the checked-in file is not what the Rust types give.
//!
//! To regenerate after changing a view: `UPDATE_UI_TYPES=1 cargo test -p mallbots-app ui_types`.

use mallbots_edge::domain::baskets::BasketStatus;
use mallbots_edge::domain::bots::BotStatus;
use mallbots_edge::domain::depot::ListStatus;
use mallbots_edge::domain::mall_map::Place;
use mallbots_edge::domain::ordering::OrderStatus;
use mallbots_edge::{
    BotView, CartView, ConflictView, DailySalesView, DepotView, DeskRequestView, ImportReport,
    LineView, ManagerOrderDetail, ManagerOrderLineView, ManagerOrderView, NewProduct,
    OrderStatusChangeView, OrderView, ProductView, QuarantinedRow, RowError, ShoppingListView,
    StopItemView, StopView, StoreCatalogView, StoreView, TrailEntry, WalkView,
};
use serde::Serialize;
use ts_rs::TS;

use crate::backoffice::{SyncProblem, SyncState, SyncStatus};
use crate::commands::app::AppInfo;
use crate::events::{Changed, Topic};
use crate::orders::OrderQuery;
use crate::state::ManagerSession;
use crate::views::{CheckoutInput, KioskOrder, NewStore};

/// Where the declarations live, from the workspace root.
pub const GENERATED: &str = "ui/src/lib/generated.ts";

/// A string union of a domain enum's serialized names, e.g. `export type OrderStatus = 'pending'
/// | …;`. `all` must list every variant; the exhaustive matches below fail to compile when one is
/// added without being listed.
fn union<T: Serialize>(name: &str, all: &[T]) -> String {
    let names: Vec<String> = all
        .iter()
        .map(|v| {
            let text = serde_json::to_value(v).expect("a unit variant");
            format!("{:?}", text.as_str().expect("serialized as a string"))
        })
        .collect();
    format!("export type {name} = {};", names.join(" | "))
}

const ORDER_STATUSES: [OrderStatus; 7] = [
    OrderStatus::Pending,
    OrderStatus::Approved,
    OrderStatus::InProgress,
    OrderStatus::Ready,
    OrderStatus::Completed,
    OrderStatus::Rejected,
    OrderStatus::Canceled,
];
const BASKET_STATUSES: [BasketStatus; 4] = [
    BasketStatus::NotStarted,
    BasketStatus::Open,
    BasketStatus::CheckedOut,
    BasketStatus::Canceled,
];
const BOT_STATUSES: [BotStatus; 5] = [
    BotStatus::Offline,
    BotStatus::Idle,
    BotStatus::Assigned,
    BotStatus::Shopping,
    BotStatus::Returning,
];
const LIST_STATUSES: [ListStatus; 6] = [
    ListStatus::Created,
    ListStatus::Available,
    ListStatus::Assigned,
    ListStatus::InProgress,
    ListStatus::Completed,
    ListStatus::Canceled,
];

/// Compile-time check that the lists above name every variant.
#[allow(dead_code)]
fn every_variant_is_listed(o: OrderStatus, b: BasketStatus, r: BotStatus, l: ListStatus) {
    use BasketStatus as B;
    use BotStatus as R;
    use ListStatus as L;
    use OrderStatus as O;
    match o {
        O::Pending | O::Approved | O::InProgress | O::Ready => {}
        O::Completed | O::Rejected | O::Canceled => {}
    }
    match b {
        B::NotStarted | B::Open | B::CheckedOut | B::Canceled => {}
    }
    match r {
        R::Offline | R::Idle | R::Assigned | R::Shopping | R::Returning => {}
    }
    match l {
        L::Created | L::Available | L::Assigned | L::InProgress | L::Completed | L::Canceled => {}
    }
}

fn declare<T: TS>() -> String {
    format!("export {}", T::decl())
}

/// The whole generated file.
pub fn declarations() -> String {
    let parts = [
        "// Generated from the Rust types by src-tauri/src/ui_types.rs; do not edit.".to_owned(),
        "// Regenerate: UPDATE_UI_TYPES=1 cargo test -p mallbots-app ui_types".to_owned(),
        String::new(),
        union("OrderStatus", &ORDER_STATUSES),
        union("BasketStatus", &BASKET_STATUSES),
        union("BotStatus", &BOT_STATUSES),
        union("ListStatus", &LIST_STATUSES),
        declare::<SyncState>(),
        declare::<Topic>(),
        declare::<Place>(),
        declare::<StoreView>(),
        declare::<ProductView>(),
        declare::<StoreCatalogView>(),
        declare::<LineView>(),
        declare::<CartView>(),
        declare::<OrderView>(),
        declare::<KioskOrder>(),
        declare::<CheckoutInput>(),
        declare::<NewStore>(),
        declare::<NewProduct>(),
        declare::<RowError>(),
        declare::<ImportReport>(),
        declare::<ManagerSession>(),
        declare::<AppInfo>(),
        declare::<OrderQuery>(),
        declare::<DeskRequestView>(),
        declare::<ManagerOrderView>(),
        declare::<ManagerOrderLineView>(),
        declare::<OrderStatusChangeView>(),
        declare::<ManagerOrderDetail>(),
        declare::<WalkView>(),
        declare::<BotView>(),
        declare::<StopItemView>(),
        declare::<StopView>(),
        declare::<ShoppingListView>(),
        declare::<DepotView>(),
        declare::<DailySalesView>(),
        declare::<ConflictView>(),
        declare::<SyncProblem>(),
        declare::<QuarantinedRow>(),
        declare::<SyncStatus>(),
        declare::<Changed>(),
        declare::<TrailEntry>(),
    ];
    let mut text = parts.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn ui_types_match_the_checked_in_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(GENERATED);
        let expected = declarations();
        if std::env::var_os("UPDATE_UI_TYPES").is_some() {
            std::fs::write(&path, &expected).expect("write the generated types");
        }
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            found == expected,
            "{GENERATED} is not what the Rust types give; run \
             `UPDATE_UI_TYPES=1 cargo test -p mallbots-app ui_types` and commit it"
        );
    }

    #[test]
    fn unions_use_the_serialized_names() {
        assert_eq!(
            union("ListStatus", &LIST_STATUSES),
            "export type ListStatus = \"created\" | \"available\" | \"assigned\" | \
             \"in_progress\" | \"completed\" | \"canceled\";"
        );
    }
}
