//! The depot read model fed as sync feeds it: central's bot and list events, serialized and
//! enveloped as central appends them, received through the inbox ([`Edge::deliver`]).

use crate::queries::delivery::{central_message, RawMessage, Received};
use crate::{Edge, EdgeConfig, Role};
use mallbots_domain::bots::BotEvent;
use mallbots_domain::depot::{ListEvent, ListItem, Stop};
use mallbots_domain::{BotId, DomainEvent, OrderId, ProductId, ShoppingListId, StoreId, Timestamp};
use serde::Serialize;
use uuid::Uuid;

/// A message of `<root>.ev.depot.<kind>.<id>` in central's envelope.
fn message<E: DomainEvent + Serialize>(seq: u64, kind: &str, id: &str, event: &E) -> RawMessage {
    let subject = format!("mallbots.ev.depot.{kind}.{id}");
    central_message(
        &subject,
        seq,
        kind,
        id,
        1_700_000_000_000 + seq as i64,
        event,
    )
    .unwrap()
}

pub(super) struct Desk {
    pub(super) edge: Edge,
    seq: u64,
    _dir: tempfile::TempDir,
}

impl Desk {
    pub(super) fn open() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let config = EdgeConfig {
            device_id: "desk-1".into(),
            role: Role::Manager,
            ..EdgeConfig::default()
        };
        let edge = Edge::open(dir.path().join("desk.db"), config).expect("edge");
        Self {
            edge,
            seq: 0,
            _dir: dir,
        }
    }

    pub(super) fn bot(&mut self, bot: BotId, event: BotEvent) -> Received {
        self.seq += 1;
        let msg = message(self.seq, "bot", &bot.to_string(), &event);
        self.edge.deliver(msg).expect("deliver")
    }

    fn list(&mut self, list: ShoppingListId, event: ListEvent) -> Received {
        self.seq += 1;
        let msg = message(self.seq, "list", &list.to_string(), &event);
        self.edge.deliver(msg).expect("deliver")
    }
}

pub(super) fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn item(store: StoreId, name: &str, quantity: u32) -> ListItem {
    ListItem {
        store_id: store,
        product_id: ProductId::for_sku(store, name),
        product_name: name.into(),
        quantity,
    }
}

#[test]
fn central_depot_events_make_bots_and_lists_with_stops() {
    let mut desk = Desk::open();
    let deli = desk.edge.create_store("Corner Deli", "Level 1").unwrap();
    let books = desk.edge.create_store("Book Nook", "Level 2").unwrap();
    let (bot, list, order) = (
        BotId::from_uuid(Uuid::now_v7()),
        ShoppingListId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
    );
    let items = [
        item(deli.store_id, "Bagel", 2),
        item(books.store_id, "Atlas", 1),
        item(deli.store_id, "Coffee", 1),
    ];
    let created = ListEvent::ShoppingListCreated {
        list_id: list,
        order_id: order,
        stops: Stop::plan(&items),
        at: at(1),
    };
    assert_eq!(desk.list(list, created), Received::Applied);
    let name = "Robo One".to_owned();
    let online = BotEvent::BotCameOnline {
        bot_id: bot,
        name,
        at: at(2),
    };
    desk.bot(bot, online);
    desk.list(
        list,
        ListEvent::ShoppingListAvailable {
            list_id: list,
            order_id: order,
            at: at(3),
        },
    );
    let depot = desk.edge.depot().unwrap();
    assert_eq!(depot.bots.len(), 1);
    assert_eq!(
        (depot.bots[0].name.as_str(), depot.bots[0].status.as_str()),
        ("Robo One", "idle")
    );
    let l = &depot.lists[0];
    assert_eq!((l.status.as_str(), l.bot_id), ("available", None));
    assert_eq!(l.stops.len(), 2);
    let deli_stop = l
        .stops
        .iter()
        .find(|s| s.store_id == deli.store_id)
        .unwrap();
    assert_eq!(deli_stop.store_name.as_deref(), Some("Corner Deli"));
    assert_eq!((deli_stop.quantity, deli_stop.items.len()), (3, 2));

    desk.list(
        list,
        ListEvent::ShoppingListAssigned {
            list_id: list,
            order_id: order,
            bot_id: bot,
            at: at(4),
        },
    );
    desk.bot(
        bot,
        BotEvent::BotAssigned {
            bot_id: bot,
            list_id: list,
            at: at(4),
        },
    );
    desk.list(
        list,
        ListEvent::BotArrivedAtStop {
            list_id: list,
            bot_id: bot,
            store_id: books.store_id,
            at: at(5),
        },
    );
    desk.bot(
        bot,
        BotEvent::BotArrivedAtStore {
            bot_id: bot,
            list_id: list,
            store_id: books.store_id,
            at: at(5),
        },
    );
    desk.list(
        list,
        ListEvent::StopItemsPickedUp {
            list_id: list,
            bot_id: bot,
            store_id: books.store_id,
            at: at(6),
        },
    );
    let depot = desk.edge.depot().unwrap();
    let b = &depot.bots[0];
    assert_eq!((b.status.as_str(), b.list_id), ("shopping", Some(list)));
    assert_eq!(b.store_name.as_deref(), Some("Book Nook"));
    let l = &depot.lists[0];
    assert_eq!(l.status, "in_progress");
    assert_eq!(l.bot_name.as_deref(), Some("Robo One"));
    let picked: Vec<bool> = l.stops.iter().map(|s| s.picked).collect();
    let books_first = l.stops[0].store_id == books.store_id;
    assert_eq!(
        picked,
        if books_first {
            [true, false]
        } else {
            [false, true]
        }
    );

    // The bot drops out: the list is available again with every stop to pick.
    desk.bot(
        bot,
        BotEvent::BotWentOffline {
            bot_id: bot,
            list_id: Some(list),
            at: at(7),
        },
    );
    desk.list(
        list,
        ListEvent::ShoppingListReleased {
            list_id: list,
            order_id: order,
            bot_id: bot,
            at: at(7),
        },
    );
    let depot = desk.edge.depot().unwrap();
    assert_eq!(
        (depot.bots[0].status.as_str(), depot.bots[0].list_id),
        ("offline", None)
    );
    let l = &depot.lists[0];
    assert_eq!((l.status.as_str(), l.bot_id), ("available", None));
    assert!(l.stops.iter().all(|s| !s.picked));
}

