//! `desk`: a depot desk's pickup request (`OrderPickupRequested` on
//! `<root>.ev.desk.<device>.pickupreq.<order>`): with the right code on a ready order, ordering
//! asks payments to capture (production's `Ordering::send_capture`, keyed by the order, so
//! once); payments answers `record_pickup` and ordering completes the order. (Production's desk
//! role also authorizes the desk by its enrollment; devices are not enrolled here.)

use super::cx::{Crash, Cx};
use super::orders::{self, device_of};
use super::Outcome;
use crate::bus::Delivery;
use mallbots_domain::desk::DeskEvent;
use mallbots_domain::ordering::OrderStatus;

/// A message on `desk`.
pub fn handle(
    cx: &mut Cx<'_>,
    d: &Delivery,
    runtime: &tokio::runtime::Runtime,
) -> Result<Outcome, Crash> {
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
    let order = orders::load(cx.bus, &device, order_id);
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
    super::ordering::send_capture(cx, d, order_id, runtime)?;
    Ok(Outcome::Ack)
}
