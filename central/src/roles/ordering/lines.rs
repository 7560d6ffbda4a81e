//! Order lines for store managers: after each order status change central appends, every store
//! involved gets the order's status and that store's lines on
//! `<root>.ev.store.<store>.orderline.<order>` (central is its only writer). `order_seq` is the
//! stream sequence of the order event it reflects, so a reader keeps the highest.
//!
//! What a manager's order detail needs besides status and lines travels with it, each field
//! optional (`serde(default)`, so lines written before they existed still decode):
//! * `placed_at`: when the kiosk placed the order (its `OrderCreated`).
//! * `payment` / `invoice`: what the order's status establishes ([`money_states`]): the saga
//!   approves only after the payment was authorized; central issues the invoice with the ready
//!   state; an order completes only after its payment was captured and its invoice paid; a
//!   canceled order's authorization is voided with the cancel. Unknown (absent) otherwise.
//! * `phone_last4`: the last four digits of the customer's SMS number (central's customers
//!   view), so a manager can find an order by them; never the whole number.

use mallbots_domain::ordering::{money_states, Order, OrderLineEvent};
use mallbots_domain::Timestamp;
use mallbots_wire::subjects::EventSubject;

use super::io::OrderingIo;
use crate::platform::envelope::{self, EventMeta};
use crate::platform::error::PublishError;

/// Whether the lines are published for the first time, or again for a command that came back
/// (its order event stored before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publishing {
    /// The order event was just appended: its lines are new.
    First,
    /// A retry: a line already on its subject is not appended again. (The server's msg-id
    /// window drops a repeat only within its span; a repeat stored later at a new sequence is one
    /// more message for every desk to receive. The desks' inboxes record it as handled at its
    /// sequence, so the next line still applies; before they did, it waited for ever — found by
    /// the deterministic simulator.)
    Again,
}

/// Appends one line event per store of `order`, caused by order event `cause` at `order_seq`;
/// `phone_last4` is the customer's (see [`phone_last4`]).
#[allow(clippy::too_many_arguments)]
pub async fn publish_lines(
    io: &(dyn OrderingIo + '_),
    order: &Order,
    device: &str,
    cause: &str,
    order_seq: u64,
    at: Timestamp,
    phone_last4: Option<&str>,
    publishing: Publishing,
) -> Result<(), PublishError> {
    let topology = io.topology();
    let (payment, invoice) = money_states(order.status());
    for store in order.store_ids() {
        let subject = topology.event_subject(EventSubject::OrderLine {
            store: store.to_string(),
            order: order.id().to_string(),
        });
        let event = OrderLineEvent::OrderLineUpdated {
            order_id: order.id(),
            store_id: store,
            device: device.to_string(),
            status: order.status(),
            items: order
                .items()
                .iter()
                .filter(|i| i.store_id == store)
                .cloned()
                .collect(),
            order_seq,
            at,
            placed_at: Some(order.created_at()),
            payment,
            invoice,
            phone_last4: phone_last4.map(str::to_owned),
        };
        let meta = EventMeta {
            event_id: envelope::derived_id(cause, &format!("line/{store}")).to_string(),
            stream_type: "orderline",
            stream_id: order.id().to_string(),
            occurred_at: at.millis(),
            correlation_id: order.id().to_string(),
            causation_id: cause.to_string(),
        };
        if publishing == Publishing::Again
            && io
                .history(&subject)
                .await?
                .iter()
                .any(|stored| stored.msg_id == meta.event_id)
        {
            continue;
        }
        for attempt in 0.. {
            let expected = io.last_sequence(&subject).await?;
            match super::append(io, &subject, expected, &event, &meta).await {
                Ok(_) => break,
                Err(PublishError::WrongLastSequence { .. }) if attempt < 10 => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
