//! `cmd-ordering`: `<root>.cmd.ordering.<name>`.
//!
//! | name | payload | effect |
//! |---|---|---|
//! | `approve_order`, `reject_order` | `SagaCommand` | OrderApproved / OrderRejected; approve replies to the saga |
//! | `start_shopping` | [`StartShopping`] | OrderShoppingStarted |
//! | `ready_order` | [`ReadyOrder`] | OrderReadied, then `cmd.payments.create_invoice` |
//! | `cancel_order` | [`CancelOrder`] | OrderCanceled by admin, then `cmd.depot.cancel_list` + `cmd.payments.void_payment` |
//! | `complete_order` | [`CompleteOrder`] | pickup: `cmd.payments.capture` (the order must be ready) |
//! | `record_pickup` | [`RecordPickup`] | OrderCompleted{invoice} (sent by payments after capture) |

use mallbots_wire::service_subjects::CommandContext;
use std::time::Duration;

use mallbots_domain::error::ErrorCode;
use mallbots_domain::ordering::{CancelledBy, OrderCommand, OrderStatus};
use mallbots_domain::saga::{ReplyOutcome, SagaCommand};
use mallbots_domain::Timestamp;
use serde::de::DeserializeOwned;

use super::{Executed, Ordering, OrderingError};
use crate::platform::commands::{
    invoice_id_for, CancelOrder, CompleteOrder, CreateInvoice, ReadyOrder, RecordPickup,
    StartShopping,
};
use crate::platform::envelope;
use crate::platform::handler::{DecodeError, Delivery, Handler, Outcome};

/// A decoded ordering command.
/// (`Deserialize` only satisfies the worker's bound: decoding goes by subject.)
#[derive(Debug, serde::Deserialize)]
pub enum OrderingCommand {
    /// `approve_order` / `reject_order`.
    Saga(SagaCommand),
    /// `start_shopping`.
    StartShopping(StartShopping),
    /// `ready_order`.
    Ready(ReadyOrder),
    /// `cancel_order`.
    Cancel(CancelOrder),
    /// `complete_order`.
    Complete(CompleteOrder),
    /// `record_pickup`.
    RecordPickup(RecordPickup),
}

/// Handles `cmd-ordering`.
pub struct OrderingHandler<'io> {
    ordering: Ordering<'io>,
}

impl<'io> OrderingHandler<'io> {
    /// A handler over `ordering`.
    pub fn new(ordering: Ordering<'io>) -> Self {
        Self { ordering }
    }
}

fn json<T: DeserializeOwned>(payload: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(payload).map_err(|e| DecodeError(e.to_string()))
}

fn retry(e: &OrderingError) -> Outcome {
    tracing::warn!(error = %e, "ordering command not applied; retrying");
    Outcome::Nak { delay: None }
}

impl OrderingCommand {
    /// The command of a message on `<root>.cmd.ordering.<name>`.
    pub fn decode(subject: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        let name = subject.rsplit('.').next().unwrap_or_default();
        Ok(match name {
            "approve_order" | "reject_order" => OrderingCommand::Saga(json(payload)?),
            "start_shopping" => OrderingCommand::StartShopping(json(payload)?),
            "ready_order" => OrderingCommand::Ready(json(payload)?),
            "cancel_order" => OrderingCommand::Cancel(json(payload)?),
            "complete_order" => OrderingCommand::Complete(json(payload)?),
            "record_pickup" => OrderingCommand::RecordPickup(json(payload)?),
            other => return Err(DecodeError(format!("unknown ordering command {other:?}"))),
        })
    }
}

impl Handler for OrderingHandler<'static> {
    type Message = OrderingCommand;

    fn decode(&self, delivery: &Delivery) -> Result<OrderingCommand, DecodeError> {
        OrderingCommand::decode(delivery.subject(), delivery.payload())
    }

    async fn handle(&self, delivery: &Delivery, command: OrderingCommand) -> Outcome {
        self.run(delivery.delivered(), command).await
    }
}

