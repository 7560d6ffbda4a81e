//! Bots context: the shopping robots of the depot.
//!
//! A [`Bot`] comes online idle, is assigned a shopping list by dispatch, walks to stores, picks
//! items up, returns to the depot and becomes idle again. Going offline is allowed at any time;
//! the event names the list it was holding so central can release it back to available.

use crate::aggregate::{Aggregate, DomainEvent};
use crate::error::ErrorCode;
use crate::ids::{BotId, ShoppingListId, StoreId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What a bot is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotStatus {
    /// Not available (never seen, switched off or lost).
    #[default]
    Offline,
    /// At the depot, waiting for a list.
    Idle,
    /// Holding a list, on the way to its first store.
    Assigned,
    /// Walking the stores of its list.
    Shopping,
    /// Walking back to the depot with the items.
    Returning,
}

/// Commands of the bot aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotCommand {
    /// Registers the bot (first time) or brings it back online; it becomes idle.
    BringOnline {
        bot_id: BotId,
        name: String,
        at: Timestamp,
    },
    /// Takes the bot offline (shut down, lost heartbeat).
    TakeOffline { at: Timestamp },
    /// Gives an idle bot a shopping list.
    AssignList {
        list_id: ShoppingListId,
        at: Timestamp,
    },
    /// The bot sets off towards a store of its list (`to: Some`) or back to the depot (`None`),
    /// expecting to arrive at `eta`.
    Depart {
        to: Option<StoreId>,
        eta: Timestamp,
        at: Timestamp,
    },
    /// The bot reached a store of its list.
    ArriveAtStore { store_id: StoreId, at: Timestamp },
    /// The bot collected its items at the store it is in.
    PickUpItems { at: Timestamp },
    /// The bot heads back to the depot.
    ReturnToDepot { at: Timestamp },
    /// The bot dropped the order at the depot and waits for the next list.
    Idle { at: Timestamp },
}

/// Events of the bot aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum BotEvent {
    /// The bot is online and idle.
    BotCameOnline {
        bot_id: BotId,
        name: String,
        at: Timestamp,
    },
    /// `list_id` is the list the bot was holding, to be released.
    BotWentOffline {
        bot_id: BotId,
        list_id: Option<ShoppingListId>,
        at: Timestamp,
    },
    /// The bot took a shopping list.
    BotAssigned {
        bot_id: BotId,
        list_id: ShoppingListId,
        at: Timestamp,
    },
    /// The bot left `from` (a store; `None` = the depot) for `to` (a store; `None` = the
    /// depot), expected there at `eta`. Only the map reads it: the bot's status is unchanged.
    BotDeparted {
        bot_id: BotId,
        list_id: ShoppingListId,
        from: Option<StoreId>,
        to: Option<StoreId>,
        eta: Timestamp,
        at: Timestamp,
    },
    /// The bot is in a store of its list.
    BotArrivedAtStore {
        bot_id: BotId,
        list_id: ShoppingListId,
        store_id: StoreId,
        at: Timestamp,
    },
    /// The bot collected its items in the store.
    ItemsPickedUp {
        bot_id: BotId,
        list_id: ShoppingListId,
        store_id: StoreId,
        at: Timestamp,
    },
    /// The bot is walking back to the depot.
    BotReturned {
        bot_id: BotId,
        list_id: ShoppingListId,
        at: Timestamp,
    },
    /// The bot dropped the order at the depot and is idle.
    BotIdled { bot_id: BotId, at: Timestamp },
}

impl BotEvent {
    /// The bot the event is about.
    pub fn bot_id(&self) -> BotId {
        match self {
            BotEvent::BotCameOnline { bot_id, .. }
            | BotEvent::BotWentOffline { bot_id, .. }
            | BotEvent::BotAssigned { bot_id, .. }
            | BotEvent::BotDeparted { bot_id, .. }
            | BotEvent::BotArrivedAtStore { bot_id, .. }
            | BotEvent::ItemsPickedUp { bot_id, .. }
            | BotEvent::BotReturned { bot_id, .. }
            | BotEvent::BotIdled { bot_id, .. } => *bot_id,
        }
    }
}

