//! The two seams where the edge plugs its domain into the engine, both run on the store's
//! writer thread inside the engine's transaction:
//! * [`InboxApplier`]: apply an incoming central event (store it, project read models);
//! * [`Rebaser`]: after other writers' events landed on an aggregate with pending local
//!   events, re-run the pending commands against the new state (republish, or retract and
//!   record a conflict the user sees).
//!
//! [`RecordOnly`] and [`RetractPending`] are domain-free implementations for relay-only tools
//! and tests.

use super::envelope::IncomingEvent;
use crate::store::sqlite::{read, write};
use crate::store::{now_ms, CommandStatus, NewConflict, StoreError};
use rusqlite::Transaction;

/// Applies incoming events (implemented by the edge with its projections).
pub trait InboxApplier: Send + Sync + 'static {
    /// Whether this build can apply `event` (known type, schema not newer). `false` parks it
    /// raw until an upgrade.
    fn can_apply(&self, event: &IncomingEvent) -> bool;

    /// Applies `event` inside the inbox transaction. An error rolls back only this apply; the
    /// message is then parked with the error.
    fn apply(&self, tx: &Transaction<'_>, event: &IncomingEvent) -> Result<(), StoreError>;
}

/// What a rebase is given: the aggregate, its subject, and the other writers' events (already
/// applied through the [`InboxApplier`] in the same transaction).
#[derive(Debug, Clone, Copy)]
pub struct RebaseRequest<'a> {
    /// Aggregate type.
    pub stream_type: &'a str,
    /// Aggregate id.
    pub stream_id: &'a str,
    /// The subject.
    pub subject: &'a str,
    /// The other writers' events, oldest first.
    pub foreign: &'a [IncomingEvent],
}

/// What a rebase did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebaseOutcome {
    /// Pending commands re-run and still valid (their new events are in the outbox).
    pub republished: usize,
    /// Pending commands no longer valid (retracted, conflict recorded).
    pub rejected: usize,
}

/// Re-runs an aggregate's pending commands after a conflict (implemented by the edge).
pub trait Rebaser: Send + Sync + 'static {
    /// Supersedes the aggregate's pending events and re-decides its pending commands against
    /// the new state, appending new events (republished) or recording conflicts (rejected).
    fn rebase(
        &self,
        tx: &Transaction<'_>,
        request: &RebaseRequest<'_>,
    ) -> Result<RebaseOutcome, StoreError>;
}

/// Applies nothing beyond the inbox row: accepts every event (relay-only tools, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordOnly;

impl InboxApplier for RecordOnly {
    fn can_apply(&self, _event: &IncomingEvent) -> bool {
        true
    }

    fn apply(&self, _tx: &Transaction<'_>, _event: &IncomingEvent) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Knows no domain: retracts every pending event of the aggregate, rejects its pending
/// commands and records a `sync.conflict` conflict.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetractPending;

impl Rebaser for RetractPending {
    fn rebase(
        &self,
        tx: &Transaction<'_>,
        request: &RebaseRequest<'_>,
    ) -> Result<RebaseOutcome, StoreError> {
        let commands = read::pending_commands(tx, request.stream_type, request.stream_id)?;
        write::supersede_pending(tx, request.stream_type, request.stream_id)?;
        for command in &commands {
            write::set_command_status(tx, command.id, CommandStatus::Rejected)?;
        }
        write::record_conflict(
            tx,
            &NewConflict {
                stream_type: request.stream_type.to_owned(),
                stream_id: request.stream_id.to_owned(),
                code: "sync.conflict".to_owned(),
                message: format!(
                    "{} change(s) to {} were retracted: another device changed it first",
                    commands.len().max(1),
                    request.stream_type
                ),
            },
            now_ms(),
        )?;
        Ok(RebaseOutcome {
            republished: 0,
            rejected: commands.len(),
        })
    }
}
