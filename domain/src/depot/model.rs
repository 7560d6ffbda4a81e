//! Commands, events, errors and value types of the shopping list.

use crate::aggregate::DomainEvent;
use crate::error::ErrorCode;
use crate::ids::{BotId, OrderId, ProductId, ShoppingListId, StoreId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One product to fetch: which store, what, how many.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListItem {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub product_name: String,
    pub quantity: u32,
}

/// The items of one store; `picked` once the bot has collected them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    pub store_id: StoreId,
    pub items: Vec<ListItem>,
    pub picked: bool,
    /// Prepared at the store's counter by its manager (automated shopping off): the bot only
    /// collects it. Absent in lists planned before this field existed.
    #[serde(default)]
    pub prepared: bool,
}

impl Stop {
    /// Groups items into stops: one per store ordered by store id, items ordered by product id,
    /// repeated products merged (quantities summed, saturating). Deterministic for any input order.
    pub fn plan(items: &[ListItem]) -> Vec<Stop> {
        let mut stores: BTreeMap<StoreId, BTreeMap<ProductId, ListItem>> = BTreeMap::new();
        for item in items {
            stores
                .entry(item.store_id)
                .or_default()
                .entry(item.product_id)
                .and_modify(|known| known.quantity = known.quantity.saturating_add(item.quantity))
                .or_insert_with(|| item.clone());
        }
        stores
            .into_iter()
            .map(|(store_id, products)| Stop {
                store_id,
                items: products.into_values().collect(),
                picked: false,
                prepared: false,
            })
            .collect()
    }
}

/// Where a shopping list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    /// Planned, not yet offered to bots (the saga has not reached step 4).
    Created,
    /// Waiting for an idle bot.
    Available,
    /// A bot has it but has not reached its first store.
    Assigned,
    /// The bot is walking the stops.
    InProgress,
    /// Every stop picked; the order is ready at the depot.
    Completed,
    /// Withdrawn (order canceled or rejected).
    Canceled,
}

/// Commands of the shopping list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListCommand {
    /// Plans the list of an order.
    CreateShoppingList {
        list_id: ShoppingListId,
        order_id: OrderId,
        items: Vec<ListItem>,
        at: Timestamp,
    },
    /// Offers the list to dispatch.
    InitiateShopping { at: Timestamp },
    /// Gives the list to a bot.
    AssignBot { bot_id: BotId, at: Timestamp },
    /// The assigned bot reached one of the list's stores.
    ArriveAtStop { store_id: StoreId, at: Timestamp },
    /// The assigned bot collected a stop's items.
    PickUpItems { store_id: StoreId, at: Timestamp },
    /// Finishes the list once every stop is picked.
    CompleteList { at: Timestamp },
    /// Withdraws the list; on a list never created it leaves a tombstone.
    CancelList {
        list_id: ShoppingListId,
        order_id: OrderId,
        at: Timestamp,
    },
    /// The bot went offline: the list goes back to available and its stops are picked again.
    ReleaseList { at: Timestamp },
    /// The store's manager prepared the stop at the counter (automated shopping off).
    PrepareStop { store_id: StoreId, at: Timestamp },
}

/// Events of the shopping list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ListEvent {
    /// The list was planned, one stop per store.
    ShoppingListCreated {
        list_id: ShoppingListId,
        order_id: OrderId,
        stops: Vec<Stop>,
        at: Timestamp,
    },
    /// The list is waiting for a bot.
    ShoppingListAvailable {
        list_id: ShoppingListId,
        order_id: OrderId,
        at: Timestamp,
    },
    /// A bot took the list.
    ShoppingListAssigned {
        list_id: ShoppingListId,
        order_id: OrderId,
        bot_id: BotId,
        at: Timestamp,
    },
    /// The bot reached one of the stops.
    BotArrivedAtStop {
        list_id: ShoppingListId,
        bot_id: BotId,
        store_id: StoreId,
        at: Timestamp,
    },
    /// The bot collected a stop's items.
    StopItemsPickedUp {
        list_id: ShoppingListId,
        bot_id: BotId,
        store_id: StoreId,
        at: Timestamp,
    },
    /// Every stop was picked.
    ShoppingListCompleted {
        list_id: ShoppingListId,
        order_id: OrderId,
        bot_id: BotId,
        at: Timestamp,
    },
    /// The list was withdrawn (or fenced off before creation).
    ShoppingListCanceled {
        list_id: ShoppingListId,
        order_id: OrderId,
        at: Timestamp,
    },
    /// The bot went offline; the list is available again.
    ShoppingListReleased {
        list_id: ShoppingListId,
        order_id: OrderId,
        bot_id: BotId,
        at: Timestamp,
    },
    /// The store's manager prepared the stop at the counter; a bot only collects it.
    StopPreparedAtCounter {
        list_id: ShoppingListId,
        store_id: StoreId,
        at: Timestamp,
    },
}

impl DomainEvent for ListEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ListEvent::ShoppingListCreated { .. } => "ShoppingListCreated",
            ListEvent::ShoppingListAvailable { .. } => "ShoppingListAvailable",
            ListEvent::ShoppingListAssigned { .. } => "ShoppingListAssigned",
            ListEvent::BotArrivedAtStop { .. } => "BotArrivedAtStop",
            ListEvent::StopItemsPickedUp { .. } => "StopItemsPickedUp",
            ListEvent::ShoppingListCompleted { .. } => "ShoppingListCompleted",
            ListEvent::ShoppingListCanceled { .. } => "ShoppingListCanceled",
            ListEvent::ShoppingListReleased { .. } => "ShoppingListReleased",
            ListEvent::StopPreparedAtCounter { .. } => "StopPreparedAtCounter",
        }
    }
}

/// Rules a shopping-list command can break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("this shopping list already exists")]
    AlreadyExists,
    #[error("a shopping list needs at least one item")]
    NoItems,
    #[error("every item needs a quantity greater than zero")]
    QuantityNotPositive,
    #[error("no such shopping list")]
    NotFound,
    #[error("the shopping list was canceled")]
    Canceled,
    #[error("the shopping list is already completed")]
    AlreadyCompleted,
    #[error("shopping was already initiated for this list")]
    AlreadyInitiated,
    #[error("the shopping list is not available for a bot")]
    NotAvailable,
    #[error("the shopping list has no bot shopping it")]
    NotAssigned,
    #[error("the store is not a stop of this list")]
    UnknownStop,
    #[error("the bot is not at that stop")]
    NotAtStop,
    #[error("the stop was already picked")]
    StopAlreadyPicked,
    #[error("some stops are not picked yet")]
    StopsRemaining,
    #[error("the stop was already prepared at the counter")]
    StopAlreadyPrepared,
}

impl ErrorCode for ListError {
    fn code(&self) -> &'static str {
        match self {
            ListError::AlreadyExists => "list.already_exists",
            ListError::NoItems => "list.no_items",
            ListError::QuantityNotPositive => "list.quantity_not_positive",
            ListError::NotFound => "list.not_found",
            ListError::Canceled => "list.canceled",
            ListError::AlreadyCompleted => "list.already_completed",
            ListError::AlreadyInitiated => "list.already_initiated",
            ListError::NotAvailable => "list.not_available",
            ListError::NotAssigned => "list.not_assigned",
            ListError::UnknownStop => "list.unknown_stop",
            ListError::NotAtStop => "list.not_at_stop",
            ListError::StopAlreadyPicked => "list.stop_already_picked",
            ListError::StopsRemaining => "list.stops_remaining",
            ListError::StopAlreadyPrepared => "list.stop_already_prepared",
        }
    }
}
