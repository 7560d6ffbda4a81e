//! The saga's commands on `<root>.cmd.>`: customers, depot (lists), payments (through the
//! gateway, idempotent by command id) and ordering. Each answers on `<root>.reply.<saga>` with
//! msg-id `reply/<command id>`, as production's `saga_reply` does; RejectOrder is not answered.
//! Payments keep their events in KV (one key per aggregate, compare-and-set); lists are the
//! depot's ([`super::depot`], production's decisions).

use super::cx::{Crash, Cx};
use super::orders::{self, device_of};
use super::Outcome;
use crate::bus::Delivery;
use crate::faults::Planted;
use mallbots_domain::ordering::OrderCommand;
use mallbots_domain::payments::{Payment, PaymentCommand, PaymentStatus};
use mallbots_domain::saga::{CommandMeta, ReplyOutcome, SagaCommand, SagaInput};
use mallbots_domain::{Aggregate, OrderId, PaymentId, Timestamp};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// KV bucket of payments' events.
pub const PAYMENTS: &str = "payments";

/// An aggregate kept as its events under one KV key.
pub fn load<A: Aggregate>(cx: &Cx<'_>, bucket: &str, key: &str) -> (A, Vec<A::Event>, u64)
where
    A::Event: DeserializeOwned,
{
    match cx.bus.kv_get(bucket, key) {
        Some(entry) => {
            let events: Vec<A::Event> = entry
                .value
                .and_then(|v| serde_json::from_slice(&v).ok())
                .unwrap_or_default();
            (A::from_events(&events), events, entry.revision)
        }
        None => (A::default(), Vec::new(), 0),
    }
}

/// Decides `command` on the aggregate under `key` and stores its events (compare-and-set).
pub fn run<A: Aggregate>(
    cx: &mut Cx<'_>,
    bucket: &str,
    key: &str,
    command: &A::Command,
) -> Result<Result<A, String>, Crash>
where
    A::Event: DeserializeOwned + Serialize,
{
    let (state, mut events, revision) = load::<A>(cx, bucket, key);
    let new = match state.decide(command) {
        Ok(new) => new,
        Err(e) => return Ok(Err(mallbots_domain::error::ErrorCode::code(&e).to_owned())),
    };
    let mut next = state;
    for e in &new {
        next.apply(e);
    }
    events.extend(new);
    cx.io()?;
    let value = serde_json::to_vec(&events).unwrap_or_default();
    match cx.bus.kv_swap(bucket, key, Some(value), revision) {
        Some(_) => Ok(Ok(next)),
        None => Ok(Err("kv.conflict".into())),
    }
}

fn reply(cx: &mut Cx<'_>, meta: &CommandMeta, outcome: ReplyOutcome) -> Result<Outcome, Crash> {
    let input = SagaInput {
        input_id: format!("reply/{}", meta.command_id),
        at: Timestamp::from_millis(cx.now),
        kind: meta.reply(outcome),
    };
    let subject = format!("{}.reply.{}", cx.root(), meta.saga_id);
    let payload = serde_json::to_vec(&input).unwrap_or_default();
    cx.publish(&subject, &input.input_id, None, Default::default(), payload)?
        .map(|_| Outcome::Ack)
        .or(Ok(Outcome::Nak(200)))
}

/// Voids `payment` (at the gateway if it was authorized; a tombstone if it never was).
pub fn void_payment(
    cx: &mut Cx<'_>,
    payment: PaymentId,
    order: OrderId,
    key: &str,
) -> Result<(), Crash> {
    let id = payment.to_string();
    let (state, ..) = load::<Payment>(cx, PAYMENTS, &id);
    if state.status == Some(PaymentStatus::Authorized) {
        cx.io()?;
        cx.effects.void(key, &id);
    }
    let command = PaymentCommand::VoidPayment {
        payment_id: payment,
        order_id: order,
        at: Timestamp::from_millis(cx.now),
    };
    run::<Payment>(cx, PAYMENTS, &id, &command)?.ok();
    Ok(())
}

fn success(list: Option<mallbots_domain::ShoppingListId>, payment: Option<PaymentId>) -> ReplyOutcome {
    ReplyOutcome::Success {
        list_id: list,
        payment_id: payment,
    }
}

/// A message on `commands`.
pub fn handle(cx: &mut Cx<'_>, d: &Delivery) -> Result<Outcome, Crash> {
    let command: SagaCommand = match serde_json::from_slice(&d.message.payload) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Term(format!("decode: {e}"))),
    };
    let meta = *command.meta();
    let at = meta.issued_at;
    let cause = meta.command_id.to_string();
    match command {
        SagaCommand::AuthorizeCustomer { .. } => reply(cx, &meta, ReplyOutcome::success()),
        SagaCommand::CreateShoppingList { .. }
        | SagaCommand::CancelShoppingList { .. }
        | SagaCommand::InitiateShopping { .. } => {
            let outcome = super::depot::saga_command(cx, &command)?;
            reply(cx, &meta, outcome)
        }
        SagaCommand::AuthorizePayment {
            payment_id,
            order_id,
            amount,
            card_token,
            ..
        } => authorize(
            cx,
            &meta,
            d.delivered,
            payment_id,
            order_id,
            amount,
            card_token,
        ),
        SagaCommand::VoidPayment {
            payment_id,
            order_id,
            ..
        } => {
            void_payment(cx, payment_id, order_id, &cause)?;
            reply(cx, &meta, ReplyOutcome::success())
        }
        SagaCommand::ApproveOrder { order_id, .. } => {
            let Some(device) = device_of(cx, order_id) else {
                return Ok(Outcome::Nak(300));
            };
            let approve = OrderCommand::ApproveOrder { at };
            match orders::execute(cx, &device, order_id, approve, &cause)? {
                Ok(()) => reply(cx, &meta, ReplyOutcome::success()),
                Err(code) => {
                    let status = orders::load(cx, &device, order_id).status();
                    if matches!(
                        status,
                        mallbots_domain::ordering::OrderStatus::Approved
                            | mallbots_domain::ordering::OrderStatus::InProgress
                            | mallbots_domain::ordering::OrderStatus::Ready
                            | mallbots_domain::ordering::OrderStatus::Completed
                    ) {
                        reply(cx, &meta, ReplyOutcome::success())
                    } else {
                        reply(cx, &meta, ReplyOutcome::failure(code))
                    }
                }
            }
        }
        SagaCommand::RejectOrder {
            order_id, reason, ..
        } => {
            let Some(device) = device_of(cx, order_id) else {
                return Ok(Outcome::Nak(300));
            };
            let reject = OrderCommand::RejectOrder { reason, at };
            orders::execute(cx, &device, order_id, reject, &cause)?.ok();
            Ok(Outcome::Ack)
        }
    }
}

