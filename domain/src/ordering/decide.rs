//! The order's decisions: which event a command yields against the current order, or which
//! transition rule it breaks.

use super::{Order, OrderCommand, OrderError, OrderEvent, OrderItem, OrderStatus};
use crate::money::Money;

/// Decides one command. Every order command yields exactly one event.
pub(super) fn decide(order: &Order, command: &OrderCommand) -> Result<OrderEvent, OrderError> {
    if let OrderCommand::CreateOrder {
        order_id,
        customer_id,
        device_id,
        items,
        total,
        payment_token,
        pickup_code,
        at,
    } = command
    {
        if order.created {
            return Err(OrderError::AlreadyExists);
        }
        check_lines(items, *total)?;
        let payment_token = payment_token.trim();
        if payment_token.is_empty() {
            return Err(OrderError::PaymentMissing);
        }
        if pickup_code
            .as_deref()
            .is_some_and(|c| !super::is_pickup_code(c))
        {
            return Err(OrderError::PickupCodeInvalid);
        }
        return Ok(OrderEvent::OrderCreated {
            order_id: *order_id,
            customer_id: *customer_id,
            device_id: device_id.clone(),
            items: items.clone(),
            total: *total,
            payment_token: payment_token.to_owned(),
            pickup_code: pickup_code.clone(),
            at: *at,
        });
    }
    if !order.created {
        return Err(OrderError::NotFound);
    }
    let order_id = order.id;
    let status = order.status;
    match command {
        OrderCommand::CreateOrder { .. } => Err(OrderError::AlreadyExists),
        OrderCommand::RejectOrder { reason, at } => {
            if status != OrderStatus::Pending {
                return Err(OrderError::RejectNotPending { status });
            }
            let reason = reason_given(reason)?;
            Ok(OrderEvent::OrderRejected {
                order_id,
                reason,
                at: *at,
            })
        }
        OrderCommand::ApproveOrder { at } => {
            if status != OrderStatus::Pending {
                return Err(OrderError::ApproveNotPending { status });
            }
            Ok(OrderEvent::OrderApproved { order_id, at: *at })
        }
        OrderCommand::StartShopping {
            list_id,
            bot_id,
            at,
        } => {
            if status != OrderStatus::Approved {
                return Err(OrderError::StartShoppingNotApproved { status });
            }
            Ok(OrderEvent::OrderShoppingStarted {
                order_id,
                list_id: *list_id,
                bot_id: *bot_id,
                at: *at,
            })
        }
        OrderCommand::ReadyOrder { total, at } => {
            if status != OrderStatus::InProgress {
                return Err(OrderError::ReadyNotInProgress { status });
            }
            if total.is_negative() {
                return Err(OrderError::AmountNegative);
            }
            Ok(OrderEvent::OrderReadied {
                order_id,
                total: *total,
                at: *at,
            })
        }
        OrderCommand::CompleteOrder { invoice_id, at } => {
            if status != OrderStatus::Ready {
                return Err(OrderError::CompleteNotReady { status });
            }
            Ok(OrderEvent::OrderCompleted {
                order_id,
                invoice_id: *invoice_id,
                at: *at,
            })
        }
        OrderCommand::RequestCancellation { reason, at } => {
            check_cancellable(status)?;
            if order.cancellation_requested {
                return Err(OrderError::CancellationAlreadyRequested);
            }
            let reason = reason_bounded(reason, false)?;
            Ok(OrderEvent::OrderCancellationRequested {
                order_id,
                reason,
                at: *at,
            })
        }
        OrderCommand::CancelOrder { reason, by, at } => {
            check_cancellable(status)?;
            let reason = reason_given(reason)?;
            Ok(OrderEvent::OrderCanceled {
                order_id,
                reason,
                by: *by,
                at: *at,
            })
        }
        OrderCommand::RefuseCancellation { reason, at } => {
            if !order.cancellation_requested {
                return Err(OrderError::NoCancellationRequested);
            }
            let reason = reason_given(reason)?;
            Ok(OrderEvent::OrderCancelRefused {
                order_id,
                reason,
                at: *at,
            })
        }
    }
}

fn reason_given(reason: &str) -> Result<String, OrderError> {
    reason_bounded(reason, true)
}

/// Trimmed, at most [`super::MAX_REASON_CHARS`] characters, no control character except line
/// breaks and tabs; blank only when not `required`.
fn reason_bounded(reason: &str, required: bool) -> Result<String, OrderError> {
    use crate::stores::text::{checked, Lines, TextFault};
    checked(reason, super::MAX_REASON_CHARS, required, Lines::Multi).map_err(|f| match f {
        TextFault::Blank => OrderError::ReasonBlank,
        TextFault::TooLong | TextFault::Control => OrderError::ReasonInvalid,
    })
}

fn check_cancellable(status: OrderStatus) -> Result<(), OrderError> {
    if status.shopping_finished() {
        Err(OrderError::CancelAfterShoppingFinished)
    } else if status.is_closed() {
        Err(OrderError::AlreadyClosed { status })
    } else {
        Ok(())
    }
}

/// Lines present, quantities positive, prices not negative, and `total` = Σ price × quantity.
fn check_lines(items: &[OrderItem], total: Money) -> Result<(), OrderError> {
    if items.is_empty() {
        return Err(OrderError::NoItems);
    }
    if items.iter().any(|item| item.quantity <= 0) {
        return Err(OrderError::QuantityNotPositive);
    }
    if total.is_negative() || items.iter().any(|item| item.price.is_negative()) {
        return Err(OrderError::AmountNegative);
    }
    let sum = items
        .iter()
        .try_fold(Money::zero(total.currency), |sum, item| {
            item.price
                .checked_mul(item.quantity)
                .and_then(|line| sum.checked_add(line))
        });
    if sum != Some(total) {
        return Err(OrderError::TotalMismatch);
    }
    Ok(())
}
