//! `cmd-payments`: decodes by command name and runs each command against its aggregates: the
//! [`Payments`] logic over a [`PaymentsIo`] (JetStream here, the simulator's bus there).

use std::sync::Arc;

use futures::future::BoxFuture;

use mallbots_domain::error::ErrorCode;
use mallbots_domain::payments::{Payment, PaymentCommand, PaymentError, PaymentStatus};
use mallbots_domain::saga::{CommandMeta, ReplyOutcome, SagaCommand};
use mallbots_domain::{Aggregate, OrderId, PaymentId, Timestamp};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::execute::{nothing_to_release, Deciding, Step};
use super::gateway::{Authorization, PaymentGateway};
use super::io::{NatsPaymentsIo, PaymentsIo};
use super::payment_subject;
use super::store::{self, Loaded, Target};
use crate::platform::commands::{Capture, CreateInvoice, VoidPayment};
use crate::platform::envelope;
use crate::platform::handler::{DecodeError, Delivery, Handler, Outcome};
use crate::platform::service::Runtime;
use crate::platform::views::LazyReader;

/// How often a handler waiting on the gateway tells the server it is still working. Shorter than
/// the consumer's first redelivery delay (its first back-off step when one is configured, which
/// the server uses instead of the ack wait), so a slow gateway call is never redelivered.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs a gateway call, sending in-progress acks (`+WPI`) every [`PROGRESS_EVERY`] meanwhile.
pub(super) async fn with_progress<I: PaymentsIo, T>(
    io: &I,
    call: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(call);
    let mut ticker = tokio::time::interval(PROGRESS_EVERY);
    ticker.tick().await;
    loop {
        tokio::select! {
            biased;
            out = &mut call => return out,
            _ = ticker.tick() => io.in_progress().await,
        }
    }
}

/// A void request: from the saga (replied to) or from ordering (order canceled).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum VoidRequest {
    /// The saga's compensation.
    Saga(SagaCommand),
    /// Ordering's follow-up of a cancellation.
    Plain(VoidPayment),
}

/// A decoded payments command.
/// (`Deserialize` only satisfies the worker's bound: decoding goes by subject.)
#[derive(Debug, serde::Deserialize)]
pub enum PaymentsCommand {
    /// `authorize_payment`.
    Authorize(SagaCommand),
    /// `void_payment`.
    Void(VoidRequest),
    /// `create_invoice`.
    CreateInvoice(CreateInvoice),
    /// `capture`.
    Capture(Capture),
}

/// Handles `cmd-payments`.
pub struct PaymentsHandler {
    rt: Runtime,
    reader: LazyReader,
    gateway: Arc<dyn PaymentGateway>,
}

/// The payments logic over its I/O edge `I` and a gateway.
pub struct Payments<'a, I: PaymentsIo> {
    pub(super) io: &'a I,
    pub(super) gateway: &'a dyn PaymentGateway,
}

fn json<T: DeserializeOwned>(payload: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(payload).map_err(|e| DecodeError(e.to_string()))
}

/// Why a step could not finish now (nak and retry).
#[derive(Debug)]
pub(super) struct Retry(pub(super) String);

impl<E: std::fmt::Display> From<E> for Retry {
    fn from(e: E) -> Self {
        Retry(e.to_string())
    }
}

impl Handler for PaymentsHandler {
    type Message = PaymentsCommand;

    fn decode(&self, delivery: &Delivery) -> Result<PaymentsCommand, DecodeError> {
        PaymentsCommand::decode(delivery.subject(), delivery.payload())
    }

    async fn handle(&self, delivery: &Delivery, command: PaymentsCommand) -> Outcome {
        let reader = match self.reader.get().await {
            Ok(reader) => reader,
            Err(e) => {
                tracing::warn!(error = %e, "events stream unavailable; retrying");
                return Outcome::Nak { delay: None };
            }
        };
        let io = NatsPaymentsIo {
            rt: &self.rt,
            reader,
            delivery,
        };
        Payments::new(&io, self.gateway.as_ref())
            .handle(command)
            .await
    }
}

