//! The rules an order command can break, each with a stable machine-readable code.

use super::OrderStatus;
use crate::error::ErrorCode;
use thiserror::Error;

/// An order command rejected by a rule of the ordering context.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    /// `CreateOrder` on a stream that already holds an order.
    #[error("the order already exists")]
    AlreadyExists,
    /// A command on an order that was never created.
    #[error("the order does not exist")]
    NotFound,
    /// `CreateOrder` without items.
    #[error("an order needs at least one item")]
    NoItems,
    /// An order line with a quantity of zero or less.
    #[error("every item quantity must be positive")]
    QuantityNotPositive,
    /// An order line with a negative price, or a negative ready total.
    #[error("prices and totals must not be negative")]
    AmountNegative,
    /// The given total is not Σ price × quantity of the items (or mixes currencies / overflows).
    #[error("the order total does not match its items")]
    TotalMismatch,
    /// `CreateOrder` without a payment token.
    #[error("a payment is required")]
    PaymentMissing,
    /// `CreateOrder` with a pickup code that is not six digits.
    #[error("the pickup code must be six digits")]
    PickupCodeInvalid,
    /// A rejection, cancellation or refusal without a reason.
    #[error("a reason is required")]
    ReasonBlank,
    /// A reason longer than [`super::MAX_REASON_CHARS`] characters, or holding control
    /// characters.
    #[error("the reason is too long (at most 500 characters) or holds control characters")]
    ReasonInvalid,
    /// `RejectOrder` on an order that is not pending.
    #[error("only a pending order can be rejected (it is {status:?})")]
    RejectNotPending {
        /// The order's status.
        status: OrderStatus,
    },
    /// `ApproveOrder` on an order that is not pending.
    #[error("only a pending order can be approved (it is {status:?})")]
    ApproveNotPending {
        /// The order's status.
        status: OrderStatus,
    },
    /// `StartShopping` on an order that is not approved.
    #[error("shopping can start only for an approved order (it is {status:?})")]
    StartShoppingNotApproved {
        /// The order's status.
        status: OrderStatus,
    },
    /// `ReadyOrder` on an order that is not being shopped.
    #[error("only an order being shopped can become ready (it is {status:?})")]
    ReadyNotInProgress {
        /// The order's status.
        status: OrderStatus,
    },
    /// `CompleteOrder` on an order that is not ready for pickup.
    #[error("only a ready order can be completed (it is {status:?})")]
    CompleteNotReady {
        /// The order's status.
        status: OrderStatus,
    },
    /// A cancellation (or a request for one) once shopping has finished.
    #[error("the order can no longer be canceled: shopping has finished")]
    CancelAfterShoppingFinished,
    /// A cancellation (or a request for one) of a rejected or canceled order.
    #[error("the order is already closed (it is {status:?})")]
    AlreadyClosed {
        /// The order's status.
        status: OrderStatus,
    },
    /// A second cancellation request while one is unanswered.
    #[error("a cancellation has already been requested")]
    CancellationAlreadyRequested,
    /// `RefuseCancellation` with no cancellation requested.
    #[error("no cancellation has been requested")]
    NoCancellationRequested,
}

impl ErrorCode for OrderError {
    fn code(&self) -> &'static str {
        match self {
            OrderError::AlreadyExists => "order.already_exists",
            OrderError::NotFound => "order.not_found",
            OrderError::NoItems => "order.no_items",
            OrderError::QuantityNotPositive => "order.quantity_not_positive",
            OrderError::AmountNegative => "order.amount_negative",
            OrderError::TotalMismatch => "order.total_mismatch",
            OrderError::PaymentMissing => "order.payment_missing",
            OrderError::PickupCodeInvalid => "order.pickup_code_invalid",
            OrderError::ReasonBlank => "order.reason_blank",
            OrderError::ReasonInvalid => "order.reason_invalid",
            OrderError::RejectNotPending { .. } => "order.reject_not_pending",
            OrderError::ApproveNotPending { .. } => "order.approve_not_pending",
            OrderError::StartShoppingNotApproved { .. } => "order.start_shopping_not_approved",
            OrderError::ReadyNotInProgress { .. } => "order.ready_not_in_progress",
            OrderError::CompleteNotReady { .. } => "order.complete_not_ready",
            OrderError::CancelAfterShoppingFinished => "order.cancel_after_shopping_finished",
            OrderError::AlreadyClosed { .. } => "order.already_closed",
            OrderError::CancellationAlreadyRequested => "order.cancellation_already_requested",
            OrderError::NoCancellationRequested => "order.no_cancellation_requested",
        }
    }
}
