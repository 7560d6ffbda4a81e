//! Loading and appending the Order aggregate. An order's events live on three subjects: the
//! kiosk's `OrderCreated` (`<root>.ev.kiosk.<device>.order.<id>`), the kiosk's requests
//! (`…kiosk.<device>.orderreq.<id>`) and central's status changes (`<root>.ev.order.<device>.<id>`).
//! They are read through [`OrderingIo`] (direct gets in production; the device comes from the creation's subject), merged by
//! stream sequence and folded with `domain::ordering`. Central appends to its subject with the
//! expected last subject sequence; a conflict reloads and decides again.

use mallbots_wire::subjects::{EventSubject, KioskKind, Subject};
use std::collections::HashSet;

use mallbots_domain::error::ErrorCode;
use mallbots_domain::ordering::{Order, OrderEvent};
use mallbots_domain::{Aggregate, OrderId};
use std::sync::Arc;

use super::io::OrderingIo;
use crate::platform::envelope::StoredEvent;
use crate::platform::error::PublishError;
use crate::platform::topology::Topology;

/// Ordering could not load or append.
#[derive(Debug, thiserror::Error)]
pub enum OrderingError {
    /// No kiosk `OrderCreated` for this order (yet).
    #[error("order {0} not found")]
    NotFound(OrderId),
    /// Reading or publishing failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl ErrorCode for OrderingError {
    fn code(&self) -> &'static str {
        match self {
            OrderingError::NotFound(_) => "order.not_found",
            OrderingError::Publish(e) => e.code(),
        }
    }
}

/// An order as loaded, with what an append needs.
#[derive(Debug, Clone)]
pub struct LoadedOrder {
    /// The folded aggregate.
    pub order: Order,
    /// The kiosk that placed it.
    pub device: String,
    /// Central's subject for it.
    pub subject: String,
    /// The last sequence on central's subject (0 if none).
    pub last_seq: u64,
    /// Event ids already stored on any of its subjects.
    pub event_ids: HashSet<String>,
}

/// Loads orders from the event log.
#[derive(Clone)]
pub struct OrderStore<'io> {
    topology: Topology,
    io: Arc<dyn OrderingIo + 'io>,
}

impl std::fmt::Debug for OrderStore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderStore").finish_non_exhaustive()
    }
}

impl<'io> OrderStore<'io> {
    /// A store reading through `io`.
    pub fn new(topology: Topology, io: Arc<dyn OrderingIo + 'io>) -> Self {
        Self { topology, io }
    }

    /// The order folded from its three subjects.
    pub async fn load(&self, order_id: OrderId) -> Result<LoadedOrder, OrderingError> {
        let t = &self.topology;
        let created = self
            .io
            .first(&t.event_subject(EventSubject::Kiosk {
                device: "*".into(),
                kind: KioskKind::Order,
                id: order_id.to_string(),
            }))
            .await?
            .ok_or(OrderingError::NotFound(order_id))?;
        let device = match Subject::parse(&created.subject).map(|s| s.event) {
            Some(EventSubject::Kiosk { device, .. }) => device,
            _ => return Err(OrderingError::NotFound(order_id)),
        };
        let order = order_id.to_string();
        let subject = t.event_subject(EventSubject::Order {
            device: device.clone(),
            order: order.clone(),
        });
        let requests = self
            .io
            .history(&t.event_subject(EventSubject::Kiosk {
                device: device.clone(),
                kind: KioskKind::OrderRequest,
                id: order,
            }))
            .await?;
        let central = self.io.history(&subject).await?;
        let last_seq = central.last().map_or(0, |e| e.sequence);
        let mut all: Vec<StoredEvent> = std::iter::once(created)
            .chain(requests)
            .chain(central)
            .collect();
        all.sort_by_key(|e| e.sequence);
        let mut order = Order::default();
        let mut event_ids = HashSet::new();
        for stored in all {
            match serde_json::from_slice::<OrderEvent>(&stored.payload) {
                // A kiosk's request subject holds requests only: anything else there is not the
                // order's (central's own subject carries its status changes).
                Ok(event)
                    if is_request_subject(t.root(), &stored.subject)
                        && !matches!(event, OrderEvent::OrderCancellationRequested { .. }) =>
                {
                    tracing::warn!(subject = %stored.subject, seq = stored.sequence,
                        "non-request event on an order request subject skipped");
                }
                Ok(event) => order.apply(&event),
                Err(e) => tracing::warn!(subject = %stored.subject, seq = stored.sequence,
                    error = %e, "undecodable order event skipped"),
            }
            event_ids.insert(stored.msg_id);
        }
        if !order.exists() {
            return Err(OrderingError::NotFound(order_id));
        }
        Ok(LoadedOrder {
            order,
            device,
            subject,
            last_seq,
            event_ids,
        })
    }
}

/// Whether `subject` is a kiosk's order-request subject (`…ev.kiosk.<device>.orderreq.<id>`).
fn is_request_subject(root: &str, subject: &str) -> bool {
    matches!(
        Subject::parse_under(root, subject),
        Some(EventSubject::Kiosk {
            kind: KioskKind::OrderRequest,
            ..
        })
    )
}
