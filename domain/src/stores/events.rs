//! Facts about a store. The variant names are the stable event type names.

use crate::aggregate::DomainEvent;
use crate::ids::StoreId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An event of the [`Store`](super::Store) aggregate, serialized as `{"type": "StoreCreated", ..}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum StoreEvent {
    /// A store was opened (not participating, automated shopping disabled).
    StoreCreated {
        /// The store.
        store_id: StoreId,
        /// Display name (trimmed).
        name: String,
        /// Location in the mall (trimmed).
        location: String,
        /// When.
        at: Timestamp,
    },
    /// The store was renamed.
    StoreRebranded {
        /// The store.
        store_id: StoreId,
        /// The new name (trimmed).
        name: String,
        /// When.
        at: Timestamp,
    },
    /// The store's products became orderable at kiosks.
    StoreParticipationEnabled {
        /// The store.
        store_id: StoreId,
        /// When.
        at: Timestamp,
    },
    /// The store was withdrawn from kiosk ordering.
    StoreParticipationDisabled {
        /// The store.
        store_id: StoreId,
        /// When.
        at: Timestamp,
    },
    /// Bots may shop at the store.
    AutomatedShoppingEnabled {
        /// The store.
        store_id: StoreId,
        /// When.
        at: Timestamp,
    },
    /// Bots no longer shop at the store.
    AutomatedShoppingDisabled {
        /// The store.
        store_id: StoreId,
        /// When.
        at: Timestamp,
    },
    /// The store was put (or moved) on the mall's floor plan.
    StorePlaced {
        /// The store.
        store_id: StoreId,
        /// 0 = ground floor.
        level: u8,
        /// Plan units from the left edge.
        x: u16,
        /// Plan units from the top edge.
        y: u16,
        /// When.
        at: Timestamp,
    },
    /// The store left the mall.
    StoreRemoved {
        /// The store.
        store_id: StoreId,
        /// When.
        at: Timestamp,
    },
}

impl StoreEvent {
    /// The store the event is about.
    pub fn store_id(&self) -> StoreId {
        match self {
            StoreEvent::StoreCreated { store_id, .. }
            | StoreEvent::StoreRebranded { store_id, .. }
            | StoreEvent::StoreParticipationEnabled { store_id, .. }
            | StoreEvent::StoreParticipationDisabled { store_id, .. }
            | StoreEvent::AutomatedShoppingEnabled { store_id, .. }
            | StoreEvent::AutomatedShoppingDisabled { store_id, .. }
            | StoreEvent::StorePlaced { store_id, .. }
            | StoreEvent::StoreRemoved { store_id, .. } => *store_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            StoreEvent::StoreCreated { at, .. }
            | StoreEvent::StoreRebranded { at, .. }
            | StoreEvent::StoreParticipationEnabled { at, .. }
            | StoreEvent::StoreParticipationDisabled { at, .. }
            | StoreEvent::AutomatedShoppingEnabled { at, .. }
            | StoreEvent::AutomatedShoppingDisabled { at, .. }
            | StoreEvent::StorePlaced { at, .. }
            | StoreEvent::StoreRemoved { at, .. } => *at,
        }
    }
}

impl DomainEvent for StoreEvent {
    fn event_type(&self) -> &'static str {
        match self {
            StoreEvent::StoreCreated { .. } => "StoreCreated",
            StoreEvent::StoreRebranded { .. } => "StoreRebranded",
            StoreEvent::StoreParticipationEnabled { .. } => "StoreParticipationEnabled",
            StoreEvent::StoreParticipationDisabled { .. } => "StoreParticipationDisabled",
            StoreEvent::AutomatedShoppingEnabled { .. } => "AutomatedShoppingEnabled",
            StoreEvent::AutomatedShoppingDisabled { .. } => "AutomatedShoppingDisabled",
            StoreEvent::StorePlaced { .. } => "StorePlaced",
            StoreEvent::StoreRemoved { .. } => "StoreRemoved",
        }
    }
}
