//! `saga-orders` and `saga-replies`: a kiosk's `OrderCreated` starts the saga (after the
//! catalog check, as production's `OrdersHandler`), a cancellation request is decided on the
//! order, replies and fired timers go to the saga. Also the order's helpers: its state folded
//! from its subjects, and central's appends to `<root>.ev.order.<device>.<id>`.

use super::cx::{Crash, Cx};
use super::saga_io::SimSagaIo;
use super::Outcome;
use crate::bus::{Delivery, PublishError};
use mallbots_central::platform::envelope::{event_id_for, headers, EventMeta};
use mallbots_central::roles::saga::drive::drive;
use mallbots_central::roles::saga::orders::{kiosk_subject_parts, saga_item};
use mallbots_central::roles::saga::Driven;
use mallbots_domain::ordering::{Order, OrderCommand, OrderEvent, OrderStatus};
use mallbots_domain::products::{Product, ProductEvent};
use mallbots_domain::saga::{list_id_for, SagaInput, SagaInputKind, StepTimeouts};
use mallbots_domain::{Aggregate, OrderId, ProductId, SagaId, StoreId, Timestamp};
use mallbots_sync::engine::in_order::H_PREV_SUBJECT_SEQ;
use std::sync::Mutex;

/// Every saga step's timeout (ms).
pub const STEP_TIMEOUT_MS: i64 = 4_000;

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

/// KV bucket: order id → the kiosk that placed it.
pub const ORDER_DEVICES: &str = "order_devices";

/// The kiosk of `order`, if central has seen it.
pub fn device_of(cx: &Cx<'_>, order: OrderId) -> Option<String> {
    let entry = cx.bus.kv_get(ORDER_DEVICES, &order.to_string())?;
    String::from_utf8(entry.value?).ok()
}

/// `order` folded from its kiosk and central subjects.
pub fn load(cx: &Cx<'_>, device: &str, order: OrderId) -> Order {
    let root = cx.root();
    let mut events: Vec<OrderEvent> = Vec::new();
    for subject in [
        kiosk_subject(&root, device, order),
        central_subject(&root, device, order),
    ] {
        events.extend(
            cx.bus
                .history(&subject)
                .into_iter()
                .filter_map(|m| serde_json::from_slice(&m.payload).ok()),
        );
    }
    Order::from_events(&events)
}

/// Decides `command` on `order` and appends its events (ids from `cause`); `Ok(Err(code))` if
/// the order refuses it.
pub fn execute(
    cx: &mut Cx<'_>,
    device: &str,
    order: OrderId,
    command: OrderCommand,
    cause: &str,
) -> Result<Result<(), String>, Crash> {
    let state = load(cx, device, order);
    let events = match state.decide(&command) {
        Ok(events) => events,
        Err(e) => return Ok(Err(mallbots_domain::error::ErrorCode::code(&e).to_owned())),
    };
    let subject = central_subject(&cx.root(), device, order);
    for (i, event) in events.iter().enumerate() {
        let expected = cx.bus.last_on_subject(&subject);
        let meta = EventMeta {
            event_id: event_id_for(cause, i as u32),
            stream_type: Order::STREAM_TYPE,
            stream_id: order.to_string(),
            occurred_at: cx.now,
            correlation_id: order.to_string(),
            causation_id: cause.to_owned(),
        };
        let mut h = headers(event, &meta);
        if !cx.planted(crate::faults::Planted::InboxOutOfOrder) {
            h.insert(H_PREV_SUBJECT_SEQ, expected.to_string().as_str());
        }
        let payload = serde_json::to_vec(event).unwrap_or_default();
        match cx.publish(&subject, &meta.event_id, Some(expected), h, payload)? {
            Ok(_) => {}
            Err(PublishError::WrongLastSequence(_)) | Err(PublishError::NoStream) => {
                return Ok(Err("order.append_conflict".into()));
            }
        }
    }
    Ok(Ok(()))
}