impl OrderingHandler<'_> {
    /// Runs `command`, delivered for the `delivered`-th time; what to do with its message.
    pub async fn run(&self, delivered: i64, command: OrderingCommand) -> Outcome {
        match command {
            OrderingCommand::Saga(c) => self.saga(c).await,
            OrderingCommand::StartShopping(c) => {
                let cause = c.command_id.clone();
                let r = self
                    .ordering
                    .execute(c.order_id, &cause, |_| OrderCommand::StartShopping {
                        list_id: c.list_id,
                        bot_id: c.bot_id,
                        at: c.at,
                    })
                    .await;
                self.simple(r, "start_shopping", delivered)
            }
            OrderingCommand::Ready(c) => self.ready(c, delivered).await,
            OrderingCommand::Cancel(c) => {
                let cause = c.command_id.clone();
                let r = self
                    .ordering
                    .execute(c.order_id, &cause, |_| OrderCommand::CancelOrder {
                        reason: c.reason.clone(),
                        by: CancelledBy::Admin,
                        at: c.at,
                    })
                    .await;
                self.ordering
                    .finish_cancel(c.order_id, &cause, c.at, r)
                    .await
            }
            OrderingCommand::Complete(c) => self.complete(c).await,
            OrderingCommand::RecordPickup(c) => {
                let cause = c.command_id.clone();
                let r = self
                    .ordering
                    .execute(c.order_id, &cause, |_| OrderCommand::CompleteOrder {
                        invoice_id: c.invoice_id,
                        at: c.at,
                    })
                    .await;
                self.simple(r, "record_pickup", delivered)
            }
        }
    }
}

/// Back-off for a command that overtook the step before it: the approval it waits for is
/// usually milliseconds behind (P4 sits on this), so 20 ms doubling per delivery, capped at 2 s.
fn not_there_yet_delay(delivered: i64) -> Duration {
    let exp = delivered.clamp(1, 8) - 1;
    Duration::from_millis((20u64 << exp).min(2_000))
}

