//! `saga-replies`: replies on `<root>.reply.<saga>` and fired timers on `<root>.timer.<saga>`.
//! The payload is a [`SagaInput`]; the saga id is the subject's last token.

use mallbots_domain::error::ErrorCode;
use mallbots_domain::saga::{SagaError, SagaInput};
use mallbots_domain::SagaId;

use super::runner::{SagaRunError, SagaRunner};
use crate::platform::handler::{Delivery, Handler, Outcome};

/// Feeds replies and timers to the saga runner.
pub struct RepliesHandler {
    runner: SagaRunner,
}

impl RepliesHandler {
    /// A handler driving `runner`.
    pub fn new(runner: SagaRunner) -> Self {
        Self { runner }
    }
}

impl Handler for RepliesHandler {
    type Message = SagaInput;

    async fn handle(&self, delivery: &Delivery, input: SagaInput) -> Outcome {
        let token = delivery.subject().rsplit('.').next().unwrap_or_default();
        let Ok(saga) = token.parse::<SagaId>() else {
            return Outcome::Term {
                reason: format!("subject {} names no saga", delivery.subject()),
            };
        };
        match self.runner.drive(saga, &input).await {
            Ok(_) => Outcome::Ack,
            Err(SagaRunError::Saga(SagaError::UnknownSaga)) => {
                // A reply or timer for a saga never started here or already aged out.
                tracing::info!(%saga, input = %input.input_id, "input for unknown saga ignored");
                Outcome::Ack
            }
            Err(e @ SagaRunError::Corrupt { .. }) => Outcome::Term {
                reason: format!("{}: {e}", e.code()),
            },
            Err(e) => {
                tracing::warn!(%saga, error = %e, "saga input not applied; retrying");
                Outcome::Nak { delay: None }
            }
        }
    }
}
