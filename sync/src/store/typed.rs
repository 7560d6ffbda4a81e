//! Typed helpers over [`Aggregate`]: encode domain events into [`NewEvent`]s, load an aggregate
//! from its snapshot plus tail, append decided events and take snapshots by policy.
//!
//! The payload is `serde_json` of the event enum and `event_type` is
//! [`DomainEvent::event_type`]. Aggregates that want snapshots derive `Serialize`/`Deserialize`;
//! a snapshot that no longer decodes (the state's shape changed) is ignored and the stream is
//! replayed from the start.

use super::error::StoreError;
use super::records::Snapshot;
use super::traits::{EventReader, EventStore};
use super::types::{
    AppendRequest, CommandRecord, Durability, EventMetadata, NewEvent, StoredEvent,
};
use mallbots_domain::{Aggregate, DomainEvent};
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

/// When to snapshot: after an append crosses a multiple of `every` versions (0 = never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// Versions between snapshots; 0 disables snapshots.
    pub every: u64,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        Self { every: 100 }
    }
}

impl SnapshotPolicy {
    /// Snapshot every `n` versions.
    pub fn every(n: u64) -> Self {
        Self { every: n }
    }

    /// Never snapshot.
    pub fn never() -> Self {
        Self { every: 0 }
    }

    /// True if going from version `before` to `after` crossed a multiple of `every`.
    pub fn is_due(&self, before: u64, after: u64) -> bool {
        self.every > 0 && after / self.every > before / self.every
    }
}

/// An aggregate's state and the stream version it was folded at (the `expected_version` of the
/// next append).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<A> {
    /// The folded state.
    pub state: A,
    /// The stream's head version.
    pub version: u64,
}

/// Everything an append needs besides the events themselves.
#[derive(Debug, Clone, Default)]
pub struct EventContext {
    /// Metadata stamped on every event.
    pub metadata: EventMetadata,
    /// When the events happened, Unix milliseconds (from the command).
    pub occurred_at: i64,
    /// Outbox subject; `None` keeps the events local.
    pub subject: Option<String>,
    /// The command to record beside the events.
    pub command: Option<CommandRecord>,
    /// Commit durability.
    pub durability: Durability,
    /// Snapshot policy applied after the append.
    pub snapshots: SnapshotPolicy,
}

/// Encodes one domain event with the given id.
pub fn encode_event<E: DomainEvent>(
    event: &E,
    event_id: Uuid,
    ctx: &EventContext,
) -> Result<NewEvent, StoreError> {
    Ok(NewEvent {
        event_id,
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        payload: serde_json::to_value(event).map_err(|e| StoreError::codec("encode event", e))?,
        metadata: ctx.metadata.clone(),
        occurred_at: ctx.occurred_at,
        subject: ctx.subject.clone(),
    })
}

/// Encodes domain events with fresh UUIDv7 ids.
pub fn encode_events<E: DomainEvent>(
    events: &[E],
    ctx: &EventContext,
) -> Result<Vec<NewEvent>, StoreError> {
    events
        .iter()
        .map(|event| encode_event(event, Uuid::now_v7(), ctx))
        .collect()
}

/// Decodes a stored (already upcast) event into the domain type.
pub fn decode_event<E: DomainEvent>(stored: &StoredEvent) -> Result<E, StoreError> {
    serde_json::from_value(stored.payload.clone())
        .map_err(|e| StoreError::codec(format!("decode {}", stored.event_type), e))
}

fn fold<A: Aggregate>(state: &mut A, events: &[StoredEvent]) -> Result<(), StoreError> {
    for stored in events {
        state.apply(&decode_event::<A::Event>(stored)?);
    }
    Ok(())
}

/// Folds the whole stream, no snapshot (no serde bound on the state).
pub fn replay_aggregate<A: Aggregate, S: EventReader + ?Sized>(
    store: &S,
    stream_id: &str,
) -> Result<Loaded<A>, StoreError> {
    let mut state = A::default();
    fold(
        &mut state,
        &store.load_stream(A::STREAM_TYPE, stream_id, 1)?,
    )?;
    let version = store.stream_version(A::STREAM_TYPE, stream_id)?;
    Ok(Loaded { state, version })
}

/// Loads from the latest snapshot plus the events after it (falling back to a full replay when
/// there is no usable snapshot).
pub fn load_aggregate<A, S>(store: &S, stream_id: &str) -> Result<Loaded<A>, StoreError>
where
    A: Aggregate + Serialize + DeserializeOwned,
    S: EventReader + ?Sized,
{
    let snapshot = store
        .snapshot(A::STREAM_TYPE, stream_id)?
        .and_then(|s| Some((serde_json::from_value::<A>(s.state).ok()?, s.version)));
    let (mut state, from) = match snapshot {
        Some((state, version)) => (state, version + 1),
        None => (A::default(), 1),
    };
    fold(
        &mut state,
        &store.load_stream(A::STREAM_TYPE, stream_id, from)?,
    )?;
    let version = store.stream_version(A::STREAM_TYPE, stream_id)?;
    Ok(Loaded { state, version })
}

/// Stores a snapshot of `state` at `after` if the policy says the append from `before` crossed
/// a boundary. Returns whether one was taken.
pub fn snapshot_if_due<A, S>(
    store: &mut S,
    stream_id: &str,
    state: &A,
    before: u64,
    after: u64,
    policy: SnapshotPolicy,
) -> Result<bool, StoreError>
where
    A: Aggregate + Serialize,
    S: EventStore + ?Sized,
{
    if !policy.is_due(before, after) {
        return Ok(false);
    }
    let state = serde_json::to_value(state).map_err(|e| StoreError::codec("snapshot", e))?;
    store.put_snapshot(&Snapshot {
        stream_type: A::STREAM_TYPE.to_owned(),
        stream_id: stream_id.to_owned(),
        version: after,
        state,
    })?;
    Ok(true)
}

/// The result of [`append_events`].
#[derive(Debug, Clone)]
pub struct Appended<A> {
    /// State and version after the append.
    pub loaded: Loaded<A>,
    /// The stored events.
    pub stored: Vec<StoredEvent>,
}

/// Appends events decided against `loaded` (its version is the expected version), folds them
/// into the new state and snapshots by `ctx.snapshots`.
pub fn append_events<A, S>(
    store: &mut S,
    stream_id: &str,
    loaded: &Loaded<A>,
    events: &[A::Event],
    ctx: &EventContext,
) -> Result<Appended<A>, StoreError>
where
    A: Aggregate + Serialize,
    S: EventStore + ?Sized,
{
    let mut request = AppendRequest::new(
        A::STREAM_TYPE,
        stream_id,
        loaded.version,
        encode_events(events, ctx)?,
    )
    .with_durability(ctx.durability);
    request.command = ctx.command.clone();
    let stored = store.append(request)?;
    let mut state = loaded.state.clone();
    for event in events {
        state.apply(event);
    }
    let version = stored.last().map_or(loaded.version, |e| e.version);
    snapshot_if_due(
        store,
        stream_id,
        &state,
        loaded.version,
        version,
        ctx.snapshots,
    )?;
    Ok(Appended {
        loaded: Loaded { state, version },
        stored,
    })
}
