//! Table tests of the dispatch decision.

use mallbots_domain::bots::{Bot, BotEvent};
use mallbots_domain::depot::{ListEvent, ListItem, ShoppingList, Stop};
use mallbots_domain::dispatch::{dispatch, Assignment, AvailableList, IdleBot};
use mallbots_domain::{Aggregate, BotId, OrderId, ProductId, ShoppingListId, StoreId, Timestamp};
use uuid::Uuid;

fn bot(n: u128, idle_since: i64) -> IdleBot {
    IdleBot {
        bot_id: BotId::from_uuid(Uuid::from_u128(n)),
        idle_since: Timestamp::from_millis(idle_since),
    }
}
fn list(n: u128, since: i64) -> AvailableList {
    AvailableList {
        list_id: ShoppingListId::from_uuid(Uuid::from_u128(n)),
        available_since: Timestamp::from_millis(since),
    }
}
fn pair(l: u128, b: u128) -> Assignment {
    Assignment {
        list_id: ShoppingListId::from_uuid(Uuid::from_u128(l)),
        bot_id: BotId::from_uuid(Uuid::from_u128(b)),
    }
}

/// (name, idle bots, available lists, expected assignments)
type Case = (
    &'static str,
    Vec<IdleBot>,
    Vec<AvailableList>,
    Vec<Assignment>,
);

#[test]
fn dispatch_cases() {
    let cases: Vec<Case> = vec![
        ("nothing to do", vec![], vec![list(1, 5)], vec![]),
        ("no lists", vec![bot(9, 1)], vec![], vec![]),
        (
            "oldest list to longest idle bot",
            vec![bot(8, 20), bot(9, 10)],
            vec![list(2, 7), list(1, 3)],
            vec![pair(1, 9), pair(2, 8)],
        ),
        (
            "more lists than bots: the oldest wait least",
            vec![bot(9, 1)],
            vec![list(1, 30), list(2, 10), list(3, 20)],
            vec![pair(2, 9)],
        ),
        (
            "ties broken by id",
            vec![bot(9, 1), bot(8, 1)],
            vec![list(2, 5), list(1, 5)],
            vec![pair(1, 8), pair(2, 9)],
        ),
        (
            "repeated ids count once",
            vec![bot(9, 1), bot(9, 2)],
            vec![list(1, 5), list(1, 5), list(2, 6)],
            vec![pair(1, 9)],
        ),
    ];
    for (name, bots, lists, expected) in cases {
        assert_eq!(dispatch(&bots, &lists), expected, "case: {name}");
    }
}

#[test]
fn candidates_come_from_aggregate_state() {
    let bot_id = BotId::from_uuid(Uuid::from_u128(9));
    let idle = Bot::from_events(&[BotEvent::BotCameOnline {
        bot_id,
        name: "R".into(),
        at: Timestamp::from_millis(4),
    }]);
    assert_eq!(IdleBot::from_bot(&idle), Some(bot(9, 4)));
    let busy = Bot::from_events(&[
        BotEvent::BotCameOnline {
            bot_id,
            name: "R".into(),
            at: Timestamp::from_millis(4),
        },
        BotEvent::BotAssigned {
            bot_id,
            list_id: ShoppingListId::nil(),
            at: Timestamp::from_millis(5),
        },
    ]);
    assert_eq!(IdleBot::from_bot(&busy), None);
    assert_eq!(IdleBot::from_bot(&Bot::default()), None);

    let list_id = ShoppingListId::from_uuid(Uuid::from_u128(1));
    let store_id = StoreId::from_uuid(Uuid::from_u128(3));
    let item = ListItem {
        store_id,
        product_id: ProductId::for_sku(store_id, "X"),
        product_name: "X".into(),
        quantity: 1,
    };
    let created = ListEvent::ShoppingListCreated {
        list_id,
        order_id: OrderId::nil(),
        stops: Stop::plan(&[item]),
        at: Timestamp::from_millis(1),
    };
    assert_eq!(
        AvailableList::from_list(&ShoppingList::from_events(std::slice::from_ref(&created))),
        None
    );
    let available = ListEvent::ShoppingListAvailable {
        list_id,
        order_id: OrderId::nil(),
        at: Timestamp::from_millis(6),
    };
    assert_eq!(
        AvailableList::from_list(&ShoppingList::from_events(&[created, available])),
        Some(list(1, 6))
    );
}
