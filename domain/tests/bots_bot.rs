//! Given / when / then tests of the `Bot` aggregate.

use mallbots_domain::bots::{Bot, BotCommand, BotError, BotEvent, BotStatus};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{Aggregate, BotId, DomainEvent, ShoppingListId, StoreId, Timestamp};
use uuid::Uuid;

fn bid() -> BotId {
    BotId::from_uuid(Uuid::from_u128(0xB07))
}
fn lid() -> ShoppingListId {
    ShoppingListId::from_uuid(Uuid::from_u128(0x11))
}
fn store() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5))
}
fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}
fn online() -> BotEvent {
    BotEvent::BotCameOnline {
        bot_id: bid(),
        name: "Robbie".into(),
        at: at(1),
    }
}
fn assigned() -> BotEvent {
    BotEvent::BotAssigned {
        bot_id: bid(),
        list_id: lid(),
        at: at(2),
    }
}
fn arrived() -> BotEvent {
    BotEvent::BotArrivedAtStore {
        bot_id: bid(),
        list_id: lid(),
        store_id: store(),
        at: at(3),
    }
}
fn picked() -> BotEvent {
    BotEvent::ItemsPickedUp {
        bot_id: bid(),
        list_id: lid(),
        store_id: store(),
        at: at(4),
    }
}
fn returned() -> BotEvent {
    BotEvent::BotReturned {
        bot_id: bid(),
        list_id: lid(),
        at: at(5),
    }
}
fn offline(list: Option<ShoppingListId>) -> BotEvent {
    BotEvent::BotWentOffline {
        bot_id: bid(),
        list_id: list,
        at: at(9),
    }
}

#[test]
fn bring_online_registers_an_idle_bot() {
    let bot = AggregateTest::<Bot>::given_no_history()
        .when(BotCommand::BringOnline {
            bot_id: bid(),
            name: " Robbie ".into(),
            at: at(1),
        })
        .then([online()]);
    assert_eq!(
        (bot.status, bot.since, bot.name.as_str()),
        (BotStatus::Idle, at(1), "Robbie")
    );
}

#[test]
fn bring_online_needs_a_name_and_an_offline_bot() {
    let bring = || BotCommand::BringOnline {
        bot_id: bid(),
        name: "Robbie".into(),
        at: at(10),
    };
    AggregateTest::<Bot>::given_no_history()
        .when(BotCommand::BringOnline {
            bot_id: bid(),
            name: " ".into(),
            at: at(1),
        })
        .then_error(BotError::NameBlank);
    AggregateTest::<Bot>::given([online()])
        .when(bring())
        .then_error(BotError::AlreadyOnline);
    let bot = AggregateTest::<Bot>::given([online(), offline(None)])
        .when(bring())
        .then([BotEvent::BotCameOnline {
            bot_id: bid(),
            name: "Robbie".into(),
            at: at(10),
        }]);
    assert_eq!(bot.status, BotStatus::Idle);
}

#[test]
fn take_offline_names_the_list_to_release() {
    let bot = AggregateTest::<Bot>::given([online(), assigned(), arrived()])
        .when(BotCommand::TakeOffline { at: at(9) })
        .then([offline(Some(lid()))]);
    assert_eq!((bot.status, bot.list_id), (BotStatus::Offline, None));
    AggregateTest::<Bot>::given([online()])
        .when(BotCommand::TakeOffline { at: at(9) })
        .then([offline(None)]);
}

#[test]
fn take_offline_is_refused_when_offline_or_unknown() {
    AggregateTest::<Bot>::given([online(), offline(None)])
        .when(BotCommand::TakeOffline { at: at(10) })
        .then_error(BotError::AlreadyOffline);
    AggregateTest::<Bot>::given_no_history()
        .when(BotCommand::TakeOffline { at: at(10) })
        .then_error_code("bot.not_found");
}

#[test]
fn assign_only_when_idle() {
    let assign = || BotCommand::AssignList {
        list_id: lid(),
        at: at(2),
    };
    let bot = AggregateTest::<Bot>::given([online()])
        .when(assign())
        .then([assigned()]);
    assert_eq!(
        (bot.status, bot.list_id),
        (BotStatus::Assigned, Some(lid()))
    );
    AggregateTest::<Bot>::given([online(), assigned()])
        .when(assign())
        .then_error(BotError::NotIdle);
    AggregateTest::<Bot>::given([online(), offline(None)])
        .when(assign())
        .then_error(BotError::Offline);
    AggregateTest::<Bot>::given_no_history()
        .when(assign())
        .then_error(BotError::NotFound);
}

