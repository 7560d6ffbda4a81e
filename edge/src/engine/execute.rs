//! load → decide → append, run on the writer thread.
//!
//! [`Step`] decides one command against one cached aggregate and prepares its append;
//! [`commit`] appends one or more prepared steps and projects their events into the read models
//! in ONE transaction, projecting the decided events in their typed form. Single-stream use
//! cases call [`super::Edge::execute`].

use super::cache::{AggregateCache, Cached};
use crate::error::EdgeError;
use crate::projections::Projectable;
use mallbots_domain::{Aggregate, DomainError};
use mallbots_sync::store::sqlite::write;
use mallbots_sync::store::{
    encode_event, now_ms, AppendRequest, CommandRecord, Durability, EventContext, EventMetadata,
    SqliteStore, StoreError, StoredEvent,
};
use rusqlite::Transaction;
use serde::Serialize;
use uuid::Uuid;

/// Where and how a command's events are written.
#[derive(Debug, Clone)]
pub struct Target {
    /// Aggregate id.
    pub stream_id: String,
    /// Outbox subject of every event.
    pub subject: String,
    /// Metadata stamped on every event.
    pub metadata: EventMetadata,
    /// The command's id (recorded in `commands`).
    pub command_id: Uuid,
    /// When (the command's time), Unix ms.
    pub occurred_at: i64,
    /// Where the events' ids come from (the edge's clock).
    pub ids: std::sync::Arc<dyn crate::config::Clock>,
}

/// One decided command, ready to append.
#[derive(Debug)]
pub struct Step<A: Aggregate> {
    /// The state the command was decided on.
    pub before: Cached<A>,
    /// The decided events.
    pub events: Vec<A::Event>,
    /// The append request.
    pub request: AppendRequest,
    /// The stream id.
    pub stream_id: String,
}

impl<A> Step<A>
where
    A: Aggregate + Send + 'static,
    A::Command: Serialize,
    DomainError: From<A::Error>,
{
    /// Takes the aggregate from the cache (or replays it), builds the command from its state,
    /// decides and encodes. A refused command puts the state back unchanged.
    pub fn decide(
        store: &SqliteStore,
        cache: &mut AggregateCache,
        target: &Target,
        build: &dyn Fn(&A) -> Result<A::Command, EdgeError>,
    ) -> Result<Self, EdgeError> {
        let before = cache.take::<A, _>(store, &target.stream_id)?;
        match Self::prepare(
            &before.state,
            before.version,
            before.base_seq,
            target,
            build,
        ) {
            Ok((events, request)) => Ok(Self {
                before,
                events,
                request,
                stream_id: target.stream_id.clone(),
            }),
            Err(err) => {
                cache.put(&target.stream_id, before);
                Err(err)
            }
        }
    }

    fn prepare(
        state: &A,
        version: u64,
        base_seq: Option<u64>,
        target: &Target,
        build: &dyn Fn(&A) -> Result<A::Command, EdgeError>,
    ) -> Result<(Vec<A::Event>, AppendRequest), EdgeError> {
        let command = build(state)?;
        let events = mallbots_domain::decide(state, &command)?;
        let ctx = EventContext {
            metadata: target.metadata.clone(),
            occurred_at: target.occurred_at,
            subject: Some(target.subject.clone()),
            ..EventContext::default()
        };
        let encoded = events
            .iter()
            .map(|e| encode_event(e, target.ids.new_id(), &ctx))
            .collect::<Result<Vec<_>, _>>()?;
        let payload =
            serde_json::to_value(&command).map_err(|e| StoreError::codec("encode command", e))?;
        let request = AppendRequest::new(A::STREAM_TYPE, &target.stream_id, version, encoded)
            .with_command(CommandRecord {
                id: target.command_id,
                payload,
                base_seq,
            });
        Ok((events, request))
    }

    /// The state after the decided events (moved, not cloned), to cache once committed.
    pub fn into_after(self, stored: &[StoredEvent]) -> Cached<A> {
        let mut state = self.before.state;
        for event in &self.events {
            state.apply(event);
        }
        Cached {
            state,
            version: stored.last().map_or(self.before.version, |e| e.version),
            base_seq: self.before.base_seq,
        }
    }

    /// Puts the state the command was decided on back into the cache (nothing was committed).
    pub fn restore(self, cache: &mut AggregateCache) {
        cache.put(&self.stream_id, self.before);
    }
}

/// One stream's share of a commit: its append request and its decided events, which are
/// projected in their typed form (the stored JSON is not decoded again).
pub trait Part {
    /// The append request.
    fn request(&self) -> &AppendRequest;
    /// Updates the read models for the decided events.
    fn project(&self, tx: &Transaction<'_>) -> Result<(), StoreError>;
}

impl<A> Part for Step<A>
where
    A: Aggregate,
    A::Event: Projectable,
{
    fn request(&self) -> &AppendRequest {
        &self.request
    }

    fn project(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        self.events.iter().try_for_each(|e| e.project_typed(tx))
    }
}

/// Appends every part and projects its events in one transaction with `durability`.
pub fn commit(
    store: &mut SqliteStore,
    parts: &[&dyn Part],
    durability: Durability,
) -> Result<Vec<Vec<StoredEvent>>, StoreError> {
    store.transaction(durability, |tx| {
        let now = now_ms();
        let mut all = Vec::with_capacity(parts.len());
        for part in parts {
            let stored = write::append(tx, part.request(), now)?;
            part.project(tx)?;
            all.push(stored);
        }
        Ok(all)
    })
}

/// How often a decision is retried after another process moved the stream meanwhile.
pub const CONCURRENCY_RETRIES: usize = 3;

/// Decides and commits one command on one stream, retrying on a concurrency conflict; returns
/// `view` of the new state (which goes back into the cache) and the stored events.
pub fn run_one<A, V>(
    store: &mut SqliteStore,
    cache: &mut AggregateCache,
    target: &Target,
    durability: Durability,
    build: &dyn Fn(&A) -> Result<A::Command, EdgeError>,
    view: impl FnOnce(&A) -> V,
) -> Result<(V, Vec<StoredEvent>), EdgeError>
where
    A: Aggregate + Send + 'static,
    A::Command: Serialize,
    A::Event: Projectable,
    DomainError: From<A::Error>,
{
    let mut attempt = 0;
    loop {
        let step = Step::<A>::decide(store, cache, target, build)?;
        match commit(store, &[&step], durability) {
            Ok(mut stored) => {
                let stored = stored.pop().unwrap_or_default();
                let stream_id = step.stream_id.clone();
                let after = step.into_after(&stored);
                let out = view(&after.state);
                cache.put(&stream_id, after);
                return Ok((out, stored));
            }
            Err(err) if err.is_concurrency() && attempt < CONCURRENCY_RETRIES => {
                attempt += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// [`run_one`] at normal durability, answering with the new state's view.
pub fn run_for_view<A, V>(
    store: &mut SqliteStore,
    cache: &mut AggregateCache,
    target: &Target,
    build: &dyn Fn(&A) -> Result<A::Command, EdgeError>,
) -> Result<V, EdgeError>
where
    A: Aggregate + Send + 'static,
    A::Command: Serialize,
    A::Event: Projectable,
    DomainError: From<A::Error>,
    V: for<'a> From<&'a A>,
{
    run_one(store, cache, target, Durability::Normal, build, |s| {
        V::from(s)
    })
    .map(|(view, _)| view)
}
