//! The `ShoppingList` aggregate: decide and apply.

use super::model::{ListCommand, ListError, ListEvent, ListStatus, Stop};
use crate::aggregate::Aggregate;
use crate::ids::{BotId, OrderId, ShoppingListId, StoreId};
use crate::time::Timestamp;

/// A shopping list folded from its events. `status` is `None` until it is created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShoppingList {
    pub id: ShoppingListId,
    pub order_id: OrderId,
    pub stops: Vec<Stop>,
    pub status: Option<ListStatus>,
    /// The bot holding the list (assigned or in progress, and who completed it).
    pub bot_id: Option<BotId>,
    /// The stop the bot is at, if any.
    pub current_stop: Option<StoreId>,
    /// When the list first became available; dispatch serves the oldest first, and a released
    /// list keeps its place.
    pub available_since: Option<Timestamp>,
    pub updated_at: Timestamp,
}

impl ShoppingList {
    /// Refuses anything on a list that is missing, canceled or completed.
    fn require_open(&self) -> Result<ListStatus, ListError> {
        match self.status {
            None => Err(ListError::NotFound),
            Some(ListStatus::Canceled) => Err(ListError::Canceled),
            Some(ListStatus::Completed) => Err(ListError::AlreadyCompleted),
            Some(status) => Ok(status),
        }
    }

    /// The bot shopping the list; the list must be assigned or in progress.
    fn require_shopping(&self) -> Result<BotId, ListError> {
        match (self.require_open()?, self.bot_id) {
            (ListStatus::Assigned | ListStatus::InProgress, Some(bot)) => Ok(bot),
            _ => Err(ListError::NotAssigned),
        }
    }

    fn stop(&self, store_id: StoreId) -> Result<&Stop, ListError> {
        self.stops
            .iter()
            .find(|s| s.store_id == store_id)
            .ok_or(ListError::UnknownStop)
    }

    fn decide_create(
        &self,
        list_id: ShoppingListId,
        order_id: OrderId,
        items: &[super::ListItem],
        at: Timestamp,
    ) -> Result<Vec<ListEvent>, ListError> {
        match self.status {
            None => {}
            Some(ListStatus::Canceled) => return Err(ListError::Canceled),
            Some(_) => return Err(ListError::AlreadyExists),
        }
        if items.is_empty() {
            return Err(ListError::NoItems);
        }
        if items.iter().any(|i| i.quantity == 0) {
            return Err(ListError::QuantityNotPositive);
        }
        Ok(vec![ListEvent::ShoppingListCreated {
            list_id,
            order_id,
            stops: Stop::plan(items),
            at,
        }])
    }
}

impl Aggregate for ShoppingList {
    const STREAM_TYPE: &'static str = "list";
    type Command = ListCommand;
    type Event = ListEvent;
    type Error = ListError;

