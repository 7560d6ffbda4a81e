//! Decisions on a list held by a dispatch delivery: claiming it ([`decide_claim`]), stepping
//! through it ([`decide_step`]) and releasing it ([`decide_release`]). The delivery's [`Fence`]
//! (stream sequence, delivery count, bot) in the list's KV record keeps an older delivery of the
//! same message from acting; a newer delivery takes over from a holder whose ack wait expired.
//! Pure functions of the loaded record; unit-tested in `lists_tests.rs`.

use mallbots_domain::depot::{ListCommand, ListEvent, ListStatus, ShoppingList, Stop};
use mallbots_domain::error::ErrorCode;
use mallbots_domain::ids::{BotId, OrderId, ShoppingListId};
use mallbots_domain::{Aggregate, Timestamp};

use super::journal::{derived_id, Cause};
use super::lists::event_ids;
use super::store::{Fence, Loaded, Plan};

/// What a bot's delivery of a dispatch message may do with the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The bot holds the list now. `taken_from` is a bot whose delivery expired (dead driver).
    Assigned {
        /// The order.
        order_id: OrderId,
        /// Stops still to pick.
        stops: Vec<Stop>,
        /// The previous holder, released.
        taken_from: Option<BotId>,
    },
    /// The list was completed (by this or an earlier delivery, whose driver may have died before
    /// sending `ready_order` or acking): re-send ready, then ack.
    Completed {
        /// The order.
        order_id: OrderId,
    },
    /// Nothing to shop (canceled, or another message's live delivery holds it): ack the message.
    Skip(&'static str),
    /// The list is not (yet) there or not yet available, maybe only as this replica read it (a
    /// direct get served by a lagging follower): give the message back for later, don't ack.
    NotYet(&'static str),
    /// A newer delivery of the same message holds the list: drop this one (no ack).
    Stale,
}

fn fence_key(list: ShoppingListId, f: &Fence) -> String {
    format!("{list}/{}/{}", f.stream_seq, f.delivered)
}

/// Decides whether the delivery `fence` (with its bot) may take the list.
pub fn decide_claim(
    loaded: &Loaded<ShoppingList>,
    list_id: ShoppingListId,
    fence: Fence,
    at: Timestamp,
) -> (Plan<ListEvent>, Claim) {
    let list = &loaded.state;
    let current = loaded.record.fence;
    let same_message = current.is_some_and(|c| c.stream_seq == fence.stream_seq);
    if same_message && current.is_some_and(|c| c.delivered > fence.delivered) {
        return (Plan::nothing(), Claim::Stale);
    }
    let mine = current == Some(fence);
    // The delivery whose claim made the current assignment: the id of the last
    // `ShoppingListAssigned` derives from its fence. A claim whose events landed but whose
    // record (with the fence) did not (a failed KV write, its message given back) leaves an
    // assignment no live delivery holds.
    let assign_id = |f: &Fence| derived_id(&format!("{}/assign", fence_key(list_id, f)));
    let last_assign = loaded
        .record
        .events
        .iter()
        .rev()
        .find(|e| matches!(e.event, ListEvent::ShoppingListAssigned { .. }))
        .map(|e| e.id.as_str());
    let fenced_holder = current.is_some_and(|c| last_assign == Some(assign_id(&c).as_str()));
    let landed_mine = last_assign == Some(assign_id(&fence).as_str());
    let mut plan = Plan::nothing();
    plan.at = at.millis();
    plan.cause = Cause {
        correlation_id: list.order_id.to_string(),
        causation_id: fence_key(list_id, &fence),
    };
    let assigned = |taken_from| Claim::Assigned {
        order_id: list.order_id,
        stops: list.stops.iter().filter(|s| !s.picked).cloned().collect(),
        taken_from,
    };
    match list.status {
        None => (plan, Claim::NotYet("list.not_found")),
        Some(ListStatus::Created) => (plan, Claim::NotYet("list.not_available")),
        Some(ListStatus::Canceled) => (plan, Claim::Skip("list.canceled")),
        // Whichever delivery completed it, the `ready_order` after `ShoppingListCompleted` may
        // not have been sent (the driver died before it): send it again (idempotent by its
        // command id `ready_order/<list>`), then ack.
        Some(ListStatus::Completed) => (
            plan,
            Claim::Completed {
                order_id: list.order_id,
            },
        ),
        Some(ListStatus::Assigned | ListStatus::InProgress) if mine => (plan, assigned(None)),
        Some(ListStatus::Assigned | ListStatus::InProgress) if landed_mine => {
            // This delivery's own claim reached the log but not the record: finish it.
            plan.fence = Some(Some(fence));
            (plan, assigned(None))
        }
        Some(ListStatus::Assigned | ListStatus::InProgress) if same_message || !fenced_holder => {
            // The holder's delivery expired (its driver died), or the assignment is an orphan
            // of a claim that failed half-way (no delivery holds it): release and take over.
            // Only a fenced holder's bot is taken from (an orphan's bot never started).
            let old = if fenced_holder { list.bot_id } else { None };
            let key = fence_key(list_id, &fence);
            let mut events = Vec::new();
            let mut state = list.clone();
            for (name, cmd) in [
                ("release", ListCommand::ReleaseList { at }),
                (
                    "assign",
                    ListCommand::AssignBot {
                        bot_id: fence.bot_id,
                        at,
                    },
                ),
            ] {
                match state.decide(&cmd) {
                    Ok(evs) => {
                        for e in evs {
                            state.apply(&e);
                            events.push((derived_id(&format!("{key}/{name}")), e));
                        }
                    }
                    Err(_) => return (Plan::nothing(), Claim::Skip("list.not_available")),
                }
            }
            plan.events = events;
            plan.fence = Some(Some(fence));
            let stops = state.stops.clone();
            (
                plan,
                Claim::Assigned {
                    order_id: list.order_id,
                    stops,
                    taken_from: old,
                },
            )
        }
        // Another message of the same list (a duplicate initiate) while a delivery of the
        // fenced message holds it: that message stays unacked until the list is done.
        Some(ListStatus::Assigned | ListStatus::InProgress) => (plan, Claim::Skip("list.held")),
        Some(ListStatus::Available) => {
            match list.decide(&ListCommand::AssignBot {
                bot_id: fence.bot_id,
                at,
            }) {
                Ok(events) => {
                    let key = fence_key(list_id, &fence);
                    plan.events = events
                        .into_iter()
                        .map(|e| (derived_id(&format!("{key}/assign")), e))
                        .collect();
                    plan.fence = Some(Some(fence));
                    (plan, assigned(None))
                }
                Err(_) => (plan, Claim::NotYet("list.not_available")),
            }
        }
    }
}

/// The result of a bot's step on its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Recorded (now or before).
    Done,
    /// The list was canceled: stop, ack the message, go home.
    Canceled,
    /// The list was released while this delivery held it (bot taken offline): nak the message.
    Released,
    /// Another delivery holds the list: stop without touching the message.
    Stale,
    /// The domain refused the step (a bug in the driver); the code says why.
    Refused(&'static str),
}

/// Decides one step (`ArriveAtStop`, `PickUpItems`, `CompleteList`) of the holder `fence`.
pub fn decide_step(
    loaded: &Loaded<ShoppingList>,
    list_id: ShoppingListId,
    fence: Fence,
    name: &str,
    cmd: &ListCommand,
    at: Timestamp,
) -> (Plan<ListEvent>, Step) {
    let list = &loaded.state;
    let id = derived_id(&format!("{}/{name}", fence_key(list_id, &fence)));
    if loaded.record.fence != Some(fence) {
        return (Plan::nothing(), Step::Stale);
    }
    if loaded.record.has_event(&id) {
        return (Plan::nothing(), Step::Done);
    }
    match list.status {
        Some(ListStatus::Canceled) => return (Plan::nothing(), Step::Canceled),
        Some(ListStatus::Available) => return (Plan::nothing(), Step::Released),
        _ => {}
    }
    match list.decide(cmd) {
        Ok(events) => {
            let mut plan = Plan::nothing();
            plan.at = at.millis();
            plan.cause = Cause {
                correlation_id: list.order_id.to_string(),
                causation_id: fence_key(list_id, &fence),
            };
            plan.events = events.into_iter().map(|e| (id.clone(), e)).collect();
            (plan, Step::Done)
        }
        Err(e) => (Plan::nothing(), Step::Refused(e.code())),
    }
}

/// Releases the list held by `bot_id` (the bot went offline); the fence stays, so the holding
/// delivery sees [`Step::Released`] and naks its message. Nothing if the bot does not hold it.
pub fn decide_release(
    loaded: &Loaded<ShoppingList>,
    bot_id: BotId,
    cause: &str,
    at: Timestamp,
) -> Plan<ListEvent> {
    let list = &loaded.state;
    let held = matches!(
        list.status,
        Some(ListStatus::Assigned | ListStatus::InProgress)
    ) && list.bot_id == Some(bot_id);
    if !held {
        return Plan::nothing();
    }
    match list.decide(&ListCommand::ReleaseList { at }) {
        Ok(events) => {
            let mut plan = Plan::nothing();
            plan.at = at.millis();
            plan.cause = Cause {
                correlation_id: list.order_id.to_string(),
                causation_id: cause.to_string(),
            };
            plan.events = event_ids(&format!("{cause}/release/{bot_id}"), events);
            plan
        }
        Err(_) => Plan::nothing(),
    }
}

#[cfg(test)]
#[path = "holding_tests.rs"]
mod tests;
