//! The `Payment` aggregate: authorize → capture, or void; a declined card is recorded too.

use crate::aggregate::{Aggregate, DomainEvent};
use crate::error::ErrorCode;
use crate::ids::{OrderId, PaymentId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The gateway authorized the amount; nothing is charged yet.
    Authorized,
    /// The gateway refused the card.
    Declined,
    /// The authorized amount was charged at pickup.
    Captured,
    /// The authorization was released (order canceled or saga compensated).
    Voided,
}

/// Commands of the payment aggregate. The card token is used only for the decision and the
/// gateway call; it is never stored in an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentCommand {
    /// Records a gateway authorization for an order.
    AuthorizePayment {
        payment_id: PaymentId,
        order_id: OrderId,
        amount: Money,
        card_token: String,
        at: Timestamp,
    },
    /// Records that the gateway refused the card.
    DeclinePayment {
        payment_id: PaymentId,
        order_id: OrderId,
        amount: Money,
        reason: String,
        at: Timestamp,
    },
    /// Charges the authorized amount (at pickup).
    CapturePayment { at: Timestamp },
    /// Releases the authorization. On a payment never authorized it leaves a tombstone that
    /// refuses a late authorization.
    VoidPayment {
        payment_id: PaymentId,
        order_id: OrderId,
        at: Timestamp,
    },
}

/// Events of the payment aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PaymentEvent {
    /// The gateway authorized the amount.
    PaymentAuthorized {
        payment_id: PaymentId,
        order_id: OrderId,
        amount: Money,
        at: Timestamp,
    },
    /// The gateway refused the card.
    PaymentDeclined {
        payment_id: PaymentId,
        order_id: OrderId,
        amount: Money,
        reason: String,
        at: Timestamp,
    },
    /// The authorized amount was charged (pickup).
    PaymentCaptured {
        payment_id: PaymentId,
        order_id: OrderId,
        amount: Money,
        at: Timestamp,
    },
    /// The authorization was released, or a never-authorized payment was fenced off.
    PaymentVoided {
        payment_id: PaymentId,
        order_id: OrderId,
        at: Timestamp,
    },
}

impl DomainEvent for PaymentEvent {
    fn event_type(&self) -> &'static str {
        match self {
            PaymentEvent::PaymentAuthorized { .. } => "PaymentAuthorized",
            PaymentEvent::PaymentDeclined { .. } => "PaymentDeclined",
            PaymentEvent::PaymentCaptured { .. } => "PaymentCaptured",
            PaymentEvent::PaymentVoided { .. } => "PaymentVoided",
        }
    }
}

/// Rules a payment command can break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("this payment already exists")]
    AlreadyExists,
    #[error("the payment amount must be greater than zero")]
    AmountNotPositive,
    #[error("the card token is blank")]
    CardTokenBlank,
    #[error("a decline needs a reason")]
    ReasonBlank,
    #[error("no such payment")]
    NotFound,
    #[error("the card was declined")]
    Declined,
    #[error("the payment was already captured")]
    AlreadyCaptured,
    #[error("the payment was already voided")]
    AlreadyVoided,
}

impl ErrorCode for PaymentError {
    fn code(&self) -> &'static str {
        match self {
            PaymentError::AlreadyExists => "payment.already_exists",
            PaymentError::AmountNotPositive => "payment.amount_not_positive",
            PaymentError::CardTokenBlank => "payment.card_token_blank",
            PaymentError::ReasonBlank => "payment.reason_blank",
            PaymentError::NotFound => "payment.not_found",
            PaymentError::Declined => "payment.declined",
            PaymentError::AlreadyCaptured => "payment.already_captured",
            PaymentError::AlreadyVoided => "payment.already_voided",
        }
    }
}

/// A payment folded from its events. `status` is `None` until the first event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub amount: Money,
    pub status: Option<PaymentStatus>,
    pub decline_reason: Option<String>,
    pub updated_at: Timestamp,
}

