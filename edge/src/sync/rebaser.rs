//! [`EdgeRebaser`]: server-authoritative rebase (docs/architecture.md §6.2). Other writers' events are
//! already in the local log (the engine applied them through [`super::EdgeApplier`]); here the
//! aggregate's pending events are superseded, the read models rebuilt without them, and each
//! pending command re-decided against the new state:
//! * still valid → new events (new ids) appended to the outbox under the same command, so the
//!   relay republishes them;
//! * no longer valid → the command is rejected and a conflict recorded with the domain's code
//!   and a sentence for the user ("change price rejected: product … was removed").

use crate::config::{Clock, SystemClock};
use crate::projections;
use mallbots_domain::{baskets, customers, ordering, products, stores};
use mallbots_domain::{Aggregate, DomainError, ErrorCode};
use mallbots_sync::engine::{RebaseOutcome, RebaseRequest, Rebaser, RetractPending};
use mallbots_sync::store::sqlite::{read, write};
use mallbots_sync::store::{
    decode_event, encode_event, now_ms, AppendRequest, CommandStatus, EventContext, NewConflict,
    StoreError, StoredCommand, Upcasters,
};
use rusqlite::{params, Transaction};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use uuid::Uuid;

/// Called after every rebase (the edge clears its aggregate cache: a retraction does not move
/// the stream's head version).
pub type AfterRebase = Arc<dyn Fn() + Send + Sync>;

/// Re-runs pending commands with the domain's aggregates.
#[derive(Clone)]
pub struct EdgeRebaser {
    after: Option<AfterRebase>,
    /// Where the re-run commands' new event ids come from (the edge's clock).
    ids: Arc<dyn Clock>,
}

impl Default for EdgeRebaser {
    fn default() -> Self {
        Self::new(None)
    }
}

impl std::fmt::Debug for EdgeRebaser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeRebaser").finish_non_exhaustive()
    }
}

impl EdgeRebaser {
    /// A rebaser calling `after` once each rebase is done.
    pub fn new(after: Option<AfterRebase>) -> Self {
        Self {
            after,
            ids: Arc::new(SystemClock),
        }
    }

    /// This rebaser drawing new event ids from `clock` ([`Clock::new_id`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.ids = clock;
        self
    }
}

/// `ChangePrice` → `change price`.
fn describe(command: &StoredCommand) -> String {
    let name = command
        .payload
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("change");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn codec(e: serde_json::Error) -> StoreError {
    StoreError::codec("re-run command", e)
}

/// The metadata and time of the command's first superseded event (what the user did, when).
fn original(
    tx: &Transaction<'_>,
    command: Uuid,
) -> Result<Option<(mallbots_sync::store::EventMetadata, i64)>, StoreError> {
    let id: Option<String> = tx
        .prepare_cached(
            "SELECT event_id FROM events WHERE command_id = ?1 ORDER BY version LIMIT 1",
        )?
        .query_map(params![command.to_string()], |r| r.get(0))?
        .next()
        .transpose()?;
    let Some(id) = id.and_then(|s| s.parse().ok()) else {
        return Ok(None);
    };
    Ok(read::event(tx, id)?.map(|e| (e.metadata, e.occurred_at)))
}

fn rerun<A>(
    tx: &Transaction<'_>,
    request: &RebaseRequest<'_>,
    commands: &[StoredCommand],
    ids: &dyn Clock,
) -> Result<RebaseOutcome, StoreError>
where
    A: Aggregate,
    A::Command: DeserializeOwned,
    DomainError: From<A::Error>,
{
    let upcasters = Upcasters::new();
    let mut state = A::default();
    for stored in read::load_stream(tx, &upcasters, A::STREAM_TYPE, request.stream_id, 1)? {
        state.apply(&decode_event::<A::Event>(&stored)?);
    }
    let mut version = read::stream_version(tx, A::STREAM_TYPE, request.stream_id)?;
    let mut outcome = RebaseOutcome::default();
    for command in commands {
        let decoded: A::Command = serde_json::from_value(command.payload.clone()).map_err(codec)?;
        match state.decide(&decoded) {
            Ok(events) => {
                let (metadata, occurred_at) = original(tx, command.id)?.unwrap_or_default();
                let ctx = EventContext {
                    metadata,
                    occurred_at,
                    subject: Some(request.subject.to_owned()),
                    ..EventContext::default()
                };
                let encoded = events
                    .iter()
                    .map(|e| encode_event(e, ids.new_id(), &ctx))
                    .collect::<Result<Vec<_>, _>>()?;
                let append =
                    AppendRequest::new(A::STREAM_TYPE, request.stream_id, version, encoded);
                let stored = write::append(tx, &append, now_ms())?;
                for (event, stored) in events.iter().zip(&stored) {
                    tx.prepare_cached("UPDATE events SET command_id = ?1 WHERE global_pos = ?2")?
                        .execute(params![command.id.to_string(), stored.global_pos])?;
                    projections::project(tx, stored)?;
                    state.apply(event);
                    version = stored.version;
                }
                if stored.is_empty() {
                    write::set_command_status(tx, command.id, CommandStatus::Published)?;
                }
                outcome.republished += 1;
            }
            Err(error) => {
                let error = DomainError::from(error);
                write::set_command_status(tx, command.id, CommandStatus::Rejected)?;
                write::record_conflict(
                    tx,
                    &NewConflict {
                        stream_type: request.stream_type.to_owned(),
                        stream_id: request.stream_id.to_owned(),
                        code: error.code().to_owned(),
                        message: format!("{} rejected: {error}", describe(command)),
                    },
                    now_ms(),
                )?;
                outcome.rejected += 1;
            }
        }
    }
    Ok(outcome)
}

impl Rebaser for EdgeRebaser {
    fn rebase(
        &self,
        tx: &Transaction<'_>,
        request: &RebaseRequest<'_>,
    ) -> Result<RebaseOutcome, StoreError> {
        let commands = read::pending_commands(tx, request.stream_type, request.stream_id)?;
        let outcome = match request.stream_type {
            "product" | "store" | "customer" | "basket" | "order" => {
                write::supersede_pending(tx, request.stream_type, request.stream_id)?;
                let upcasters = Upcasters::new();
                let (kind, id) = (request.stream_type, request.stream_id);
                if !projections::refold_stream(tx, &upcasters, kind, id)? {
                    projections::rebuild_in(tx, &upcasters)?;
                }
                match request.stream_type {
                    "product" => {
                        rerun::<products::Product>(tx, request, &commands, self.ids.as_ref())?
                    }
                    "store" => rerun::<stores::Store>(tx, request, &commands, self.ids.as_ref())?,
                    "customer" => {
                        rerun::<customers::Customer>(tx, request, &commands, self.ids.as_ref())?
                    }
                    "basket" => {
                        rerun::<baskets::Basket>(tx, request, &commands, self.ids.as_ref())?
                    }
                    _ => rerun::<ordering::Order>(tx, request, &commands, self.ids.as_ref())?,
                }
            }
            _ => RetractPending.rebase(tx, request)?,
        };
        if let Some(after) = &self.after {
            after();
        }
        Ok(outcome)
    }
}
