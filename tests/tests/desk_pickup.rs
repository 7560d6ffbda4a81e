//! System test of the desk journeys (issue 11 items 2 and 5, issue 12 item 3), end to end over
//! a real nats-server, the real `mallbots-central` (saga, payments, depot, bot simulator) and
//! edges driven only through the `mallbots` CLI binary; devices enrolled with the real
//! `mallbots-central enroll` (which records them in the devices registry central authorizes by).
//!
//! * Pickup accepted: an order placed on kiosk k1 (store A) reaches ready; the manager desk of A
//!   hands it over (`mallbots order pickup ORDER --code CODE`, the code read off the kiosk's
//!   `order show` as the customer reads it off the confirmation): the kiosk shows `completed`,
//!   the payment is captured and the invoice paid (checked on the stream). A wrong code is
//!   refused by central (`pickup.wrong_code`) and changes nothing; one that is not digits is
//!   refused at the desk (`desk.code_invalid`); a desk that typed five wrong codes is held up
//!   (`pickup.too_many_tries`, even with the right one) while another desk is not.
//! * Each refusal is coded and changes nothing: another store's manager (`pickup.not_your_store`,
//!   from central), an order still being shopped (`pickup.not_ready`, from central for a desk that
//!   has not seen it, locally for one that has), an order already handed over
//!   (`pickup.already_completed`, central and local). Central's refusals come back on
//!   `R.ev.deskans.<device>.<order>` (shown by `mallbots order pickup-status`) and each request
//!   is dead-lettered on `desk-pickup`.
//! * A kiosk cannot cancel another kiosk's order: k2 publishes (as the kiosk it is, on its own
//!   subject) a cancellation request naming k1's order; the order is untouched and the request
//!   dead-lettered on `saga-orders` with `order.not_your_order`.
//! * Automated shopping off (store B): the order's list waits at B's stop while the order stays
//!   in progress; B's manager marks the stop prepared (`mallbots depot stop-prepared`), the bot
//!   collects it and the order becomes ready, then is handed over.
//!
//! As it ships (docs/architecture.md §9): nats-server with the authorization `mallbots-central auth init`
//! generates, central with its credentials, every device enrolled with `mallbots-central enroll`
//! and initialized from the credentials file it wrote (`mallbots device init --enrollment FILE`),
//! so each syncs as itself. Nothing here publishes what only central publishes: the one message
//! the test writes itself is kiosk k2's request, with k2's own credentials, on k2's own subject.
//! A desk that was never enrolled has no NATS user: its sync is refused and nothing it asks
//! reaches central.
//!
//! Needs the binaries: `cargo build -p mallbots-central -p mallbots-edge` (same target dir).

use async_nats::HeaderMap;
use mallbots_domain::saga::payment_id_for;
use mallbots_domain::{OrderId, SagaId};
use mallbots_tests::cli_mall::{code, id, start_central, CliMall};
use mallbots_tests::nats::{connect_with, NatsServer};
use std::time::{Duration, Instant};

const ROOT: &str = "dp";
const PREFIX: &str = "dp_";

async fn last_event_type(js: &async_nats::jetstream::Context, subject: &str) -> Option<String> {
    let stream = js.get_stream(format!("{PREFIX}EVENTS")).await.ok()?;
    let m = stream.direct_get_last_for_subject(subject).await.ok()?;
    m.headers
        .get("Mallbots-Event-Type")
        .map(|v| v.as_str().to_owned())
}

async fn count_on(js: &async_nats::jetstream::Context, subject: &str) -> usize {
    let stream = js.get_stream(format!("{PREFIX}EVENTS")).await.unwrap();
    let mut n = 0;
    let mut next = 1;
    while let Ok(m) = stream
        .direct_get_next_for_subject(subject, Some(next))
        .await
    {
        n += 1;
        next = m.sequence + 1;
    }
    n
}

/// Dead letters of `consumer`: their error headers.
async fn dead_letters(js: &async_nats::jetstream::Context, consumer: &str) -> Vec<String> {
    let Ok(stream) = js.get_stream(format!("{PREFIX}DLQ")).await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut next = 1;
    while let Ok(m) = stream
        .direct_get_next_for_subject(format!("{ROOT}.dlq.{consumer}"), Some(next))
        .await
    {
        next = m.sequence + 1;
        out.push(
            m.headers
                .get("Mallbots-Dlq-Error")
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
        );
    }
    out
}

