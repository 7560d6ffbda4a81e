//! The depot's lists over the simulated bus, decided by production's pure depot functions:
//! [`decide_saga`] for the saga's list commands, [`decide_claim`] for a bot's dispatch delivery,
//! [`decide_step`] for each step of a held list (all with the `(stream seq, delivery, bot)`
//! [`Fence`]). What they plan is applied as production's depot store does: the events appended
//! to `<root>.ev.depot.list.<id>` first, then the KV record (events, fence, replies) written with
//! compare-and-set.

use super::cx::{Crash, Cx};
use crate::faults::Planted;
use mallbots_central::platform::commands::CancelList;
use mallbots_central::platform::envelope::{self, EventMeta};
use mallbots_central::roles::depot::holding::{
    decide_claim, decide_release, decide_step, Claim, Step,
};
use mallbots_central::roles::depot::lists::{decide_saga, saga_list, SagaDecision};
use mallbots_central::roles::depot::record::{Fence, Loaded, Mirrored, Plan, Record, Stored};
use mallbots_domain::depot::{ListCommand, ListEvent, ShoppingList};
use mallbots_domain::saga::{ReplyOutcome, SagaCommand};
use mallbots_domain::{Aggregate, BotId, OrderId, ShoppingListId, Timestamp};
use mallbots_sync::engine::in_order::H_PREV_SUBJECT_SEQ;

/// KV bucket of the depot's records.
pub const DEPOT: &str = "depot";

fn key(list: ShoppingListId) -> String {
    format!("list.{list}")
}

/// The list's record and state.
pub fn load(cx: &Cx<'_>, list: ShoppingListId) -> Loaded<ShoppingList> {
    let entry = cx.bus.kv_get(DEPOT, &key(list));
    let record: Record<ListEvent> = entry
        .as_ref()
        .and_then(|e| e.value.as_ref())
        .and_then(|v| serde_json::from_slice(v).ok())
        .unwrap_or_default();
    let state = ShoppingList::from_events(record.events.iter().map(|s| &s.event));
    Loaded {
        record,
        revision: entry.map(|e| e.revision),
        state,
    }
}

/// Applies `plan` to the list; `false` if another writer got there first (compare-and-set).
pub fn apply(
    cx: &mut Cx<'_>,
    list: ShoppingListId,
    mut loaded: Loaded<ShoppingList>,
    plan: Plan<ListEvent>,
) -> Result<bool, Crash> {
    if plan.events.is_empty() && plan.fence.is_none() && plan.reply.is_none() {
        return Ok(true);
    }
    let subject = format!("{}.ev.depot.list.{list}", cx.root());
    for (id, event) in plan.events {
        if loaded.record.has_event(&id) {
            continue;
        }
        let payload = serde_json::to_vec(&event).unwrap_or_default();
        let expected = cx.bus.last_on_subject(&subject);
        // Production's envelope, as the depot's journal stamps it (the desks read these).
        let meta = EventMeta {
            event_id: id.clone(),
            stream_type: ShoppingList::KIND,
            stream_id: list.to_string(),
            occurred_at: plan.at,
            correlation_id: plan.cause.correlation_id.clone(),
            causation_id: plan.cause.causation_id.clone(),
        };
        let mut headers = envelope::headers(&event, &meta);
        if !cx.planted(Planted::InboxOutOfOrder) {
            headers.insert(H_PREV_SUBJECT_SEQ, expected.to_string().as_str());
        }
        let seq = match cx.publish(&subject, &id, Some(expected), headers, payload)? {
            Ok(seq) => seq,
            Err(_) => return Ok(false),
        };
        loaded.record.events.push(Stored { id, seq, event });
        loaded.record.last_seq = seq;
    }
    if let Some(fence) = plan.fence {
        loaded.record.fence = fence;
    }
    if let Some(reply) = plan.reply {
        loaded.record.replies.push(reply);
    }
    cx.io()?;
    let value = serde_json::to_vec(&loaded.record).unwrap_or_default();
    let (expected, now) = (loaded.revision.unwrap_or(0), cx.now);
    Ok(cx
        .bus
        .kv_swap(DEPOT, &key(list), Some(value), expected, now)
        .is_some())
}

