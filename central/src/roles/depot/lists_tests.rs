//! Unit tests of the list decisions: idempotency by command id, "already done" refusals as
//! successes, the dispatch fence (stale deliveries, takeover of an expired holder, duplicates).

use mallbots_domain::depot::{ListCommand, ListEvent, ListItem, ListStatus, ShoppingList};
use mallbots_domain::ids::{BotId, ProductId, ShoppingListId, StoreId};
use mallbots_domain::saga::ReplyOutcome;
use mallbots_domain::{Aggregate, Timestamp};
use uuid::Uuid;

use super::*;
use crate::roles::depot::holding::*;
use crate::roles::depot::store::{Fence, Loaded, Record, Stored};

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(n))
}

const LIST: u128 = 1;
const ORDER: u128 = 2;

/// A loaded list after applying `plans`' events in order.
fn loaded(events: Vec<(String, ListEvent)>, fence: Option<Fence>) -> Loaded<ShoppingList> {
    let events: Vec<Stored<ListEvent>> = events
        .into_iter()
        .enumerate()
        .map(|(i, (id, event))| Stored {
            id,
            seq: i as u64 + 1,
            event,
        })
        .collect();
    let state = ShoppingList::from_events(events.iter().map(|e| &e.event));
    Loaded {
        record: Record {
            last_seq: events.len() as u64,
            events,
            fence,
            replies: Vec::new(),
        },
        revision: Some(1),
        state,
    }
}

fn create_cmd() -> ListCommand {
    let store: StoreId = id(10);
    ListCommand::CreateShoppingList {
        list_id: id(LIST),
        order_id: id(ORDER),
        items: vec![ListItem {
            store_id: store,
            product_id: ProductId::for_sku(store, "a"),
            product_name: "a".into(),
            quantity: 1,
        }],
        at: Timestamp::from_millis(1),
    }
}

/// Runs a saga command on `l` and returns the state with its events appended.
fn run(
    l: Loaded<ShoppingList>,
    cmd_id: &str,
    cmd: &ListCommand,
) -> (Loaded<ShoppingList>, ReplyOutcome) {
    let (plan, d) = decide_saga(&l, cmd_id, id(ORDER), cmd);
    let mut events: Vec<(String, ListEvent)> = l
        .record
        .events
        .iter()
        .map(|e| (e.id.clone(), e.event.clone()))
        .collect();
    events.extend(plan.events);
    let mut next = loaded(events, l.record.fence);
    next.record.replies = l.record.replies.clone();
    next.record.replies.extend(plan.reply);
    (next, d.outcome)
}

fn available() -> Loaded<ShoppingList> {
    let (l, _) = run(loaded(vec![], None), "c1", &create_cmd());
    let (l, _) = run(
        l,
        "c2",
        &ListCommand::InitiateShopping {
            at: Timestamp::from_millis(2),
        },
    );
    l
}

fn fence(delivered: i64, bot: u128) -> Fence {
    Fence {
        stream_seq: 7,
        delivered,
        bot_id: id(bot),
    }
}

#[test]
fn create_replies_with_the_list_and_a_repeat_writes_nothing() {
    let (l, outcome) = run(loaded(vec![], None), "c1", &create_cmd());
    let list: ShoppingListId = id(LIST);
    assert_eq!(
        outcome,
        ReplyOutcome::Success {
            list_id: Some(list),
            payment_id: None
        }
    );
    assert_eq!(l.record.events.len(), 1);
    let (plan, d) = decide_saga(&l, "c1", id(ORDER), &create_cmd());
    assert!(plan.events.is_empty() && plan.reply.is_none());
    assert_eq!(d.outcome, outcome);
}

#[test]
fn a_lost_reply_is_recovered_from_the_event_id() {
    let (l, _) = run(loaded(vec![], None), "c1", &create_cmd());
    let mut l = l;
    l.record.replies.clear(); // the writer died after the events, before the mirror
    let (plan, d) = decide_saga(&l, "c1", id(ORDER), &create_cmd());
    assert!(plan.events.is_empty());
    assert!(matches!(d.outcome, ReplyOutcome::Success { .. }));
}

#[test]
fn a_new_attempt_on_an_existing_list_succeeds_but_a_broken_rule_fails() {
    let (l, _) = run(loaded(vec![], None), "c1", &create_cmd());
    let (_, again) = run(l.clone(), "c1-attempt2", &create_cmd());
    assert!(matches!(again, ReplyOutcome::Success { .. }));
    let (_, initiate) = run(
        l,
        "i1",
        &ListCommand::InitiateShopping {
            at: Timestamp::from_millis(2),
        },
    );
    assert_eq!(initiate, ReplyOutcome::success());
    let empty = ListCommand::CreateShoppingList {
        list_id: id(3),
        order_id: id(ORDER),
        items: vec![],
        at: Timestamp::from_millis(1),
    };
    let (_, failed) = run(loaded(vec![], None), "c9", &empty);
    assert_eq!(failed, ReplyOutcome::failure("list.no_items"));
}

