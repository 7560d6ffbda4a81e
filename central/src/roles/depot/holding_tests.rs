//! Unit tests of the dispatch fence on redeliveries: a completed list re-sends `ready_order`
//! whichever delivery completed it; a list left assigned by a claim that never wrote its fence is
//! claimable again.

use mallbots_domain::depot::{ListCommand, ListEvent, ListItem, ShoppingList};
use mallbots_domain::ids::{ProductId, ShoppingListId, StoreId};
use mallbots_domain::{Aggregate, Timestamp};
use uuid::Uuid;

use super::*;
use crate::roles::depot::store::{Fence, Loaded, Record, Stored};

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(n))
}

const LIST: u128 = 1;
const ORDER: u128 = 2;
const STORE: u128 = 10;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn fence(stream_seq: u64, delivered: i64, bot: u128) -> Fence {
    Fence {
        stream_seq,
        delivered,
        bot_id: id(bot),
    }
}

/// A list as loaded from its record: `events` and `fence`.
fn loaded(events: &[(String, ListEvent)], fence: Option<Fence>) -> Loaded<ShoppingList> {
    let events: Vec<Stored<ListEvent>> = events
        .iter()
        .enumerate()
        .map(|(i, (id, event))| Stored {
            id: id.clone(),
            seq: i as u64 + 1,
            event: event.clone(),
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

/// The events of an available list.
fn available() -> Vec<(String, ListEvent)> {
    let store: StoreId = id(STORE);
    let mut state = ShoppingList::default();
    let mut out = Vec::new();
    let cmds = [
        ListCommand::CreateShoppingList {
            list_id: id(LIST),
            order_id: id(ORDER),
            items: vec![ListItem {
                store_id: store,
                product_id: ProductId::for_sku(store, "a"),
                product_name: "a".into(),
                quantity: 1,
            }],
            at: at(1),
        },
        ListCommand::InitiateShopping { at: at(2) },
    ];
    for (i, cmd) in cmds.iter().enumerate() {
        for e in state.decide(cmd).expect("allowed") {
            state.apply(&e);
            out.push((format!("saga/{i}"), e));
        }
    }
    out
}

/// `events` plus the events of `plan`.
fn with(events: &[(String, ListEvent)], plan: Plan<ListEvent>) -> Vec<(String, ListEvent)> {
    let mut all = events.to_vec();
    all.extend(plan.events);
    all
}

#[test]
fn a_redelivery_of_a_completed_list_resends_ready_order() {
    let list: ShoppingListId = id(LIST);
    let f = fence(7, 1, 100);
    let (plan, claim) = decide_claim(&loaded(&available(), None), list, f, at(3));
    assert!(matches!(claim, Claim::Assigned { .. }));
    let mut events = with(&available(), plan);
    let store: StoreId = id(STORE);
    for (name, cmd) in [
        (
            "arrive",
            ListCommand::ArriveAtStop {
                store_id: store,
                at: at(4),
            },
        ),
        (
            "pick",
            ListCommand::PickUpItems {
                store_id: store,
                at: at(5),
            },
        ),
        ("complete", ListCommand::CompleteList { at: at(6) }),
    ] {
        let (plan, step) = decide_step(&loaded(&events, Some(f)), list, f, name, &cmd, at(6));
        assert_eq!(step, Step::Done, "{name}");
        events = with(&events, plan);
    }
    let done = loaded(&events, Some(f));
    // The driver died after ShoppingListCompleted, before ready_order and the ack: the message
    // comes back with a new delivery count (or, re-published, a new stream sequence).
    for redelivery in [fence(7, 2, 200), fence(9, 1, 200), f] {
        let (plan, claim) = decide_claim(&done, list, redelivery, at(7));
        assert!(plan.is_empty(), "{redelivery:?}");
        assert_eq!(
            claim,
            Claim::Completed {
                order_id: id(ORDER)
            },
            "{redelivery:?}"
        );
    }
}

fn kinds(plan: &Plan<ListEvent>) -> Vec<&'static str> {
    plan.events
        .iter()
        .map(|(_, e)| match e {
            ListEvent::ShoppingListReleased { .. } => "released",
            ListEvent::ShoppingListAssigned { .. } => "assigned",
            _ => "other",
        })
        .collect()
}

#[test]
fn an_assignment_whose_claim_failed_half_way_is_claimable_again() {
    let list: ShoppingListId = id(LIST);
    let first = fence(7, 1, 100);
    let (plan, _) = decide_claim(&loaded(&available(), None), list, first, at(3));
    // The Assigned event landed, the record with the fence did not: the claim failed and the
    // message was given back. Before the fix its redelivery was skipped as `list.held`.
    let orphan = loaded(&with(&available(), plan), None);
    for redelivery in [fence(7, 2, 200), fence(9, 1, 300)] {
        let (plan, claim) = decide_claim(&orphan, list, redelivery, at(4));
        assert!(
            matches!(claim, Claim::Assigned { taken_from: None, ref stops, .. } if stops.len() == 1),
            "{redelivery:?}: {claim:?}"
        );
        assert_eq!(kinds(&plan), ["released", "assigned"], "{redelivery:?}");
        assert_eq!(plan.fence, Some(Some(redelivery)));
    }
    // The same delivery retrying after its record write lost a race only writes its fence.
    let (plan, claim) = decide_claim(&orphan, list, first, at(4));
    assert!(matches!(
        claim,
        Claim::Assigned {
            taken_from: None,
            ..
        }
    ));
    assert!(plan.events.is_empty());
    assert_eq!(plan.fence, Some(Some(first)));
}

#[test]
fn a_takeover_that_failed_half_way_leaves_the_list_claimable() {
    let list: ShoppingListId = id(LIST);
    let first = fence(7, 1, 100);
    let (plan, _) = decide_claim(&loaded(&available(), None), list, first, at(3));
    let events = with(&available(), plan);
    let held = loaded(&events, Some(first));
    // A second message of a list held by a live (fenced) delivery is a duplicate.
    assert_eq!(
        decide_claim(&held, list, fence(9, 1, 300), at(4)).1,
        Claim::Skip("list.held")
    );
    let (plan, claim) = decide_claim(&held, list, fence(7, 2, 200), at(4));
    assert!(matches!(claim, Claim::Assigned { taken_from: Some(b), .. } if b == id(100)));
    // Its events landed, its fence did not: the fenced delivery no longer holds the list.
    let half = loaded(&with(&events, plan), Some(first));
    let (plan, claim) = decide_claim(&half, list, fence(9, 1, 300), at(5));
    assert!(
        matches!(
            claim,
            Claim::Assigned {
                taken_from: None,
                ..
            }
        ),
        "{claim:?}"
    );
    assert_eq!(kinds(&plan), ["released", "assigned"]);
    // The fenced holder's own older delivery is still stale.
    assert_eq!(
        decide_claim(&loaded(&events, Some(fence(7, 2, 200))), list, first, at(5)).1,
        Claim::Stale
    );
}

#[test]
fn a_list_not_yet_visible_as_available_is_not_skipped() {
    let list: ShoppingListId = id(LIST);
    // As a lagging follower may serve it: no events yet, or created but not yet initiated.
    let (plan, claim) = decide_claim(&loaded(&[], None), list, fence(7, 1, 100), at(3));
    assert!(plan.is_empty());
    assert_eq!(claim, Claim::NotYet("list.not_found"));
    let created = &available()[..1];
    let (_, claim) = decide_claim(&loaded(created, None), list, fence(7, 1, 100), at(3));
    assert_eq!(claim, Claim::NotYet("list.not_available"));
}
