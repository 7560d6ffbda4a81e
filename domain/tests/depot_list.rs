//! Given / when / then tests of the `ShoppingList` aggregate.

use mallbots_domain::depot::{
    ListCommand, ListError, ListEvent, ListItem, ListStatus, ShoppingList, Stop,
};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{
    Aggregate, BotId, DomainEvent, OrderId, ProductId, ShoppingListId, StoreId, Timestamp,
};
use uuid::Uuid;

fn lid() -> ShoppingListId {
    ShoppingListId::from_uuid(Uuid::from_u128(0x11))
}
fn oid() -> OrderId {
    OrderId::from_uuid(Uuid::from_u128(0x0DE))
}
fn bot() -> BotId {
    BotId::from_uuid(Uuid::from_u128(0xB07))
}
fn store(n: u128) -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(n))
}
fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}
fn item(s: u128, sku: &str, quantity: u32) -> ListItem {
    ListItem {
        store_id: store(s),
        product_id: ProductId::for_sku(store(s), sku),
        product_name: format!("product {sku}"),
        quantity,
    }
}

fn stops() -> Vec<Stop> {
    Stop::plan(&[item(2, "B", 1), item(1, "A", 2)])
}
fn created() -> ListEvent {
    ListEvent::ShoppingListCreated {
        list_id: lid(),
        order_id: oid(),
        stops: stops(),
        at: at(1),
    }
}
fn available() -> ListEvent {
    ListEvent::ShoppingListAvailable {
        list_id: lid(),
        order_id: oid(),
        at: at(2),
    }
}
fn assigned() -> ListEvent {
    ListEvent::ShoppingListAssigned {
        list_id: lid(),
        order_id: oid(),
        bot_id: bot(),
        at: at(3),
    }
}
fn arrived(s: u128) -> ListEvent {
    ListEvent::BotArrivedAtStop {
        list_id: lid(),
        bot_id: bot(),
        store_id: store(s),
        at: at(4),
    }
}
fn picked(s: u128) -> ListEvent {
    ListEvent::StopItemsPickedUp {
        list_id: lid(),
        bot_id: bot(),
        store_id: store(s),
        at: at(5),
    }
}
fn all_picked() -> Vec<ListEvent> {
    vec![
        created(),
        available(),
        assigned(),
        arrived(1),
        picked(1),
        arrived(2),
        picked(2),
    ]
}
fn completed() -> ListEvent {
    ListEvent::ShoppingListCompleted {
        list_id: lid(),
        order_id: oid(),
        bot_id: bot(),
        at: at(6),
    }
}
fn cancel() -> ListCommand {
    ListCommand::CancelList {
        list_id: lid(),
        order_id: oid(),
        at: at(7),
    }
}
fn canceled() -> ListEvent {
    ListEvent::ShoppingListCanceled {
        list_id: lid(),
        order_id: oid(),
        at: at(7),
    }
}

#[test]
fn plan_groups_per_store_in_a_deterministic_order_and_merges_repeats() {
    let a = Stop::plan(&[
        item(2, "B", 1),
        item(1, "A", 2),
        item(2, "B", 3),
        item(1, "C", 1),
    ]);
    let b = Stop::plan(&[
        item(1, "C", 1),
        item(2, "B", 3),
        item(1, "A", 2),
        item(2, "B", 1),
    ]);
    assert_eq!(a, b);
    assert_eq!(
        a.iter().map(|s| s.store_id).collect::<Vec<_>>(),
        vec![store(1), store(2)]
    );
    assert_eq!(a[0].items.len(), 2);
    assert_eq!(a[1].items, vec![item(2, "B", 4)]);
    assert!(a.iter().all(|s| !s.picked));
}

#[test]
fn create_plans_stops_per_store() {
    let list = AggregateTest::<ShoppingList>::given_no_history()
        .when(ListCommand::CreateShoppingList {
            list_id: lid(),
            order_id: oid(),
            items: vec![item(2, "B", 1), item(1, "A", 2)],
            at: at(1),
        })
        .then([created()]);
    assert_eq!(list.status, Some(ListStatus::Created));
    assert_eq!(list.stops.len(), 2);
}

#[test]
fn create_refuses_empty_lists_zero_quantities_and_repeats() {
    let create = |items: Vec<ListItem>| ListCommand::CreateShoppingList {
        list_id: lid(),
        order_id: oid(),
        items,
        at: at(1),
    };
    AggregateTest::<ShoppingList>::given_no_history()
        .when(create(vec![]))
        .then_error(ListError::NoItems);
    AggregateTest::<ShoppingList>::given_no_history()
        .when(create(vec![item(1, "A", 0)]))
        .then_error(ListError::QuantityNotPositive);
    AggregateTest::<ShoppingList>::given([created()])
        .when(create(vec![item(1, "A", 1)]))
        .then_error(ListError::AlreadyExists);
}

#[test]
fn a_cancel_that_overtook_the_creation_fences_it_off() {
    AggregateTest::<ShoppingList>::given_no_history()
        .when(cancel())
        .then([canceled()]);
    AggregateTest::<ShoppingList>::given([canceled()])
        .when(ListCommand::CreateShoppingList {
            list_id: lid(),
            order_id: oid(),
            items: vec![item(1, "A", 1)],
            at: at(8),
        })
        .then_error(ListError::Canceled);
}

