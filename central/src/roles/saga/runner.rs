//! Drives one saga input: load the state from KV `sagas` with its revision, run the pure
//! [`transition`], write the new state with compare-and-set (reload and retry on a wrong
//! revision), THEN publish the transition's commands (msg-id = command id) and schedule its timer.
//! A duplicate input re-publishes the current commands and timer without writing. A finished
//! saga's key is purged a grace period later ([`super::forget`]); inputs for a purged saga are
//! ignored.

use mallbots_wire::service_subjects::CommandContext;
use std::time::{Duration, UNIX_EPOCH};

use async_nats::jetstream::kv::{Operation, UpdateErrorKind};
use bytes::Bytes;
use mallbots_domain::error::ErrorCode;
use mallbots_domain::saga::{
    transition, SagaError, SagaInput, SagaInputKind, SagaPhase, SagaState, StepTimeouts,
};
use mallbots_domain::SagaId;

use crate::platform::error::PublishError;
use crate::platform::metrics::Metrics;
use crate::platform::publish::Publisher;
use crate::platform::views::{LazyBucket, ViewError};

/// Counter of saga inputs applied, by result (`applied`, `duplicate`, `ignored`, `conflict`).
pub use crate::platform::metrics::SAGA_INPUTS;
/// Counter of KV operations on saga state (reads and writes), for the P5 figures.
pub use crate::platform::metrics::SAGA_KV_OPS;

/// Driving a saga input failed.
#[derive(Debug, thiserror::Error)]
pub enum SagaRunError {
    /// The saga state could not be read or written.
    #[error(transparent)]
    View(#[from] ViewError),
    /// A stored state does not decode.
    #[error("saga {saga}: stored state does not decode: {reason}")]
    Corrupt {
        /// Saga id.
        saga: SagaId,
        /// Decoder error.
        reason: String,
    },
    /// The input cannot be taken (no such saga).
    #[error(transparent)]
    Saga(#[from] SagaError),
    /// A command or timer could not be published (the state is written; a redelivery
    /// re-publishes as a duplicate).
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl ErrorCode for SagaRunError {
    fn code(&self) -> &'static str {
        match self {
            SagaRunError::View(e) => e.code(),
            SagaRunError::Corrupt { .. } => "saga.corrupt_state",
            SagaRunError::Saga(e) => e.code(),
            SagaRunError::Publish(e) => e.code(),
        }
    }
}

/// What happened to an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driven {
    /// A new state was written and its commands published.
    Applied {
        /// The saga finished with this input.
        finished: bool,
        /// Its phase afterwards.
        phase: SagaPhase,
    },
    /// Seen before: the current commands were published again.
    Duplicate,
    /// A stale timer or reply for a finished saga: nothing to do.
    Ignored,
}

/// Runs saga transitions against KV `sagas`.
#[derive(Clone, Debug)]
pub struct SagaRunner {
    bucket: LazyBucket,
    publisher: Publisher,
    timeouts: StepTimeouts,
    metrics: std::sync::Arc<Metrics>,
    finished_grace: Duration,
}

/// How long a finished saga's key is kept by default before it is purged.
pub const DEFAULT_FINISHED_GRACE: Duration = Duration::from_secs(60);

impl SagaRunner {
    /// A runner over `bucket` publishing with `publisher`.
    pub fn new(
        bucket: LazyBucket,
        publisher: Publisher,
        timeouts: StepTimeouts,
        metrics: std::sync::Arc<Metrics>,
    ) -> Self {
        Self {
            bucket,
            publisher,
            timeouts,
            metrics,
            finished_grace: DEFAULT_FINISHED_GRACE,
        }
    }

    /// Purges finished sagas' keys `grace` after their last write.
    pub fn with_finished_grace(mut self, grace: Duration) -> Self {
        self.finished_grace = grace;
        self
    }

    /// The step timeouts in use.
    pub fn timeouts(&self) -> &StepTimeouts {
        &self.timeouts
    }

    fn op(&self, kind: &str) {
        self.metrics.inc(SAGA_KV_OPS, &[("op", kind)]);
    }