impl PaymentsCommand {
    /// The command of a message on `<root>.cmd.payments.<name>`.
    pub fn decode(subject: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        let name = subject.rsplit('.').next().unwrap_or_default();
        Ok(match name {
            "authorize_payment" => PaymentsCommand::Authorize(json(payload)?),
            "void_payment" => PaymentsCommand::Void(json(payload)?),
            "create_invoice" => PaymentsCommand::CreateInvoice(json(payload)?),
            "capture" => PaymentsCommand::Capture(json(payload)?),
            other => return Err(DecodeError(format!("unknown payments command {other:?}"))),
        })
    }
}

impl PaymentsHandler {
    /// A handler calling `gateway`.
    pub fn new(rt: Runtime, gateway: Arc<dyn PaymentGateway>) -> Self {
        Self {
            reader: LazyReader::new(&rt),
            rt,
            gateway,
        }
    }
}

impl<'a, I: PaymentsIo> Payments<'a, I> {
    /// The logic over `io`, calling `gateway`.
    pub fn new(io: &'a I, gateway: &'a dyn PaymentGateway) -> Self {
        Self { io, gateway }
    }

    /// Runs `command`; what to do with its message.
    pub async fn handle(&self, command: PaymentsCommand) -> Outcome {
        let result = match command {
            PaymentsCommand::Authorize(c) => self.authorize(c).await,
            PaymentsCommand::Void(VoidRequest::Saga(c)) => self.saga_void(c).await,
            PaymentsCommand::Void(VoidRequest::Plain(c)) => self
                .void(&c.command_id, c.payment_id, c.order_id, c.at)
                .await
                .map(|r| {
                    if let Err(code) = r {
                        tracing::warn!(payment = %c.payment_id, code, "void refused");
                    }
                    Outcome::Ack
                }),
            PaymentsCommand::CreateInvoice(c) => self.create_invoice(c).await,
            PaymentsCommand::Capture(c) => self.capture(c).await,
        };
        result.unwrap_or_else(|Retry(reason)| {
            tracing::warn!(%reason, "payments command not finished; retrying");
            Outcome::Nak { delay: None }
        })
    }
}

