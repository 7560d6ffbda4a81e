//! The `cmd-depot` handler: `<root>.cmd.depot.<name>`.
//!
//! * `create_shopping_list`, `cancel_shopping_list`, `initiate_shopping`: [`SagaCommand`]s,
//!   answered on `<root>.reply.<saga>` once their effect is durable, idempotent by command id.
//! * `cancel_list` `{command_id, order_id, list_id, at}` from ordering (a canceled order); no reply.
//! * `bot_offline` `{command_id, bot_id}`: takes a bot offline and releases its list.

use std::sync::Arc;
use std::time::Duration;

use mallbots_domain::ids::BotId;
use mallbots_domain::saga::SagaCommand;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use super::ops::Depot;
pub use crate::platform::commands::CancelList;
use crate::platform::handler::{DecodeError, Delivery, Handler, Outcome};
use crate::platform::service::Runtime;

/// `bot_offline`: an operator (or a test) takes a bot offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotOffline {
    /// Idempotency key.
    pub command_id: String,
    /// The bot.
    pub bot_id: BotId,
}

/// A decoded depot command ([`DepotCommands`] decodes by the subject's last token; the untagged
/// form is only a fallback).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DepotCommand {
    /// From the saga.
    Saga(SagaCommand),
    /// From ordering.
    CancelList(CancelList),
    /// From an operator.
    BotOffline(BotOffline),
}

/// Handles `cmd-depot`; opens the depot's buckets on first use.
pub struct DepotCommands {
    runtime: Runtime,
    depot: Arc<OnceCell<Depot>>,
}

impl DepotCommands {
    /// A handler over `runtime`, sharing `depot` with the role's other tasks.
    pub fn new(runtime: Runtime, depot: Arc<OnceCell<Depot>>) -> Self {
        Self { runtime, depot }
    }
}

/// The shared [`Depot`], opened once.
pub async fn depot<'a>(
    cell: &'a OnceCell<Depot>,
    rt: &Runtime,
) -> Result<&'a Depot, super::error::DepotError> {
    cell.get_or_try_init(|| Depot::open(rt)).await
}

fn retry() -> Outcome {
    Outcome::Nak {
        delay: Some(Duration::from_millis(500)),
    }
}

impl Handler for DepotCommands {
    type Message = DepotCommand;

    fn decode(&self, delivery: &Delivery) -> Result<DepotCommand, DecodeError> {
        let name = delivery.subject().rsplit('.').next().unwrap_or_default();
        let bad = |e: serde_json::Error| DecodeError(e.to_string());
        let payload = delivery.payload();
        match name {
            "create_shopping_list" | "cancel_shopping_list" | "initiate_shopping" => {
                serde_json::from_slice(payload)
                    .map(DepotCommand::Saga)
                    .map_err(bad)
            }
            "cancel_list" => serde_json::from_slice(payload)
                .map(DepotCommand::CancelList)
                .map_err(bad),
            "bot_offline" => serde_json::from_slice(payload)
                .map(DepotCommand::BotOffline)
                .map_err(bad),
            other => Err(DecodeError(format!("unknown depot command {other:?}"))),
        }
    }

    async fn handle(&self, _delivery: &Delivery, message: DepotCommand) -> Outcome {
        let depot = match depot(&self.depot, &self.runtime).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "depot not available");
                return retry();
            }
        };
        let result = match &message {
            DepotCommand::Saga(cmd) => depot.saga_command(cmd).await.map(|outcome| {
                tracing::info!(command = cmd.name(), command_id = %cmd.command_id(), ?outcome, "depot command");
            }),
            DepotCommand::CancelList(c) => depot
                .cancel_list(&c.command_id, c.list_id, c.order_id, c.at)
                .await
                .map(|outcome| {
                    tracing::info!(list_id = %c.list_id, ?outcome, "list cancel");
                }),
            DepotCommand::BotOffline(c) => depot
                .bot_offline(c.bot_id, &format!("bot_offline/{}", c.command_id))
                .await
                .map(|()| tracing::info!(bot_id = %c.bot_id, "bot taken offline")),
        };
        match result {
            Ok(()) => Outcome::Ack,
            Err(e) => {
                tracing::warn!(error = %e, "depot command failed; retrying");
                retry()
            }
        }
    }
}
