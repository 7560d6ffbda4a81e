//! Saga-command decisions on a loaded shopping list: the domain's `decide` plus what central adds
//! around it: idempotency by command id (a stored reply, or the command's first event id already
//! in the log), deterministic event ids, and "already done" refusals answered as successes.
//! Pure functions of the loaded record, unit-tested in `lists_tests.rs` (with [`super::holding`]);
//! [`super::store::Store::execute`] writes their plans.

use mallbots_domain::depot::{ListCommand, ListError, ListEvent, ListStatus, ShoppingList};
use mallbots_domain::error::ErrorCode;
use mallbots_domain::ids::{OrderId, ShoppingListId};
use mallbots_domain::saga::{ReplyOutcome, SagaCommand};
use mallbots_domain::{Aggregate, Timestamp};

use super::journal::{derived_id, Cause};
use super::store::{Loaded, Plan};

/// What a saga command did to its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SagaDecision {
    /// The reply for the saga.
    pub outcome: ReplyOutcome,
    /// The list became (or already is) available: make sure its dispatch message exists.
    pub dispatch: Option<Timestamp>,
}

/// The list a saga command is about, if it is a depot command.
pub fn saga_list(cmd: &SagaCommand) -> Option<(ShoppingListId, ListCommand)> {
    let at = cmd.meta().issued_at;
    match cmd {
        SagaCommand::CreateShoppingList {
            list_id,
            order_id,
            items,
            ..
        } => Some((
            *list_id,
            ListCommand::CreateShoppingList {
                list_id: *list_id,
                order_id: *order_id,
                items: items.clone(),
                at,
            },
        )),
        SagaCommand::CancelShoppingList {
            list_id, order_id, ..
        } => Some((
            *list_id,
            ListCommand::CancelList {
                list_id: *list_id,
                order_id: *order_id,
                at,
            },
        )),
        SagaCommand::InitiateShopping { list_id, .. } => {
            Some((*list_id, ListCommand::InitiateShopping { at }))
        }
        _ => None,
    }
}

pub(crate) fn event_ids(cause: &str, events: Vec<ListEvent>) -> Vec<(String, ListEvent)> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| (derived_id(&format!("{cause}/{i}")), e))
        .collect()
}

fn success(list: &ShoppingList, cmd: &ListCommand) -> ReplyOutcome {
    match cmd {
        ListCommand::CreateShoppingList { list_id, .. } => ReplyOutcome::Success {
            list_id: Some(if list.status.is_some() {
                list.id
            } else {
                *list_id
            }),
            payment_id: None,
        },
        _ => ReplyOutcome::success(),
    }
}

/// Decides a saga command (`command_id`) on its list: a reply already given is given again; a
/// command whose first event is already in the log succeeded; rule violations that mean "already
/// done" (created for the same order, canceled twice, initiated twice) are successes too.
pub fn decide_saga(
    loaded: &Loaded<ShoppingList>,
    command_id: &str,
    order_id: OrderId,
    cmd: &ListCommand,
) -> (Plan<ListEvent>, SagaDecision) {
    let list = &loaded.state;
    // Only a list still waiting for a bot needs its dispatch message (re-)published.
    let available = |l: &ShoppingList| {
        let waiting = matches!(cmd, ListCommand::InitiateShopping { .. })
            && l.status == Some(ListStatus::Available);
        waiting.then_some(l.available_since).flatten()
    };
    if let Some(outcome) = loaded.record.reply(command_id) {
        let dispatch = match outcome {
            ReplyOutcome::Success { .. } => available(list),
            ReplyOutcome::Failure { .. } => None,
        };
        let decision = SagaDecision {
            outcome: outcome.clone(),
            dispatch,
        };
        return (Plan::nothing(), decision);
    }
    let mut plan = Plan::nothing();
    plan.cause = Cause {
        correlation_id: order_id.to_string(),
        causation_id: command_id.to_string(),
    };
    let done_before = loaded
        .record
        .has_event(&derived_id(&format!("{command_id}/0")));
    let outcome = if done_before {
        success(list, cmd)
    } else {
        match list.decide(cmd) {
            Ok(events) => {
                plan.at = events.first().map_or(0, event_at);
                plan.events = event_ids(command_id, events);
                success(list, cmd)
            }
            Err(e) if already_done(list, order_id, cmd, &e) => success(list, cmd),
            Err(e) => ReplyOutcome::failure(e.code()),
        }
    };
    // The state after the plan, for the dispatch time of a just-initiated list.
    let mut after = list.clone();
    for (_, e) in &plan.events {
        after.apply(e);
    }
    let dispatch = match &outcome {
        ReplyOutcome::Success { .. } => available(&after),
        ReplyOutcome::Failure { .. } => None,
    };
    plan.reply = Some((command_id.to_string(), outcome.clone()));
    (plan, SagaDecision { outcome, dispatch })
}

fn already_done(list: &ShoppingList, order_id: OrderId, cmd: &ListCommand, e: &ListError) -> bool {
    match (cmd, e) {
        (ListCommand::CreateShoppingList { .. }, ListError::AlreadyExists) => {
            list.order_id == order_id
        }
        (ListCommand::CancelList { .. }, ListError::Canceled) => true,
        (ListCommand::InitiateShopping { .. }, ListError::AlreadyInitiated) => true,
        _ => false,
    }
}

/// The time of a list event.
pub fn event_at(e: &ListEvent) -> i64 {
    match e {
        ListEvent::ShoppingListCreated { at, .. }
        | ListEvent::ShoppingListAvailable { at, .. }
        | ListEvent::ShoppingListAssigned { at, .. }
        | ListEvent::BotArrivedAtStop { at, .. }
        | ListEvent::StopItemsPickedUp { at, .. }
        | ListEvent::ShoppingListCompleted { at, .. }
        | ListEvent::ShoppingListCanceled { at, .. }
        | ListEvent::ShoppingListReleased { at, .. }
        | ListEvent::StopPreparedAtCounter { at, .. } => at.millis(),
    }
}

#[cfg(test)]
#[path = "lists_tests.rs"]
mod tests;
