//! The saga's I/O over the simulated bus: KV `sagas` with compare-and-set, commands on
//! `<root>.cmd.<context>.<name>` (msg-id = command id), timers as scheduled messages on
//! `<root>.timer.<saga>`. The logic is central's own [`drive`].

use super::cx::{interleave, Crash, Cx};
use super::sim_io::SharedCx;
use crate::faults::Planted;
use mallbots_central::platform::error::PublishError;
use mallbots_central::roles::saga::drive::{SagaIo, Stored, Swap};
use mallbots_domain::saga::{SagaCommand, SagaInput, TimerRequest};
use mallbots_domain::SagaId;
use mallbots_wire::service_subjects::CommandContext;

/// KV bucket of saga states.
pub const SAGAS: &str = "sagas";

/// How long a finished saga's key is kept before it is purged (ms).
pub const FINISHED_GRACE_MS: i64 = 20_000;

/// [`SagaIo`] over the step's shared handler context, for one of its replicas (only replica 0
/// may crash).
pub struct SimSagaIo<'m, 'c, 'a> {
    /// The shared context.
    pub cx: &'m SharedCx<'c, 'a>,
    /// The replica driving the saga.
    pub replica: usize,
}

impl SimSagaIo<'_, '_, '_> {
    fn with<R>(&self, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
        let mut guard = self.cx.lock().unwrap_or_else(|p| p.into_inner());
        guard.replica = self.replica;
        f(&mut guard)
    }
}

fn crashed(subject: &str) -> PublishError {
    PublishError::Other {
        subject: subject.to_owned(),
        reason: "replica crashed".into(),
    }
}

impl SagaIo for SimSagaIo<'_, '_, '_> {
    async fn load(&self, key: &str) -> Result<Stored, String> {
        interleave().await;
        Ok(self.with(|cx| match cx.bus.kv_get(SAGAS, key) {
            None => Stored::Absent,
            Some(e) => match e.value {
                None => Stored::Forgotten,
                Some(value) => Stored::State {
                    value,
                    revision: e.revision,
                },
            },
        }))
    }

    async fn swap(&self, key: &str, value: Vec<u8>, revision: u64) -> Result<Swap, String> {
        interleave().await;
        self.with(|cx| {
            cx.io().map_err(|Crash| "replica crashed".to_owned())?;
            // The planted bug: a blind write (the revision the state was read at is ignored).
            let revision = if cx.planted(Planted::BlindSagaWrite) {
                cx.bus.kv_get(SAGAS, key).map_or(0, |e| e.revision)
            } else {
                revision
            };
            let now = cx.now;
            Ok(
                match cx.bus.kv_swap(SAGAS, key, Some(value), revision, now) {
                    Some(written) => Swap::Written(written),
                    None => Swap::Conflict,
                },
            )
        })
    }

    async fn send(
        &self,
        saga: SagaId,
        commands: &[SagaCommand],
        timer: Option<&TimerRequest>,
    ) -> Result<(), PublishError> {
        interleave().await;
        self.with(|cx| {
            let root = cx.root();
            for command in commands {
                let context = CommandContext::from_token(command.context())
                    .map(|c| c.token())
                    .unwrap_or("unknown");
                let subject = format!("{root}.cmd.{context}.{}", command.name());
                let payload = serde_json::to_vec(command).unwrap_or_default();
                cx.publish(
                    &subject,
                    &command.command_id().to_string(),
                    None,
                    Default::default(),
                    payload,
                )
                .map_err(|Crash| crashed(&subject))?
                .map_err(|e| PublishError::Other {
                    subject: subject.clone(),
                    reason: format!("{e:?}"),
                })?;
            }
            if let Some(timer) = timer {
                let subject = format!("{root}.timer.{saga}");
                cx.io().map_err(|Crash| crashed(&subject))?;
                let input = SagaInput {
                    input_id: timer.input_id(),
                    at: timer.fire_at,
                    kind: timer.fired(),
                };
                let msg_id = format!("timer/{saga}/{}/{}", timer.step, timer.attempt);
                let payload = serde_json::to_vec(&input).unwrap_or_default();
                cx.bus
                    .schedule(&subject, timer.fire_at.millis(), &msg_id, payload);
            }
            Ok(())
        })
    }

    fn forget_later(&self, key: &str, revision: u64) {
        self.with(|cx| {
            let due = cx.now + FINISHED_GRACE_MS;
            cx.effects.forget(due, key, revision);
        });
    }

    fn count(&self, what: &'static str) {
        self.with(|cx| cx.effects.count(what));
    }

    fn finished(&self, outcome: &'static str) {
        self.with(|cx| cx.effects.count(outcome));
    }
}
