//! `saga-orders`: a kiosk's `OrderCreated` on `<root>.ev.kiosk.<device>.order.<id>` starts the
//! order saga, with step 0's catalog re-validation done here (`unavailable_products`); a kiosk's
//! request on `<root>.ev.kiosk.<device>.orderreq.<id>` goes to [`crate::roles::ordering`].
//!
//! A payload that does not decode, or an order subject carrying anything but an `OrderCreated`
//! for the subject's order id, is dead-lettered; other orders carry on.

use mallbots_domain::ordering::{OrderEvent, OrderItem};
use mallbots_domain::saga::{SagaInput, SagaInputKind, SagaItem};
use mallbots_domain::{OrderId, SagaId, Timestamp};
use mallbots_wire::subjects::{EventSubject, Subject};

use super::runner::{Driven, SagaRunner};
use crate::platform::handler::{DecodeError, Delivery, Handler, Outcome};
use crate::platform::service::Runtime;
use crate::platform::topology::Bucket;
use crate::platform::views::LazyBucket;
use crate::roles::catalog::{Availability, Catalog};
use crate::roles::ordering::Ordering;

/// Deliveries of an order naming a product the catalog view has not seen before it counts as
/// unavailable (the view may lag behind the order).
const UNKNOWN_PRODUCT_TRIES: i64 = 4;

/// A decoded kiosk order message.
/// (`Deserialize` only satisfies the worker's bound: decoding goes by subject.)
#[derive(Debug, serde::Deserialize)]
pub enum KioskOrderMessage {
    /// `…order.<id>`: the order was placed.
    Created {
        /// The kiosk.
        device: String,
        /// The `OrderCreated` event.
        event: OrderEvent,
    },
    /// `…orderreq.<id>`: a request about an existing order.
    Request {
        /// The kiosk (or manager device).
        device: String,
        /// The request event.
        event: OrderEvent,
    },
}

/// `(device, kind, id)` of `<root>.ev.kiosk.<device>.<kind>.<id>` (the wire grammar,
/// [`Subject::parse`]).
pub fn kiosk_subject_parts(subject: &str) -> Option<(String, &'static str, String)> {
    match Subject::parse(subject)?.event {
        EventSubject::Kiosk { device, kind, id } => Some((device, kind.token(), id)),
        _ => None,
    }
}

/// The saga's item for an order line (a quantity that does not fit becomes 0, which the saga
/// rejects as an invalid order).
pub fn saga_item(item: &OrderItem) -> SagaItem {
    SagaItem {
        store_id: item.store_id,
        product_id: item.product_id,
        product_name: item.product_name.clone(),
        quantity: u32::try_from(item.quantity).unwrap_or(0),
        price: item.price,
    }
}

/// Starts sagas and routes order requests.
pub struct OrdersHandler {
    runner: SagaRunner,
    catalog: Catalog,
    ordering: Ordering<'static>,
}

impl OrdersHandler {
    /// A handler for the runtime's topology.
    pub fn new(rt: Runtime, runner: SagaRunner) -> Self {
        Self {
            runner,
            catalog: Catalog::new(LazyBucket::new(&rt, Bucket::Catalog)),
            ordering: Ordering::new(rt),
        }
    }
}

impl Handler for OrdersHandler {
    type Message = KioskOrderMessage;

    fn decode(&self, delivery: &Delivery) -> Result<KioskOrderMessage, DecodeError> {
        let (device, kind, id) = kiosk_subject_parts(delivery.subject())
            .ok_or_else(|| DecodeError(format!("unexpected subject {}", delivery.subject())))?;
        let event: OrderEvent =
            serde_json::from_slice(delivery.payload()).map_err(|e| DecodeError(e.to_string()))?;
        if event.order_id().to_string() != id {
            return Err(DecodeError(format!(
                "event for order {} on the subject of order {id}",
                event.order_id()
            )));
        }
        let device = device.to_string();
        match (kind, &event) {
            ("order", OrderEvent::OrderCreated { .. }) => {
                Ok(KioskOrderMessage::Created { device, event })
            }
            ("order", other) => Err(DecodeError(format!(
                "an order subject carries only OrderCreated, not {other:?}"
            ))),
            ("orderreq", OrderEvent::OrderCancellationRequested { .. }) => {
                Ok(KioskOrderMessage::Request { device, event })
            }
            ("orderreq", other) => Err(DecodeError(format!(
                "an order request subject carries only OrderCancellationRequested, not {}",
                mallbots_domain::DomainEvent::event_type(other)
            ))),
            (other, _) => Err(DecodeError(format!("unexpected aggregate {other:?}"))),
        }
    }

    async fn handle(&self, delivery: &Delivery, message: KioskOrderMessage) -> Outcome {
        let event_id = delivery
            .header("Nats-Msg-Id")
            .map(str::to_string)
            .unwrap_or_else(|| format!("seq/{}", delivery.stream_sequence()));
        match message {
            KioskOrderMessage::Created { device, event } => {
                self.start(delivery, &device, event, event_id).await
            }
            KioskOrderMessage::Request { device, event } => {
                self.ordering.on_request(&device, &event, &event_id).await
            }
        }
    }
}

