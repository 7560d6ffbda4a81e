//! Two `mallbots-central` replicas sharing the saga's durable consumers: 100 orders all reach
//! `approved`, each saga step is applied exactly once (one event per step on every aggregate,
//! one record per forward step), and both replicas did saga work.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

mod saga_support;

use std::time::Duration;

use mallbots_domain::saga::{list_id_for, payment_id_for};
use mallbots_domain::SagaId;
use saga_support::World;
use serde_json::Value;

const ORDERS: usize = 100;

async fn applied_inputs(proc: &mut mallbots_tests::procs::Proc) -> u64 {
    let addr = proc.http_addr(Duration::from_secs(10)).expect("http addr");
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with("mallbots_saga_inputs_total") && l.contains("applied"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_approve_every_order_and_apply_each_step_once() {
    let w = World::new().await;
    let mut a = w.central("saga,payments,depot", &[]);
    let mut b = w.central("saga,payments,depot", &[]);
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kioskR").await;
    let mut orders = Vec::new();
    for _ in 0..ORDERS {
        orders.push(
            w.place_order(
                "kioskR",
                customer,
                &[(products[0], store, 1, 250)],
                "tok_visa",
            )
            .await,
        );
    }
    for order in &orders {
        w.wait_order_event("kioskR", *order, "OrderApproved", Duration::from_secs(60))
            .await;
    }
    for order in &orders {
        assert_eq!(w.order_types("kioskR", *order).await, ["OrderApproved"]);
        let saga = SagaId::from(*order);
        let payment = payment_id_for(saga);
        assert_eq!(
            w.types(&w.subject(&format!("ev.payments.payment.{payment}")))
                .await,
            ["PaymentAuthorized"],
            "order {order}"
        );
        let list_types = w
            .types(&w.subject(&format!("ev.depot.list.{}", list_id_for(saga))))
            .await;
        let created = list_types.iter().filter(|t| t.contains("Created")).count();
        assert_eq!(created, 1, "order {order}: {list_types:?}");
        let state = w.saga_state(*order).await.expect("saga state");
        assert_eq!(state["phase"], "completed", "order {order}");
        let records = state["records"].as_array().expect("records");
        let forward: Vec<&Value> = records
            .iter()
            .filter(|r| r["direction"] == "forward")
            .collect();
        assert_eq!(forward.len(), 6, "order {order}: {records:?}");
        assert!(
            forward.iter().all(|r| r["status"] == "succeeded"),
            "order {order}: {records:?}"
        );
    }
    let (ra, rb) = (
        applied_inputs(&mut a.0).await,
        applied_inputs(&mut b.0).await,
    );
    // One OrderCreated and five replies per order, spread over both replicas.
    assert_eq!(ra + rb, 6 * ORDERS as u64, "replica a {ra}, b {rb}");
    assert!(ra > 0 && rb > 0, "both replicas worked: a {ra}, b {rb}");
}
