//! The mall map's read models: a store's place set by the manager (and kept through a
//! rebuild), and a robot's walk between places from central's `BotDeparted`.

use super::depot_tests::{at, Desk};
use mallbots_domain::bots::BotEvent;
use mallbots_domain::mall_map::Place;
use mallbots_domain::{BotId, ShoppingListId};
use uuid::Uuid;

#[test]
fn a_placed_store_keeps_its_place_through_a_rebuild() {
    let desk = Desk::open();
    let deli = desk.edge.create_store("Corner Deli", "Level 1").unwrap();
    assert_eq!(deli.place, None);
    let placed = desk.edge.place_store(deli.store_id, 1, 240, 130).unwrap();
    let place = Place {
        level: 1,
        x: 240,
        y: 130,
    };
    assert_eq!(placed.place, Some(place));
    let err = desk
        .edge
        .place_store(deli.store_id, 9, 0, 0)
        .expect_err("off the plan");
    assert_eq!(err.code(), "store.place_off_plan");
    desk.edge.rebuild_read_models().unwrap();
    assert_eq!(desk.edge.store(deli.store_id).unwrap().place, Some(place));
    assert_eq!(desk.edge.stores().unwrap()[0].place, Some(place));
}

#[test]
fn a_departure_shows_the_walk_until_the_bot_arrives() {
    let mut desk = Desk::open();
    let deli = desk.edge.create_store("Corner Deli", "Level 1").unwrap();
    let (bot, list) = (
        BotId::from_uuid(Uuid::now_v7()),
        ShoppingListId::from_uuid(Uuid::now_v7()),
    );
    let name = "Robo".to_owned();
    desk.bot(
        bot,
        BotEvent::BotCameOnline {
            bot_id: bot,
            name,
            at: at(1),
        },
    );
    desk.bot(
        bot,
        BotEvent::BotAssigned {
            bot_id: bot,
            list_id: list,
            at: at(2),
        },
    );
    let walk_to_deli = BotEvent::BotDeparted {
        bot_id: bot,
        list_id: list,
        from: None,
        to: Some(deli.store_id),
        eta: at(1_500),
        at: at(3),
    };
    desk.bot(bot, walk_to_deli);
    let walk = desk.edge.depot_bots().unwrap()[0]
        .walk
        .clone()
        .expect("walking");
    assert_eq!((walk.from, walk.to), (None, Some(deli.store_id)));
    assert_eq!((walk.departed_at, walk.eta), (3, 1_500));

    let arrived = BotEvent::BotArrivedAtStore {
        bot_id: bot,
        list_id: list,
        store_id: deli.store_id,
        at: at(1_500),
    };
    desk.bot(bot, arrived);
    let b = &desk.edge.depot_bots().unwrap()[0];
    assert_eq!((b.walk.clone(), b.store_id), (None, Some(deli.store_id)));

    desk.bot(
        bot,
        BotEvent::ItemsPickedUp {
            bot_id: bot,
            list_id: list,
            store_id: deli.store_id,
            at: at(1_600),
        },
    );
    assert_eq!(
        desk.edge.depot_bots().unwrap()[0].store_id,
        Some(deli.store_id),
        "still in the store"
    );
    let home = BotEvent::BotDeparted {
        bot_id: bot,
        list_id: list,
        from: Some(deli.store_id),
        to: None,
        eta: at(2_600),
        at: at(1_700),
    };
    desk.bot(bot, home);
    desk.bot(
        bot,
        BotEvent::BotReturned {
            bot_id: bot,
            list_id: list,
            at: at(1_701),
        },
    );
    let b = &desk.edge.depot_bots().unwrap()[0];
    assert_eq!(b.status, "returning");
    assert_eq!(b.store_id, None);
    let walk = b.walk.clone().expect("walking home");
    assert_eq!(
        (walk.from, walk.to, walk.eta),
        (Some(deli.store_id), None, 2_600)
    );

    desk.bot(
        bot,
        BotEvent::BotIdled {
            bot_id: bot,
            at: at(2_600),
        },
    );
    assert_eq!(desk.edge.depot_bots().unwrap()[0].walk, None);
    desk.edge.rebuild_read_models().unwrap();
    assert_eq!(desk.edge.depot_bots().unwrap()[0].status, "idle");
}