#[test]
fn redeliveries_are_no_ops_and_a_rebuild_gives_the_same_depot() {
    let mut desk = Desk::open();
    let store = desk.edge.create_store("Corner Deli", "Level 1").unwrap();
    let (bot, list, order) = (
        BotId::from_uuid(Uuid::now_v7()),
        ShoppingListId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
    );
    desk.bot(
        bot,
        BotEvent::BotCameOnline {
            bot_id: bot,
            name: "Robo".into(),
            at: at(1),
        },
    );
    let created = ListEvent::ShoppingListCreated {
        list_id: list,
        order_id: order,
        stops: Stop::plan(&[item(store.store_id, "Bagel", 1)]),
        at: at(2),
    };
    let msg = message(100, "list", &list.to_string(), &created);
    assert_eq!(desk.edge.deliver(msg.clone()).unwrap(), Received::Applied);
    let completed = ListEvent::ShoppingListCanceled {
        list_id: list,
        order_id: order,
        at: at(3),
    };
    desk.list(list, completed);
    let before = desk.edge.dump_read_models().unwrap();
    assert_eq!(desk.edge.deliver(msg).unwrap(), Received::Duplicate);
    assert_eq!(desk.edge.dump_read_models().unwrap(), before);
    assert_eq!(desk.edge.depot_lists(10).unwrap()[0].status, "canceled");

    desk.edge.rebuild_read_models().unwrap();
    assert_eq!(desk.edge.dump_read_models().unwrap(), before);
    let depot_rows: usize = before
        .iter()
        .filter(|(t, _)| t.starts_with("rm_depot"))
        .map(|(_, rows)| rows.len())
        .sum();
    assert_eq!(depot_rows, 3, "one bot, one list, one stop: {before:?}");
}

#[test]
fn a_bot_seen_mid_stream_has_no_name_and_lists_sort_open_first() {
    let mut desk = Desk::open();
    let bot = BotId::from_uuid(Uuid::now_v7());
    let (done, open) = (
        ShoppingListId::from_uuid(Uuid::now_v7()),
        ShoppingListId::from_uuid(Uuid::now_v7()),
    );
    desk.bot(
        bot,
        BotEvent::BotIdled {
            bot_id: bot,
            at: at(1),
        },
    );
    desk.list(
        done,
        ListEvent::ShoppingListCompleted {
            list_id: done,
            order_id: OrderId::from_uuid(Uuid::now_v7()),
            bot_id: bot,
            at: at(9),
        },
    );
    desk.list(
        open,
        ListEvent::ShoppingListAvailable {
            list_id: open,
            order_id: OrderId::from_uuid(Uuid::now_v7()),
            at: at(2),
        },
    );
    let depot = desk.edge.depot().unwrap();
    assert_eq!(
        (depot.bots[0].name.as_str(), depot.bots[0].status.as_str()),
        ("", "idle")
    );
    let ids: Vec<ShoppingListId> = depot.lists.iter().map(|l| l.list_id).collect();
    assert_eq!(ids, [open, done]);
    assert_eq!(depot.lists[1].bot_name, None);
    assert_eq!(desk.edge.depot_lists(1).unwrap().len(), 1);
}

/// Central's bot simulator writes `Mallbots-Causation-Id: online/<session>/<bot>` (and the
/// dispatch fence `<list>/<seq>/<delivered>`): not UUIDs. The sync decoder keeps them as the
/// UUIDv5 of their text, so such a message reaches the depot (it used to be parked).
#[test]
fn central_causation_ids_that_are_not_uuids_still_reach_the_depot() {
    let desk = Desk::open();
    let bot = BotId::from_uuid(Uuid::now_v7());
    let online = BotEvent::BotCameOnline {
        bot_id: bot,
        name: "Scout".into(),
        at: at(1),
    };
    let mut msg = message(1, "bot", &bot.to_string(), &online);
    let raw = serde_json::json!({
        "subject": msg.subject,
        "stream_seq": 1,
        "headers": {
            "Nats-Msg-Id": Uuid::now_v7().to_string(),
            "Mallbots-Event-Type": "BotCameOnline",
            "Mallbots-Schema-Version": "1",
            "Mallbots-Stream-Type": "bot",
            "Mallbots-Stream-Id": bot.to_string(),
            "Mallbots-Occurred-At": "1",
            "Mallbots-Correlation-Id": "",
            "Mallbots-Causation-Id": format!("online/s1/{bot}"),
            "Mallbots-Device": "central",
        },
        "payload": String::from_utf8(msg.payload.clone()).unwrap(),
    });
    let (_, _, headers, _) = mallbots_sync::engine::envelope::parse_raw(&raw.to_string()).unwrap();
    msg.headers = Some(headers);
    assert_eq!(desk.edge.deliver(msg).unwrap(), Received::Applied);
    assert_eq!(desk.edge.depot_bots().unwrap()[0].name, "Scout");
}
