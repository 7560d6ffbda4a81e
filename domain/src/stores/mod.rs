//! The stores context: a store in the mall, its participation in kiosk ordering and whether bots
//! may shop there.
//!
//! A store starts not participating and with automated shopping disabled; a manager toggles both
//! (never twice in a row) and may rebrand or remove it. A removed store accepts no more commands.
//! Names and locations are bounded ([`MAX_NAME_CHARS`], [`MAX_LOCATION_CHARS`]) and single-line.

mod commands;
mod errors;
mod events;
pub(crate) mod text;

pub use commands::StoreCommand;
pub use errors::StoreError;
pub use events::StoreEvent;

use crate::aggregate::Aggregate;
use crate::ids::StoreId;
use crate::mall_map::Place;
use crate::time::Timestamp;

/// The store aggregate, folded from [`StoreEvent`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Store {
    id: StoreId,
    created: bool,
    name: String,
    location: String,
    participating: bool,
    automated_shopping: bool,
    removed: bool,
    place: Option<Place>,
    updated_at: Timestamp,
}

pub(crate) use text::{checked, Lines, TextFault};

/// The longest store name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 120;
/// The longest store location, in characters (after trimming).
pub const MAX_LOCATION_CHARS: usize = 120;

/// A store name: trimmed, not blank, at most [`MAX_NAME_CHARS`], no control characters.
fn store_name(name: &str) -> Result<String, StoreError> {
    checked(name, MAX_NAME_CHARS, true, Lines::Single).map_err(|fault| match fault {
        TextFault::Blank => StoreError::NameBlank,
        TextFault::TooLong => StoreError::NameTooLong,
        TextFault::Control => StoreError::NameInvalid,
    })
}

/// A store location: trimmed, not blank, at most [`MAX_LOCATION_CHARS`], no control characters.
fn store_location(location: &str) -> Result<String, StoreError> {
    checked(location, MAX_LOCATION_CHARS, true, Lines::Single).map_err(|fault| match fault {
        TextFault::Blank => StoreError::LocationBlank,
        TextFault::TooLong => StoreError::LocationTooLong,
        TextFault::Control => StoreError::LocationInvalid,
    })
}

impl Store {
    /// The store's id (nil before creation).
    pub fn id(&self) -> StoreId {
        self.id
    }
    /// Whether `StoreCreated` has been applied.
    pub fn exists(&self) -> bool {
        self.created
    }
    /// Display name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Location in the mall.
    pub fn location(&self) -> &str {
        &self.location
    }
    /// Whether kiosks may order from the store.
    pub fn participating(&self) -> bool {
        self.participating
    }
    /// Whether bots may shop at the store.
    pub fn automated_shopping(&self) -> bool {
        self.automated_shopping
    }
    /// Where the store is on the floor plan, once a manager placed it.
    pub fn place(&self) -> Option<Place> {
        self.place
    }
    /// Whether the store has been removed.
    pub fn is_removed(&self) -> bool {
        self.removed
    }
    /// Whether the store exists and has not been removed.
    pub fn is_active(&self) -> bool {
        self.created && !self.removed
    }
    /// Time of the last applied event.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    fn require_active(&self) -> Result<(), StoreError> {
        if !self.created {
            Err(StoreError::NotFound)
        } else if self.removed {
            Err(StoreError::Removed)
        } else {
            Ok(())
        }
    }
}

impl Aggregate for Store {
    const STREAM_TYPE: &'static str = "store";
    type Command = StoreCommand;
    type Event = StoreEvent;
    type Error = StoreError;

    fn decide(&self, command: &StoreCommand) -> Result<Vec<StoreEvent>, StoreError> {
        let store_id = self.id;
        let event = match command {
            StoreCommand::CreateStore {
                store_id,
                name,
                location,
                at,
            } => {
                if self.created {
                    return Err(StoreError::AlreadyExists);
                }
                let name = store_name(name)?;
                let location = store_location(location)?;
                StoreEvent::StoreCreated {
                    store_id: *store_id,
                    name,
                    location,
                    at: *at,
                }
            }
            StoreCommand::RebrandStore { name, at } => {
                self.require_active()?;
                let name = store_name(name)?;
                StoreEvent::StoreRebranded {
                    store_id,
                    name,
                    at: *at,
                }
            }
            StoreCommand::EnableParticipation { at } => {
                self.require_active()?;
                if self.participating {
                    return Err(StoreError::AlreadyParticipating);
                }
                StoreEvent::StoreParticipationEnabled { store_id, at: *at }
            }
            StoreCommand::DisableParticipation { at } => {
                self.require_active()?;
                if !self.participating {
                    return Err(StoreError::NotParticipating);
                }
                StoreEvent::StoreParticipationDisabled { store_id, at: *at }
            }
            StoreCommand::EnableAutomatedShopping { at } => {
                self.require_active()?;
                if self.automated_shopping {
                    return Err(StoreError::AutomatedShoppingAlreadyEnabled);
                }
                StoreEvent::AutomatedShoppingEnabled { store_id, at: *at }
            }
            StoreCommand::DisableAutomatedShopping { at } => {
                self.require_active()?;
                if !self.automated_shopping {
                    return Err(StoreError::AutomatedShoppingAlreadyDisabled);
                }
                StoreEvent::AutomatedShoppingDisabled { store_id, at: *at }
            }
            StoreCommand::PlaceStore { level, x, y, at } => {
                self.require_active()?;
                let place = Place::new(*level, *x, *y).map_err(|_| StoreError::PlaceOffPlan)?;
                StoreEvent::StorePlaced {
                    store_id,
                    level: place.level,
                    x: place.x,
                    y: place.y,
                    at: *at,
                }
            }
            StoreCommand::RemoveStore { at } => {
                self.require_active()?;
                StoreEvent::StoreRemoved { store_id, at: *at }
            }
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &StoreEvent) {
        self.updated_at = event.at();
        match event {
            StoreEvent::StoreCreated {
                store_id,
                name,
                location,
                ..
            } => {
                *self = Store {
                    id: *store_id,
                    created: true,
                    name: name.clone(),
                    location: location.clone(),
                    updated_at: event.at(),
                    ..Store::default()
                };
            }
            StoreEvent::StoreRebranded { name, .. } => self.name = name.clone(),
            StoreEvent::StoreParticipationEnabled { .. } => self.participating = true,
            StoreEvent::StoreParticipationDisabled { .. } => self.participating = false,
            StoreEvent::AutomatedShoppingEnabled { .. } => self.automated_shopping = true,
            StoreEvent::AutomatedShoppingDisabled { .. } => self.automated_shopping = false,
            StoreEvent::StorePlaced { level, x, y, .. } => {
                self.place = Some(Place {
                    level: *level,
                    x: *x,
                    y: *y,
                });
            }
            StoreEvent::StoreRemoved { .. } => {
                self.removed = true;
                self.participating = false;
                self.automated_shopping = false;
            }
        }
    }
}
