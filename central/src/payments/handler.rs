//! `cmd-payments`: decodes by command name and runs each command against its aggregates.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mallbots_domain::error::ErrorCode;
use mallbots_domain::payments::{
    Invoice, InvoiceCommand, InvoiceStatus, Payment, PaymentCommand, PaymentError, PaymentStatus,
};
use mallbots_domain::saga::{CommandMeta, ReplyOutcome, SagaCommand};
use mallbots_domain::{Aggregate, OrderId, PaymentId, Timestamp};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::gateway::{Authorization, PaymentGateway};
use super::store::{self, Loaded, Target};
use super::{invoice_subject, payment_subject};
use crate::commands::{Capture, CreateInvoice, RecordPickup, VoidPayment};
use crate::envelope::{self, LazyReader};
use crate::error::PublishError;
use crate::service::Runtime;
use crate::worker::{DecodeError, Delivery, Handler, Outcome};

/// How often a command reloads after a concurrent write before giving up (nak).
const MAX_CONFLICTS: usize = 10;

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

fn json<T: DeserializeOwned>(delivery: &Delivery) -> Result<T, DecodeError> {
    serde_json::from_slice(delivery.payload()).map_err(|e| DecodeError(e.to_string()))
}

/// Why a step could not finish now (nak and retry).
#[derive(Debug)]
struct Retry(String);

impl<E: std::fmt::Display> From<E> for Retry {
    fn from(e: E) -> Self {
        Retry(e.to_string())
    }
}

impl Handler for PaymentsHandler {
    type Message = PaymentsCommand;

    fn decode(&self, delivery: &Delivery) -> Result<PaymentsCommand, DecodeError> {
        let name = delivery.subject().rsplit('.').next().unwrap_or_default();
        Ok(match name {
            "authorize_payment" => PaymentsCommand::Authorize(json(delivery)?),
            "void_payment" => PaymentsCommand::Void(json(delivery)?),
            "create_invoice" => PaymentsCommand::CreateInvoice(json(delivery)?),
            "capture" => PaymentsCommand::Capture(json(delivery)?),
            other => return Err(DecodeError(format!("unknown payments command {other:?}"))),
        })
    }

