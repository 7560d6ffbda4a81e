//! Drives one saga input over KV `sagas` and the JetStream publisher: the logic is
//! [`super::drive`] (shared with the deterministic simulator), this is its I/O. Commands are
//! published with msg-id = command id, the step's timer scheduled; a finished saga's key is
//! purged a grace period later ([`super::forget`]).

use mallbots_wire::service_subjects::CommandContext;
use std::time::{Duration, UNIX_EPOCH};

use async_nats::jetstream::kv::{Operation, UpdateErrorKind};
use bytes::Bytes;
use mallbots_domain::error::ErrorCode;
use mallbots_domain::saga::{
    SagaCommand, SagaError, SagaInput, SagaPhase, StepTimeouts, TimerRequest,
};
use mallbots_domain::SagaId;

use super::drive::{SagaIo, Stored, Swap};
use crate::platform::error::PublishError;
use crate::platform::forget::Forgetting;
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
    forgetting: Forgetting,
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
            forgetting: Forgetting {
                grace: DEFAULT_FINISHED_GRACE,
                marker_ttl: crate::platform::topology::SAGA_KEY_MAX_AGE,
            },
        }
    }

    /// Purges finished sagas' keys `forgetting.grace` after their last write, leaving a marker
    /// for `forgetting.marker_ttl`.
    pub fn with_forgetting(mut self, forgetting: Forgetting) -> Self {
        self.forgetting = forgetting;
        self
    }

    /// The step timeouts in use.
    pub fn timeouts(&self) -> &StepTimeouts {
        &self.timeouts
    }

    fn op(&self, kind: &str) {
        self.metrics.inc(SAGA_KV_OPS, &[("op", kind)]);
    }

    /// Applies `input` to saga `saga` (see the module docs and [`super::drive`]).
    pub async fn drive(&self, saga: SagaId, input: &SagaInput) -> Result<Driven, SagaRunError> {
        let io = NatsSagaIo {
            runner: self,
            store: self.bucket.get().await?.clone(),
        };
        super::drive::drive(&io, &self.timeouts, saga, input).await
    }

    fn count(&self, result: &str) {
        self.metrics.inc(SAGA_INPUTS, &[("result", result)]);
    }
    async fn publish(
        &self,
        commands: &[SagaCommand],
        timer: Option<&TimerRequest>,
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

/// KV `sagas` and the JetStream publisher as the saga's I/O.
struct NatsSagaIo<'a> {
    runner: &'a SagaRunner,
    store: async_nats::jetstream::kv::Store,
}

impl SagaIo for NatsSagaIo<'_> {
    async fn load(&self, key: &str) -> Result<Stored, String> {
        Ok(
            match self.store.entry(key).await.map_err(|e| e.to_string())? {
                Some(e) if e.operation == Operation::Put => Stored::State {
                    value: e.value.to_vec(),
                    revision: e.revision,
                },
                Some(_) => Stored::Forgotten,
                None => Stored::Absent,
            },
        )
    }

    async fn swap(&self, key: &str, value: Vec<u8>, revision: u64) -> Result<Swap, String> {
        match self.store.update(key, Bytes::from(value), revision).await {
            Ok(written) => Ok(Swap::Written(written)),
            Err(e)
                if e.kind() == UpdateErrorKind::WrongLastRevision
                    || crate::platform::publish::is_wrong_last_sequence(&e.to_string()) =>
            {
                Ok(Swap::Conflict)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    async fn send(
        &self,
        saga: SagaId,
        commands: &[SagaCommand],
        timer: Option<&TimerRequest>,
    ) -> Result<(), PublishError> {
        self.runner.publish(commands, timer, saga).await
    }

    fn forget_later(&self, key: &str, revision: u64) {
        super::forget::forget_later(
            self.store.clone(),
            key.to_owned(),
            revision,
            self.runner.forgetting,
            self.runner.metrics.clone(),
        );
    }

    fn count(&self, what: &'static str) {
        match what {
            "read" | "write" => self.runner.op(what),
            result => self.runner.count(result),
        }
    }

    fn finished(&self, outcome: &'static str) {
        self.runner.metrics.saga_outcome(outcome);
    }
}
