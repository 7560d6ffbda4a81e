//! Orders after approval against a real nats-server and real `mallbots-central` processes: a
//! slow payment gateway (the fake's `tok_slow`, slower than the ack wait) is held with in-progress
//! acks and authorized exactly once; a customer's cancellation is refused once the order is ready;
//! an administrator's cancel of an approved order voids its payment; saga keys expire.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

mod saga_support;

use mallbots_wire::service_subjects::CommandContext;
use std::time::Duration;

use mallbots_domain::ordering::OrderEvent;
use mallbots_domain::saga::payment_id_for;
use mallbots_domain::SagaId;
use saga_support::{eventually, new_id, now, World};
use serde_json::json;

const FLOW: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_gateway_is_held_with_progress_acks_and_charged_once() {
    let w = World::new().await;
    // The gateway takes 4 s; the first redelivery would come after 1 s (the first back-off step,
    // which the server uses instead of the ack wait): without +WPI the command is redelivered.
    let mut central = w.central(
        "saga,payments,depot",
        &[
            ("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "1500"),
            ("MALLBOTS__PAYMENTS__FAKE_SLOW_MS", "4000"),
        ],
    );
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kioskL").await;
    let order = w
        .place_order(
            "kioskL",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_slow",
        )
        .await;
    w.wait_order_event("kioskL", order, "OrderApproved", FLOW)
        .await;
    let payment = payment_id_for(SagaId::from(order));
    assert_eq!(
        w.types(&w.subject(&format!("ev.payments.payment.{payment}")))
            .await,
        ["PaymentAuthorized"]
    );
    let addr = central.0.http_addr(Duration::from_secs(5)).unwrap();
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The whole answer, as a Prometheus server would read it, through the reference parser.
    let families = mallbots_tests::openmetrics::validate(&text)
        .unwrap_or_else(|e| panic!("/metrics is not valid OpenMetrics: {e}\n{text}"));
    assert!(families >= 15, "{families} families:\n{text}");
    for family in ["mallbots_message_handle_seconds", "process_cpu_seconds"] {
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "{family} has help:\n{text}"
        );
    }
    let payments_received: u64 = text
        .lines()
        .filter(|l| {
            l.starts_with("mallbots_messages_received_total")
                && l.contains("cmd.payments.authorize_payment")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(
        payments_received, 1,
        "the slow command was redelivered:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_is_refused_once_the_order_is_ready() {
    let w = World::new().await;
    let _central = w.central(
        "saga,payments,depot,bots-sim",
        &[("MALLBOTS__SIM__BOTS", "1")],
    );
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kioskM").await;
    let ready = w
        .place_order(
            "kioskM",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_visa",
        )
        .await;
    w.wait_order_event("kioskM", ready, "OrderReadied", FLOW)
        .await;
    let request = OrderEvent::OrderCancellationRequested {
        order_id: ready,
        reason: String::new(),
        at: now(),
    };
    let subject = w.subject(&format!("ev.kiosk.kioskM.orderreq.{ready}"));
    w.append(&subject, "kioskM", ("order", ready.to_string()), &request)
        .await;
    let refused = w
        .wait_order_event("kioskM", ready, "OrderCancelRefused", FLOW)
        .await;
    assert_eq!(refused["reason"], "order.cancel_after_shopping_finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cancel_of_an_approved_order_voids_its_payment() {
    let w = World::new().await;
    // No bots: the order stays approved.
    let _central = w.central("saga,payments,depot", &[]);
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kioskM").await;
    let order = w
        .place_order(
            "kioskM",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_visa",
        )
        .await;
    w.wait_order_event("kioskM", order, "OrderApproved", FLOW)
        .await;
    w.command(
        CommandContext::Ordering,
        "cancel_order",
        json!({"command_id": new_id().to_string(), "order_id": order,
               "reason": "store closed", "at": now()}),
    )
    .await;
    let canceled = w
        .wait_order_event("kioskM", order, "OrderCanceled", FLOW)
        .await;
    assert_eq!(canceled["by"], "admin");
    let payment = payment_id_for(SagaId::from(order));
    let payment_subject = w.subject(&format!("ev.payments.payment.{payment}"));
    eventually(FLOW, "payment voided", || async {
        (w.types(&payment_subject).await == ["PaymentAuthorized", "PaymentVoided"]).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saga_keys_expire_after_the_grace_period() {
    let w = World::new().await;
    let _central = w.central("saga", &[]);
    let kv =
        w.js.get_key_value(format!("{}sagas", w.prefix))
            .await
            .unwrap();
    let status = kv.status().await.unwrap();
    assert_eq!(status.max_age(), Duration::from_secs(15 * 60));
}