    async fn handle(&self, delivery: &Delivery, command: PaymentsCommand) -> Outcome {
        let result = match command {
            PaymentsCommand::Authorize(c) => self.authorize(delivery, c).await,
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

impl PaymentsHandler {
    /// A handler calling `gateway`.
    pub fn new(rt: Runtime, gateway: Arc<dyn PaymentGateway>) -> Self {
        Self {
            reader: LazyReader::new(&rt),
            rt,
            gateway,
        }
    }

    async fn load<A: Aggregate>(&self, subject: &str) -> Result<Loaded<A>, Retry> {
        Ok(store::load(self.reader.get().await?, subject).await?)
    }

    fn payment_target(&self, payment: PaymentId, order: OrderId) -> Target {
        Target {
            subject: payment_subject(&self.rt, payment),
            stream_type: Payment::STREAM_TYPE,
            stream_id: payment.to_string(),
            correlation: order.to_string(),
        }
    }

    async fn reply(&self, meta: &CommandMeta, outcome: ReplyOutcome) -> Result<Outcome, Retry> {
        Ok(crate::saga::reply_outcome(&self.rt, meta, outcome).await)
    }

    async fn authorize(&self, delivery: &Delivery, c: SagaCommand) -> Result<Outcome, Retry> {
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
        for _ in 0..MAX_CONFLICTS {
            let loaded: Loaded<Payment> = self.load(&target.subject).await?;
            let outcome = match loaded.state.status {
                Some(PaymentStatus::Authorized | PaymentStatus::Captured) => success.clone(),
                Some(PaymentStatus::Declined) => {
                    ReplyOutcome::failure(PaymentError::Declined.code())
                }
                Some(PaymentStatus::Voided) => {
                    ReplyOutcome::failure(PaymentError::AlreadyVoided.code())
                }
                None => {
                    let at = meta.issued_at;
                    let authorize = PaymentCommand::AuthorizePayment {
                        payment_id,
                        order_id,
                        amount,
                        card_token: card_token.clone(),
                        at,
                    };
                    if let Err(e) = loaded.state.decide(&authorize) {
                        return self.reply(&meta, ReplyOutcome::failure(e.code())).await;
                    }
                    delivery.in_progress().await;
                    let answer = self.gateway.authorize(&cause, &card_token, amount).await?;
                    let approved = answer == Authorization::Approved;
                    let command = match answer {
                        Authorization::Approved => authorize,
                        Authorization::Declined { reason } => PaymentCommand::DeclinePayment {
                            payment_id,
                            order_id,
                            amount,
                            reason,
                            at,
                        },
                    };
                    let events = match loaded.state.decide(&command) {
                        Ok(events) => events,
                        Err(e) => return self.reply(&meta, ReplyOutcome::failure(e.code())).await,
                    };
                    match store::append(
                        &self.rt.publisher,
                        &target,
                        loaded.last_seq,
                        &cause,
                        &events,
                        at.millis(),
                    )
                    .await
                    {
                        Ok(()) if approved => success.clone(),
                        Ok(()) => ReplyOutcome::failure(PaymentError::Declined.code()),
                        Err(PublishError::WrongLastSequence { .. }) => {
                            if approved {
                                // Fenced off (a void overtook us): release what the gateway holds.
                                let key = envelope::derived_id(&cause, "release").to_string();
                                self.gateway.void(&key, payment_id).await?;
                            }
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            return self.reply(&meta, outcome).await;
        }
        Err(Retry("too many concurrent writes".into()))
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
        let cause = command_id.to_string();
        let target = self.payment_target(payment_id, order_id);
        for _ in 0..MAX_CONFLICTS {
            let loaded: Loaded<Payment> = self.load(&target.subject).await?;
            match loaded.state.status {
                Some(PaymentStatus::Voided | PaymentStatus::Declined) => return Ok(Ok(())),
                Some(PaymentStatus::Captured) => {
                    return Ok(Err(PaymentError::AlreadyCaptured.code()))
                }
                Some(PaymentStatus::Authorized) => {
                    self.gateway.void(&cause, payment_id).await?;
                }
                None => {}
            }
            let command = PaymentCommand::VoidPayment {
                payment_id,
                order_id,
                at,
            };
            let events = match loaded.state.decide(&command) {
                Ok(events) => events,
                Err(e) => return Ok(Err(e.code())),
            };
            match store::append(
                &self.rt.publisher,
                &target,
                loaded.last_seq,
                &cause,
                &events,
                at.millis(),
            )
            .await
            {
                Ok(()) => return Ok(Ok(())),
                Err(PublishError::WrongLastSequence { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Retry("too many concurrent writes".into()))
    }

    async fn create_invoice(&self, c: CreateInvoice) -> Result<Outcome, Retry> {
        let cause = c.command_id.clone();
        let target = Target {
            subject: invoice_subject(&self.rt, c.invoice_id),
            stream_type: Invoice::STREAM_TYPE,
            stream_id: c.invoice_id.to_string(),
            correlation: c.order_id.to_string(),
        };
        for _ in 0..MAX_CONFLICTS {
            let loaded: Loaded<Invoice> = self.load(&target.subject).await?;
            if loaded.state.status.is_some() {
                return Ok(Outcome::Ack);
            }
            let command = InvoiceCommand::CreateInvoice {
                invoice_id: c.invoice_id,
                order_id: c.order_id,
                amount: c.amount,
                at: c.at,
            };
            let events = match loaded.state.decide(&command) {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(invoice = %c.invoice_id, code = e.code(), "invoice refused");
                    return Ok(Outcome::Ack);
                }
            };
            let at = c.at.millis();
            match store::append(
                &self.rt.publisher,
                &target,
                loaded.last_seq,
                &cause,
                &events,
                at,
            )
            .await
            {
                Ok(()) => return Ok(Outcome::Ack),
                Err(PublishError::WrongLastSequence { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Retry("too many concurrent writes".into()))
    }

    async fn capture(&self, c: Capture) -> Result<Outcome, Retry> {
        let cause = c.command_id.clone();
        // 1. Capture the payment.
        let target = self.payment_target(c.payment_id, c.order_id);
        let mut captured = false;
        for _ in 0..MAX_CONFLICTS {
            let loaded: Loaded<Payment> = self.load(&target.subject).await?;
            match loaded.state.status {
                Some(PaymentStatus::Captured) => {
                    captured = true;
                    break;
                }
                Some(PaymentStatus::Authorized) => {}
                other => {
                    tracing::warn!(payment = %c.payment_id, status = ?other,
                        "pickup: payment cannot be captured");
                    return Ok(Outcome::Ack);
                }
            }
            self.gateway
                .capture(&cause, c.payment_id, loaded.state.amount)
                .await?;
            let events = match loaded
                .state
                .decide(&PaymentCommand::CapturePayment { at: c.at })
            {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(code = e.code(), "pickup: capture refused");
                    return Ok(Outcome::Ack);
                }
            };
            let at = c.at.millis();
            match store::append(
                &self.rt.publisher,
                &target,
                loaded.last_seq,
                &cause,
                &events,
                at,
            )
            .await
            {
                Ok(()) => {
                    captured = true;
                    break;
                }
                Err(PublishError::WrongLastSequence { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if !captured {
            return Err(Retry("capture: too many concurrent writes".into()));
        }
        // 2. Pay the invoice.
        let invoice_cause = envelope::derived_id(&cause, "pay_invoice").to_string();
        let target = Target {
            subject: invoice_subject(&self.rt, c.invoice_id),
            stream_type: Invoice::STREAM_TYPE,
            stream_id: c.invoice_id.to_string(),
            correlation: c.order_id.to_string(),
        };
        let mut paid = false;
        for _ in 0..MAX_CONFLICTS {
            let loaded: Loaded<Invoice> = self.load(&target.subject).await?;
            match loaded.state.status {
                Some(InvoiceStatus::Paid) => {
                    paid = true;
                    break;
                }
                Some(InvoiceStatus::Pending) => {}
                None => {
                    // create_invoice (sent when the order became ready) not handled yet.
                    return Ok(Outcome::Nak {
                        delay: Some(Duration::from_millis(500)),
                    });
                }
                Some(InvoiceStatus::Canceled) => {
                    tracing::warn!(invoice = %c.invoice_id, "pickup: invoice canceled");
                    return Ok(Outcome::Ack);
                }
            }
            let pay = InvoiceCommand::PayInvoice {
                payment_id: c.payment_id,
                at: c.at,
            };
            let events = match loaded.state.decide(&pay) {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(code = e.code(), "pickup: invoice payment refused");
                    return Ok(Outcome::Ack);
                }
            };
            let at = c.at.millis();
            match store::append(
                &self.rt.publisher,
                &target,
                loaded.last_seq,
                &invoice_cause,
                &events,
                at,
            )
            .await
            {
                Ok(()) => {
                    paid = true;
                    break;
                }
                Err(PublishError::WrongLastSequence { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if !paid {
            return Err(Retry("pay invoice: too many concurrent writes".into()));
        }
        // 3. Tell ordering.
        let record = RecordPickup {
            command_id: envelope::derived_id(&cause, "record_pickup").to_string(),
            order_id: c.order_id,
            invoice_id: c.invoice_id,
            at: c.at,
        };
        let subject = self
            .rt
            .topology
            .command_subject("ordering", "record_pickup");
        let payload = serde_json::to_vec(&record)?;
        self.rt
            .publisher
            .publish(
                &subject,
                &record.command_id,
                Default::default(),
                Bytes::from(payload),
            )
            .await?;
        Ok(Outcome::Ack)
    }
}
