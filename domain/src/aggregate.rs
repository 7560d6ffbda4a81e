//! The decide/apply contract every aggregate implements.
//!
//! A command is decided against the current state and yields events or a specific error; events
//! are applied to fold state. Both are pure: the I/O around them is load → decide → append.

use crate::error::ErrorCode;
use serde::{de::DeserializeOwned, Serialize};
use std::fmt::Debug;

/// An event of one aggregate type: serializable, with a stable type name and schema version.
///
/// Event enums are serialized internally tagged (`{"type": "StoreCreated", ...}`), so the type
/// name is also the `type` field of the JSON payload.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + Debug + PartialEq {
    /// The stable type name, e.g. `"StoreCreated"`. Never changes once shipped.
    fn event_type(&self) -> &'static str;
    /// The schema version of this event's payload. Bumped with an upcaster when a payload changes.
    fn schema_version(&self) -> u32 {
        1
    }
}

/// A consistency boundary: state folded from its own events, deciding commands.
pub trait Aggregate: Default + Clone + Debug {
    /// The stream type stored beside every event, e.g. `"basket"`. Never changes once shipped.
    const STREAM_TYPE: &'static str;
    /// Commands this aggregate decides.
    type Command: Debug;
    /// Events this aggregate emits and folds.
    type Event: DomainEvent;
    /// The specific rule violations of this aggregate.
    type Error: std::error::Error + ErrorCode + PartialEq;

    /// Decides a command against the current state: the events to append, or the rule it breaks.
    fn decide(&self, command: &Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one event into the state. Must accept every event `decide` can produce.
    fn apply(&mut self, event: &Self::Event);

    /// Folds a history into a fresh state.
    fn from_events<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self
    where
        Self::Event: 'a,
    {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }
}

/// Decides a command and applies its events: the new state and the events, or the error.
pub fn execute<A: Aggregate>(
    state: &A,
    command: &A::Command,
) -> Result<(A, Vec<A::Event>), A::Error> {
    let events = state.decide(command)?;
    let mut next = state.clone();
    for event in &events {
        next.apply(event);
    }
    Ok((next, events))
}
