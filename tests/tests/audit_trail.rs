//! Audit trails through the CLI, across devices, with central running (issue 14, the trail):
//!
//! * An order taken on kiosk k1, approved by central's saga, shopped by a simulated robot,
//!   readied and handed over by manager alice at desk m1: `mallbots order history` on the kiosk
//!   tells its side (cart, checkout, approved, the robot took the list, ready, picked up), on
//!   the desk its side (the stores' order lines, the robot's list, the hand-over by alice), as
//!   JSON and as CSV.
//! * A product repriced by two desks of the same store (alice at m1, bob at m2): `mallbots
//!   product history` on m1 names each change's desk and user (the user travels with the event).
//! * Central's `GET /orders/{id}/history` gives operators every event of the order in the
//!   events stream (the kiosk's, central's, the desk's, the payment's), oldest first.
//! * A rebuild of the read models gives the same trails: they come from the events only.
//!
//! As it ships (docs/architecture.md §9): nats-server with the generated authorization, central
//! with its credentials, each device enrolled with `mallbots-central enroll` and synced as
//! itself ([`CliMall`]).
//!
//! Needs the binaries: `cargo build -p mallbots-central -p mallbots-edge` (same target dir).

use mallbots_tests::cli_mall::{start_central, CliMall};
use mallbots_tests::nats::NatsServer;
use serde_json::Value;
use std::time::Duration;

const ROOT: &str = "at";
const PREFIX: &str = "at_";

fn summaries(trail: &Value) -> Vec<String> {
    trail
        .as_array()
        .unwrap_or_else(|| panic!("a trail: {trail}"))
        .iter()
        .map(|e| e["summary"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn assert_tells(trail: &Value, device: &str, lines: &[&str]) {
    let told = summaries(trail);
    for line in lines {
        assert!(
            told.iter().any(|t| t.contains(line)),
            "{device}'s trail lacks {line:?}: {told:#?}"
        );
    }
}

#[test]
fn order_and_product_trails_tell_what_happened_on_each_device() {
    let server = NatsServer::start_with_auth("").unwrap();
    let mut central = start_central(&server, ROOT, PREFIX, &[]);
    let http = central
        .http_addr(Duration::from_secs(10))
        .expect("central's HTTP address");
    let dir = tempfile::tempdir().unwrap();
    let mall = CliMall::new(server, dir.path().to_path_buf(), ROOT, PREFIX);

    let (store, tea) = mall.store("m1", "Grocer", "TEA", true);
    mall.device("m1", "manager", Some(&store));
    mall.device("m2", "manager", Some(&store));
    mall.device("k1", "kiosk", None);
    mall.ok_as(
        "m1",
        "alice",
        &["product", "reprice", &tea, "--price-cents", "500"],
    );
    mall.sync("m1");
    mall.until("m2", 20, "the catalog on m2", |m| {
        m.ok("m2", &["catalog"]).to_string().contains(&tea)
    });
    mall.ok_as(
        "m2",
        "bob",
        &["product", "reprice", &tea, "--price-cents", "480"],
    );
    mall.sync("m2");
    mall.until("m1", 20, "bob's price on m1", |m| {
        m.ok("m1", &["product", "history", &tea])
            .to_string()
            .contains("bob")
    });
    let product = mall.ok("m1", &["product", "history", &tea]);
    assert_eq!(
        summaries(&product),
        [
            "added as TEA (TEA) at 4.50 USD by alice at m1",
            "price up 0.50 USD to 5.00 USD by alice at m1",
            "price down 0.20 USD to 4.80 USD by bob at m2",
        ],
        "{product}"
    );

    mall.catalog_reaches("k1", &[&tea]);
    let customer = mall.customer("k1", "Ada", "+15550104477");
    let order = mall.order("k1", &customer, &tea);
    mall.until("k1", 60, "the order ready", |m| {
        m.order_status("k1", &order) == "ready"
    });
    mall.until("m1", 20, "the order ready at the desk", |m| {
        m.ok("m1", &["order", "show", &order])["order"]["status"] == "ready"
    });
    let code = mall.pickup_code("k1", &order);
    mall.ok("m1", &["order", "pickup", &order, "--code", &code]);
    mall.sync("m1");
    mall.until("k1", 30, "the order picked up", |m| {
        m.order_status("k1", &order) == "completed"
    });
    mall.until("m1", 20, "the desk sees it completed", |m| {
        m.pickup_status("m1", &order)["status"] == "completed"
    });

    let kiosk = mall.ok("k1", &["order", "history", &order]);
    assert_tells(
        &kiosk,
        "k1",
        &[
            "cart started at k1",
            "added 2 x TEA (Grocer) at 4.80 USD",
            "checked out at k1: 1 item, 9.60 USD",
            "order placed at kiosk k1",
            "approved (payment authorized)",
            "took the shopping list",
            "ready at the depot (9.60 USD)",
            "picked up: payment captured, invoice paid",
        ],
    );
    let approved = kiosk
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "OrderApproved")
        .expect("approved");
    assert_eq!(approved["device"], "central", "{approved}");

    let desk = mall.ok("m1", &["order", "history", &order]);
    assert_tells(
        &desk,
        "m1",
        &[
            "Grocer: approved",
            "shopping list made: Grocer",
            "took the list",
            "picked the items at Grocer",
            "brought the order to the depot",
            "Grocer: ready",
            "hand-over asked by alice at desk m1",
            "Grocer: completed",
        ],
    );
    let csv = mall.text("m1", &["order", "history", &order, "--csv"]);
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("at,event_type,stream,device,user,summary")
    );
    assert!(
        rows.any(|r| r.contains("OrderPickupRequested,pickupreq,m1,alice,")),
        "{csv}"
    );

    // Central's side, for operators: every event of the order in the events stream.
    let get = |path: String| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let response = reqwest::get(format!("http://{http}{path}")).await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        })
    };
    let (status, history) = get(format!("/orders/{order}/history"));
    assert_eq!(status, 200, "{history}");
    let types: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    for t in [
        "BasketCheckedOut",
        "OrderCreated",
        "OrderApproved",
        "PaymentAuthorized",
        "ShoppingListAssigned",
        "OrderReadied",
        "OrderLineUpdated",
        "OrderPickupRequested",
        "PaymentCaptured",
        "InvoicePaid",
        "OrderCompleted",
    ] {
        assert!(types.contains(&t), "{t} in central's history: {types:?}");
    }
    let asked = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "OrderPickupRequested")
        .unwrap();
    assert_eq!(
        (&asked["device"], &asked["user"]),
        (&Value::from("m1"), &Value::from("alice"))
    );
    let seqs: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "oldest first, once each"
    );
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(get(format!("/orders/{unknown}/history")).0, 404);
    let (status, bad) = get("/orders/nope/history".to_owned());
    assert_eq!((status, &bad["code"]), (400, &Value::from("invalid_input")));

    mall.ok("m1", &["rebuild"]);
    mall.ok("k1", &["rebuild"]);
    assert_eq!(mall.ok("m1", &["order", "history", &order]), desk);
    assert_eq!(mall.ok("k1", &["order", "history", &order]), kiosk);
    assert_eq!(mall.ok("m1", &["product", "history", &tea]), product);
}
