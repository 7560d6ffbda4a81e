//! `desk`: a depot desk's pickup request (`OrderPickupRequested` on
//! `<root>.ev.desk.<device>.pickupreq.<order>`): with the right code on a ready order, capture
//! the payment (gateway keyed by the order, so once) and complete the order.

use super::commands::{load, run, PAYMENTS};
use super::cx::{Crash, Cx};
use super::orders::{self, device_of};
use super::Outcome;
use crate::bus::Delivery;
use mallbots_domain::desk::DeskEvent;
use mallbots_domain::ordering::{OrderCommand, OrderStatus};
use mallbots_domain::payments::{Payment, PaymentCommand, PaymentStatus};
use mallbots_domain::saga::payment_id_for;
use mallbots_domain::{InvoiceId, SagaId, Timestamp};

/// A message on `desk`.
pub fn handle(cx: &mut Cx<'_>, d: &Delivery) -> Result<Outcome, Crash> {
    let event: DeskEvent = match serde_json::from_slice(&d.message.payload) {
        Ok(e) => e,
        Err(e) => return Ok(Outcome::Term(format!("decode: {e}"))),
    };
    let DeskEvent::OrderPickupRequested { order_id, code, .. } = event else {
        return Ok(Outcome::Term("not a pickup request".into()));
    };
    let Some(device) = device_of(cx, order_id) else {
        return Ok(Outcome::Term("pickup.unknown_order".into()));
    };
    let order = orders::load(cx, &device, order_id);
    match order.status() {
        OrderStatus::Ready => {}
        OrderStatus::Completed | OrderStatus::Canceled | OrderStatus::Rejected => {
            return Ok(Outcome::Ack)
        }
        _ => return Ok(Outcome::Nak(1_000)),
    }
    if order.pickup_code().is_some_and(|c| c != code) {
        return Ok(Outcome::Ack);
    }
    let payment = payment_id_for(SagaId::from(order_id));
    let id = payment.to_string();
    let (state, ..) = load::<Payment>(cx, PAYMENTS, &id);
    let at = Timestamp::from_millis(cx.now);
    if state.status == Some(PaymentStatus::Authorized) {
        cx.io()?;
        cx.effects.capture(&format!("capture/{order_id}"), &id);
        run::<Payment>(cx, PAYMENTS, &id, &PaymentCommand::CapturePayment { at })?.ok();
    }
    let invoice = InvoiceId(uuid::Uuid::new_v5(&order_id.0, b"invoice"));
    let complete = OrderCommand::CompleteOrder {
        invoice_id: invoice,
        at,
    };
    orders::execute(
        cx,
        &device,
        order_id,
        complete,
        &format!("pickup/{order_id}"),
    )?
    .ok();
    Ok(Outcome::Ack)
}