impl DomainEvent for BotEvent {
    fn event_type(&self) -> &'static str {
        match self {
            BotEvent::BotCameOnline { .. } => "BotCameOnline",
            BotEvent::BotWentOffline { .. } => "BotWentOffline",
            BotEvent::BotAssigned { .. } => "BotAssigned",
            BotEvent::BotDeparted { .. } => "BotDeparted",
            BotEvent::BotArrivedAtStore { .. } => "BotArrivedAtStore",
            BotEvent::ItemsPickedUp { .. } => "ItemsPickedUp",
            BotEvent::BotReturned { .. } => "BotReturned",
            BotEvent::BotIdled { .. } => "BotIdled",
        }
    }
}

/// Rules a bot command can break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotError {
    #[error("a bot needs a name")]
    NameBlank,
    #[error("the bot is already online")]
    AlreadyOnline,
    #[error("the bot is already offline")]
    AlreadyOffline,
    #[error("no such bot")]
    NotFound,
    #[error("the bot is offline")]
    Offline,
    #[error("the bot is busy with another list")]
    NotIdle,
    #[error("the bot has no shopping list")]
    NoList,
    #[error("the bot is on its way back to the depot")]
    Returning,
    #[error("the bot is not in a store")]
    NotInStore,
    #[error("the bot is not shopping")]
    NotShopping,
    #[error("the bot is not returning to the depot")]
    NotReturning,
}

impl ErrorCode for BotError {
    fn code(&self) -> &'static str {
        match self {
            BotError::NameBlank => "bot.name_blank",
            BotError::AlreadyOnline => "bot.already_online",
            BotError::AlreadyOffline => "bot.already_offline",
            BotError::NotFound => "bot.not_found",
            BotError::Offline => "bot.offline",
            BotError::NotIdle => "bot.not_idle",
            BotError::NoList => "bot.no_list",
            BotError::Returning => "bot.returning",
            BotError::NotInStore => "bot.not_in_store",
            BotError::NotShopping => "bot.not_shopping",
            BotError::NotReturning => "bot.not_returning",
        }
    }
}

/// A bot folded from its events. A bot never seen is offline with no name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bot {
    pub id: BotId,
    pub name: String,
    pub registered: bool,
    pub status: BotStatus,
    pub list_id: Option<ShoppingListId>,
    pub store_id: Option<StoreId>,
    /// The store of its list the bot was last in (where a walk starts); `None` at the depot.
    pub last_store: Option<StoreId>,
    /// When the bot entered its current status (dispatch serves the longest-idle bot first).
    pub since: Timestamp,
}

impl Bot {
    /// The list of a bot that is assigned, shopping or returning.
    fn require_list(&self) -> Result<ShoppingListId, BotError> {
        match (self.status, self.list_id) {
            _ if !self.registered => Err(BotError::NotFound),
            (BotStatus::Offline, _) => Err(BotError::Offline),
            (BotStatus::Idle, _) | (_, None) => Err(BotError::NoList),
            (_, Some(list)) => Ok(list),
        }
    }
}

impl Aggregate for Bot {
    const STREAM_TYPE: &'static str = "bot";
    type Command = BotCommand;
    type Event = BotEvent;
    type Error = BotError;