/// Products of `items` the catalog does not offer (unknown or removed).
fn unavailable(cx: &Cx<'_>, items: &[(ProductId, StoreId)]) -> Vec<ProductId> {
    let root = cx.root();
    items
        .iter()
        .filter(|(product, store)| {
            let subject = format!("{root}.ev.catalog.{store}.product.{product}");
            let events: Vec<ProductEvent> = cx
                .bus
                .history(&subject)
                .into_iter()
                .filter_map(|m| serde_json::from_slice(&m.payload).ok())
                .collect();
            !Product::from_events(&events).is_available()
        })
        .map(|(product, _)| *product)
        .collect()
}

fn run_saga(cx: &mut Cx<'_>, saga: SagaId, input: &SagaInput) -> Result<Driven, Crash> {
    let io = SimSagaIo(Mutex::new(cx));
    futures::executor::block_on(drive(&io, &timeouts(), saga, input)).map_err(|_| Crash)
}

/// A message on `saga-orders`.
pub fn handle(cx: &mut Cx<'_>, d: &Delivery) -> Result<Outcome, Crash> {
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
            if cx
                .bus
                .kv_get(ORDER_DEVICES, &order_id.to_string())
                .is_none()
            {
                cx.io()?;
                cx.bus.kv_swap(
                    ORDER_DEVICES,
                    &order_id.to_string(),
                    Some(device.clone().into_bytes()),
                    0,
                );
            }
            let lines: Vec<_> = items.iter().map(|i| (i.product_id, i.store_id)).collect();
            let unavailable_products = unavailable(cx, &lines);
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
            run_saga(cx, SagaId::from(order_id), &input)?;
            Ok(Outcome::Ack)
        }
        (
            "orderreq",
            OrderEvent::OrderCancellationRequested {
                order_id, reason, ..
            },
        ) => cancel(
            cx,
            &device,
            order_id,
            &reason,
            m.msg_id.as_deref().unwrap_or("req"),
        ),
        (kind, _) => Ok(Outcome::Term(format!("unexpected {kind} event"))),
    }
}

/// A kiosk asked to cancel: cancel the order if it still may be, and withdraw what the saga
/// may have set up (void the payment, cancel the list: on a payment or list not there yet
/// they leave tombstones that refuse a late authorization or list); else refuse.
fn cancel(
    cx: &mut Cx<'_>,
    device: &str,
    order: OrderId,
    reason: &str,
    cause: &str,
) -> Result<Outcome, Crash> {
    let at = Timestamp::from_millis(cx.now);
    let cancel = OrderCommand::CancelOrder {
        reason: reason.to_owned(),
        by: mallbots_domain::ordering::CancelledBy::Customer,
        at,
    };
    match execute(cx, device, order, cancel, cause)? {
        Ok(()) => {}
        Err(code) if code == "order.not_found" => return Ok(Outcome::Nak(500)),
        Err(_) if load(cx, device, order).status() == OrderStatus::Canceled => {
            // Canceled by an earlier delivery that crashed before withdrawing what the saga
            // set up: withdraw it now (both are idempotent).
        }
        Err(_) => {
            let refuse = OrderCommand::RefuseCancellation {
                reason: "shopping finished".into(),
                at,
            };
            let _ = execute(cx, device, order, refuse, &format!("{cause}/refuse"))?;
            return Ok(Outcome::Ack);
        }
    }
    let saga = SagaId::from(order);
    super::commands::void_payment(cx, order, cause)?;
    super::depot::cancel(cx, list_id_for(saga), order)?;
    Ok(Outcome::Ack)
}

/// A message on `saga-replies`: a reply or a fired timer, to the saga named by the subject.
pub fn handle_reply(cx: &mut Cx<'_>, d: &Delivery) -> Result<Outcome, Crash> {
    let m = &d.message;
    let Some(saga) = m
        .subject
        .rsplit('.')
        .next()
        .and_then(|s| s.parse().ok())
        .map(SagaId)
    else {
        return Ok(Outcome::Term("no saga in the subject".into()));
    };
    let input: SagaInput = match serde_json::from_slice(&m.payload) {
        Ok(i) => i,
        Err(e) => return Ok(Outcome::Term(format!("decode: {e}"))),
    };
    if std::env::var_os("SIM_DEBUG").is_some() {
        eprintln!("saga {saga} input {:?}", input.kind);
    }
    run_saga(cx, saga, &input)?;
    Ok(Outcome::Ack)
}
