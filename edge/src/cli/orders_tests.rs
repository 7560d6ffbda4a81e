//! `mallbots orders` filters and `mallbots order show` on a desk that received central's order
//! lines; refusals name the flag.

use super::args::Cli;
use super::run::run;
use crate::domain::ordering::{OrderItem, OrderStatus};
use crate::domain::{Money, OrderId, ProductId, StoreId, Timestamp};
use crate::{central_message, Edge, EdgeConfig, Received, Role};
use clap::Parser;
use mallbots_domain::ordering::OrderLineEvent;
use uuid::Uuid;

fn cli(edge: &Edge, args: &[&str]) -> Result<super::Outcome, crate::EdgeError> {
    let cli = Cli::try_parse_from(std::iter::once("mallbots").chain(args.iter().copied()))
        .expect("parses");
    run(edge, cli.command)
}

#[test]
fn desk_orders_filter_show_and_refuse_by_flag() {
    let dir = tempfile::tempdir().unwrap();
    let config = EdgeConfig {
        role: Role::Manager,
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("desk.db"), config).unwrap();
    let store = StoreId::from_uuid(Uuid::now_v7());
    let order = OrderId::from_uuid(Uuid::now_v7());
    let line = OrderLineEvent::OrderLineUpdated {
        order_id: order,
        store_id: store,
        device: "k7".into(),
        status: OrderStatus::Ready,
        items: vec![OrderItem {
            product_id: ProductId::for_sku(store, "T"),
            store_id: store,
            store_name: "Deli".into(),
            product_name: "Tea".into(),
            price: Money::usd(250),
            quantity: 2,
        }],
        order_seq: 9,
        at: Timestamp::from_millis(1_700_000_000_000),
        placed_at: Some(Timestamp::from_millis(1_699_999_990_000)),
        payment: None,
        invoice: None,
        phone_last4: Some("4477".into()),
    };
    let subject = format!("mallbots.ev.store.{store}.orderline.{order}");
    let msg = central_message(&subject, 1, "orderline", &order.to_string(), 1, &line).unwrap();
    assert_eq!(edge.deliver(msg).unwrap(), Received::Applied);

    let listed = cli(&edge, &["orders", "--phone", "77", "--status", "ready"]).unwrap();
    assert_eq!(listed.json[0]["order_id"], order.to_string());
    assert!(
        listed.text.contains("ready") && listed.text.contains("…4477"),
        "{}",
        listed.text
    );
    let all = cli(&edge, &["orders"]).unwrap();
    assert_eq!(
        all.json.as_array().unwrap().len(),
        1,
        "a desk lists central's orders"
    );
    let none = cli(&edge, &["orders", "--from", "2023-11-15"]).unwrap();
    assert_eq!(
        (none.json.clone(), none.text.as_str()),
        (serde_json::json!([]), "no orders")
    );

    let shown = cli(&edge, &["order", "show", &order.to_string()]).unwrap();
    assert_eq!(shown.json["order"]["device_id"], "k7");
    assert_eq!(shown.json["lines"][0]["items"][0]["product_name"], "Tea");
    assert!(shown.text.contains("history: pending"), "{}", shown.text);
    let unknown = cli(&edge, &["order", "show", &Uuid::now_v7().to_string()]).unwrap_err();
    assert_eq!(unknown.code(), "not_found");

    for (args, flag) in [
        (&["orders", "--phone", "12345"][..], "--phone"),
        (&["orders", "--from", "2023-02-30"][..], "--from"),
        (&["orders", "--to", "soon"][..], "--to"),
        (&["orders", "--status", "teleported"][..], "--status"),
    ] {
        let err = cli(&edge, args).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{args:?}");
        assert!(err.to_string().contains(flag), "{args:?}: {err}");
    }
}