    fn decide(&self, command: &ListCommand) -> Result<Vec<ListEvent>, ListError> {
        let (list_id, order_id) = (self.id, self.order_id);
        match command {
            ListCommand::CreateShoppingList {
                list_id,
                order_id,
                items,
                at,
            } => self.decide_create(*list_id, *order_id, items, *at),
            ListCommand::InitiateShopping { at } => match self.require_open()? {
                ListStatus::Created => Ok(vec![ListEvent::ShoppingListAvailable {
                    list_id,
                    order_id,
                    at: *at,
                }]),
                _ => Err(ListError::AlreadyInitiated),
            },
            ListCommand::AssignBot { bot_id, at } => match self.require_open()? {
                ListStatus::Available => Ok(vec![ListEvent::ShoppingListAssigned {
                    list_id,
                    order_id,
                    bot_id: *bot_id,
                    at: *at,
                }]),
                _ => Err(ListError::NotAvailable),
            },
            ListCommand::ArriveAtStop { store_id, at } => {
                let bot_id = self.require_shopping()?;
                if self.stop(*store_id)?.picked {
                    return Err(ListError::StopAlreadyPicked);
                }
                Ok(vec![ListEvent::BotArrivedAtStop {
                    list_id,
                    bot_id,
                    store_id: *store_id,
                    at: *at,
                }])
            }
            ListCommand::PickUpItems { store_id, at } => {
                let bot_id = self.require_shopping()?;
                if self.stop(*store_id)?.picked {
                    return Err(ListError::StopAlreadyPicked);
                }
                if self.current_stop != Some(*store_id) {
                    return Err(ListError::NotAtStop);
                }
                Ok(vec![ListEvent::StopItemsPickedUp {
                    list_id,
                    bot_id,
                    store_id: *store_id,
                    at: *at,
                }])
            }
            ListCommand::CompleteList { at } => {
                let bot_id = self.require_shopping()?;
                if self.stops.iter().any(|s| !s.picked) {
                    return Err(ListError::StopsRemaining);
                }
                Ok(vec![ListEvent::ShoppingListCompleted {
                    list_id,
                    order_id,
                    bot_id,
                    at: *at,
                }])
            }
            ListCommand::CancelList {
                list_id: new_list,
                order_id: new_order,
                at,
            } => match self.status {
                None => Ok(vec![ListEvent::ShoppingListCanceled {
                    list_id: *new_list,
                    order_id: *new_order,
                    at: *at,
                }]),
                Some(ListStatus::Canceled) => Err(ListError::Canceled),
                Some(ListStatus::Completed) => Err(ListError::AlreadyCompleted),
                Some(_) => Ok(vec![ListEvent::ShoppingListCanceled {
                    list_id,
                    order_id,
                    at: *at,
                }]),
            },
            ListCommand::PrepareStop { store_id, at } => {
                self.require_open()?;
                let stop = self.stop(*store_id)?;
                if stop.picked {
                    return Err(ListError::StopAlreadyPicked);
                }
                if stop.prepared {
                    return Err(ListError::StopAlreadyPrepared);
                }
                Ok(vec![ListEvent::StopPreparedAtCounter {
                    list_id,
                    store_id: *store_id,
                    at: *at,
                }])
            }
            ListCommand::ReleaseList { at } => {
                let bot_id = self.require_shopping()?;
                Ok(vec![ListEvent::ShoppingListReleased {
                    list_id,
                    order_id,
                    bot_id,
                    at: *at,
                }])
            }
        }
    }

    fn apply(&mut self, event: &ListEvent) {
        match event {
            ListEvent::ShoppingListCreated {
                list_id,
                order_id,
                stops,
                at,
            } => {
                self.id = *list_id;
                self.order_id = *order_id;
                self.stops = stops.clone();
                self.status = Some(ListStatus::Created);
                self.updated_at = *at;
            }
            ListEvent::ShoppingListAvailable { at, .. } => {
                self.status = Some(ListStatus::Available);
                self.available_since = Some(*at);
                self.updated_at = *at;
            }
            ListEvent::ShoppingListAssigned { bot_id, at, .. } => {
                self.status = Some(ListStatus::Assigned);
                self.bot_id = Some(*bot_id);
                self.updated_at = *at;
            }
            ListEvent::BotArrivedAtStop { store_id, at, .. } => {
                self.status = Some(ListStatus::InProgress);
                self.current_stop = Some(*store_id);
                self.updated_at = *at;
            }
            ListEvent::StopItemsPickedUp { store_id, at, .. } => {
                if let Some(stop) = self.stops.iter_mut().find(|s| s.store_id == *store_id) {
                    stop.picked = true;
                }
                self.current_stop = None;
                self.updated_at = *at;
            }
            ListEvent::ShoppingListCompleted { at, .. } => {
                self.status = Some(ListStatus::Completed);
                self.updated_at = *at;
            }
            ListEvent::ShoppingListCanceled {
                list_id,
                order_id,
                at,
            } => {
                self.id = *list_id;
                self.order_id = *order_id;
                self.status = Some(ListStatus::Canceled);
                self.current_stop = None;
                self.updated_at = *at;
            }
            ListEvent::StopPreparedAtCounter { store_id, at, .. } => {
                if let Some(stop) = self.stops.iter_mut().find(|s| s.store_id == *store_id) {
                    stop.prepared = true;
                }
                self.updated_at = *at;
            }
            ListEvent::ShoppingListReleased { at, .. } => {
                self.status = Some(ListStatus::Available);
                self.bot_id = None;
                self.current_stop = None;
                for stop in &mut self.stops {
                    stop.picked = false;
                }
                self.updated_at = *at;
            }
        }
    }
}
