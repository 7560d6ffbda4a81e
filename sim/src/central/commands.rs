//! `<root>.cmd.>`: the saga's commands and the roles' follow-ups. Payments and ordering go to
//! production's logic ([`super::payments`], [`super::ordering`]), the depot's list commands to
//! production's depot decisions ([`super::depot`]), AuthorizeCustomer to production's
//! [`authorize`] over the customer folded from the stream ([`super::views`]). Replies go to `<root>.reply.<saga>` with msg-id
//! `reply/<command id>`, as production's `saga_reply`.

use super::cx::{interleave, Crash, Cx};
use super::sim_io::SharedCx;
use super::Outcome;
use crate::bus::Delivery;
use mallbots_central::roles::customers::authorize;
use mallbots_domain::saga::{CommandMeta, ReplyOutcome, SagaCommand, SagaInput};
use mallbots_domain::Timestamp;
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

/// A message on `commands`, handled by one replica; taken at once by as many replicas
/// (`on_replicas`), payments' and ordering's (production's async handlers) interleave their reads, appends and gateway calls; the depot's
/// list commands run whole between them.
pub(super) async fn run(
    shared: &SharedCx<'_, '_>,
    d: &Delivery,
    replica: usize,
) -> Result<Outcome, Crash> {
    let subject = &d.message.subject;
    if subject.contains(".cmd.payments.") {
        return super::payments::run(shared, d, replica).await;
    }
    if subject.contains(".cmd.ordering.") {
        return super::ordering::run(shared, d, replica).await;
    }
    interleave().await;
    let mut cx = shared.lock().unwrap_or_else(|p| p.into_inner());
    cx.replica = replica;
    handle_depot(&mut cx, d)
}

/// A depot or customers command (decided synchronously, as one step).
fn handle_depot(cx: &mut Cx<'_>, d: &Delivery) -> Result<Outcome, Crash> {
    let subject = d.message.subject.clone();
    if subject.ends_with(".cmd.depot.cancel_list") {
        return match serde_json::from_slice(&d.message.payload) {
            Ok(c) => super::depot::cancel(cx, &c).map(|()| Outcome::Ack),
            Err(e) => Ok(Outcome::Term(format!("decode: {e}"))),
        };
    }
    let command: SagaCommand = match serde_json::from_slice(&d.message.payload) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Term(format!("decode: {e}"))),
    };
    let meta = *command.meta();
    match command {
        SagaCommand::AuthorizeCustomer { customer_id, .. } => {
            let customer = super::views::customer(cx.bus, customer_id);
            let at = Timestamp::from_millis(meta.issued_at.millis());
            match authorize(&customer, i64::from(d.delivered), at) {
                Some(outcome) => reply(cx, &meta, outcome),
                None => Ok(Outcome::Nak(250)),
            }
        }
        SagaCommand::CreateShoppingList { .. }
        | SagaCommand::CancelShoppingList { .. }
        | SagaCommand::InitiateShopping { .. } => {
            let outcome = super::depot::saga_command(cx, &command)?;
            reply(cx, &meta, outcome)
        }
        other => Ok(Outcome::Term(format!("{} on {subject}", other.name()))),
    }
}
