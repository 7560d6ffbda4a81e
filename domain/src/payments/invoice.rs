//! The `Invoice` aggregate: created (pending) when an order is ready, paid at pickup, or canceled.

use crate::aggregate::{Aggregate, DomainEvent};
use crate::error::ErrorCode;
use crate::ids::{InvoiceId, OrderId, PaymentId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Issued, waiting for the pickup.
    Pending,
    /// Paid by capturing the order's payment.
    Paid,
    /// Withdrawn; it will never be paid.
    Canceled,
}

/// Commands of the invoice aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceCommand {
    /// Issues the invoice of a ready order.
    CreateInvoice {
        invoice_id: InvoiceId,
        order_id: OrderId,
        amount: Money,
        at: Timestamp,
    },
    /// Marks the invoice paid with the captured payment.
    PayInvoice {
        payment_id: PaymentId,
        at: Timestamp,
    },
    /// Withdraws a pending invoice.
    CancelInvoice { at: Timestamp },
}

/// Events of the invoice aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum InvoiceEvent {
    /// A pending invoice was issued for a ready order.
    InvoiceCreated {
        invoice_id: InvoiceId,
        order_id: OrderId,
        amount: Money,
        at: Timestamp,
    },
    /// The invoice was paid with a captured payment.
    InvoicePaid {
        invoice_id: InvoiceId,
        order_id: OrderId,
        payment_id: PaymentId,
        amount: Money,
        at: Timestamp,
    },
    /// The invoice was withdrawn.
    InvoiceCanceled {
        invoice_id: InvoiceId,
        order_id: OrderId,
        at: Timestamp,
    },
}

impl DomainEvent for InvoiceEvent {
    fn event_type(&self) -> &'static str {
        match self {
            InvoiceEvent::InvoiceCreated { .. } => "InvoiceCreated",
            InvoiceEvent::InvoicePaid { .. } => "InvoicePaid",
            InvoiceEvent::InvoiceCanceled { .. } => "InvoiceCanceled",
        }
    }
}

/// Rules an invoice command can break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("this invoice already exists")]
    AlreadyExists,
    #[error("the invoice amount must be greater than zero")]
    AmountNotPositive,
    #[error("no such invoice")]
    NotFound,
    #[error("the invoice was already paid")]
    AlreadyPaid,
    #[error("the invoice was canceled")]
    AlreadyCanceled,
}

impl ErrorCode for InvoiceError {
    fn code(&self) -> &'static str {
        match self {
            InvoiceError::AlreadyExists => "invoice.already_exists",
            InvoiceError::AmountNotPositive => "invoice.amount_not_positive",
            InvoiceError::NotFound => "invoice.not_found",
            InvoiceError::AlreadyPaid => "invoice.already_paid",
            InvoiceError::AlreadyCanceled => "invoice.already_canceled",
        }
    }
}

/// An invoice folded from its events. `status` is `None` until it is created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invoice {
    pub id: InvoiceId,
    pub order_id: OrderId,
    pub amount: Money,
    pub status: Option<InvoiceStatus>,
    pub payment_id: Option<PaymentId>,
    pub updated_at: Timestamp,
}

impl Invoice {
    fn require_pending(&self) -> Result<(), InvoiceError> {
        match self.status {
            Some(InvoiceStatus::Pending) => Ok(()),
            Some(InvoiceStatus::Paid) => Err(InvoiceError::AlreadyPaid),
            Some(InvoiceStatus::Canceled) => Err(InvoiceError::AlreadyCanceled),
            None => Err(InvoiceError::NotFound),
        }
    }
}

impl Aggregate for Invoice {
    const STREAM_TYPE: &'static str = "invoice";
    type Command = InvoiceCommand;
    type Event = InvoiceEvent;
    type Error = InvoiceError;

    fn decide(&self, command: &InvoiceCommand) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        match command {
            InvoiceCommand::CreateInvoice {
                invoice_id,
                order_id,
                amount,
                at,
            } => {
                if self.status.is_some() {
                    return Err(InvoiceError::AlreadyExists);
                }
                if amount.cents <= 0 {
                    return Err(InvoiceError::AmountNotPositive);
                }
                Ok(vec![InvoiceEvent::InvoiceCreated {
                    invoice_id: *invoice_id,
                    order_id: *order_id,
                    amount: *amount,
                    at: *at,
                }])
            }
            InvoiceCommand::PayInvoice { payment_id, at } => {
                self.require_pending()?;
                Ok(vec![InvoiceEvent::InvoicePaid {
                    invoice_id: self.id,
                    order_id: self.order_id,
                    payment_id: *payment_id,
                    amount: self.amount,
                    at: *at,
                }])
            }
            InvoiceCommand::CancelInvoice { at } => {
                self.require_pending()?;
                Ok(vec![InvoiceEvent::InvoiceCanceled {
                    invoice_id: self.id,
                    order_id: self.order_id,
                    at: *at,
                }])
            }
        }
    }

    fn apply(&mut self, event: &InvoiceEvent) {
        match event {
            InvoiceEvent::InvoiceCreated {
                invoice_id,
                order_id,
                amount,
                at,
            } => {
                self.id = *invoice_id;
                self.order_id = *order_id;
                self.amount = *amount;
                self.status = Some(InvoiceStatus::Pending);
                self.updated_at = *at;
            }
            InvoiceEvent::InvoicePaid { payment_id, at, .. } => {
                self.status = Some(InvoiceStatus::Paid);
                self.payment_id = Some(*payment_id);
                self.updated_at = *at;
            }
            InvoiceEvent::InvoiceCanceled { at, .. } => {
                self.status = Some(InvoiceStatus::Canceled);
                self.updated_at = *at;
            }
        }
    }
}
