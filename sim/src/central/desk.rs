//! `desk`: a depot desk's pickup request (`OrderPickupRequested` on
//! `<root>.ev.desk.<device>.pickupreq.<order>`), decided as production's `desk-pickup` decides it:
//! production's [`decide_pickup`] for the desk's access (the simulated desk is enrolled as a
//! depot desk: production's registry is not simulated), the order and the code, with the desk's
//! earlier wrong codes ([`recent_wrong_codes`]) from central's answers; ids from the request's
//! event id as production's ([`capture_id`], [`refusal_id`], [`completed_event_id`]). Accepted:
//! ordering asks payments to capture (production's `Ordering::send_capture`); payments answers
//! `record_pickup` and ordering completes the order. Refused: an `OrderPickupRefused` answer on
//! `<root>.ev.deskans.<device>.<order>` (once per request) and the request is dead-lettered.

use super::cx::{Crash, Cx};
use super::orders::{self, device_of};
use super::Outcome;
use crate::bus::Delivery;
use mallbots_central::platform::envelope::{self, EventMeta};
use mallbots_central::roles::desk::{
    capture_id, completed_event_id, desk_subject_parts, refusal_id,
};
use mallbots_domain::desk::{
    decide_pickup, recent_wrong_codes, DeskAccess, DeskEvent, ANSWER_STREAM_TYPE,
};
use mallbots_domain::error::ErrorCode;
use mallbots_domain::Timestamp;
use mallbots_sync::engine::in_order::H_PREV_SUBJECT_SEQ;

/// Deliveries of a request naming an order central cannot find before it is refused as unknown
/// (production's `UNKNOWN_ORDER_TRIES`).
const UNKNOWN_ORDER_TRIES: u32 = 3;

/// A message on `desk`.
pub fn handle(
    cx: &mut Cx<'_>,
    d: &Delivery,
    runtime: &tokio::runtime::Runtime,
) -> Result<Outcome, Crash> {
    let m = &d.message;
    let event: DeskEvent = match serde_json::from_slice(&m.payload) {
        Ok(e) => e,
        Err(e) => return Ok(Outcome::Term(format!("decode: {e}"))),
    };
    let DeskEvent::OrderPickupRequested { order_id, code, .. } = event else {
        return Ok(Outcome::Term("not a pickup request".into()));
    };
    let Some((desk, _, _)) = desk_subject_parts(&m.subject) else {
        return Ok(Outcome::Term(format!("unexpected subject {}", m.subject)));
    };
    let desk = desk.to_owned();
    let event_id = m.msg_id.clone().unwrap_or_else(|| format!("seq/{}", m.seq));
    let answers_subject = format!("{}.ev.deskans.{desk}.{order_id}", cx.root());
    let answers = cx.bus.history(&answers_subject);
    if answers
        .iter()
        .any(|a| a.msg_id.as_deref() == Some(refusal_id(&event_id).as_str()))
    {
        return Ok(Outcome::Term("refused before".into()));
    }
    let earlier: Vec<DeskEvent> = answers
        .iter()
        .filter_map(|a| serde_json::from_slice(&a.payload).ok())
        .collect();
    let at = Timestamp::from_millis(m.published_ms);
    let order = match device_of(cx, order_id) {
        Some(kiosk) => Some(orders::load(cx.bus, &kiosk, order_id)),
        None if d.delivered < UNKNOWN_ORDER_TRIES => return Ok(Outcome::Nak(300)),
        None => None,
    };
    if let Some(kiosk) = device_of(cx, order_id) {
        let central = orders::central_subject(&cx.root(), &kiosk, order_id);
        let done = completed_event_id(&event_id);
        if cx
            .bus
            .history(&central)
            .iter()
            .any(|e| e.msg_id.as_deref() == Some(done.as_str()))
        {
            return Ok(Outcome::Ack); // this request completed the order
        }
    }
    let access = DeskAccess {
        role: "depot".into(),
        stores: Vec::new(),
    };
    let wrong_before = recent_wrong_codes(&earlier, at);
    match decide_pickup(Some(&access), order.as_ref(), &code, wrong_before) {
        Ok(()) => {
            super::ordering::send_capture(cx, d, order_id, capture_id(&event_id), runtime)?;
            Ok(Outcome::Ack)
        }
        Err(refusal) => {
            let answer = DeskEvent::OrderPickupRefused {
                order_id,
                code: refusal.code().to_owned(),
                reason: refusal.to_string(),
                at,
            };
            let payload = serde_json::to_vec(&answer).unwrap_or_default();
            let last = answers.last().map_or(0, |a| a.seq);
            // Production's envelope, as the desk role stamps its answers.
            let meta = EventMeta {
                event_id: refusal_id(&event_id),
                stream_type: ANSWER_STREAM_TYPE,
                stream_id: order_id.to_string(),
                occurred_at: at.millis(),
                correlation_id: order_id.to_string(),
                causation_id: event_id.clone(),
            };
            let mut headers = envelope::headers(&answer, &meta);
            headers.insert(H_PREV_SUBJECT_SEQ, last.to_string().as_str());
            let stored = cx.publish(
                &answers_subject,
                &refusal_id(&event_id),
                Some(last),
                headers,
                payload,
            )?;
            Ok(match stored {
                Ok(_) => Outcome::Term(format!("refused {}", refusal.code())),
                Err(_) => Outcome::Nak(500),
            })
        }
    }
}