/// A saga command on a list: decided, applied, the dispatch message published when the list
/// waits for a bot; the reply to give.
pub fn saga_command(cx: &mut Cx<'_>, command: &SagaCommand) -> Result<ReplyOutcome, Crash> {
    let Some((list, list_command)) = saga_list(command) else {
        return Ok(ReplyOutcome::failure("depot.unknown_command"));
    };
    let order = match command {
        SagaCommand::CreateShoppingList { order_id, .. }
        | SagaCommand::CancelShoppingList { order_id, .. } => *order_id,
        _ => OrderId::from(command.meta().saga_id),
    };
    let decision = run_saga(
        cx,
        list,
        &command.command_id().to_string(),
        order,
        &list_command,
    )?;
    Ok(decision.outcome)
}

/// Ordering's `cmd.depot.cancel_list` for a canceled order (a tombstone if never created).
pub fn cancel(cx: &mut Cx<'_>, c: &CancelList) -> Result<(), Crash> {
    let command = ListCommand::CancelList {
        list_id: c.list_id,
        order_id: c.order_id,
        at: c.at,
    };
    run_saga(cx, c.list_id, &c.command_id, c.order_id, &command).map(|_| ())
}

fn run_saga(
    cx: &mut Cx<'_>,
    list: ShoppingListId,
    command_id: &str,
    order: OrderId,
    command: &ListCommand,
) -> Result<SagaDecision, Crash> {
    loop {
        let loaded = load(cx, list);
        let (plan, decision) = decide_saga(&loaded, command_id, order, command);
        if !apply(cx, list, loaded, plan)? {
            continue;
        }
        if decision.dispatch.is_some() {
            let subject = format!("{}.dispatch.list.{list}", cx.root());
            let id = format!("dispatch/{list}");
            cx.publish(
                &subject,
                &id,
                None,
                Default::default(),
                list.to_string().into_bytes(),
            )?
            .ok();
        }
        return Ok(decision);
    }
}

/// A bot's delivery `fence` claims the list.
pub fn claim(cx: &mut Cx<'_>, list: ShoppingListId, fence: Fence) -> Result<Claim, Crash> {
    loop {
        let loaded = load(cx, list);
        let (plan, claim) = decide_claim(&loaded, list, fence, Timestamp::from_millis(cx.now));
        if apply(cx, list, loaded, plan)? {
            return Ok(claim);
        }
    }
}

/// The holder `fence` takes a step (`name` makes its event id).
pub fn step(
    cx: &mut Cx<'_>,
    list: ShoppingListId,
    fence: Fence,
    name: &str,
    command: &ListCommand,
) -> Result<Step, Crash> {
    loop {
        let loaded = load(cx, list);
        let at = Timestamp::from_millis(cx.now);
        let (plan, step) = decide_step(&loaded, list, fence, name, command, at);
        if apply(cx, list, loaded, plan)? {
            return Ok(step);
        }
    }
}

/// The fence the list's record holds now.
pub fn current_fence(cx: &Cx<'_>, list: ShoppingListId) -> Option<Fence> {
    load(cx, list).record.fence
}

/// Releases `list` if `bot` holds it (its driver gives it back); whether it did.
pub fn release(
    cx: &mut Cx<'_>,
    list: ShoppingListId,
    bot: BotId,
    cause: &str,
) -> Result<bool, Crash> {
    loop {
        let loaded = load(cx, list);
        let plan = decide_release(&loaded, bot, cause, Timestamp::from_millis(cx.now));
        let releasing = !plan.events.is_empty();
        if apply(cx, list, loaded, plan)? {
            return Ok(releasing);
        }
    }
}

/// Releases every list `bot` holds (a lapsed lease); how many.
pub fn release_all(cx: &mut Cx<'_>, bot: BotId, cause: &str) -> Result<usize, Crash> {
    let mut released = 0;
    for key in cx.bus.kv_keys(DEPOT) {
        let Some(list) = key
            .strip_prefix("list.")
            .and_then(|id| id.parse().ok())
            .map(ShoppingListId)
        else {
            continue;
        };
        released += usize::from(release(cx, list, bot, cause)?);
    }
    Ok(released)
}
