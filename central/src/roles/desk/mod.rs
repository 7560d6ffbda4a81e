//! Desk requests (docs/architecture.md §3, §5): a manager or depot desk writes its requests on its own
//! subjects and central decides them, authorizing by the device in the subject against the
//! devices registry ([`registry`]), never by anything in the payload.
//!
//! * `desk-pickup` (role saga) on `R.ev.desk.*.pickupreq.*`: `OrderPickupRequested{order_id,
//!   user}` on `…desk.<device>.pickupreq.<order-id>`. Accepted (`domain::desk::decide_pickup`: a
//!   manager of one of the order's stores or a depot desk, the order ready) → `cmd.payments.capture`
//!   (command id UUIDv5 of `<event-id>` + `capture`): payments captures the payment, pays the
//!   invoice and sends `cmd.ordering.record_pickup`, and ordering appends `OrderCompleted` on the
//!   order subject (order lines `completed`). Refused → `OrderPickupRefused{order_id, code,
//!   reason}` on `R.ev.deskans.<device>.<order-id>` and the request is dead-lettered with the
//!   code and reason; nothing else changes.
//! * `desk-stops` (role depot) on `R.ev.desk.*.stopreq.*`: `StopPrepared{list_id, store_id,
//!   user}` on `…desk.<device>.stopreq.<request-id>`. Accepted (`decide_stop`: the manager of that
//!   store, the stop open) → `StopPreparedAtCounter` on the list (`R.ev.depot.list.<id>`); the
//!   bot then collects the stop. Refused → `StopPrepareRefused` on
//!   `R.ev.deskans.<device>.<request-id>` and dead-lettered.
//!
//! Idempotent on redelivery: every id derives from the request's event id (its `Nats-Msg-Id`):
//! a refusal already answered is dead-lettered again without a second answer; an accepted pickup
//! whose `OrderCompleted` is stored is acked; a stop already recorded is acked.

pub mod registry;

use mallbots_wire::subjects::EventSubject;
use std::sync::Arc;
use std::time::Duration;

use mallbots_domain::depot::{ListCommand, ListEvent, ShoppingList};
use mallbots_domain::desk::{
    bounded_reason, decide_pickup, decide_stop, recent_wrong_codes, DeskAccess, DeskEvent,
    StopRefusal, ANSWER_STREAM_TYPE,
};
use mallbots_domain::error::ErrorCode;
use mallbots_domain::{Aggregate, DomainEvent, OrderId, StoreId, Timestamp};
use tokio::sync::OnceCell;

use crate::platform::envelope::{self, EventMeta};
use crate::platform::error::PublishError;
use crate::platform::handler::{DecodeError, Delivery, Handler, Outcome};
use crate::platform::service::Runtime;
use crate::platform::views::LazyReader;
use crate::platform::HandlerRegistry;
use crate::roles::depot::journal::{derived_id as depot_id, Cause};
use crate::roles::depot::lists::event_ids;
use crate::roles::depot::store::{Loaded, Plan};
use crate::roles::depot::Depot;
use crate::roles::ordering::{Ordering, OrderingError};
use registry::Registry;

/// Deliveries of a pickup request naming an order central cannot find before it is refused as
/// unknown (the kiosk's `OrderCreated` is normally long stored).
const UNKNOWN_ORDER_TRIES: i64 = 3;

/// `(device, kind, id)` of `<root>.ev.desk.<device>.<kind>.<id>`.
pub fn desk_subject_parts(subject: &str) -> Option<(&str, &str, &str)> {
    let mut tokens = subject.rsplit('.');
    let id = tokens.next()?;
    let kind = tokens.next()?;
    let device = tokens.next()?;
    (tokens.next()? == "desk").then_some((device, kind, id))
}

/// A decoded desk request.
/// (`Deserialize` only satisfies the worker's bound: decoding goes by subject.)
#[derive(Debug, serde::Deserialize)]
pub struct DeskRequest {
    /// The desk (from the subject).
    pub device: String,
    /// The subject's last token (order id or request id).
    pub id: String,
    /// The request.
    pub event: DeskEvent,
}

fn decode_request(delivery: &Delivery, kind: &str) -> Result<DeskRequest, DecodeError> {
    let (device, found, id) = desk_subject_parts(delivery.subject())
        .ok_or_else(|| DecodeError(format!("unexpected subject {}", delivery.subject())))?;
    if found != kind {
        return Err(DecodeError(format!(
            "unexpected desk request kind {found:?}"
        )));
    }
    let event: DeskEvent =
        serde_json::from_slice(delivery.payload()).map_err(|e| DecodeError(e.to_string()))?;
    match (&event, kind) {
        (DeskEvent::OrderPickupRequested { order_id, .. }, "pickupreq") => {
            if order_id.to_string() != id {
                return Err(DecodeError(format!(
                    "pickup of order {order_id} on the subject of order {id}"
                )));
            }
        }
        (DeskEvent::StopPrepared { .. }, "stopreq") => {}
        (other, _) => {
            return Err(DecodeError(format!(
                "a {kind} subject carries no {}",
                other.event_type()
            )))
        }
    }
    Ok(DeskRequest {
        device: device.to_string(),
        id: id.to_string(),
        event,
    })
}

