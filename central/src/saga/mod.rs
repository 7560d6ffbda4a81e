//! The `saga` role: the order saga runner (docs/architecture.md §3, §5) and the helpers every saga command
//! handler uses to answer.
//!
//! * `saga-orders` ([`orders`]): a kiosk's `OrderCreated` on `<root>.ev.kiosk.<device>.order.<id>`
//!   starts a saga (step 0 re-validates the order against the catalog view); cancellation
//!   requests on `…orderreq.<id>` go to [`crate::ordering`].
//! * `saga-replies` ([`replies`]): handlers' replies on `<root>.reply.<saga>` and fired timers on
//!   `<root>.timer.<saga>`, both a [`SagaInput`] JSON.
//! * [`runner`]: load → transition → compare-and-set → publish.
//!
//! Step timeouts come from the setting `saga.timeout_ms` (`MALLBOTS__SAGA__TIMEOUT_MS`, one value
//! for every step; default 10 000). ApproveOrder, the pivot, is never compensated on a timeout: it
//! is sent again (three emissions in all), then the saga completes with the approval unconfirmed
//! (outcome `approved_unconfirmed` in `mallbots_saga_outcomes_total`). Finished saga keys are purged
//! `saga.finished_key_grace_ms` after their last write ([`forget`]); the bucket's max age
//! ([`crate::topology::SAGA_KEY_MAX_AGE`]) removes what a stopped replica left.

pub mod forget;
pub mod orders;
pub mod replies;
pub mod runner;

use bytes::Bytes;
use mallbots_domain::saga::{CommandMeta, ReplyOutcome, SagaInput, StepTimeouts};
use mallbots_domain::Timestamp;

use crate::config::SagaSettings;
use crate::error::PublishError;
use crate::publish::Published;
use crate::roles::HandlerRegistry;
use crate::service::Runtime;
use crate::topology::Bucket;
use crate::views::LazyBucket;
use crate::worker::Outcome;

pub use runner::{Driven, SagaRunError, SagaRunner};

/// The step timeouts: `saga.timeout_ms` for every step.
pub fn timeouts(settings: &SagaSettings) -> StepTimeouts {
    StepTimeouts::uniform(settings.timeout_ms)
}

/// The reply input for `meta` with `outcome`: input id and msg-id `reply/<command_id>`, `at` now.
pub fn reply_input(meta: &CommandMeta, outcome: ReplyOutcome) -> SagaInput {
    SagaInput {
        input_id: format!("reply/{}", meta.command_id),
        at: Timestamp::from_millis(crate::envelope::now_ms()),
        kind: meta.reply(outcome),
    }
}

/// Publishes the reply to `meta`'s command on `<root>.reply.<saga>`.
pub async fn reply(
    rt: &Runtime,
    meta: &CommandMeta,
    outcome: ReplyOutcome,
) -> Result<Published, PublishError> {
    let input = reply_input(meta, outcome);
    let subject = rt.topology.reply_subject(&meta.saga_id.to_string());
    let payload = serde_json::to_vec(&input).map_err(|e| PublishError::Other {
        subject: subject.clone(),
        reason: e.to_string(),
    })?;
    rt.publisher
        .publish(
            &subject,
            &input.input_id,
            Default::default(),
            Bytes::from(payload),
        )
        .await
}

/// [`reply`] as a handler outcome: ack once the reply is stored, nak if it could not be sent.
pub async fn reply_outcome(rt: &Runtime, meta: &CommandMeta, outcome: ReplyOutcome) -> Outcome {
    match reply(rt, meta, outcome).await {
        Ok(_) => Outcome::Ack,
        Err(e) => {
            tracing::warn!(error = %e, saga = %meta.saga_id, "reply not sent");
            Outcome::Nak { delay: None }
        }
    }
}

/// The saga runner of this replica.
pub fn runner(rt: &Runtime) -> SagaRunner {
    SagaRunner::new(
        LazyBucket::new(rt, Bucket::Sagas),
        rt.publisher.clone(),
        timeouts(&rt.settings.saga),
        rt.metrics.clone(),
    )
    .with_finished_grace(std::time::Duration::from_millis(
        rt.settings.saga.finished_key_grace_ms,
    ))
}

/// Registers `saga-orders`, `saga-replies`, the catalog and customers views and AuthorizeCustomer
/// (all role saga).
pub fn register(rt: &Runtime, registry: &mut HandlerRegistry) {
    let runner = runner(rt);
    registry.register(
        "saga-orders",
        orders::OrdersHandler::new(rt.clone(), runner.clone()),
    );
    registry.register("saga-replies", replies::RepliesHandler::new(runner));
    crate::catalog::register(rt, registry);
    crate::customers::register(rt, registry);
}
