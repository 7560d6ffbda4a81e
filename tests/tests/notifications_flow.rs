//! Notifications in the whole central flow (every role in one replica: saga, payments, depot,
//! simulated bots, notifications): an order placed as a kiosk would is texted when created and
//! when the simulated bot has brought it to the depot; an order whose card is declined is texted
//! when created and when rejected. Each text once, to the JSON-lines log sink.
//!
//! Uses the saga tests' world (`saga_support`) to publish kiosk events. Needs the binary:
//! `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

mod saga_support;

use std::time::Duration;

use saga_support::{eventually, World};
use serde_json::Value;

const FLOW: Duration = Duration::from_secs(30);

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_texted_on_created_ready_and_rejected_once_each() {
    let w = World::new().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sms.log");
    let _central = w.central(
        "saga,payments,depot,bots-sim,notifications",
        &[
            ("MALLBOTS__SIM__BOTS", "2"),
            ("MALLBOTS__SMS__LOG", log.to_str().unwrap()),
        ],
    );
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kiosk1").await;
    let good = w
        .place_order(
            "kiosk1",
            customer,
            &[(products[0], store, 2, 250)],
            "tok_visa",
        )
        .await;
    let declined = w
        .place_order(
            "kiosk1",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_decline",
        )
        .await;
    let wanted = [
        format!("order_created:{good}"),
        format!("order_ready:{good}"),
        format!("order_created:{declined}"),
        format!("order_canceled:{declined}"),
    ];
    eventually(FLOW, "four texts", || async {
        let keys: Vec<String> = lines(&log)
            .iter()
            .map(|l| l["dedupe_key"].as_str().unwrap_or_default().to_string())
            .collect();
        wanted.iter().all(|k| keys.contains(k)).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = lines(&log);
    assert_eq!(all.len(), 4, "{all:#?}");
    for l in &all {
        assert_eq!(l["to"], "+15550104477");
    }
    let ready = all.iter().find(|l| l["kind"] == "order_ready").unwrap();
    assert!(ready["body"].as_str().unwrap().contains("$5.00"), "{ready}");
    let rejected = all.iter().find(|l| l["kind"] == "order_canceled").unwrap();
    assert!(
        rejected["body"]
            .as_str()
            .unwrap()
            .contains("card was declined"),
        "{rejected}"
    );
}