async fn payment_and_invoice(
    js: &async_nats::jetstream::Context,
    order: &str,
) -> (Option<String>, Option<String>) {
    let order: OrderId = order.parse().unwrap();
    let payment = payment_id_for(SagaId::from(order));
    let invoice = mallbots_central::platform::commands::invoice_id_for(order);
    (
        last_event_type(js, &format!("{ROOT}.ev.payments.payment.{payment}")).await,
        last_event_type(js, &format!("{ROOT}.ev.payments.invoice.{invoice}")).await,
    )
}

fn wait_dlq(
    rt: &tokio::runtime::Handle,
    js: &async_nats::jetstream::Context,
    consumer: &str,
    needle: &str,
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let letters = rt.block_on(dead_letters(js, consumer));
        if letters.iter().any(|l| l.contains(needle)) {
            return letters;
        }
        assert!(
            Instant::now() < deadline,
            "no dead letter on {consumer} containing {needle:?}: {letters:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn desks_hand_orders_over_and_every_refusal_is_coded_and_changes_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = NatsServer::start_with_auth("").unwrap();
    let url = server.url();
    let central = start_central(
        &server,
        ROOT,
        PREFIX,
        &[
            ("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "5000"),
            ("MALLBOTS__TOPOLOGY__BACKOFF_MS", "200,500,1000"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let js =
        rt.block_on(async { async_nats::jetstream::new(server.central_client().await.unwrap()) });
    let mall = CliMall::new(server, dir.path().to_path_buf(), ROOT, PREFIX);
    let _guard = rt.enter();

    // Store A (automated shopping on) by m1, store B (off) by m2.
    let (a, tea) = mall.store("m1", "Grocer", "TEA", true);
    let (b, bread) = mall.store("m2", "Baker", "BREAD", false);
    mall.device("m1", "manager", Some(&a));
    mall.device("m2", "manager", Some(&b));
    mall.device("m3", "manager", Some(&b));
    mall.device("m4", "manager", Some(&a));
    mall.device("k1", "kiosk", None);
    let k2_creds = mall.device("k2", "kiosk", None);
    mall.sync("m1");
    mall.sync("m2");
    // The catalog (with B's automated shopping off) is on the stream before any order.
    mall.catalog_reaches("k1", &[&bread, &tea]);
    let customer = mall.customer("k1", "Ada", "+15550104477");
    let o1 = mall.order("k1", &customer, &tea);
    let o2 = mall.order("k1", &customer, &bread);
    mall.until("k1", 60, "order 1 ready", |m| {
        m.order_status("k1", &o1) == "ready"
    });

    // Automated shopping off: order 2 waits at B's stop.
    mall.until("k1", 20, "order 2 in progress", |m| {
        m.order_status("k1", &o2) == "in_progress"
    });
    std::thread::sleep(Duration::from_secs(2));
    mall.sync("k1");
    assert_eq!(
        mall.order_status("k1", &o2),
        "in_progress",
        "B's stop waits"
    );

    // The codes the customers read off the kiosk's confirmation.
    let (c1, c2) = (mall.pickup_code("k1", &o1), mall.pickup_code("k1", &o2));
    assert_ne!(c1, c2);

    // Not your store: B's manager asks for order 1 (store A only), central refuses.
    mall.ok("m2", &["order", "pickup", &o1, "--code", &c1]);
    mall.until("m2", 20, "m2's refusal", |m| {
        m.pickup_status("m2", &o1)["status"] == "refused"
    });
    let refusal = mall.pickup_status("m2", &o1);
    assert_eq!(refusal["code"], "pickup.not_your_store", "{refusal}");
    wait_dlq(rt.handle(), &js, "desk-pickup", "pickup.not_your_store");
    let (payment, invoice) = rt.block_on(payment_and_invoice(&js, &o1));
    assert_eq!(payment.as_deref(), Some("PaymentAuthorized"), "unchanged");
    assert_eq!(invoice.as_deref(), Some("InvoiceCreated"), "unchanged");
    mall.sync("k1");
    assert_eq!(mall.order_status("k1", &o1), "ready", "unchanged");

    // Not ready: m3 (B's other desk, which has not seen order 2) asks; central refuses.
    mall.ok("m3", &["order", "pickup", &o2, "--code", &c2]);
    mall.until("m3", 20, "m3's refusal", |m| {
        m.pickup_status("m3", &o2)["status"] == "refused"
    });
    assert_eq!(mall.pickup_status("m3", &o2)["code"], "pickup.not_ready");
    wait_dlq(rt.handle(), &js, "desk-pickup", "pickup.not_ready");
    // m2 has seen order 2's lines (in progress): refused locally, nothing written.
    mall.sync("m2");
    assert_eq!(
        code(mall.cli("m2", &["order", "pickup", &o2, "--code", &c2])),
        "pickup.not_ready"
    );
    assert!(
        mall.pickup_status("m2", &o2).is_null(),
        "no request recorded"
    );

    // A kiosk cannot cancel another kiosk's order: k2 asks, on its own subject, for k1's order 2.
    let event = serde_json::json!({"type": "OrderCancellationRequested", "order_id": o2,
        "reason": "not mine", "at": 1_700_000_000_000_i64});
    let event_id = uuid::Uuid::now_v7().to_string();
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id.as_str());
    headers.insert("Mallbots-Event-Type", "OrderCancellationRequested");
    headers.insert("Mallbots-Schema-Version", "1");
    headers.insert("Mallbots-Stream-Type", "order");
    headers.insert("Mallbots-Stream-Id", o2.as_str());
    headers.insert("Mallbots-Device", "k2");
    rt.block_on(async {
        let k2 = connect_with(&url, &k2_creds)
            .await
            .expect("k2 connects as itself");
        async_nats::jetstream::new(k2)
            .publish_with_headers(
                format!("{ROOT}.ev.kiosk.k2.orderreq.{o2}"),
                headers,
                serde_json::to_vec(&event).unwrap().into(),
            )
            .await
            .unwrap()
            .await
            .expect("k2 may publish on its own subject");
    });
    wait_dlq(rt.handle(), &js, "saga-orders", "order.not_your_order");
    mall.sync("k1");
    assert_eq!(
        mall.order_status("k1", &o2),
        "in_progress",
        "k1's order untouched"
    );
    assert_eq!(
        rt.block_on(last_event_type(&js, &format!("{ROOT}.ev.order.k1.{o2}")))
            .as_deref(),
        Some("OrderShoppingStarted")
    );

    // A wrong code: A's manager types one the customer did not show; central refuses and
    // nothing changes. (Typed with a space, as people read it: the right one below is too.)
    mall.sync("m1");
    let wrong = if c1 == "000000" { "000001" } else { "000000" };
    mall.ok("m1", &["order", "pickup", &o1, "--code", wrong]);
    mall.until("m1", 20, "m1's wrong-code refusal", |m| {
        m.pickup_status("m1", &o1)["status"] == "refused"
    });
    assert_eq!(mall.pickup_status("m1", &o1)["code"], "pickup.wrong_code");
    wait_dlq(rt.handle(), &js, "desk-pickup", "pickup.wrong_code");
    let (payment, _) = rt.block_on(payment_and_invoice(&js, &o1));
    assert_eq!(payment.as_deref(), Some("PaymentAuthorized"), "unchanged");
    assert_eq!(
        code(mall.cli("m1", &["order", "pickup", &o1, "--code", "12a456"])),
        "desk.code_invalid"
    );
    let spaced = format!("{} {}", &c1[..3], &c1[3..]);

    // Guessing does not pay: A's other desk m4 types five wrong codes; its next try, even with
    // the right code, is refused (for 15 minutes); m1, another desk, is not held up by it.
    let right: u32 = c1.parse().unwrap();
    for guess in 1..=5 {
        let guess = format!("{:06}", (right + guess) % 1_000_000);
        mall.ok("m4", &["order", "pickup", &o1, "--code", &guess]);
        mall.until("m4", 20, "m4's wrong-code refusal", |m| {
            m.pickup_status("m4", &o1)["status"] == "refused"
        });
        assert_eq!(mall.pickup_status("m4", &o1)["code"], "pickup.wrong_code");
    }
    mall.ok("m4", &["order", "pickup", &o1, "--code", &c1]);
    mall.until("m4", 20, "m4 held up", |m| {
        m.pickup_status("m4", &o1)["status"] == "refused"
    });
    assert_eq!(
        mall.pickup_status("m4", &o1)["code"],
        "pickup.too_many_tries"
    );

    // Accepted: A's manager hands order 1 over with the customer's code.
    let asked = mall.ok("m1", &["order", "pickup", &o1, "--code", &spaced]);
    assert_eq!(asked["status"], "requested", "{asked}");
    mall.sync("m1");
    mall.until("k1", 30, "order 1 picked up", |m| {
        m.order_status("k1", &o1) == "completed"
    });
    let (payment, invoice) = rt.block_on(payment_and_invoice(&js, &o1));
    assert_eq!(payment.as_deref(), Some("PaymentCaptured"));
    assert_eq!(invoice.as_deref(), Some("InvoicePaid"));
    mall.until("m1", 20, "m1 sees it completed", |m| {
        m.pickup_status("m1", &o1)["status"] == "completed"
    });

    // Already completed: m4 (A's other desk, which has not seen it) asks, central refuses;
    // m1 locally.
    mall.ok("m4", &["order", "pickup", &o1, "--code", &c1]);
    mall.until("m4", 20, "m4's refusal", |m| {
        m.pickup_status("m4", &o1)["status"] == "refused"
    });
    assert_eq!(
        mall.pickup_status("m4", &o1)["code"],
        "pickup.already_completed"
    );
    assert_eq!(
        code(mall.cli("m1", &["order", "pickup", &o1, "--code", &c1])),
        "pickup.already_completed"
    );
    let letters = wait_dlq(rt.handle(), &js, "desk-pickup", "pickup.already_completed");
    assert_eq!(
        letters.len(),
        10,
        "one dead letter per refused request (not your store, not ready, six wrong codes, one \
         held up, already completed): {letters:?}"
    );
    // A desk that was never enrolled has no NATS user: its request never leaves it.
    mall.ok(
        "m5",
        &[
            "device", "init", "--id", "m5", "--role", "manager", "--store", &b,
        ],
    );
    mall.ok("m5", &["order", "pickup", &o2, "--code", &c2]);
    let stream = format!("{PREFIX}EVENTS");
    let refused = code(mall.cli("m5", &["sync", "--nats", &url, "--stream", &stream]));
    assert!(
        ["sync.not_enrolled", "sync.refused"].contains(&refused.as_str()),
        "{refused}"
    );
    std::thread::sleep(Duration::from_millis(500));
    let letters = rt.block_on(dead_letters(&js, "desk-pickup"));
    assert_eq!(
        letters.len(),
        10,
        "nothing more reached central: {letters:?}"
    );
    let payment = payment_id_for(SagaId::from(o1.parse::<OrderId>().unwrap()));
    assert_eq!(
        rt.block_on(count_on(
            &js,
            &format!("{ROOT}.ev.payments.payment.{payment}")
        )),
        2,
        "authorized and captured once, whatever the refused requests"
    );

    // Automated shopping off: B's manager marks order 2's stop prepared; the bot collects it.
    mall.sync("m2");
    let lists = mall.ok("m2", &["depot", "lists"]);
    let list = lists
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["order_id"] == o2.as_str())
        .unwrap_or_else(|| panic!("no list of order 2 on m2: {lists}"))
        .clone();
    assert_eq!(list["stops"][0]["prepared"], false, "{list}");
    let list_id = id(&list, "list_id");
    // A's manager may not prepare B's stop: refused by central, the list unchanged.
    mall.sync("m1");
    mall.ok("m1", &["depot", "stop-prepared", &list_id, "--store", &b]);
    mall.until("m1", 20, "m1's stop refusal", |m| {
        m.ok("m1", &["depot", "requests"])
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["code"] == "stop.not_your_store"))
    });
    mall.sync("k1");
    assert_eq!(mall.order_status("k1", &o2), "in_progress");
    let done = mall.ok("m2", &["depot", "stop-prepared", &list_id, "--store", &b]);
    assert_eq!(done["status"], "requested", "{done}");
    mall.sync("m2");
    mall.until("k1", 30, "order 2 ready after the counter", |m| {
        m.order_status("k1", &o2) == "ready"
    });
    mall.until("m2", 20, "the stop shown prepared", |m| {
        m.ok("m2", &["depot", "lists"])
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["order_id"] == o2.as_str() && l["stops"][0]["prepared"] == true)
    });
    mall.ok("m2", &["order", "pickup", &o2, "--code", &c2]);
    mall.sync("m2");
    mall.until("k1", 30, "order 2 picked up", |m| {
        m.order_status("k1", &o2) == "completed"
    });
    drop(central);
}
