//! Invoices and pickup for `cmd-payments`: `create_invoice` (order ready) and `capture`
//! (pickup: capture the payment, pay the invoice, then `cmd.ordering.record_pickup`).

use mallbots_wire::service_subjects::CommandContext;
use std::time::Duration;

use bytes::Bytes;
use mallbots_domain::error::ErrorCode;
use mallbots_domain::payments::{
    Invoice, InvoiceCommand, InvoiceStatus, Payment, PaymentCommand, PaymentStatus,
};
use mallbots_domain::{Aggregate, InvoiceId, OrderId, PaymentId};

use super::execute::{nothing_to_release, Deciding, Step};
use super::handler::{with_progress, Payments, Retry};
use super::invoice_subject;
use super::io::PaymentsIo;
use super::store::{Loaded, Target};
use crate::platform::commands::{Capture, CreateInvoice, RecordPickup};
use crate::platform::envelope;
use crate::platform::handler::Outcome;

impl<I: PaymentsIo> Payments<'_, I> {
    fn invoice_target(&self, invoice_id: InvoiceId, order_id: OrderId) -> Target {
        Target {
            subject: invoice_subject(self.io.topology(), invoice_id),
            stream_type: Invoice::STREAM_TYPE,
            stream_id: invoice_id.to_string(),
            correlation: order_id.to_string(),
        }
    }

    pub(super) async fn create_invoice(&self, c: CreateInvoice) -> Result<Outcome, Retry> {
        let target = self.invoice_target(c.invoice_id, c.order_id);
        let c = &c;
        let decide = move |loaded: Loaded<Invoice>| -> Deciding<'_, _, ()> {
            Box::pin(async move {
                if loaded.state.status.is_some() {
                    return Ok(Step::Done(()));
                }
                let command = InvoiceCommand::CreateInvoice {
                    invoice_id: c.invoice_id,
                    order_id: c.order_id,
                    amount: c.amount,
                    at: c.at,
                };
                Ok(match loaded.state.decide(&command) {
                    Ok(events) => Step::Append(events, ()),
                    Err(e) => {
                        tracing::warn!(invoice = %c.invoice_id, code = e.code(), "invoice refused");
                        Step::Done(())
                    }
                })
            })
        };
        self.execute(
            &target,
            &c.command_id,
            c.at.millis(),
            decide,
            nothing_to_release,
        )
        .await?;
        Ok(Outcome::Ack)
    }

    pub(super) async fn capture(&self, c: Capture) -> Result<Outcome, Retry> {
        let cause = c.command_id.clone();
        let at = c.at.millis();
        // 1. Capture the payment (true once captured; false: it cannot be, give up).
        let target = self.payment_target(c.payment_id, c.order_id);
        let (c, cause) = (&c, &cause);
        let decide = move |loaded: Loaded<Payment>| -> Deciding<'_, _, bool> {
            Box::pin(async move {
                match loaded.state.status {
                    Some(PaymentStatus::Captured) => return Ok(Step::Done(true)),
                    Some(PaymentStatus::Authorized) => {}
                    other => {
                        tracing::warn!(payment = %c.payment_id, status = ?other,
                        "pickup: payment cannot be captured");
                        return Ok(Step::Done(false));
                    }
                }
                // One capture per payment at the gateway, whichever pickup request asks: two
                // requests for one order (two desks, a double tap) handled by two replicas at
                // once both find the payment authorized; keyed by their command ids they would
                // charge twice (found by the deterministic simulator).
                let key = capture_key(c.payment_id);
                let call = self
                    .gateway
                    .capture(&key, c.payment_id, loaded.state.amount);
                with_progress(self.io, call).await?;
                Ok(
                    match loaded
                        .state
                        .decide(&PaymentCommand::CapturePayment { at: c.at })
                    {
                        Ok(events) => Step::Append(events, true),
                        Err(e) => {
                            tracing::warn!(code = e.code(), "pickup: capture refused");
                            Step::Done(false)
                        }
                    },
                )
            })
        };
        if !self
            .execute(&target, cause, at, decide, nothing_to_release)
            .await?
        {
            return Ok(Outcome::Ack);
        }
        // 2. Pay the invoice (Some(true) once paid; Some(false): give up; None: not created yet).
        let invoice_cause = envelope::derived_id(cause, "pay_invoice").to_string();
        let target = self.invoice_target(c.invoice_id, c.order_id);
        let decide = move |loaded: Loaded<Invoice>| -> Deciding<'_, _, Option<bool>> {
            Box::pin(async move {
                match loaded.state.status {
                    Some(InvoiceStatus::Paid) => return Ok(Step::Done(Some(true))),
                    Some(InvoiceStatus::Pending) => {}
                    // create_invoice (sent when the order became ready) not handled yet.
                    None => return Ok(Step::Done(None)),
                    Some(InvoiceStatus::Canceled) => {
                        tracing::warn!(invoice = %c.invoice_id, "pickup: invoice canceled");
                        return Ok(Step::Done(Some(false)));
                    }
                }
                let pay = InvoiceCommand::PayInvoice {
                    payment_id: c.payment_id,
                    at: c.at,
                };
                Ok(match loaded.state.decide(&pay) {
                    Ok(events) => Step::Append(events, Some(true)),
                    Err(e) => {
                        tracing::warn!(code = e.code(), "pickup: invoice payment refused");
                        Step::Done(Some(false))
                    }
                })
            })
        };
        match self
            .execute(&target, &invoice_cause, at, decide, nothing_to_release)
            .await?
        {
            Some(true) => {}
            Some(false) => return Ok(Outcome::Ack),
            None => {
                return Ok(Outcome::Nak {
                    delay: Some(Duration::from_millis(500)),
                })
            }
        }
        // 3. Tell ordering.
        let record = RecordPickup {
            command_id: envelope::derived_id(cause, "record_pickup").to_string(),
            order_id: c.order_id,
            invoice_id: c.invoice_id,
            at: c.at,
        };
        let subject = self
            .io
            .topology()
            .command_subject(CommandContext::Ordering, "record_pickup");
        let payload = serde_json::to_vec(&record)?;
        self.io
            .publish(&subject, &record.command_id, Bytes::from(payload))
            .await?;
        Ok(Outcome::Ack)
    }
}

/// The gateway's idempotency key of `payment`'s capture: one per payment.
pub fn capture_key(payment: PaymentId) -> String {
    envelope::derived_id(&payment.to_string(), "capture").to_string()
}