    fn decide(&self, command: &BotCommand) -> Result<Vec<BotEvent>, BotError> {
        let bot_id = self.id;
        match command {
            BotCommand::BringOnline { bot_id, name, at } => {
                if name.trim().is_empty() {
                    return Err(BotError::NameBlank);
                }
                if self.registered && self.status != BotStatus::Offline {
                    return Err(BotError::AlreadyOnline);
                }
                let name = name.trim().to_owned();
                Ok(vec![BotEvent::BotCameOnline {
                    bot_id: *bot_id,
                    name,
                    at: *at,
                }])
            }
            BotCommand::TakeOffline { at } => match self.status {
                _ if !self.registered => Err(BotError::NotFound),
                BotStatus::Offline => Err(BotError::AlreadyOffline),
                _ => Ok(vec![BotEvent::BotWentOffline {
                    bot_id,
                    list_id: self.list_id,
                    at: *at,
                }]),
            },
            BotCommand::AssignList { list_id, at } => match self.status {
                _ if !self.registered => Err(BotError::NotFound),
                BotStatus::Idle => Ok(vec![BotEvent::BotAssigned {
                    bot_id,
                    list_id: *list_id,
                    at: *at,
                }]),
                BotStatus::Offline => Err(BotError::Offline),
                _ => Err(BotError::NotIdle),
            },
            BotCommand::Depart { to, eta, at } => {
                let list_id = self.require_list()?;
                Ok(vec![BotEvent::BotDeparted {
                    bot_id,
                    list_id,
                    from: self.last_store,
                    to: *to,
                    eta: *eta,
                    at: *at,
                }])
            }
            BotCommand::ArriveAtStore { store_id, at } => {
                let list_id = self.require_list()?;
                if self.status == BotStatus::Returning {
                    return Err(BotError::Returning);
                }
                Ok(vec![BotEvent::BotArrivedAtStore {
                    bot_id,
                    list_id,
                    store_id: *store_id,
                    at: *at,
                }])
            }
            BotCommand::PickUpItems { at } => {
                let list_id = self.require_list()?;
                match (self.status, self.store_id) {
                    (BotStatus::Shopping, Some(store_id)) => Ok(vec![BotEvent::ItemsPickedUp {
                        bot_id,
                        list_id,
                        store_id,
                        at: *at,
                    }]),
                    _ => Err(BotError::NotInStore),
                }
            }
            BotCommand::ReturnToDepot { at } => {
                let list_id = self.require_list()?;
                if self.status != BotStatus::Shopping {
                    return Err(BotError::NotShopping);
                }
                Ok(vec![BotEvent::BotReturned {
                    bot_id,
                    list_id,
                    at: *at,
                }])
            }
            BotCommand::Idle { at } => match self.status {
                _ if !self.registered => Err(BotError::NotFound),
                BotStatus::Returning => Ok(vec![BotEvent::BotIdled { bot_id, at: *at }]),
                BotStatus::Offline => Err(BotError::Offline),
                _ => Err(BotError::NotReturning),
            },
        }
    }

    fn apply(&mut self, event: &BotEvent) {
        match event {
            BotEvent::BotCameOnline { bot_id, name, at } => {
                self.id = *bot_id;
                self.name = name.clone();
                self.registered = true;
                self.set(BotStatus::Idle, None, None, *at);
            }
            BotEvent::BotWentOffline { at, .. } => self.set(BotStatus::Offline, None, None, *at),
            BotEvent::BotAssigned { list_id, at, .. } => {
                self.set(BotStatus::Assigned, Some(*list_id), None, *at);
            }
            BotEvent::BotDeparted { from, .. } => self.last_store = *from,
            BotEvent::BotArrivedAtStore {
                list_id,
                store_id,
                at,
                ..
            } => {
                self.set(BotStatus::Shopping, Some(*list_id), Some(*store_id), *at);
                self.last_store = Some(*store_id);
            }
            BotEvent::ItemsPickedUp {
                list_id,
                store_id,
                at,
                ..
            } => {
                self.set(BotStatus::Shopping, Some(*list_id), None, *at);
                self.last_store = Some(*store_id);
            }
            BotEvent::BotReturned { list_id, at, .. } => {
                self.set(BotStatus::Returning, Some(*list_id), None, *at);
            }
            BotEvent::BotIdled { at, .. } => self.set(BotStatus::Idle, None, None, *at),
        }
    }
}

impl Bot {
    fn set(
        &mut self,
        status: BotStatus,
        list: Option<ShoppingListId>,
        store: Option<StoreId>,
        at: Timestamp,
    ) {
        if matches!(
            status,
            BotStatus::Offline | BotStatus::Idle | BotStatus::Assigned
        ) {
            self.last_store = None;
        }
        self.status = status;
        self.list_id = list;
        self.store_id = store;
        self.since = at;
    }
}
