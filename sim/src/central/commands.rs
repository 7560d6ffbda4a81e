//! `<root>.cmd.>`: the saga's commands and the roles' follow-ups. Payments go to production's
//! payments logic ([`super::payments`]), the depot's list commands to production's depot
//! decisions ([`super::depot`]); ordering's (ApproveOrder, RejectOrder, `record_pickup`) are
//! decided by the domain's `Order` here; AuthorizeCustomer is granted. Replies go to
//! `<root>.reply.<saga>` with msg-id `reply/<command id>`, as production's `saga_reply`.

use super::cx::{Crash, Cx};
use super::orders::{self, device_of};
use super::Outcome;
use crate::bus::Delivery;
use mallbots_central::platform::commands::{
    invoice_id_for, Capture, CreateInvoice, RecordPickup, VoidPayment,
};
use mallbots_central::platform::envelope::derived_id;
use mallbots_domain::ordering::{OrderCommand, OrderStatus};
use mallbots_domain::saga::{payment_id_for, CommandMeta, ReplyOutcome, SagaCommand, SagaInput};
use mallbots_domain::{Money, OrderId, SagaId, Timestamp};
use mallbots_wire::service_subjects::CommandContext;

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

/// Sends a command to a role (`<root>.cmd.<context>.<name>`, msg-id = its command id).
pub fn send<T: serde::Serialize>(
    cx: &mut Cx<'_>,
    context: CommandContext,
    name: &str,
    command_id: &str,
    body: &T,
) -> Result<(), Crash> {
    let subject = format!("{}.cmd.{}.{name}", cx.root(), context.token());
    let payload = serde_json::to_vec(body).unwrap_or_default();
    cx.publish(&subject, command_id, None, Default::default(), payload)?
        .ok();
    Ok(())
}

/// Ordering's follow-up of a cancellation: void the order's payment (a tombstone if there is
/// none yet).
pub fn void_payment(cx: &mut Cx<'_>, order: OrderId, cause: &str) -> Result<(), Crash> {
    let body = VoidPayment {
        command_id: derived_id(cause, "void_payment").to_string(),
        order_id: order,
        payment_id: payment_id_for(SagaId::from(order)),
        at: Timestamp::from_millis(cx.now),
    };
    send(
        cx,
        CommandContext::Payments,
        "void_payment",
        &body.command_id.clone(),
        &body,
    )
}

/// Ordering's follow-up of a ready order: its invoice.
pub fn create_invoice(cx: &mut Cx<'_>, order: OrderId, amount: Money) -> Result<(), Crash> {
    let body = CreateInvoice {
        command_id: derived_id(&order.to_string(), "create_invoice").to_string(),
        order_id: order,
        invoice_id: invoice_id_for(order),
        amount,
        at: Timestamp::from_millis(cx.now),
    };
    send(
        cx,
        CommandContext::Payments,
        "create_invoice",
        &body.command_id.clone(),
        &body,
    )
}

/// A pickup at the desk: capture the payment and pay the invoice (payments answers with
/// `record_pickup`).
pub fn capture(cx: &mut Cx<'_>, order: OrderId) -> Result<(), Crash> {
    let body = Capture {
        command_id: derived_id(&order.to_string(), "capture").to_string(),
        order_id: order,
        payment_id: payment_id_for(SagaId::from(order)),
        invoice_id: invoice_id_for(order),
        at: Timestamp::from_millis(cx.now),
    };
    send(
        cx,
        CommandContext::Payments,
        "capture",
        &body.command_id.clone(),
        &body,
    )
}

/// A message on `commands`.
pub fn handle(
    cx: &mut Cx<'_>,
    d: &Delivery,
    runtime: &tokio::runtime::Runtime,
) -> Result<Outcome, Crash> {
    let subject = d.message.subject.clone();
    if subject.contains(".cmd.payments.") {
        return super::payments::handle(cx, d, runtime);
    }
    if subject.ends_with(".record_pickup") {
        return record_pickup(cx, d);
    }
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
        SagaCommand::AuthorizePayment { .. } | SagaCommand::VoidPayment { .. } => {
            Ok(Outcome::Term(format!("a payments command on {subject}")))
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
                        OrderStatus::Approved
                            | OrderStatus::InProgress
                            | OrderStatus::Ready
                            | OrderStatus::Completed
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

/// Payments captured and paid: the order is completed.
fn record_pickup(cx: &mut Cx<'_>, d: &Delivery) -> Result<Outcome, Crash> {
    let c: RecordPickup = match serde_json::from_slice(&d.message.payload) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Term(format!("decode: {e}"))),
    };
    let Some(device) = device_of(cx, c.order_id) else {
        return Ok(Outcome::Term("pickup.unknown_order".into()));
    };
    let complete = OrderCommand::CompleteOrder {
        invoice_id: c.invoice_id,
        at: c.at,
    };
    orders::execute(cx, &device, c.order_id, complete, &c.command_id)?.ok();
    Ok(Outcome::Ack)
}