fn event_id(delivery: &Delivery) -> String {
    delivery
        .header("Nats-Msg-Id")
        .map(str::to_string)
        .unwrap_or_else(|| format!("seq/{}", delivery.stream_sequence()))
}

/// The id of central's refusal of request `event_id`.
pub fn refusal_id(event_id: &str) -> String {
    envelope::event_id_for(&format!("{event_id}/refused"), 0)
}

/// The command id of the capture an accepted pickup request `event_id` sends.
pub fn capture_id(event_id: &str) -> String {
    envelope::derived_id(event_id, "capture").to_string()
}

/// The id `OrderCompleted` gets when the pickup request `event_id` completes the order
/// (payments' `record_pickup` derives from the capture, ordering's event from that).
pub fn completed_event_id(event_id: &str) -> String {
    let record = envelope::derived_id(&capture_id(event_id), "record_pickup").to_string();
    envelope::event_id_for(&record, 0)
}

/// Answers desks on `<root>.ev.deskans.<device>.<id>`.
#[derive(Clone, Debug)]
struct Answers {
    rt: Runtime,
    reader: LazyReader,
}

/// What [`Answers::stored`] read.
struct Stored {
    /// The refusal of the request asked about, if stored.
    refused: Option<Answered>,
    /// The subject's last sequence (0: none).
    last: u64,
    /// Every answer on the subject, oldest first.
    answers: Vec<DeskEvent>,
}

/// What became of an answer.
enum Answered {
    /// Stored now or earlier; the refusal's code and reason (as stored).
    Refused { code: String, reason: String },
}

impl Answers {
    fn subject(&self, device: &str, id: &str) -> String {
        self.rt.topology.event_subject(EventSubject::DeskAnswer {
            device: device.to_owned(),
            id: id.to_owned(),
        })
    }

    /// The answers stored for this desk on `id`, and among them the refusal of request
    /// `event_id`, if any: one read of the subject.
    async fn stored(&self, device: &str, id: &str, event_id: &str) -> Result<Stored, PublishError> {
        let reader = self.reader.get().await?;
        let history = reader.history(&self.subject(device, id)).await?;
        let last = history.last().map_or(0, |e| e.sequence);
        let wanted = refusal_id(event_id);
        let mut refused = None;
        let mut answers = Vec::with_capacity(history.len());
        for stored in &history {
            let Ok(answer) = serde_json::from_slice::<DeskEvent>(&stored.payload) else {
                continue;
            };
            if stored.msg_id == wanted {
                if let DeskEvent::OrderPickupRefused { code, reason, .. }
                | DeskEvent::StopPrepareRefused { code, reason, .. } = &answer
                {
                    refused = Some(Answered::Refused {
                        code: code.clone(),
                        reason: reason.clone(),
                    });
                }
            }
            answers.push(answer);
        }
        Ok(Stored {
            refused,
            last,
            answers,
        })
    }

