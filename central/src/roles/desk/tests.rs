//! Unit tests of the desk handlers' pure parts: subjects, derived ids, the stop decision with
//! its idempotency by request.

use mallbots_domain::depot::{ListEvent, ListItem, ShoppingList, Stop};
use mallbots_domain::desk::{DeskAccess, StopRefusal};
use mallbots_domain::ids::{OrderId, ProductId, ShoppingListId, StoreId};
use mallbots_domain::{Aggregate, Timestamp};
use uuid::Uuid;

use super::*;
use crate::roles::depot::store::{Loaded, Record, Stored};

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(n))
}

fn loaded(events: Vec<(String, ListEvent)>) -> Loaded<ShoppingList> {
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
            fence: None,
            replies: Vec::new(),
        },
        revision: Some(1),
        state,
    }
}

fn created() -> (String, ListEvent) {
    let store: StoreId = id(10);
    let items = [ListItem {
        store_id: store,
        product_id: ProductId::for_sku(store, "A"),
        product_name: "A".into(),
        quantity: 2,
    }];
    (
        "c0".into(),
        ListEvent::ShoppingListCreated {
            list_id: id::<ShoppingListId>(1),
            order_id: id::<OrderId>(2),
            stops: Stop::plan(&items),
            at: Timestamp::from_millis(1),
        },
    )
}

fn manager_of(store: u128) -> DeskAccess {
    DeskAccess {
        role: "manager".into(),
        stores: vec![id::<StoreId>(store).to_string()],
    }
}

#[test]
fn desk_subjects_split_from_the_end_whatever_the_root() {
    assert_eq!(
        desk_subject_parts("t.mallbots.ev.desk.m1.pickupreq.42"),
        Some(("m1", "pickupreq", "42"))
    );
    assert_eq!(
        desk_subject_parts("mallbots.ev.desk.m1.stopreq.r1"),
        Some(("m1", "stopreq", "r1"))
    );
    assert_eq!(desk_subject_parts("mallbots.ev.kiosk.k1.orderreq.42"), None);
}

#[test]
fn answer_and_follow_up_ids_derive_from_the_request() {
    assert_eq!(refusal_id("e1"), refusal_id("e1"));
    assert_ne!(refusal_id("e1"), refusal_id("e2"));
    assert_ne!(capture_id("e1"), capture_id("e2"));
    assert_eq!(completed_event_id("e1"), completed_event_id("e1"));
    // The chain payments and ordering derive: capture → record_pickup → OrderCompleted.
    let record = envelope::derived_id(&capture_id("e1"), "record_pickup").to_string();
    assert_eq!(completed_event_id("e1"), envelope::event_id_for(&record, 0));
}

#[test]
fn a_stop_request_is_recorded_once() {
    let list = loaded(vec![created()]);
    let at = Timestamp::from_millis(5);
    let (plan, result) = decide_prepare(&list, Some(&manager_of(10)), id(10), "req-1", at);
    assert_eq!(result, Ok(true));
    assert_eq!(plan.events.len(), 1);
    assert!(matches!(
        plan.events[0].1,
        ListEvent::StopPreparedAtCounter { .. }
    ));
    // The same request again (a redelivery) finds its event stored: nothing more.
    let again = loaded(vec![created(), plan.events[0].clone()]);
    let (plan2, result2) = decide_prepare(&again, Some(&manager_of(10)), id(10), "req-1", at);
    assert!(plan2.events.is_empty());
    assert_eq!(result2, Ok(false));
    // Another request for a prepared stop: nothing to do either.
    let (plan3, result3) = decide_prepare(&again, Some(&manager_of(10)), id(10), "req-2", at);
    assert!(plan3.events.is_empty());
    assert_eq!(result3, Ok(false));
}

#[test]
fn a_stop_request_of_another_store_changes_nothing() {
    let list = loaded(vec![created()]);
    let at = Timestamp::from_millis(5);
    let (plan, result) = decide_prepare(&list, Some(&manager_of(11)), id(10), "req-1", at);
    assert!(plan.events.is_empty());
    assert_eq!(result, Err(StopRefusal::NotYourStore));
    let (plan, result) = decide_prepare(&list, None, id(10), "req-1", at);
    assert!(plan.events.is_empty());
    assert_eq!(result, Err(StopRefusal::NotYourStore));
    let empty = loaded(vec![]);
    let (_, result) = decide_prepare(&empty, Some(&manager_of(10)), id(10), "req-1", at);
    assert_eq!(result, Err(StopRefusal::UnknownList));
}