impl Payment {
    /// Whether the state a command needs is "authorized"; otherwise the specific error.
    fn require_authorized(&self) -> Result<(), PaymentError> {
        match self.status {
            Some(PaymentStatus::Authorized) => Ok(()),
            Some(PaymentStatus::Declined) => Err(PaymentError::Declined),
            Some(PaymentStatus::Captured) => Err(PaymentError::AlreadyCaptured),
            Some(PaymentStatus::Voided) => Err(PaymentError::AlreadyVoided),
            None => Err(PaymentError::NotFound),
        }
    }

    fn require_new(&self) -> Result<(), PaymentError> {
        match self.status {
            None => Ok(()),
            Some(PaymentStatus::Voided) => Err(PaymentError::AlreadyVoided),
            Some(_) => Err(PaymentError::AlreadyExists),
        }
    }
}

impl Aggregate for Payment {
    const STREAM_TYPE: &'static str = "payment";
    type Command = PaymentCommand;
    type Event = PaymentEvent;
    type Error = PaymentError;

    fn decide(&self, command: &PaymentCommand) -> Result<Vec<PaymentEvent>, PaymentError> {
        match command {
            PaymentCommand::AuthorizePayment {
                payment_id,
                order_id,
                amount,
                card_token,
                at,
            } => {
                self.require_new()?;
                if amount.cents <= 0 {
                    return Err(PaymentError::AmountNotPositive);
                }
                if card_token.trim().is_empty() {
                    return Err(PaymentError::CardTokenBlank);
                }
                Ok(vec![PaymentEvent::PaymentAuthorized {
                    payment_id: *payment_id,
                    order_id: *order_id,
                    amount: *amount,
                    at: *at,
                }])
            }
            PaymentCommand::DeclinePayment {
                payment_id,
                order_id,
                amount,
                reason,
                at,
            } => {
                self.require_new()?;
                if reason.trim().is_empty() {
                    return Err(PaymentError::ReasonBlank);
                }
                Ok(vec![PaymentEvent::PaymentDeclined {
                    payment_id: *payment_id,
                    order_id: *order_id,
                    amount: *amount,
                    reason: reason.trim().to_owned(),
                    at: *at,
                }])
            }
            PaymentCommand::CapturePayment { at } => {
                self.require_authorized()?;
                Ok(vec![PaymentEvent::PaymentCaptured {
                    payment_id: self.id,
                    order_id: self.order_id,
                    amount: self.amount,
                    at: *at,
                }])
            }
            PaymentCommand::VoidPayment {
                payment_id,
                order_id,
                at,
            } => {
                if self.status.is_some() {
                    self.require_authorized()?;
                }
                let (payment_id, order_id) = if self.status.is_some() {
                    (self.id, self.order_id)
                } else {
                    (*payment_id, *order_id)
                };
                Ok(vec![PaymentEvent::PaymentVoided {
                    payment_id,
                    order_id,
                    at: *at,
                }])
            }
        }
    }

    fn apply(&mut self, event: &PaymentEvent) {
        match event {
            PaymentEvent::PaymentAuthorized {
                payment_id,
                order_id,
                amount,
                at,
            } => {
                self.id = *payment_id;
                self.order_id = *order_id;
                self.amount = *amount;
                self.status = Some(PaymentStatus::Authorized);
                self.updated_at = *at;
            }
            PaymentEvent::PaymentDeclined {
                payment_id,
                order_id,
                amount,
                reason,
                at,
            } => {
                self.id = *payment_id;
                self.order_id = *order_id;
                self.amount = *amount;
                self.status = Some(PaymentStatus::Declined);
                self.decline_reason = Some(reason.clone());
                self.updated_at = *at;
            }
            PaymentEvent::PaymentCaptured { at, .. } => {
                self.status = Some(PaymentStatus::Captured);
                self.updated_at = *at;
            }
            PaymentEvent::PaymentVoided {
                payment_id,
                order_id,
                at,
            } => {
                self.id = *payment_id;
                self.order_id = *order_id;
                self.status = Some(PaymentStatus::Voided);
                self.updated_at = *at;
            }
        }
    }
}
