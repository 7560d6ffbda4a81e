//! `notifications`: central's order events; an `OrderReadied` texts the customer once (a KV
//! create on `sms.<order>` guards the send, as production's notifications dedupe does).

use super::cx::{Crash, Cx};
use super::Outcome;
use crate::bus::Delivery;
use mallbots_domain::ordering::OrderEvent;

/// KV bucket of sent "order ready" SMS.
pub const SMS_SENT: &str = "sms";

/// A message on `notifications`.
pub fn handle(cx: &mut Cx<'_>, d: &Delivery) -> Result<Outcome, Crash> {
    let Ok(event) = serde_json::from_slice::<OrderEvent>(&d.message.payload) else {
        return Ok(Outcome::Ack);
    };
    if let OrderEvent::OrderReadied { order_id, .. } = event {
        let key = order_id.to_string();
        cx.io()?;
        if cx
            .bus
            .kv_swap(SMS_SENT, &key, Some(b"sent".to_vec()), 0)
            .is_some()
        {
            cx.effects.send_sms(&key);
        }
    }
    Ok(Outcome::Ack)
}