#[test]
fn a_full_round_assigned_shopping_returning_idle() {
    let bot = AggregateTest::<Bot>::given([online(), assigned()])
        .when(BotCommand::ArriveAtStore {
            store_id: store(),
            at: at(3),
        })
        .then([arrived()]);
    assert_eq!(
        (bot.status, bot.store_id),
        (BotStatus::Shopping, Some(store()))
    );
    AggregateTest::<Bot>::given([online(), assigned(), arrived()])
        .when(BotCommand::PickUpItems { at: at(4) })
        .then([picked()]);
    let bot = AggregateTest::<Bot>::given([online(), assigned(), arrived(), picked()])
        .when(BotCommand::ReturnToDepot { at: at(5) })
        .then([returned()]);
    assert_eq!(bot.status, BotStatus::Returning);
    let bot = AggregateTest::<Bot>::given([online(), assigned(), arrived(), picked(), returned()])
        .when(BotCommand::Idle { at: at(6) })
        .then([BotEvent::BotIdled {
            bot_id: bid(),
            at: at(6),
        }]);
    assert_eq!(
        (bot.status, bot.list_id, bot.since),
        (BotStatus::Idle, None, at(6))
    );
}

#[test]
fn moves_out_of_order_are_refused() {
    AggregateTest::<Bot>::given([online()])
        .when(BotCommand::ArriveAtStore {
            store_id: store(),
            at: at(3),
        })
        .then_error(BotError::NoList);
    AggregateTest::<Bot>::given([online(), assigned()])
        .when(BotCommand::PickUpItems { at: at(3) })
        .then_error(BotError::NotInStore);
    AggregateTest::<Bot>::given([online(), assigned()])
        .when(BotCommand::ReturnToDepot { at: at(3) })
        .then_error(BotError::NotShopping);
    AggregateTest::<Bot>::given([online(), assigned(), arrived(), picked(), returned()])
        .when(BotCommand::ArriveAtStore {
            store_id: store(),
            at: at(6),
        })
        .then_error(BotError::Returning);
    AggregateTest::<Bot>::given([online(), assigned()])
        .when(BotCommand::Idle { at: at(3) })
        .then_error(BotError::NotReturning);
    AggregateTest::<Bot>::given([online(), offline(None)])
        .when(BotCommand::ArriveAtStore {
            store_id: store(),
            at: at(3),
        })
        .then_error(BotError::Offline);
}

#[test]
fn bot_events_round_trip() {
    for event in [
        online(),
        assigned(),
        arrived(),
        picked(),
        returned(),
        offline(Some(lid())),
    ] {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<BotEvent>(json).unwrap(), event);
    }
    assert_eq!(Bot::STREAM_TYPE, "bot");
}

#[test]
fn a_departure_names_where_the_walk_starts_and_ends() {
    let from_depot = AggregateTest::<Bot>::given([online(), assigned()])
        .when(BotCommand::Depart {
            to: Some(store()),
            eta: at(900),
            at: at(100),
        })
        .then([BotEvent::BotDeparted {
            bot_id: bid(),
            list_id: lid(),
            from: None,
            to: Some(store()),
            eta: at(900),
            at: at(100),
        }]);
    assert_eq!(from_depot.status, BotStatus::Assigned);
    let back = AggregateTest::<Bot>::given([online(), assigned(), arrived(), picked()])
        .when(BotCommand::Depart {
            to: None,
            eta: at(2000),
            at: at(1000),
        })
        .then([BotEvent::BotDeparted {
            bot_id: bid(),
            list_id: lid(),
            from: Some(store()),
            to: None,
            eta: at(2000),
            at: at(1000),
        }]);
    assert_eq!(back.last_store, Some(store()));
    assert_eq!(
        BotEvent::BotDeparted {
            bot_id: bid(),
            list_id: lid(),
            from: None,
            to: None,
            eta: at(1),
            at: at(1),
        }
        .event_type(),
        "BotDeparted"
    );
}

#[test]
fn an_idle_bot_cannot_depart() {
    AggregateTest::<Bot>::given([online()])
        .when(BotCommand::Depart {
            to: None,
            eta: at(2),
            at: at(1),
        })
        .then_error(BotError::NoList);
}
