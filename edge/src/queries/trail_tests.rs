//! Audit trails from the log: an order on the kiosk that took it (its cart and checkout, then
//! central's answers as sync delivers them), and a product repriced on this desk and by another
//! desk whose edit arrives through the catalog consumer. A rebuild gives the same trails.

use crate::queries::delivery::central_message;
use crate::{Edge, EdgeConfig, NewProduct};
use mallbots_domain::ordering::OrderEvent;
use mallbots_domain::products::ProductEvent;
use mallbots_domain::{BotId, InvoiceId, Money, OrderId, ShoppingListId, Timestamp};
use serde_json::json;

fn summaries(trail: &[crate::TrailEntry]) -> Vec<String> {
    trail.iter().map(|e| e.summary.clone()).collect()
}

fn has(lines: &[String], text: &str) -> bool {
    lines.iter().any(|l| l.contains(text))
}

#[test]
fn an_order_trail_tells_the_story_in_order_and_survives_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let config = EdgeConfig {
        device_id: "kiosk-7".into(),
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("k.db"), config).unwrap();
    let store = edge.create_store("Tea House", "L1").unwrap();
    edge.set_participation(store.store_id, true).unwrap();
    let product = edge
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "T1".into(),
            name: "Green tea".into(),
            description: String::new(),
            price_cents: 250,
        })
        .unwrap();
    let customer = edge.register_customer("Ada", "+15550100").unwrap();
    let cart = edge.start_cart(None).unwrap().cart_id;
    edge.add_item(cart, product.product_id, 2).unwrap();
    let order = edge
        .checkout(cart, "tok_visa", Some(customer.customer_id))
        .unwrap()
        .order_id;
    let subject = format!("mallbots.ev.order.kiosk-7.{order}");
    let at = |n: i64| Timestamp::from_millis(edge.now().0 + n * 1000);
    let bot = BotId::from(uuid::Uuid::now_v7());
    let central = [
        OrderEvent::OrderApproved {
            order_id: order,
            at: at(1),
        },
        OrderEvent::OrderShoppingStarted {
            order_id: order,
            list_id: ShoppingListId::from(uuid::Uuid::now_v7()),
            bot_id: bot,
            at: at(2),
        },
        OrderEvent::OrderReadied {
            order_id: order,
            total: Money::usd(500),
            at: at(3),
        },
        OrderEvent::OrderCompleted {
            order_id: order,
            invoice_id: InvoiceId::from(uuid::Uuid::now_v7()),
            at: at(4),
        },
    ];
    for (seq, event) in central.iter().enumerate() {
        let at = event.at().0;
        let msg = central_message(
            &subject,
            seq as u64 + 1,
            "order",
            &order.to_string(),
            at,
            event,
        );
        edge.deliver(msg.unwrap()).unwrap();
    }
    let trail = edge.order_trail(order).unwrap();
    let lines = summaries(&trail);
    for text in [
        "cart started at kiosk-7",
        "added 2 x Green tea (Tea House) at 2.50 USD",
        "checked out at kiosk-7: 1 item, 5.00 USD",
        "order placed at kiosk kiosk-7: 1 item, 5.00 USD",
        "approved (payment authorized)",
        &format!("robot {bot} took the shopping list"),
        "ready at the depot (5.00 USD)",
        "picked up: payment captured, invoice paid",
    ] {
        assert!(has(&lines, text), "{text:?} in {lines:#?}");
    }
    assert!(trail.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    let approved = trail
        .iter()
        .find(|e| e.event_type == "OrderApproved")
        .unwrap();
    assert_eq!(approved.device.as_deref(), Some("central"));
    edge.rebuild_read_models().unwrap();
    assert_eq!(
        edge.order_trail(order).unwrap(),
        trail,
        "built from events only"
    );
    let unknown = edge.order_trail(OrderId::from(uuid::Uuid::now_v7()));
    assert_eq!(unknown.unwrap_err().code(), "not_found");
}