#[test]
fn initiate_makes_the_list_available_once() {
    let list = AggregateTest::<ShoppingList>::given([created()])
        .when(ListCommand::InitiateShopping { at: at(2) })
        .then([available()]);
    assert_eq!(list.status, Some(ListStatus::Available));
    assert_eq!(list.available_since, Some(at(2)));
    AggregateTest::<ShoppingList>::given([created(), available()])
        .when(ListCommand::InitiateShopping { at: at(3) })
        .then_error(ListError::AlreadyInitiated);
    AggregateTest::<ShoppingList>::given_no_history()
        .when(ListCommand::InitiateShopping { at: at(3) })
        .then_error(ListError::NotFound);
}

#[test]
fn assign_needs_an_available_list() {
    let assign = || ListCommand::AssignBot {
        bot_id: bot(),
        at: at(3),
    };
    let list = AggregateTest::<ShoppingList>::given([created(), available()])
        .when(assign())
        .then([assigned()]);
    assert_eq!(
        (list.status, list.bot_id),
        (Some(ListStatus::Assigned), Some(bot()))
    );
    AggregateTest::<ShoppingList>::given([created()])
        .when(assign())
        .then_error(ListError::NotAvailable);
    AggregateTest::<ShoppingList>::given([created(), available(), assigned()])
        .when(assign())
        .then_error_code("list.not_available");
    AggregateTest::<ShoppingList>::given([created(), canceled()])
        .when(assign())
        .then_error(ListError::Canceled);
}

#[test]
fn the_bot_walks_stop_by_stop() {
    let list = AggregateTest::<ShoppingList>::given([created(), available(), assigned()])
        .when(ListCommand::ArriveAtStop {
            store_id: store(1),
            at: at(4),
        })
        .then([arrived(1)]);
    assert_eq!(list.status, Some(ListStatus::InProgress));
    let list =
        AggregateTest::<ShoppingList>::given([created(), available(), assigned(), arrived(1)])
            .when(ListCommand::PickUpItems {
                store_id: store(1),
                at: at(5),
            })
            .then([picked(1)]);
    assert!(
        list.stops
            .iter()
            .find(|s| s.store_id == store(1))
            .unwrap()
            .picked
    );
}

#[test]
fn stop_commands_are_checked() {
    let base = [created(), available(), assigned()];
    AggregateTest::<ShoppingList>::given(base.clone())
        .when(ListCommand::ArriveAtStop {
            store_id: store(9),
            at: at(4),
        })
        .then_error(ListError::UnknownStop);
    AggregateTest::<ShoppingList>::given(base.clone())
        .when(ListCommand::PickUpItems {
            store_id: store(1),
            at: at(4),
        })
        .then_error(ListError::NotAtStop);
    AggregateTest::<ShoppingList>::given([
        created(),
        available(),
        assigned(),
        arrived(1),
        picked(1),
    ])
    .when(ListCommand::ArriveAtStop {
        store_id: store(1),
        at: at(6),
    })
    .then_error(ListError::StopAlreadyPicked);
    AggregateTest::<ShoppingList>::given([created(), available()])
        .when(ListCommand::ArriveAtStop {
            store_id: store(1),
            at: at(4),
        })
        .then_error(ListError::NotAssigned);
}

#[test]
fn complete_needs_every_stop_picked() {
    let list = AggregateTest::<ShoppingList>::given(all_picked())
        .when(ListCommand::CompleteList { at: at(6) })
        .then([completed()]);
    assert_eq!(list.status, Some(ListStatus::Completed));
    AggregateTest::<ShoppingList>::given([
        created(),
        available(),
        assigned(),
        arrived(1),
        picked(1),
    ])
    .when(ListCommand::CompleteList { at: at(6) })
    .then_error(ListError::StopsRemaining);
    let mut done = all_picked();
    done.push(completed());
    AggregateTest::<ShoppingList>::given(done)
        .when(ListCommand::CompleteList { at: at(7) })
        .then_error(ListError::AlreadyCompleted);
}

#[test]
fn cancel_is_allowed_until_completed() {
    AggregateTest::<ShoppingList>::given([created(), available(), assigned()])
        .when(cancel())
        .then([canceled()]);
    AggregateTest::<ShoppingList>::given([created(), canceled()])
        .when(cancel())
        .then_error(ListError::Canceled);
    let mut done = all_picked();
    done.push(completed());
    AggregateTest::<ShoppingList>::given(done)
        .when(cancel())
        .then_error(ListError::AlreadyCompleted);
}

#[test]
fn release_puts_the_list_back_in_its_place_with_stops_to_pick_again() {
    let released = ListEvent::ShoppingListReleased {
        list_id: lid(),
        order_id: oid(),
        bot_id: bot(),
        at: at(9),
    };
    let list = AggregateTest::<ShoppingList>::given([
        created(),
        available(),
        assigned(),
        arrived(1),
        picked(1),
    ])
    .when(ListCommand::ReleaseList { at: at(9) })
    .then([released]);
    assert_eq!(list.status, Some(ListStatus::Available));
    assert_eq!(list.bot_id, None);
    assert_eq!(
        list.available_since,
        Some(at(2)),
        "a released list keeps its age"
    );
    assert!(list.stops.iter().all(|s| !s.picked));
    AggregateTest::<ShoppingList>::given([created(), available()])
        .when(ListCommand::ReleaseList { at: at(9) })
        .then_error(ListError::NotAssigned);
}

#[test]
fn list_events_round_trip() {
    let mut events = all_picked();
    events.extend([completed(), canceled()]);
    for event in events {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<ListEvent>(json).unwrap(), event);
    }
    assert_eq!(ShoppingList::STREAM_TYPE, "list");
}
