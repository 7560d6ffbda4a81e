//! What a notification needs beyond the order event: the order's customer and total (from the
//! kiosk's `OrderCreated` on `<root>.ev.kiosk.*.order.<id>`) and the customer's SMS number
//! (folded from `<root>.ev.kiosk.*.customer.<id>`), read straight from the event log with direct
//! gets, so every replica sees the same thing without a view to keep in sync.

use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::ids::{CustomerId, OrderId};
use mallbots_domain::ordering::OrderEvent;
use mallbots_domain::Money;
use mallbots_wire::subjects::{EventSubject, KioskKind};

use crate::platform::topology::Topology;
use crate::roles::depot::journal::Journal;
use crate::roles::depot::DepotError;

/// Reads orders and customers from the event log.
#[derive(Debug, Clone)]
pub struct Directory {
    journal: Journal,
    topology: Topology,
}

impl Directory {
    /// A directory over `journal`'s events stream.
    pub fn new(journal: Journal, topology: Topology) -> Self {
        Self { journal, topology }
    }

    /// The customer and total of an order, from its `OrderCreated`.
    pub async fn order(
        &self,
        order_id: OrderId,
    ) -> Result<Option<(CustomerId, Money, Option<String>)>, DepotError> {
        let subject = self.topology.event_subject(EventSubject::Kiosk {
            device: "*".into(),
            kind: KioskKind::Order,
            id: order_id.to_string(),
        });
        let events = self.journal.read_after::<OrderEvent>(&subject, 0).await?;
        Ok(events.into_iter().find_map(|e| match e.event {
            OrderEvent::OrderCreated {
                customer_id,
                total,
                pickup_code,
                ..
            } => Some((customer_id, total, pickup_code)),
            _ => None,
        }))
    }

    /// The customer's current SMS number.
    pub async fn sms_number(&self, customer_id: CustomerId) -> Result<Option<String>, DepotError> {
        let subject = self.topology.event_subject(EventSubject::Kiosk {
            device: "*".into(),
            kind: KioskKind::Customer,
            id: customer_id.to_string(),
        });
        let events = self
            .journal
            .read_after::<CustomerEvent>(&subject, 0)
            .await?;
        Ok(sms_of(events.into_iter().map(|e| e.event)))
    }
}

/// The last SMS number a customer's events set.
pub fn sms_of(events: impl IntoIterator<Item = CustomerEvent>) -> Option<String> {
    events.into_iter().fold(None, |number, e| match e {
        CustomerEvent::CustomerRegistered { sms_number, .. }
        | CustomerEvent::CustomerSmsChanged { sms_number, .. } => Some(sms_number),
        _ => number,
    })
}