#[test]
fn a_product_trail_names_each_desk_and_user() {
    let dir = tempfile::tempdir().unwrap();
    let config = EdgeConfig {
        device_id: "desk-1".into(),
        user: Some("alice".into()),
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("d.db"), config).unwrap();
    let store = edge.create_store("Tea House", "L1").unwrap();
    let product = edge
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "T1".into(),
            name: "Green tea".into(),
            description: String::new(),
            price_cents: 250,
        })
        .unwrap()
        .product_id;
    edge.reprice_product(product, 300).unwrap();
    // Another desk (bob at desk-2) lowers the price; its event arrives through the catalog
    // consumer with its device and user headers.
    let subject = format!("mallbots.ev.catalog.{}.product.{product}", store.store_id);
    let lowered = ProductEvent::ProductPriceDecreased {
        product_id: product,
        store_id: store.store_id,
        delta: Money::usd(20),
        price: Money::usd(280),
        at: Timestamp::from_millis(edge.now().0 + 1000),
    };
    let mut msg = central_message(
        &subject,
        9,
        "product",
        &product.to_string(),
        lowered.at().0,
        &lowered,
    )
    .unwrap();
    let headers = msg.headers.as_mut().unwrap();
    headers.insert("Mallbots-Device", "desk-2");
    headers.insert("Mallbots-User", "bob");
    edge.deliver(msg).unwrap();
    let trail = edge.product_trail(product).unwrap();
    let lines = summaries(&trail);
    assert_eq!(
        lines,
        [
            "added as Green tea (T1) at 2.50 USD by alice at desk-1",
            "price up 0.50 USD to 3.00 USD by alice at desk-1",
            "price down 0.20 USD to 2.80 USD by bob at desk-2",
        ],
        "{}",
        json!(trail)
    );
    assert_eq!(trail[2].user.as_deref(), Some("bob"));
}

#[test]
fn a_robot_trail_lists_its_day_from_the_bot_stream() {
    use crate::queries::delivery::RawMessage;
    use crate::Role;
    use mallbots_domain::bots::BotEvent;
    use mallbots_domain::depot::{ListEvent, ListItem, Stop};
    use mallbots_domain::{DomainEvent, ProductId};
    use serde::Serialize;

    fn message<E: DomainEvent + Serialize>(
        seq: u64,
        kind: &str,
        id: String,
        e: &E,
        at: i64,
    ) -> RawMessage {
        let subject = format!("mallbots.ev.depot.{kind}.{id}");
        central_message(&subject, seq, kind, &id, at, e).unwrap()
    }
    let dir = tempfile::tempdir().unwrap();
    let config = EdgeConfig {
        device_id: "desk-1".into(),
        role: Role::Manager,
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("d.db"), config).unwrap();
    let deli = edge.create_store("Corner Deli", "L1").unwrap().store_id;
    let (bot, list, order) = (
        BotId::from_uuid(uuid::Uuid::now_v7()),
        ShoppingListId::from_uuid(uuid::Uuid::now_v7()),
        OrderId::from_uuid(uuid::Uuid::now_v7()),
    );
    let item = ListItem {
        store_id: deli,
        product_id: ProductId::for_sku(deli, "Bagel"),
        product_name: "Bagel".into(),
        quantity: 2,
    };
    let t = |n: i64| Timestamp::from_millis(1_800_000_000_000 + n);
    let created = ListEvent::ShoppingListCreated {
        list_id: list,
        order_id: order,
        stops: Stop::plan(&[item]),
        at: t(0),
    };
    edge.deliver(message(1, "list", list.to_string(), &created, t(0).0))
        .unwrap();
    let bot_events = [
        BotEvent::BotCameOnline {
            bot_id: bot,
            name: "Robo One".into(),
            at: t(1),
        },
        BotEvent::BotAssigned {
            bot_id: bot,
            list_id: list,
            at: t(10),
        },
        BotEvent::BotArrivedAtStore {
            bot_id: bot,
            list_id: list,
            store_id: deli,
            at: t(11),
        },
        BotEvent::ItemsPickedUp {
            bot_id: bot,
            list_id: list,
            store_id: deli,
            at: t(12),
        },
        BotEvent::BotReturned {
            bot_id: bot,
            list_id: list,
            at: t(13),
        },
    ];
    for (seq, event) in bot_events.iter().enumerate() {
        let at = t(seq as i64).0;
        edge.deliver(message(seq as u64 + 2, "bot", bot.to_string(), event, at))
            .unwrap();
    }
    let short = &order.to_string()[..8];
    let day = edge.bot_trail(bot, t(1).0).unwrap();
    assert_eq!(
        summaries(&day),
        [
            format!("took the list of order {short}"),
            "arrived at Corner Deli".to_owned(),
            "picked the items at Corner Deli".to_owned(),
            format!("back at the depot with order {short}"),
        ]
    );
    let all = edge.bot_trail(bot, 0).unwrap();
    assert_eq!(all[0].summary, "came online as Robo One");
    assert_eq!(all[0].device.as_deref(), Some("central"));
}
