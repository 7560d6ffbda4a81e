//! Invoices and pickup for `cmd-payments`: `create_invoice` (order ready) and `capture`
//! (pickup: capture the payment, pay the invoice, then `cmd.ordering.record_pickup`).

use std::time::Duration;

use bytes::Bytes;
use mallbots_domain::error::ErrorCode;
use mallbots_domain::payments::{
    Invoice, InvoiceCommand, InvoiceStatus, Payment, PaymentCommand, PaymentStatus,
};
use mallbots_domain::Aggregate;

use super::handler::{with_progress, PaymentsHandler, Retry, MAX_CONFLICTS};
use super::invoice_subject;
use super::store::{self, Loaded, Target};
use crate::commands::{Capture, CreateInvoice, RecordPickup};
use crate::envelope;
use crate::error::PublishError;
use crate::worker::{Delivery, Outcome};

impl PaymentsHandler {
    pub(super) async fn create_invoice(&self, c: CreateInvoice) -> Result<Outcome, Retry> {
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

    pub(super) async fn capture(&self, delivery: &Delivery, c: Capture) -> Result<Outcome, Retry> {
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
            with_progress(
                delivery,
                self.gateway
                    .capture(&cause, c.payment_id, loaded.state.amount),
            )
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
