//! Commands a store manager (or an operator script) sends to a store.
//!
//! Only `CreateStore` names the store: the others are decided against the stream the caller
//! loaded. Commands are serializable because the edge stores them to re-run them on a rebase.

use crate::ids::StoreId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A command on the [`Store`](super::Store) aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum StoreCommand {
    /// Opens a new store in the mall (not yet participating).
    CreateStore {
        /// The new store's id (supplied by the caller).
        store_id: StoreId,
        /// Display name.
        name: String,
        /// Where in the mall the store is, e.g. "Level 2, unit 14".
        location: String,
        /// When the manager created it.
        at: Timestamp,
    },
    /// Renames the store.
    RebrandStore {
        /// The new display name.
        name: String,
        /// When.
        at: Timestamp,
    },
    /// Makes the store's products orderable at kiosks.
    EnableParticipation {
        /// When.
        at: Timestamp,
    },
    /// Withdraws the store from kiosk ordering.
    DisableParticipation {
        /// When.
        at: Timestamp,
    },
    /// Lets bots shop at the store.
    EnableAutomatedShopping {
        /// When.
        at: Timestamp,
    },
    /// Stops bots shopping at the store.
    DisableAutomatedShopping {
        /// When.
        at: Timestamp,
    },
    /// Removes the store from the mall for good.
    /// Puts the store on the mall's floor plan (level and point, see [`crate::mall_map`]).
    PlaceStore {
        /// 0 = ground floor.
        level: u8,
        /// Plan units from the left edge.
        x: u16,
        /// Plan units from the top edge.
        y: u16,
        /// When.
        at: Timestamp,
    },
    RemoveStore {
        /// When.
        at: Timestamp,
    },
}

impl StoreCommand {
    /// The time the command was issued.
    pub fn at(&self) -> Timestamp {
        match self {
            StoreCommand::CreateStore { at, .. }
            | StoreCommand::RebrandStore { at, .. }
            | StoreCommand::EnableParticipation { at }
            | StoreCommand::DisableParticipation { at }
            | StoreCommand::EnableAutomatedShopping { at }
            | StoreCommand::DisableAutomatedShopping { at }
            | StoreCommand::PlaceStore { at, .. }
            | StoreCommand::RemoveStore { at } => *at,
        }
    }
}
