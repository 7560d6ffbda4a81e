//! The cart's decisions: which event a command yields against the current basket, or which rule
//! it breaks.

use super::{sum_items, Basket, BasketCancelReason, BasketCommand, BasketError, BasketEvent};
use super::{BasketItem, BasketStatus, ProductFacts};
use crate::stores::{checked, Lines, TextFault};
use crate::time::Timestamp;

/// The longest payment (card token), in characters (after trimming).
pub const MAX_PAYMENT_CHARS: usize = 128;

/// A card token: trimmed, not blank, at most [`MAX_PAYMENT_CHARS`], no control characters.
fn payment_token(payment: &str) -> Result<String, BasketError> {
    checked(payment, MAX_PAYMENT_CHARS, true, Lines::Single).map_err(|fault| match fault {
        TextFault::Blank => BasketError::PaymentMissing,
        TextFault::TooLong => BasketError::PaymentTooLong,
        TextFault::Control => BasketError::PaymentInvalid,
    })
}

/// Decides one command. Every basket command yields exactly one event.
pub(super) fn decide(basket: &Basket, command: &BasketCommand) -> Result<BasketEvent, BasketError> {
    if let BasketCommand::StartBasket {
        basket_id,
        customer_id,
        device_id,
        at,
    } = command
    {
        if basket.status != BasketStatus::NotStarted {
            return Err(BasketError::AlreadyStarted);
        }
        return Ok(BasketEvent::BasketStarted {
            basket_id: *basket_id,
            customer_id: *customer_id,
            device_id: device_id.clone(),
            at: *at,
        });
    }
    match basket.status {
        BasketStatus::NotStarted => return Err(BasketError::NotStarted),
        BasketStatus::CheckedOut | BasketStatus::Canceled => return Err(BasketError::NotOpen),
        BasketStatus::Open => {}
    }
    let basket_id = basket.id;
    match command {
        BasketCommand::StartBasket { .. } => Err(BasketError::AlreadyStarted),
        BasketCommand::AddItem {
            product,
            quantity,
            at,
        } => add_item(basket, product, *quantity, *at),
        BasketCommand::RemoveItem {
            product_id,
            quantity,
            at,
        } => {
            if *quantity <= 0 {
                return Err(BasketError::QuantityNotPositive);
            }
            let item = basket
                .item(*product_id)
                .ok_or(BasketError::ItemNotInBasket)?;
            if *quantity > item.quantity {
                return Err(BasketError::QuantityExceedsItem);
            }
            Ok(BasketEvent::BasketItemRemoved {
                basket_id,
                product_id: *product_id,
                quantity: *quantity,
                at: *at,
            })
        }
        BasketCommand::CancelBasket { at } => Ok(BasketEvent::BasketCanceled {
            basket_id,
            reason: BasketCancelReason::Customer,
            at: *at,
        }),
        BasketCommand::AbandonIfIdle { idle_for_ms, now } => {
            if *idle_for_ms < 0 {
                return Err(BasketError::IdlePeriodNegative);
            }
            if now.millis_since(basket.last_activity) < *idle_for_ms {
                return Err(BasketError::NotIdle);
            }
            Ok(BasketEvent::BasketCanceled {
                basket_id,
                reason: BasketCancelReason::Abandoned,
                at: *now,
            })
        }
        BasketCommand::CheckOut {
            customer_id,
            payment,
            at,
        } => {
            if basket.items.is_empty() {
                return Err(BasketError::Empty);
            }
            let payment = payment_token(payment)?;
            let customer_id = customer_id
                .or(basket.customer_id)
                .ok_or(BasketError::CustomerMissing)?;
            Ok(BasketEvent::BasketCheckedOut {
                basket_id,
                customer_id,
                payment,
                items: basket.items.clone(),
                total: basket.total,
                at: *at,
            })
        }
    }
}

fn add_item(
    basket: &Basket,
    product: &ProductFacts,
    quantity: i64,
    at: Timestamp,
) -> Result<BasketEvent, BasketError> {
    if quantity <= 0 {
        return Err(BasketError::QuantityNotPositive);
    }
    if !product.product_available {
        return Err(BasketError::ProductUnavailable);
    }
    if !product.store_participating {
        return Err(BasketError::StoreNotParticipating);
    }
    if product.price.is_negative() {
        return Err(BasketError::PriceNegative);
    }
    if !basket.items.is_empty() && product.price.currency != basket.currency {
        return Err(BasketError::CurrencyMismatch);
    }
    // The edit must leave a representable total.
    let mut items = basket.items.clone();
    match items
        .iter_mut()
        .find(|item| item.product_id == product.product_id)
    {
        Some(item) => {
            item.quantity = item
                .quantity
                .checked_add(quantity)
                .ok_or(BasketError::TotalOverflow)?;
            item.price = product.price;
        }
        None => items.push(BasketItem {
            product_id: product.product_id,
            store_id: product.store_id,
            store_name: String::new(),
            product_name: String::new(),
            price: product.price,
            quantity,
        }),
    }
    sum_items(&items, product.price.currency).ok_or(BasketError::TotalOverflow)?;
    Ok(BasketEvent::BasketItemAdded {
        basket_id: basket.id,
        product_id: product.product_id,
        store_id: product.store_id,
        store_name: product.store_name.clone(),
        product_name: product.product_name.clone(),
        price: product.price,
        quantity,
        at,
    })
}