    /// Applies `input` to saga `saga` (see the module docs).
    pub async fn drive(&self, saga: SagaId, input: &SagaInput) -> Result<Driven, SagaRunError> {
        let store = self.bucket.get().await?;
        let key = saga.to_string();
        let kv_err = |e: &dyn std::fmt::Display| {
            SagaRunError::View(ViewError::Kv {
                key: key.clone(),
                reason: e.to_string(),
            })
        };
        loop {
            self.op("read");
            let entry = store.entry(&key).await.map_err(|e| kv_err(&e))?;
            let (state, revision): (Option<SagaState>, u64) = match entry {
                Some(e) if e.operation == Operation::Put => {
                    let state =
                        serde_json::from_slice(&e.value).map_err(|err| SagaRunError::Corrupt {
                            saga,
                            reason: err.to_string(),
                        })?;
                    (Some(state), e.revision)
                }
                Some(_) => {
                    // Purged: a finished saga forgotten after its grace period.
                    self.count("forgotten");
                    return Ok(Driven::Ignored);
                }
                None => (None, 0),
            };
            if let Some(s) = &state {
                if s.is_finished() && matches!(input.kind, SagaInputKind::TimerFired { .. }) {
                    // The last step's timer firing after the end: nothing can change.
                    self.count("ignored");
                    return Ok(Driven::Ignored);
                }
            }
            let t = transition(state.as_ref(), input, &self.timeouts)?;
            if t.duplicate {
                self.count("duplicate");
                // Re-send what the first delivery may not have sent: its commands and the
                // current step's timer (a newer schedule replaces the pending one, same time).
                let timer = if t.finished { None } else { t.timer.as_ref() };
                self.publish(&t.commands, timer, saga).await?;
                return Ok(Driven::Duplicate);
            }
            let was_finished = state.as_ref().is_some_and(SagaState::is_finished);
            if was_finished && t.commands.is_empty() {
                self.count("ignored");
                return Ok(Driven::Ignored);
            }
            let bytes = serde_json::to_vec(&t.state).map_err(|e| kv_err(&e))?;
            self.op("write");
            let written = match store.update(&key, Bytes::from(bytes), revision).await {
                Ok(written) => written,
                Err(e)
                    if e.kind() == UpdateErrorKind::WrongLastRevision
                        || crate::platform::publish::is_wrong_last_sequence(&e.to_string()) =>
                {
                    self.count("conflict");
                    continue;
                }
                Err(e) => return Err(kv_err(&e)),
            };
            self.count("applied");
            self.publish(&t.commands, t.timer.as_ref(), saga).await?;
            if super::forget::forgettable(&t.state) {
                super::forget::forget_later(
                    store.clone(),
                    key.clone(),
                    written,
                    self.finished_grace,
                    self.metrics.clone(),
                );
            }
            if t.finished && !was_finished {
                let outcome = match t.state.phase {
                    SagaPhase::Completed if t.state.approval_unconfirmed() => {
                        "approved_unconfirmed"
                    }
                    SagaPhase::Completed => "approved",
                    _ => "rejected",
                };
                self.metrics.saga_outcome(outcome);
            }
            return Ok(Driven::Applied {
                finished: t.finished,
                phase: t.state.phase,
            });
        }
    }

    fn count(&self, result: &str) {
        self.metrics.inc(SAGA_INPUTS, &[("result", result)]);
    }

    async fn publish(
        &self,
        commands: &[mallbots_domain::saga::SagaCommand],
        timer: Option<&mallbots_domain::saga::TimerRequest>,
        saga: SagaId,
    ) -> Result<(), PublishError> {
        let topology = self.publisher.topology();
        for command in commands {
            let context = CommandContext::from_token(command.context()).ok_or_else(|| {
                PublishError::Other {
                    subject: command.name().to_owned(),
                    reason: format!("no command context {:?} on the wire", command.context()),
                }
            })?;
            let subject = topology.command_subject(context, command.name());
            let payload = serde_json::to_vec(command).map_err(|e| PublishError::Other {
                subject: subject.clone(),
                reason: e.to_string(),
            })?;
            self.publisher
                .publish(
                    &subject,
                    &command.command_id().to_string(),
                    Default::default(),
                    Bytes::from(payload),
                )
                .await?;
        }
        if let Some(timer) = timer {
            let input = SagaInput {
                input_id: timer.input_id(),
                at: timer.fire_at,
                kind: timer.fired(),
            };
            let payload = serde_json::to_vec(&input).unwrap_or_default();
            let fire_at = UNIX_EPOCH + Duration::from_millis(timer.fire_at.millis().max(0) as u64);
            let msg_id = format!("timer/{saga}/{}/{}", timer.step, timer.attempt);
            self.publisher
                .schedule_timer(&saga.to_string(), fire_at, &msg_id, Bytes::from(payload))
                .await?;
        }
        Ok(())
    }
}