    /// Appends `answer` (a refusal of request `event_id`) unless it is stored.
    async fn refuse(
        &self,
        device: &str,
        id: &str,
        event_id: &str,
        correlation: &str,
        answer: DeskEvent,
    ) -> Result<(), PublishError> {
        for _ in 0..20 {
            let Stored { refused, last, .. } = self.stored(device, id, event_id).await?;
            if refused.is_some() {
                return Ok(());
            }
            let meta = EventMeta {
                event_id: refusal_id(event_id),
                stream_type: ANSWER_STREAM_TYPE,
                stream_id: id.to_string(),
                occurred_at: answer.at().millis(),
                correlation_id: correlation.to_string(),
                causation_id: event_id.to_string(),
            };
            match envelope::append(
                &self.rt.publisher,
                &self.subject(device, id),
                last,
                &answer,
                &meta,
            )
            .await
            {
                Ok(_) => return Ok(()),
                Err(PublishError::WrongLastSequence { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(PublishError::Other {
            subject: self.subject(device, id),
            reason: "answer not appended after 20 attempts".into(),
        })
    }
}

fn dead_letter(device: &str, code: &str, reason: &str) -> Outcome {
    Outcome::Term {
        reason: format!("refused {code} for desk {device}: {reason}"),
    }
}

fn retry(what: &str, e: impl std::fmt::Display) -> Outcome {
    tracing::warn!(error = %e, "{what}; retrying");
    Outcome::Nak {
        delay: Some(Duration::from_millis(500)),
    }
}

/// `desk-pickup`: pickup requests.
pub struct PickupHandler {
    ordering: Ordering<'static>,
    registry: Registry,
    answers: Answers,
}

impl PickupHandler {
    /// A handler over the runtime.
    pub fn new(rt: &Runtime) -> Self {
        Self {
            ordering: Ordering::new(rt.clone()),
            registry: registry_of(rt),
            answers: Answers {
                rt: rt.clone(),
                reader: LazyReader::new(rt),
            },
        }
    }
}

fn registry_of(rt: &Runtime) -> Registry {
    Registry::new(
        rt.js.clone(),
        &rt.settings.topology.stream_prefix,
        rt.settings.topology.replicas,
    )
}

/// What both desk handlers learn before deciding: the request's event id and time, and the
/// desk's enrolled access (`None`: not an enrolled desk).
struct Received {
    event_id: String,
    at: Timestamp,
    access: Option<DeskAccess>,
    /// Central's earlier answers to this desk on the same order or request.
    earlier: Vec<DeskEvent>,
}

/// A request answered before (a redelivery after the answer) is dead-lettered again and
/// answered once; otherwise the desk's access is looked up. `Err` is the outcome to return.
async fn receive(
    answers: &Answers,
    registry: &Registry,
    delivery: &Delivery,
    device: &str,
    request_id: &str,
) -> Result<Received, Outcome> {
    let event_id = event_id(delivery);
    let earlier = match answers.stored(device, request_id, &event_id).await {
        Ok(Stored {
            refused: Some(Answered::Refused { code, reason }),
            ..
        }) => return Err(dead_letter(device, &code, &reason)),
        Ok(stored) => stored.answers,
        Err(e) => return Err(retry("desk answers not readable", e)),
    };
    let access = match registry.lookup(device).await {
        Ok(entry) => entry.map(|e| e.access()),
        Err(e) => return Err(retry("devices registry not readable", e)),
    };
    Ok(Received {
        event_id,
        at: at_of(delivery),
        access,
        earlier,
    })
}

fn at_of(delivery: &Delivery) -> Timestamp {
    Timestamp::from_millis(
        delivery
            .published_ms()
            .unwrap_or_else(crate::platform::envelope::now_ms),
    )
}

impl Handler for PickupHandler {
    type Message = DeskRequest;

    fn decode(&self, delivery: &Delivery) -> Result<DeskRequest, DecodeError> {
        decode_request(delivery, "pickupreq")
    }

    async fn handle(&self, delivery: &Delivery, request: DeskRequest) -> Outcome {
        let DeskEvent::OrderPickupRequested { order_id, code, .. } = request.event else {
            return Outcome::Term {
                reason: "not a pickup request".into(),
            };
        };
        let device = request.device.as_str();
        let Received {
            event_id,
            at,
            access,
            earlier,
        } = match receive(&self.answers, &self.registry, delivery, device, &request.id).await {
            Ok(received) => received,
            Err(outcome) => return outcome,
        };
        let loaded = match self.ordering.store_load(order_id).await {
            Ok(l) => Some(l),
            Err(OrderingError::NotFound(_))
                if access.is_some() && delivery.delivered() < UNKNOWN_ORDER_TRIES =>
            {
                return Outcome::Nak {
                    delay: Some(Duration::from_millis(300)),
                }
            }
            Err(OrderingError::NotFound(_)) => None,
            Err(e) => return retry("order not loadable", e),
        };
        if loaded
            .as_ref()
            .is_some_and(|l| l.event_ids.contains(&completed_event_id(&event_id)))
        {
            return Outcome::Ack; // this request completed the order
        }
        let wrong_before = recent_wrong_codes(&earlier, at);
        let order = loaded.as_ref().map(|l| &l.order);
        match decide_pickup(access.as_ref(), order, &code, wrong_before) {
            Ok(()) => self.accept(order_id, &event_id, at, device).await,
            Err(refusal) => {
                let code = refusal.code();
                let reason = match &access {
                    None => format!("{refusal}: device {device} is not an enrolled desk"),
                    Some(a) => format!("{refusal} ({} desk {device})", a.role),
                };
                let answer = DeskEvent::OrderPickupRefused {
                    order_id,
                    code: code.to_string(),
                    reason: bounded_reason(&reason),
                    at,
                };
                match self
                    .answers
                    .refuse(
                        device,
                        &request.id,
                        &event_id,
                        &order_id.to_string(),
                        answer,
                    )
                    .await
                {
                    Ok(()) => {
                        tracing::info!(order = %order_id, device, code, "pickup refused");
                        dead_letter(device, code, &reason)
                    }
                    Err(e) => retry("pickup refusal not appended", e),
                }
            }
        }
    }
}

impl PickupHandler {
    async fn accept(
        &self,
        order_id: OrderId,
        event_id: &str,
        at: Timestamp,
        device: &str,
    ) -> Outcome {
        match self
            .ordering
            .send_capture(order_id, capture_id(event_id), at)
            .await
        {
            Ok(()) => {
                tracing::info!(order = %order_id, device, "pickup accepted: capture sent");
                Outcome::Ack
            }
            Err(e) => retry("capture not sent", e),
        }
    }
}

/// The plan of a stop-prepared request `cause` by a desk with `access` on the loaded list: the
/// `StopPreparedAtCounter` to append (its id UUIDv5 of `<cause>/0`), nothing if this request is
/// already recorded or the stop already prepared, or the refusal.
pub fn decide_prepare(
    loaded: &Loaded<ShoppingList>,
    access: Option<&DeskAccess>,
    store: StoreId,
    cause: &str,
    at: Timestamp,
) -> (Plan<ListEvent>, Result<bool, StopRefusal>) {
    if loaded.record.has_event(&depot_id(&format!("{cause}/0"))) {
        return (Plan::nothing(), Ok(false));
    }
    let list = &loaded.state;
    match decide_stop(access, list, store) {
        Ok(true) => match list.decide(&ListCommand::PrepareStop {
            store_id: store,
            at,
        }) {
            Ok(events) => {
                let mut plan = Plan::nothing();
                plan.at = at.millis();
                plan.cause = Cause {
                    correlation_id: list.order_id.to_string(),
                    causation_id: cause.to_string(),
                };
                plan.events = event_ids(cause, events);
                (plan, Ok(true))
            }
            Err(_) => (Plan::nothing(), Ok(false)),
        },
        other => (Plan::nothing(), other),
    }
}

/// `desk-stops`: stop-prepared requests.
pub struct StopHandler {
    rt: Runtime,
    depot: Arc<OnceCell<Depot>>,
    registry: Registry,
    answers: Answers,
}

impl StopHandler {
    /// A handler over the runtime.
    pub fn new(rt: &Runtime) -> Self {
        Self {
            rt: rt.clone(),
            depot: Arc::new(OnceCell::new()),
            registry: registry_of(rt),
            answers: Answers {
                rt: rt.clone(),
                reader: LazyReader::new(rt),
            },
        }
    }
}

impl Handler for StopHandler {
    type Message = DeskRequest;

    fn decode(&self, delivery: &Delivery) -> Result<DeskRequest, DecodeError> {
        decode_request(delivery, "stopreq")
    }

    async fn handle(&self, delivery: &Delivery, request: DeskRequest) -> Outcome {
        let DeskEvent::StopPrepared {
            list_id, store_id, ..
        } = request.event
        else {
            return Outcome::Term {
                reason: "not a stop request".into(),
            };
        };
        let device = request.device.as_str();
        let Received {
            event_id,
            at,
            access,
            ..
        } = match receive(&self.answers, &self.registry, delivery, device, &request.id).await {
            Ok(received) => received,
            Err(outcome) => return outcome,
        };
        let depot = match crate::roles::depot::commands::depot(&self.depot, &self.rt).await {
            Ok(d) => d,
            Err(e) => return retry("depot not open", e),
        };
        let result = depot
            .lists
            .execute(&list_id.to_string(), |loaded| {
                decide_prepare(loaded, access.as_ref(), store_id, &event_id, at)
            })
            .await;
        match result {
            Ok((Ok(recorded), _)) => {
                tracing::info!(list = %list_id, store = %store_id, device, recorded,
                    "stop prepared at the counter");
                Outcome::Ack
            }
            Ok((Err(refusal), _)) => {
                let code = refusal.code();
                let reason = format!("{refusal} (store {store_id}, desk {device})");
                let answer = DeskEvent::StopPrepareRefused {
                    list_id,
                    store_id,
                    code: code.to_string(),
                    reason: bounded_reason(&reason),
                    at,
                };
                match self
                    .answers
                    .refuse(device, &request.id, &event_id, &list_id.to_string(), answer)
                    .await
                {
                    Ok(()) => {
                        tracing::info!(list = %list_id, device, code, "stop request refused");
                        dead_letter(device, code, &reason)
                    }
                    Err(e) => retry("stop refusal not appended", e),
                }
            }
            Err(e) => retry("stop not recorded", e),
        }
    }
}

/// Registers `desk-pickup` (role saga) and `desk-stops` (role depot).
pub fn register(rt: &Runtime, registry: &mut HandlerRegistry) {
    registry.register("desk-pickup", PickupHandler::new(rt));
    registry.register("desk-stops", StopHandler::new(rt));
}

#[cfg(test)]
mod tests;