#[test]
fn initiating_asks_for_a_dispatch_message_with_the_available_time() {
    let (l, _) = run(loaded(vec![], None), "c1", &create_cmd());
    let (_, d) = decide_saga(
        &l,
        "c2",
        id(ORDER),
        &ListCommand::InitiateShopping {
            at: Timestamp::from_millis(5),
        },
    );
    assert_eq!(d.dispatch, Some(Timestamp::from_millis(5)));
}

#[test]
fn the_first_delivery_claims_an_available_list() {
    let l = available();
    let (plan, claim) = decide_claim(&l, id(LIST), fence(1, 100), Timestamp::from_millis(9));
    assert!(matches!(
        claim,
        Claim::Assigned {
            taken_from: None,
            ..
        }
    ));
    assert_eq!(plan.fence, Some(Some(fence(1, 100))));
    assert!(matches!(
        plan.events[0].1,
        ListEvent::ShoppingListAssigned { .. }
    ));
}

#[test]
fn an_older_delivery_is_stale_and_a_newer_one_takes_over() {
    let l = available();
    let (plan, _) = decide_claim(&l, id(LIST), fence(2, 100), Timestamp::from_millis(9));
    let mut events: Vec<(String, ListEvent)> = l
        .record
        .events
        .iter()
        .map(|e| (e.id.clone(), e.event.clone()))
        .collect();
    events.extend(plan.events);
    let held = loaded(events, Some(fence(2, 100)));
    let (plan, claim) = decide_claim(&held, id(LIST), fence(1, 200), Timestamp::from_millis(9));
    assert_eq!(claim, Claim::Stale);
    assert!(plan.events.is_empty());
    let (plan, claim) = decide_claim(&held, id(LIST), fence(3, 200), Timestamp::from_millis(9));
    let old: BotId = id(100);
    assert!(matches!(claim, Claim::Assigned { taken_from: Some(b), .. } if b == old));
    let kinds: Vec<&str> = plan
        .events
        .iter()
        .map(|(_, e)| match e {
            ListEvent::ShoppingListReleased { .. } => "released",
            ListEvent::ShoppingListAssigned { .. } => "assigned",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["released", "assigned"]);
    // A different message of the same list while it is held is a duplicate.
    let other = Fence {
        stream_seq: 8,
        ..fence(1, 300)
    };
    assert_eq!(
        decide_claim(&held, id(LIST), other, Timestamp::from_millis(9)).1,
        Claim::Skip("list.held")
    );
}

#[test]
fn steps_are_fenced_and_a_released_list_tells_the_holder() {
    let l = available();
    let f = fence(1, 100);
    let (plan, _) = decide_claim(&l, id(LIST), f, Timestamp::from_millis(9));
    let mut events: Vec<(String, ListEvent)> = l
        .record
        .events
        .iter()
        .map(|e| (e.id.clone(), e.event.clone()))
        .collect();
    events.extend(plan.events);
    let held = loaded(events.clone(), Some(f));
    let store: StoreId = id(10);
    let arrive = ListCommand::ArriveAtStop {
        store_id: store,
        at: Timestamp::from_millis(10),
    };
    let (plan, step) = decide_step(
        &held,
        id(LIST),
        f,
        "arrive",
        &arrive,
        Timestamp::from_millis(10),
    );
    assert_eq!(step, Step::Done);
    assert_eq!(plan.events.len(), 1);
    let (_, stale) = decide_step(
        &held,
        id(LIST),
        fence(2, 200),
        "arrive",
        &arrive,
        Timestamp::from_millis(10),
    );
    assert_eq!(stale, Step::Stale);
    // Taken offline: released with the fence kept.
    let release = decide_release(&held, id(100), "off", Timestamp::from_millis(11));
    events.extend(release.events);
    let released = loaded(events, Some(f));
    assert_eq!(released.state.status, Some(ListStatus::Available));
    let (_, step) = decide_step(
        &released,
        id(LIST),
        f,
        "arrive",
        &arrive,
        Timestamp::from_millis(12),
    );
    assert_eq!(step, Step::Released);
    assert!(
        decide_release(&released, id(100), "off", Timestamp::from_millis(13))
            .events
            .is_empty()
    );
}

#[test]
fn a_repeated_initiate_requeues_only_a_list_still_waiting() {
    let l = available();
    let initiate = ListCommand::InitiateShopping {
        at: Timestamp::from_millis(2),
    };
    let (_, d) = decide_saga(&l, "c2", id(ORDER), &initiate);
    assert_eq!(d.dispatch, Some(Timestamp::from_millis(2)));
    let (plan, _) = decide_claim(&l, id(LIST), fence(1, 100), Timestamp::from_millis(9));
    let mut events: Vec<(String, ListEvent)> = l
        .record
        .events
        .iter()
        .map(|e| (e.id.clone(), e.event.clone()))
        .collect();
    events.extend(plan.events);
    let mut held = loaded(events, Some(fence(1, 100)));
    held.record.replies = l.record.replies.clone();
    let (_, d) = decide_saga(&held, "c2", id(ORDER), &initiate);
    assert_eq!(d.outcome, ReplyOutcome::success());
    assert_eq!(d.dispatch, None);
}