impl OrdersHandler {
    /// An `OrderCreated` for an order whose saga already runs: a redelivery from the kiosk
    /// that placed it (nothing to do), or another kiosk naming that order, refused and
    /// dead-lettered (`order.not_your_order`); the order is untouched either way.
    async fn duplicate_start(&self, device: &str, order_id: OrderId) -> Outcome {
        match self.ordering.store_load(order_id).await {
            Ok(loaded) if loaded.device != device => {
                tracing::warn!(order = %order_id, device, owner = %loaded.device,
                    "OrderCreated from another kiosk for an existing order refused");
                Outcome::Term {
                    reason: format!(
                        "order.not_your_order: kiosk {device} sent OrderCreated for order \
                         {order_id} created on kiosk {}",
                        loaded.device
                    ),
                }
            }
            _ => Outcome::Ack,
        }
    }

    async fn start(
        &self,
        delivery: &Delivery,
        device: &str,
        event: OrderEvent,
        event_id: String,
    ) -> Outcome {
        let OrderEvent::OrderCreated {
            order_id,
            customer_id,
            items,
            total,
            payment_token,
            ..
        } = event
        else {
            return Outcome::Term {
                reason: "not an OrderCreated".into(),
            };
        };
        let availability = match self
            .catalog
            .check(items.iter().map(|i| (i.product_id, i.store_id)).collect())
            .await
        {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "catalog view unavailable; retrying");
                return Outcome::Nak { delay: None };
            }
        };
        // The view may lag behind the order (or, for a moment, hold a later event of a store
        // without an earlier one: events are recorded concurrently): unknown products are looked
        // up again a few times, an unavailable one once more before the order is rejected.
        if check_again(&availability, delivery.delivered()) {
            return Outcome::Nak {
                delay: Some(std::time::Duration::from_millis(300)),
            };
        }
        let unavailable = availability.all_unavailable();
        // `now` is the input message's timestamp (docs/architecture.md §3): the stream's, so a redelivery or
        // another replica decides with the same time; central's clock only if it is missing.
        let at = delivery
            .published_ms()
            .unwrap_or_else(crate::platform::envelope::now_ms);
        let input = SagaInput {
            input_id: event_id,
            at: Timestamp::from_millis(at),
            kind: SagaInputKind::OrderCreated {
                order_id,
                customer_id,
                items: items.iter().map(saga_item).collect(),
                total,
                payment_token,
                unavailable_products: unavailable,
            },
        };
        let saga = SagaId::from(order_id);
        match self.runner.drive(saga, &input).await {
            Ok(Driven::Duplicate) => self.duplicate_start(device, order_id).await,
            Ok(driven) => {
                tracing::debug!(%saga, ?driven, "order saga input");
                Outcome::Ack
            }
            Err(e) => {
                tracing::warn!(%saga, error = %e, "order saga not started; retrying");
                Outcome::Nak { delay: None }
            }
        }
    }
}

/// Whether an order's catalog check is looked at again (after a short delay) instead of
/// starting the saga: on its `delivered`-th delivery, an unknown product may be a view lagging
/// behind the order, and an unavailable one a store's events recorded out of order for a moment.
pub fn check_again(availability: &Availability, delivered: i64) -> bool {
    (!availability.unknown.is_empty() && delivered < UNKNOWN_PRODUCT_TRIES)
        || (!availability.unavailable.is_empty() && delivered < 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mallbots_domain::{Currency, Money, ProductId, StoreId};

    #[test]
    fn kiosk_subjects_split_from_the_end_whatever_the_root() {
        let parts = |s| kiosk_subject_parts(s).map(|(d, k, i)| (d, k.to_owned(), i));
        let owned = |d: &str, k: &str, i: &str| Some((d.to_owned(), k.to_owned(), i.to_owned()));
        assert_eq!(
            parts("a.b.ev.kiosk.k1.order.42"),
            owned("k1", "order", "42")
        );
        assert_eq!(
            parts("mallbots.ev.kiosk.k1.orderreq.42"),
            owned("k1", "orderreq", "42")
        );
        assert_eq!(kiosk_subject_parts("mallbots.ev.order.k1.42"), None);
    }

    #[test]
    fn order_lines_become_saga_items_and_bad_quantities_become_zero() {
        let item = OrderItem {
            product_id: ProductId::default(),
            store_id: StoreId::default(),
            store_name: "S".into(),
            product_name: "Tea".into(),
            price: Money::new(250, Currency::default()),
            quantity: 3,
        };
        let s = saga_item(&item);
        assert_eq!(
            (s.quantity, s.price.cents, s.product_name.as_str()),
            (3, 250, "Tea")
        );
        let negative = OrderItem {
            quantity: -1,
            ..item
        };
        assert_eq!(saga_item(&negative).quantity, 0);
    }
}