impl<I: PaymentsIo> Payments<'_, I> {
    pub(super) async fn load<A: Aggregate>(&self, subject: &str) -> Result<Loaded<A>, Retry> {
        Ok(store::fold(self.io.history(subject).await?))
    }

    pub(super) fn payment_target(&self, payment: PaymentId, order: OrderId) -> Target {
        Target {
            subject: payment_subject(self.io.topology(), payment),
            stream_type: Payment::STREAM_TYPE,
            stream_id: payment.to_string(),
            correlation: order.to_string(),
        }
    }

    /// Replies to the saga on `<root>.reply.<saga>` (msg-id `reply/<command id>`).
    async fn reply(&self, meta: &CommandMeta, outcome: ReplyOutcome) -> Result<Outcome, Retry> {
        let mut input = crate::platform::saga_reply::reply_input(meta, outcome);
        input.at = Timestamp::from_millis(self.io.now_ms());
        let subject = self.io.topology().reply_subject(&meta.saga_id.to_string());
        let payload = serde_json::to_vec(&input)?;
        Ok(
            match self
                .io
                .publish(&subject, &input.input_id, bytes::Bytes::from(payload))
                .await
            {
                Ok(()) => Outcome::Ack,
                Err(e) => {
                    tracing::warn!(error = %e, saga = %meta.saga_id, "reply not sent");
                    Outcome::Nak { delay: None }
                }
            },
        )
    }

    async fn authorize(&self, c: SagaCommand) -> Result<Outcome, Retry> {
        let SagaCommand::AuthorizePayment {
            meta,
            payment_id,
            order_id,
            amount,
            card_token,
        } = c
        else {
            return Ok(Outcome::Term {
                reason: format!("authorize_payment carries {}", c.name()),
            });
        };
        let cause = meta.command_id.to_string();
        let target = self.payment_target(payment_id, order_id);
        let success = ReplyOutcome::Success {
            list_id: None,
            payment_id: Some(payment_id),
        };
        let at = meta.issued_at;
        let (cause, success, card_token) = (&cause, &success, &card_token);
        // The result: the reply, and whether the gateway approved (holds money) in this attempt.
        let decide = move |loaded: Loaded<Payment>| -> Deciding<'_, _, (ReplyOutcome, bool)> {
            Box::pin(async move {
                let done = |outcome| Ok(Step::Done((outcome, false)));
                match loaded.state.status {
                    Some(PaymentStatus::Authorized | PaymentStatus::Captured) => {
                        return done(success.clone())
                    }
                    Some(PaymentStatus::Declined) => {
                        return done(ReplyOutcome::failure(PaymentError::Declined.code()))
                    }
                    Some(PaymentStatus::Voided) => {
                        // Voided (a tombstone) while an earlier delivery of this command may
                        // have been approved by the gateway and crashed before recording it
                        // (found by the simulator, docs/simulation.md): release that hold; a
                        // no-op at the gateway when there is none.
                        let key = envelope::derived_id(cause, "release").to_string();
                        with_progress(self.io, self.gateway.void(&key, payment_id)).await?;
                        return done(ReplyOutcome::failure(PaymentError::AlreadyVoided.code()));
                    }
                    None => {}
                }
                let authorize = PaymentCommand::AuthorizePayment {
                    payment_id,
                    order_id,
                    amount,
                    card_token: card_token.clone(),
                    at,
                };
                if let Err(e) = loaded.state.decide(&authorize) {
                    return done(ReplyOutcome::failure(e.code()));
                }
                let call = self.gateway.authorize(cause, card_token, amount);
                let (command, outcome, approved) = match with_progress(self.io, call).await? {
                    Authorization::Approved => (authorize, success.clone(), true),
                    Authorization::Declined { reason } => (
                        PaymentCommand::DeclinePayment {
                            payment_id,
                            order_id,
                            amount,
                            reason,
                            at,
                        },
                        ReplyOutcome::failure(PaymentError::Declined.code()),
                        false,
                    ),
                };
                match loaded.state.decide(&command) {
                    Ok(events) => Ok(Step::Append(events, (outcome, approved))),
                    Err(e) => done(ReplyOutcome::failure(e.code())),
                }
            })
        };
        // Fenced off (a void overtook us): release what the gateway holds.
        let release =
            move |(_, approved): (ReplyOutcome, bool)| -> BoxFuture<'_, Result<(), Retry>> {
                Box::pin(async move {
                    if approved {
                        let key = envelope::derived_id(cause, "release").to_string();
                        with_progress(self.io, self.gateway.void(&key, payment_id)).await?;
                    }
                    Ok(())
                })
            };
        let (outcome, _) = self
            .execute(&target, cause, at.millis(), decide, release)
            .await?;
        self.reply(&meta, outcome).await
    }

    async fn saga_void(&self, c: SagaCommand) -> Result<Outcome, Retry> {
        let SagaCommand::VoidPayment {
            meta,
            payment_id,
            order_id,
        } = c
        else {
            return Ok(Outcome::Term {
                reason: format!("void_payment carries {}", c.name()),
            });
        };
        let outcome = match self
            .void(
                &meta.command_id.to_string(),
                payment_id,
                order_id,
                meta.issued_at,
            )
            .await?
        {
            Ok(()) => ReplyOutcome::success(),
            Err(code) => ReplyOutcome::failure(code),
        };
        self.reply(&meta, outcome).await
    }

    /// Voids (or fences off) a payment; `Err(code)` if it cannot be voided (captured).
    async fn void(
        &self,
        command_id: &str,
        payment_id: PaymentId,
        order_id: OrderId,
        at: Timestamp,
    ) -> Result<Result<(), &'static str>, Retry> {
        let target = self.payment_target(payment_id, order_id);
        let decide = move |loaded: Loaded<Payment>| -> Deciding<'_, _, Result<(), &'static str>> {
            Box::pin(async move {
                match loaded.state.status {
                    Some(PaymentStatus::Voided | PaymentStatus::Declined) => {
                        return Ok(Step::Done(Ok(())))
                    }
                    Some(PaymentStatus::Captured) => {
                        return Ok(Step::Done(Err(PaymentError::AlreadyCaptured.code())))
                    }
                    Some(PaymentStatus::Authorized) => {
                        with_progress(self.io, self.gateway.void(command_id, payment_id)).await?;
                    }
                    None => {}
                }
                let command = PaymentCommand::VoidPayment {
                    payment_id,
                    order_id,
                    at,
                };
                Ok(match loaded.state.decide(&command) {
                    Ok(events) => Step::Append(events, Ok(())),
                    Err(e) => Step::Done(Err(e.code())),
                })
            })
        };
        self.execute(&target, command_id, at.millis(), decide, nothing_to_release)
            .await
    }
}
