//! The reply a role sends for a saga command: `<root>.reply.<saga>`, input id and msg-id
//! `reply/<command_id>`, so a redelivered command's reply is stored once. Ordering, payments,
//! customers and the depot answer the saga through here, not through the saga's module.

use bytes::Bytes;
use mallbots_domain::saga::{CommandMeta, ReplyOutcome, SagaInput};
use mallbots_domain::Timestamp;

use super::error::PublishError;
use super::handler::Outcome;
use super::publish::Published;
use super::service::Runtime;

/// The reply input for `meta` with `outcome`: input id and msg-id `reply/<command_id>`, `at` now.
pub fn reply_input(meta: &CommandMeta, outcome: ReplyOutcome) -> SagaInput {
    SagaInput {
        input_id: format!("reply/{}", meta.command_id),
        at: Timestamp::from_millis(super::envelope::now_ms()),
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