impl OrderingHandler<'_> {
    /// Acks what was applied or refused, naks what failed. A refusal because the order has not
    /// reached the step before yet is retried: a bot may take a list (InitiateShopping, saga step
    /// 4) before the saga's ApproveOrder (step 5) is stored, and `ready_order` may overtake
    /// `start_shopping`.
    fn simple(
        &self,
        r: Result<(Executed, String), OrderingError>,
        what: &str,
        delivered: i64,
    ) -> Outcome {
        match r {
            Ok((Executed::Refused { order, error }, _)) if comes_later(what, order.status()) => {
                tracing::debug!(
                    command = what,
                    code = error.code(),
                    "order not there yet; retrying"
                );
                Outcome::Nak {
                    delay: Some(not_there_yet_delay(delivered)),
                }
            }
            Ok((Executed::Refused { error, .. }, _)) => {
                tracing::warn!(
                    command = what,
                    code = error.code(),
                    "ordering command refused"
                );
                Outcome::Ack
            }
            Ok(_) => Outcome::Ack,
            Err(e) => retry(&e),
        }
    }

    async fn saga(&self, command: SagaCommand) -> Outcome {
        let meta = *command.meta();
        let cause = meta.command_id.to_string();
        let at = meta.issued_at;
        let (order_id, decided) = match &command {
            SagaCommand::ApproveOrder { order_id, .. } => {
                (*order_id, OrderCommand::ApproveOrder { at })
            }
            SagaCommand::RejectOrder {
                order_id, reason, ..
            } => (
                *order_id,
                OrderCommand::RejectOrder {
                    reason: reason.clone(),
                    at,
                },
            ),
            other => {
                return Outcome::Term {
                    reason: format!("cmd-ordering cannot handle {}", other.name()),
                }
            }
        };
        let result = self
            .ordering
            .execute(order_id, &cause, |_| decided.clone())
            .await;
        let outcome = match result {
            Ok((Executed::Refused { error, .. }, _)) => ReplyOutcome::failure(error.code()),
            Ok(_) => ReplyOutcome::success(),
            Err(OrderingError::NotFound(_)) => ReplyOutcome::failure("order.not_found"),
            Err(e) => return retry(&e),
        };
        if matches!(command, SagaCommand::RejectOrder { .. }) {
            return Outcome::Ack; // the saga does not await RejectOrder's reply
        }
        self.ordering.reply(&meta, outcome).await
    }

    async fn ready(&self, c: ReadyOrder, delivered: i64) -> Outcome {
        let cause = c.command_id.clone();
        let r = self
            .ordering
            .execute(c.order_id, &cause, |order| OrderCommand::ReadyOrder {
                total: order.total(),
                at: c.at,
            })
            .await;
        let order = match r {
            Ok((Executed::Applied { order, .. }, _)) | Ok((Executed::AlreadyDone { order }, _)) => {
                order
            }
            other => return self.simple(other, "ready_order", delivered),
        };
        let invoice = CreateInvoice {
            command_id: envelope::derived_id(&cause, "create_invoice").to_string(),
            order_id: c.order_id,
            invoice_id: invoice_id_for(c.order_id),
            amount: order.ready_total().unwrap_or(order.total()),
            at: c.at,
        };
        match self
            .ordering
            .send(
                CommandContext::Payments,
                "create_invoice",
                &invoice.command_id,
                &invoice,
            )
            .await
        {
            Ok(()) => Outcome::Ack,
            Err(e) => {
                tracing::warn!(error = %e, "create_invoice not sent; retrying");
                Outcome::Nak { delay: None }
            }
        }
    }

    async fn complete(&self, c: CompleteOrder) -> Outcome {
        let order = match self.ordering.store_load(c.order_id).await {
            Ok(o) => o,
            Err(e) => return retry(&e),
        };
        if order.order.status() != OrderStatus::Ready {
            tracing::warn!(order = %c.order_id, status = order.order.status().as_str(),
                "pickup refused: the order is not ready");
            return Outcome::Ack;
        }
        let command_id = envelope::derived_id(&c.command_id, "capture").to_string();
        match self
            .ordering
            .send_capture(
                c.order_id,
                command_id,
                Timestamp::from_millis(c.at.millis()),
            )
            .await
        {
            Ok(()) => Outcome::Ack,
            Err(e) => {
                tracing::warn!(error = %e, "capture not sent; retrying");
                Outcome::Nak { delay: None }
            }
        }
    }
}

/// Whether the order is still before the step that `what` needs (so it will get there).
fn comes_later(what: &str, status: OrderStatus) -> bool {
    match what {
        "start_shopping" => status == OrderStatus::Pending,
        "ready_order" => matches!(status, OrderStatus::Pending | OrderStatus::Approved),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopping_and_ready_wait_for_the_steps_before_them() {
        assert!(comes_later("start_shopping", OrderStatus::Pending));
        assert!(!comes_later("start_shopping", OrderStatus::Canceled));
        assert!(!comes_later("start_shopping", OrderStatus::Ready));
        assert!(comes_later("ready_order", OrderStatus::Approved));
        assert!(comes_later("ready_order", OrderStatus::Pending));
        assert!(!comes_later("ready_order", OrderStatus::Rejected));
        assert!(!comes_later("record_pickup", OrderStatus::Pending));
    }

    #[test]
    fn an_overtaking_command_is_retried_soon_then_less_often() {
        let ms = |d| not_there_yet_delay(d).as_millis();
        assert_eq!((ms(0), ms(1), ms(2), ms(5)), (20, 20, 40, 320));
        assert_eq!(ms(8), 2_000);
        assert_eq!(ms(50), 2_000);
    }
}
