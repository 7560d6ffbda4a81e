//! load → decide → append, run on the writer thread.
//!
//! [`Step`] decides one command against one cached aggregate and prepares its append;
//! [`commit`] appends one or more prepared steps and projects their events into the read models
//! in ONE transaction. Single-stream use cases call [`super::Edge::execute`].

use super::cache::{AggregateCache, Cached};
use crate::error::EdgeError;
use crate::projections;
use mallbots_domain::{Aggregate, DomainError};
use mallbots_sync::store::sqlite::write;
use mallbots_sync::store::{
    encode_event, now_ms, AppendRequest, CommandRecord, Durability, EventContext, EventMetadata,
    SqliteStore, StoreError, StoredEvent,
};
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
    /// Loads the aggregate, builds the command from its state, decides and encodes.
    pub fn decide(
        store: &SqliteStore,
        cache: &mut AggregateCache,
        target: &Target,
        build: &dyn Fn(&A) -> Result<A::Command, EdgeError>,
    ) -> Result<Self, EdgeError> {
        let before = cache.load::<A, _>(store, &target.stream_id)?;
        let command = build(&before.state)?;
        let events = mallbots_domain::decide(&before.state, &command)?;
        let ctx = EventContext {
            metadata: target.metadata.clone(),
            occurred_at: target.occurred_at,
            subject: Some(target.subject.clone()),
            ..EventContext::default()
        };
        let encoded = events
            .iter()
            .map(|e| encode_event(e, Uuid::now_v7(), &ctx))
            .collect::<Result<Vec<_>, _>>()?;
        let payload =
            serde_json::to_value(&command).map_err(|e| StoreError::codec("encode command", e))?;
        let request =
            AppendRequest::new(A::STREAM_TYPE, &target.stream_id, before.version, encoded)
                .with_command(CommandRecord {
                    id: target.command_id,
                    payload,
                    base_seq: before.base_seq,
                });
        Ok(Self {
            before,
            events,
            request,
            stream_id: target.stream_id.clone(),
        })
    }

    /// The state after the decided events, to cache once committed.
    pub fn after(&self, stored: &[StoredEvent]) -> Cached<A> {
        let mut state = self.before.state.clone();
        for event in &self.events {
            state.apply(event);
        }
        Cached {
            state,
            version: stored.last().map_or(self.before.version, |e| e.version),
            base_seq: self.before.base_seq,
        }
    }
}

/// Appends every request and projects its events in one transaction with `durability`.
pub fn commit(
    store: &mut SqliteStore,
    requests: &[&AppendRequest],
    durability: Durability,
) -> Result<Vec<Vec<StoredEvent>>, StoreError> {
    store.transaction(durability, |tx| {
        let now = now_ms();
        let mut all = Vec::with_capacity(requests.len());
        for request in requests {
            let stored = write::append(tx, request, now)?;
            for event in &stored {
                projections::project(tx, event)?;
            }
            all.push(stored);
        }
        Ok(all)
    })
}

/// How often a decision is retried after another process moved the stream meanwhile.
pub const CONCURRENCY_RETRIES: usize = 3;

/// Decides and commits one command on one stream, retrying on a concurrency conflict.
pub fn run_one<A>(
    store: &mut SqliteStore,
    cache: &mut AggregateCache,
    target: &Target,
    durability: Durability,
    build: &dyn Fn(&A) -> Result<A::Command, EdgeError>,
) -> Result<(Cached<A>, Vec<StoredEvent>), EdgeError>
where
    A: Aggregate + Send + 'static,
    A::Command: Serialize,
    DomainError: From<A::Error>,
{
    let mut attempt = 0;
    loop {
        let step = Step::<A>::decide(store, cache, target, build)?;
        match commit(store, &[&step.request], durability) {
            Ok(mut stored) => {
                let stored = stored.pop().unwrap_or_default();
                let after = step.after(&stored);
                cache.put(&step.stream_id, &after);
                return Ok((after, stored));
            }
            Err(err) if err.is_concurrency() && attempt < CONCURRENCY_RETRIES => {
                cache.forget(A::STREAM_TYPE, &step.stream_id);
                attempt += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
}