/// AuthorizePayment: the gateway call is keyed by the command id, so a redelivery (a crash
/// after the call, before the payment was recorded) authorizes once.
#[allow(clippy::too_many_arguments)]
fn authorize(
    cx: &mut Cx<'_>,
    meta: &CommandMeta,
    delivered: u32,
    payment: PaymentId,
    order: OrderId,
    amount: mallbots_domain::Money,
    card: String,
) -> Result<Outcome, Crash> {
    let id = payment.to_string();
    let (state, ..) = load::<Payment>(cx, PAYMENTS, &id);
    match state.status {
        Some(PaymentStatus::Authorized) => return reply(cx, meta, success(None, Some(payment))),
        Some(PaymentStatus::Voided) => {
            // Voided while an earlier delivery of this command may have been authorized at
            // the gateway and crashed before recording it: release that hold (a no-op if
            // there is none), as production's payments handler does.
            cx.io()?;
            cx.effects
                .void(&format!("{}/release", meta.command_id), &id);
            return reply(cx, meta, ReplyOutcome::failure("payment.already_voided"));
        }
        Some(PaymentStatus::Declined) => {
            return reply(cx, meta, ReplyOutcome::failure("payment.declined"))
        }
        _ => {}
    }
    let key = if cx.planted(Planted::PaymentStepTwice) {
        format!("{}/{delivered}", meta.command_id)
    } else {
        meta.command_id.to_string()
    };
    cx.io()?;
    let at = Timestamp::from_millis(cx.now);
    let command = match cx.effects.authorize(&key, &id, &card) {
        crate::effects::GatewayResult::Done => PaymentCommand::AuthorizePayment {
            payment_id: payment,
            order_id: order,
            amount,
            card_token: card,
            at,
        },
        crate::effects::GatewayResult::Declined => PaymentCommand::DeclinePayment {
            payment_id: payment,
            order_id: order,
            amount,
            reason: "card declined".into(),
            at,
        },
    };
    match run::<Payment>(cx, PAYMENTS, &id, &command)? {
        Ok(p) if p.status == Some(PaymentStatus::Authorized) => {
            reply(cx, meta, success(None, Some(payment)))
        }
        Ok(_) => reply(cx, meta, ReplyOutcome::failure("payment.declined")),
        Err(code) => reply(cx, meta, ReplyOutcome::failure(code)),
    }
}
