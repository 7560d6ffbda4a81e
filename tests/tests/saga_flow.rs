//! The order saga end to end against a real nats-server and real `mallbots-central` processes:
//! an order published as a kiosk would reaches `approved` (and, with depot and the bot simulator,
//! ready → completed at pickup); a declined card compensates to `rejected` with the list
//! canceled; an unavailable product or unknown customer is rejected; a timed-out step
//! compensates; a malformed order event is dead-lettered while other orders proceed.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

mod saga_support;

use std::time::Duration;

use mallbots_domain::saga::{list_id_for, payment_id_for};
use mallbots_domain::SagaId;
use saga_support::{eventually, new_id, now, World};
use serde_json::{json, Value};

const FLOW: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_is_approved_shopped_readied_and_completed_at_pickup() {
    let w = World::new().await;
    let _central = w.central(
        "saga,payments,depot,bots-sim",
        &[("MALLBOTS__SIM__BOTS", "2")],
    );
    let (store, products) = w
        .seed_store(&[("Tea", "T-1", 250), ("Mug", "M-1", 900)])
        .await;
    let customer = w.register_customer("kiosk1").await;
    let order = w
        .place_order(
            "kiosk1",
            customer,
            &[(products[0], store, 2, 250), (products[1], store, 1, 900)],
            "tok_visa",
        )
        .await;
    w.wait_order_event("kiosk1", order, "OrderApproved", FLOW)
        .await;
    let payment = payment_id_for(SagaId::from(order));
    let payment_types = w
        .types(&w.subject(&format!("ev.payments.payment.{payment}")))
        .await;
    assert_eq!(payment_types, ["PaymentAuthorized"]);
    // The saga records its last step just after the approval it caused: wait for it.
    eventually(
        FLOW,
        "the saga completed (state kept after approval)",
        || async {
            w.saga_state(order)
                .await
                .filter(|state| state["phase"] == "completed")
        },
    )
    .await;

    let started = w
        .wait_order_event("kiosk1", order, "OrderShoppingStarted", FLOW)
        .await;
    assert_eq!(started["list_id"], json!(list_id_for(SagaId::from(order))));
    let ready = w
        .wait_order_event("kiosk1", order, "OrderReadied", FLOW)
        .await;
    assert_eq!(ready["total"]["cents"], 1400);
    let invoice = mallbots_central::platform::commands::invoice_id_for(order);
    let invoice_subject = w.subject(&format!("ev.payments.invoice.{invoice}"));
    eventually(FLOW, "invoice created", || async {
        (w.types(&invoice_subject).await == ["InvoiceCreated"]).then_some(())
    })
    .await;

    w.request_pickup(order).await;
    let completed = w
        .wait_order_event("kiosk1", order, "OrderCompleted", FLOW)
        .await;
    assert_eq!(completed["invoice_id"], json!(invoice));
    assert_eq!(
        w.types(&w.subject(&format!("ev.payments.payment.{payment}")))
            .await,
        ["PaymentAuthorized", "PaymentCaptured"]
    );
    assert_eq!(
        w.types(&invoice_subject).await,
        ["InvoiceCreated", "InvoicePaid"]
    );
    assert_eq!(
        w.order_types("kiosk1", order).await,
        [
            "OrderApproved",
            "OrderShoppingStarted",
            "OrderReadied",
            "OrderCompleted"
        ]
    );
    // The store's manager sees the order's lines with the latest status.
    let lines = w
        .events(&w.subject(&format!("ev.store.{store}.orderline.{order}")))
        .await;
    let last: Value = serde_json::from_slice(&lines.last().expect("lines").payload).unwrap();
    assert_eq!(last["status"], "completed");
    assert_eq!(last["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_card_compensates_to_rejected_with_the_list_canceled() {
    let w = World::new().await;
    let _central = w.central("saga,payments,depot", &[]);
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kiosk2").await;
    let order = w
        .place_order(
            "kiosk2",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_decline",
        )
        .await;
    let rejected = w
        .wait_order_event("kiosk2", order, "OrderRejected", FLOW)
        .await;
    assert_eq!(rejected["reason"], "payment_declined");
    assert_eq!(w.order_types("kiosk2", order).await, ["OrderRejected"]);
    let payment = payment_id_for(SagaId::from(order));
    assert_eq!(
        w.types(&w.subject(&format!("ev.payments.payment.{payment}")))
            .await,
        ["PaymentDeclined"]
    );
    let list = list_id_for(SagaId::from(order));
    let list_subject = w.subject(&format!("ev.depot.list.{list}"));
    let types = eventually(FLOW, "list canceled", || async {
        let t = w.types(&list_subject).await;
        t.iter().any(|t| t.contains("Canceled")).then_some(t)
    })
    .await;
    assert!(types[0].contains("Created"), "{types:?}");
    let state = w.saga_state(order).await.expect("saga state");
    assert_eq!(state["phase"], "rejected");
    assert_eq!(state["failure_detail"], "payment.declined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_product_and_unknown_customer_are_rejected() {
    let w = World::new().await;
    let _central = w.central("saga,payments,depot", &[]);
    let (store, products) = w
        .seed_store(&[("Tea", "T-1", 250), ("Gone", "G-1", 100)])
        .await;
    w.remove_product(store, products[1]).await;
    let customer = w.register_customer("kiosk3").await;
    // The kiosk would have synced the removal before ordering; central's view has it too.
    w.wait_view(
        "catalog",
        &format!("product.{}", products[1]),
        "ProductRemoved",
    )
    .await;
    let gone = w
        .place_order(
            "kiosk3",
            customer,
            &[(products[0], store, 1, 250), (products[1], store, 1, 100)],
            "tok_visa",
        )
        .await;
    let rejected = w
        .wait_order_event("kiosk3", gone, "OrderRejected", FLOW)
        .await;
    assert_eq!(rejected["reason"], "product_unavailable");
    let stranger = mallbots_domain::CustomerId(new_id());
    let order = w
        .place_order(
            "kiosk3",
            stranger,
            &[(products[0], store, 1, 250)],
            "tok_visa",
        )
        .await;
    let rejected = w
        .wait_order_event("kiosk3", order, "OrderRejected", FLOW)
        .await;
    assert_eq!(rejected["reason"], "customer_not_authorized");
    let state = w.saga_state(order).await.expect("saga state");
    assert_eq!(state["failure_detail"], "customer.not_registered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_step_compensates() {
    let w = World::new().await;
    // No payments role: AuthorizePayment is never answered.
    let _central = w.central("saga,depot", &[("MALLBOTS__SAGA__TIMEOUT_MS", "1000")]);
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kiosk4").await;
    let order = w
        .place_order(
            "kiosk4",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_visa",
        )
        .await;
    let rejected = w
        .wait_order_event("kiosk4", order, "OrderRejected", FLOW)
        .await;
    assert_eq!(rejected["reason"], "timeout");
    let state = w.saga_state(order).await.expect("saga state");
    assert_eq!(state["phase"], "rejected");
    let records = state["records"].as_array().unwrap();
    let payment_timeouts = records
        .iter()
        .filter(|r| r["step"] == "authorize_payment" && r["status"] == "timed_out")
        .count();
    assert!(payment_timeouts >= 1, "{records:?}");
    let list = list_id_for(SagaId::from(order));
    let types = w.types(&w.subject(&format!("ev.depot.list.{list}"))).await;
    assert!(types.iter().any(|t| t.contains("Canceled")), "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_order_is_dead_lettered_while_others_proceed() {
    let w = World::new().await;
    let _central = w.central("saga,payments,depot", &[]);
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kiosk5").await;
    let bad = new_id();
    let subject = w.subject(&format!("ev.kiosk.kiosk5.order.{bad}"));
    w.append_raw(
        &subject,
        "kiosk5",
        ("order", bad.to_string()),
        "OrderCreated",
        b"{\"type\":\"OrderCreated\",\"order_id\":42}".to_vec(),
    )
    .await;
    let order = w
        .place_order(
            "kiosk5",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_visa",
        )
        .await;
    w.wait_order_event("kiosk5", order, "OrderApproved", FLOW)
        .await;
    let dlq = w.subject("dlq.saga-orders");
    let mut stream = w.js.get_stream(format!("{}DLQ", w.prefix)).await.unwrap();
    let entry = eventually(FLOW, "dead letter", || async {
        stream.get_last_raw_message_by_subject(&dlq).await.ok()
    })
    .await;
    assert_eq!(
        entry
            .headers
            .get("Mallbots-Dlq-Subject")
            .map(|v| v.as_str()),
        Some(subject.as_str())
    );
    let _ = stream.info().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_request_cancels_an_approved_order() {
    let w = World::new().await;
    let _central = w.central("saga,payments,depot", &[]);
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer("kiosk6").await;
    let order = w
        .place_order(
            "kiosk6",
            customer,
            &[(products[0], store, 1, 250)],
            "tok_visa",
        )
        .await;
    w.wait_order_event("kiosk6", order, "OrderApproved", FLOW)
        .await;
    let request = mallbots_domain::ordering::OrderEvent::OrderCancellationRequested {
        order_id: order,
        reason: "changed my mind".into(),
        at: now(),
    };
    let subject = w.subject(&format!("ev.kiosk.kiosk6.orderreq.{order}"));
    w.append(&subject, "kiosk6", ("order", order.to_string()), &request)
        .await;
    let canceled = w
        .wait_order_event("kiosk6", order, "OrderCanceled", FLOW)
        .await;
    assert_eq!(canceled["by"], "customer");
    assert_eq!(canceled["reason"], "changed my mind");
    let payment = payment_id_for(SagaId::from(order));
    let payment_subject = w.subject(&format!("ev.payments.payment.{payment}"));
    eventually(FLOW, "payment voided", || async {
        (w.types(&payment_subject).await == ["PaymentAuthorized", "PaymentVoided"]).then_some(())
    })
    .await;
}
