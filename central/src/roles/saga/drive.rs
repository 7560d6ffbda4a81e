//! The saga runner's logic, apart from its I/O: load the state with its revision, run the pure
//! [`transition`], write the new state with compare-and-set (reload and retry on a wrong
//! revision), THEN send the transition's commands and timer. A duplicate input re-sends the
//! current commands and timer without writing; a purged (forgotten) saga ignores its inputs.
//!
//! [`drive`] runs over a [`SagaIo`]: production's is KV `sagas` and the JetStream publisher
//! ([`super::runner::SagaRunner`]); the deterministic simulator (`mallbots-sim`) supplies its
//! own simulated bucket and bus, so both run this very code.

use std::future::Future;

use mallbots_domain::saga::{
    transition, SagaCommand, SagaInput, SagaInputKind, SagaPhase, SagaState, StepTimeouts,
    TimerRequest,
};
use mallbots_domain::SagaId;

use super::runner::{Driven, SagaRunError};
use crate::platform::error::PublishError;
use crate::platform::views::ViewError;

/// A saga key as read from the state store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// No key: a new saga.
    Absent,
    /// Deleted or purged: a finished saga, forgotten.
    Forgotten,
    /// The state's JSON at `revision`.
    State {
        /// The stored JSON.
        value: Vec<u8>,
        /// Its revision (the compare-and-set expects it).
        revision: u64,
    },
}

/// How a compare-and-set ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// Written at this revision.
    Written(u64),
    /// Someone wrote the key meanwhile: reload and retry.
    Conflict,
}

/// The I/O one saga input needs. Errors are the store's or the bus's text.
pub trait SagaIo: Send + Sync {
    /// Reads `key` (from the store's leader: every acknowledged write is visible).
    fn load(&self, key: &str) -> impl Future<Output = Result<Stored, String>> + Send;

    /// Writes `value` under `key` if its revision is still `revision` (0: the key is absent).
    fn swap(
        &self,
        key: &str,
        value: Vec<u8>,
        revision: u64,
    ) -> impl Future<Output = Result<Swap, String>> + Send;

    /// Publishes `commands` (msg-id = command id) and schedules `timer`.
    fn send(
        &self,
        saga: SagaId,
        commands: &[SagaCommand],
        timer: Option<&TimerRequest>,
    ) -> impl Future<Output = Result<(), PublishError>> + Send;

    /// The finished saga's key may be purged (after a grace period) if still at `revision`.
    fn forget_later(&self, key: &str, revision: u64);

    /// Counts an input's result (`applied`, `duplicate`, `ignored`, `forgotten`, `conflict`)
    /// and KV operations (`read`, `write`).
    fn count(&self, what: &'static str);

    /// A saga finished with `outcome` (`approved`, `approved_unconfirmed`, `rejected`).
    fn finished(&self, outcome: &'static str);
}

/// Applies `input` to saga `saga` (see the module docs).
pub async fn drive<I: SagaIo>(
    io: &I,
    timeouts: &StepTimeouts,
    saga: SagaId,
    input: &SagaInput,
) -> Result<Driven, SagaRunError> {
    let key = saga.to_string();
    let kv_err = |reason: String| {
        SagaRunError::View(ViewError::Kv {
            key: key.clone(),
            reason,
        })
    };
    loop {
        io.count("read");
        let (state, revision): (Option<SagaState>, u64) =
            match io.load(&key).await.map_err(kv_err)? {
                Stored::State { value, revision } => {
                    let state =
                        serde_json::from_slice(&value).map_err(|err| SagaRunError::Corrupt {
                            saga,
                            reason: err.to_string(),
                        })?;
                    (Some(state), revision)
                }
                Stored::Forgotten => {
                    io.count("forgotten");
                    return Ok(Driven::Ignored);
                }
                Stored::Absent => (None, 0),
            };
        if let Some(s) = &state {
            // The last step's timer firing after the end: nothing can change. Unless this is
            // the very input that finished the saga, redelivered because the replica died
            // after writing the state and before sending its commands: then it is a duplicate
            // and its commands (a RejectOrder) must go out again (found by the simulator).
            if s.is_finished()
                && matches!(input.kind, SagaInputKind::TimerFired { .. })
                && !s.has_seen(&input.input_id)
            {
                io.count("ignored");
                return Ok(Driven::Ignored);
            }
        }
        let t = transition(state.as_ref(), input, timeouts)?;
        if t.duplicate {
            io.count("duplicate");
            // Re-send what the first delivery may not have sent: its commands and the current
            // step's timer (a newer schedule replaces the pending one, same time).
            let timer = if t.finished { None } else { t.timer.as_ref() };
            io.send(saga, &t.commands, timer).await?;
            return Ok(Driven::Duplicate);
        }
        let was_finished = state.as_ref().is_some_and(SagaState::is_finished);
        if was_finished && t.commands.is_empty() {
            io.count("ignored");
            return Ok(Driven::Ignored);
        }
        let bytes = serde_json::to_vec(&t.state).map_err(|e| kv_err(e.to_string()))?;
        io.count("write");
        let written = match io.swap(&key, bytes, revision).await.map_err(kv_err)? {
            Swap::Written(revision) => revision,
            Swap::Conflict => {
                io.count("conflict");
                continue;
            }
        };
        io.count("applied");
        io.send(saga, &t.commands, t.timer.as_ref()).await?;
        if super::forget::forgettable(&t.state) {
            io.forget_later(&key, written);
        }
        if t.finished && !was_finished {
            io.finished(match t.state.phase {
                SagaPhase::Completed if t.state.approval_unconfirmed() => "approved_unconfirmed",
                SagaPhase::Completed => "approved",
                _ => "rejected",
            });
        }
        return Ok(Driven::Applied {
            finished: t.finished,
            phase: t.state.phase,
        });
    }
}
