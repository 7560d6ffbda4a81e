//! `saga-orders` and `saga-replies`: a kiosk's `OrderCreated` starts the saga (after
//! production's catalog check, [`check_again`] and [`super::views::check_catalog`]) through production's saga runner
//! ([`drive`]); a kiosk's cancellation request goes to production's ordering
//! ([`super::ordering::request`]); replies and fired timers go to the saga. Also the order's
//! subjects and its state folded from them, for the desk and the invariants.

use super::cx::{interleave, Crash, Cx};
use super::saga_io::SimSagaIo;
use super::sim_io::SharedCx;
use super::Outcome;
use crate::bus::{Bus, Delivery};
use mallbots_central::roles::notifications::{created_facts, CreatedFacts};
use mallbots_central::roles::saga::drive::drive;
use mallbots_central::roles::saga::orders::{check_again, kiosk_subject_parts, saga_item};
use mallbots_domain::ordering::{Order, OrderEvent};
use mallbots_domain::saga::{SagaInput, SagaInputKind, StepTimeouts};
use mallbots_domain::{Aggregate, OrderId, SagaId, Timestamp};

/// Every saga step's timeout (ms).
pub const STEP_TIMEOUT_MS: i64 = 8_000;

/// The saga's step timeouts.
pub fn timeouts() -> StepTimeouts {
    StepTimeouts::uniform(STEP_TIMEOUT_MS)
}

/// The kiosk subject of `order` (its `OrderCreated`).
pub fn kiosk_subject(root: &str, device: &str, order: OrderId) -> String {
    format!("{root}.ev.kiosk.{device}.order.{order}")
}

/// Central's subject of `order`.
pub fn central_subject(root: &str, device: &str, order: OrderId) -> String {
    format!("{root}.ev.order.{device}.{order}")
}

/// The kiosk of `order` (from the subject of its `OrderCreated`), if it reached the server.
pub fn device_of(cx: &Cx<'_>, order: OrderId) -> Option<String> {
    let pattern = format!("{}.ev.kiosk.*.order.{order}", cx.root());
    let created = cx.bus.first_matching(&pattern)?;
    kiosk_subject_parts(&created.subject).map(|(device, ..)| device)
}

/// The facts of `order`'s `OrderCreated` a text needs, if it reached the server.
pub fn created(bus: &Bus, order: OrderId) -> Option<CreatedFacts> {
    let pattern = format!("{}.ev.kiosk.*.order.{order}", bus.root());
    let first = bus.first_matching(&pattern)?;
    created_facts(&serde_json::from_slice(&first.payload).ok()?)
}

/// `order` folded from its kiosk and central subjects on `bus`.
pub fn load(bus: &Bus, device: &str, order: OrderId) -> Order {
    let root = bus.root();
    let mut events: Vec<OrderEvent> = Vec::new();
    for subject in [
        kiosk_subject(root, device, order),
        central_subject(root, device, order),
    ] {
        events.extend(bus.decoded::<OrderEvent>(&subject));
    }
    Order::from_events(&events)
}

/// A message on `saga-orders`, handled by one replica; taken at once by as many replicas
/// (`on_replicas`): each kiosk order starts its saga (production's [`drive`]) and each request
/// goes to production's ordering, their reads and writes interleaving.
pub(super) async fn run(
    shared: &SharedCx<'_, '_>,
    d: &Delivery,
    replica: usize,
) -> Result<Outcome, Crash> {
    let m = &d.message;
    let Some((device, kind, id)) = kiosk_subject_parts(&m.subject) else {
        return Ok(Outcome::Term(format!("unexpected subject {}", m.subject)));
    };
    let event: OrderEvent = match serde_json::from_slice(&m.payload) {
        Ok(e) => e,
        Err(e) => return Ok(Outcome::Term(format!("decode: {e}"))),
    };
    if event.order_id().to_string() != id {
        return Ok(Outcome::Term("event for another order".into()));
    }
    match (kind, event) {
        (
            "order",
            OrderEvent::OrderCreated {
                order_id,
                customer_id,
                items,
                total,
                payment_token,
                ..
            },
        ) => {
            let lines: Vec<_> = items.iter().map(|i| (i.product_id, i.store_id)).collect();
            interleave().await;
            let availability = {
                let cx = shared.lock().unwrap_or_else(|p| p.into_inner());
                super::views::check_catalog(cx.bus, &lines)
            };
            if check_again(&availability, i64::from(d.delivered)) {
                return Ok(Outcome::Nak(300));
            }
            let unavailable_products = availability.all_unavailable();
            let input = SagaInput {
                input_id: m.msg_id.clone().unwrap_or_else(|| format!("seq/{}", m.seq)),
                at: Timestamp::from_millis(m.published_ms),
                kind: SagaInputKind::OrderCreated {
                    order_id,
                    customer_id,
                    items: items.iter().map(saga_item).collect(),
                    total,
                    payment_token,
                    unavailable_products,
                },
            };
            let io = SimSagaIo {
                cx: shared,
                replica,
            };
            drive(&io, &timeouts(), SagaId::from(order_id), &input)
                .await
                .map_err(|_| Crash)?;
            Ok(Outcome::Ack)
        }
        ("orderreq", event) => super::ordering::request(shared, d, &device, &event, replica).await,
        (kind, _) => Ok(Outcome::Term(format!("unexpected {kind} event"))),
    }
}

/// Messages on `saga-replies` taken at once by as many replicas: replies and fired timers, each
/// to the saga its subject names, driven concurrently (their loads and compare-and-sets
/// interleave; two inputs of one saga meet a conflict and the later one reloads).
pub fn handle_replies(cx: &mut Cx<'_>, deliveries: &[Delivery]) -> Vec<Result<Outcome, Crash>> {
    let inputs: Vec<Result<(SagaId, SagaInput), Outcome>> = deliveries
        .iter()
        .map(|d| {
            let m = &d.message;
            let saga = m
                .subject
                .rsplit('.')
                .next()
                .and_then(|s| s.parse().ok())
                .map(SagaId)
                .ok_or_else(|| Outcome::Term("no saga in the subject".into()))?;
            let input: SagaInput = serde_json::from_slice(&m.payload)
                .map_err(|e| Outcome::Term(format!("decode: {e}")))?;
            Ok((saga, input))
        })
        .collect();
    let shared = SharedCx::new(cx);
    let timeouts = timeouts();
    let runs = inputs.iter().enumerate().map(|(replica, input)| {
        let (shared, timeouts) = (&shared, &timeouts);
        async move {
            let io = SimSagaIo {
                cx: shared,
                replica,
            };
            match input {
                Ok((saga, input)) => drive(&io, timeouts, *saga, input)
                    .await
                    .map(|_| Outcome::Ack)
                    .map_err(|_| Crash),
                Err(outcome) => Ok(outcome.clone()),
            }
        }
    });
    futures::executor::block_on(futures::future::join_all(runs))
}
