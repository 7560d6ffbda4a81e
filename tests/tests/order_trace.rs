//! One order is one trace, kiosk → central (issue 17, observability): a kiosk enrolled with
//! `mallbots-central enroll` checks out through the `mallbots` CLI; its relay stamps the
//! order's events with `traceparent` (the trace id is the checkout's correlation id); central
//! (JSON logs) handles every message of the saga inside that trace and stamps each message it
//! sends with it. The test reads the order's events on the stream and central's log: every
//! event of the order, the kiosk's and central's, carries the kiosk's trace id, and central's
//! per-message spans for it cover the saga's steps (the kiosk's order, customer and payment
//! authorization, shopping list, approval, shopping), and the events of the robot's run and
//! of the readied order, sent from the depot's own loops, carry it through the order's
//! correlation id.

use mallbots_tests::cli_mall::{start_central, CliMall};
use mallbots_tests::nats::NatsServer;
use mallbots_wire::trace::{TraceContext, H_TRACEPARENT};
use serde_json::Value;
use std::collections::BTreeSet;

const ROOT: &str = "ot";
const PREFIX: &str = "ot_";

/// Every message on `subject` in the events stream: (event type, traceparent).
async fn events_on(js: &async_nats::jetstream::Context, subject: &str) -> Vec<(String, String)> {
    let stream = js.get_stream(format!("{PREFIX}EVENTS")).await.unwrap();
    let mut out = Vec::new();
    let mut next = 1;
    while let Ok(m) = stream
        .direct_get_next_for_subject(subject, Some(next))
        .await
    {
        next = m.sequence + 1;
        let header = |name: &str| {
            m.headers
                .get(name)
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default()
        };
        out.push((header("Mallbots-Event-Type"), header(H_TRACEPARENT)));
    }
    out
}

#[test]
fn an_order_is_one_trace_from_the_kiosk_through_every_saga_step() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = NatsServer::start_with_auth("").unwrap();
    let central = start_central(
        &server,
        ROOT,
        PREFIX,
        &[
            ("MALLBOTS__LOG__FORMAT", "json"),
            ("RUST_LOG", "info,mallbots_central::platform::worker=debug"),
        ],
    );
    let js =
        rt.block_on(async { async_nats::jetstream::new(server.central_client().await.unwrap()) });
    let dir = tempfile::tempdir().unwrap();
    let mall = CliMall::new(server, dir.path().to_path_buf(), ROOT, PREFIX);
    let (store, tea) = mall.store("m1", "Grocer", "TEA", true);
    mall.device("m1", "manager", Some(&store));
    mall.device("k1", "kiosk", None);
    mall.sync("m1");
    mall.catalog_reaches("k1", &[&tea]);
    let customer = mall.customer("k1", "Ada", "+15550104477");
    let order = mall.order("k1", &customer, &tea);
    mall.until("k1", 60, "the order ready", |m| {
        m.order_status("k1", &order) == "ready"
    });

    // The order's events on the stream, the kiosk's first: one trace id on all of them.
    let mut events = rt.block_on(events_on(&js, &format!("{ROOT}.ev.kiosk.k1.order.{order}")));
    events.extend(rt.block_on(events_on(&js, &format!("{ROOT}.ev.order.k1.{order}"))));
    let (first_type, first_trace) = &events[0];
    assert_eq!(first_type, "OrderCreated", "{events:?}");
    let trace = TraceContext::parse(first_trace)
        .unwrap_or_else(|| panic!("the kiosk's OrderCreated has no valid traceparent: {events:?}"))
        .trace_hex();
    for (event_type, header) in &events {
        let ctx = TraceContext::parse(header);
        assert_eq!(
            ctx.map(|c| c.trace_hex()).as_deref(),
            Some(trace.as_str()),
            "{event_type} is outside the order's trace: {events:?}"
        );
    }
    let types: BTreeSet<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert!(types.len() >= 3, "the order's events: {types:?}");

    // The robot's run for it (one order in this mall): the same trace.
    let lists = rt.block_on(events_on(&js, &format!("{ROOT}.ev.depot.list.>")));
    assert!(
        lists.iter().any(|(t, _)| t == "ShoppingListCompleted"),
        "{lists:?}"
    );
    for (event_type, header) in &lists {
        let ctx = TraceContext::parse(header).map(|c| c.trace_hex());
        assert_eq!(
            ctx.as_deref(),
            Some(trace.as_str()),
            "{event_type}: {lists:?}"
        );
    }

    // Central's log: the messages it handled inside that trace.
    let logs = central.logs();
    let handled: BTreeSet<String> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["fields"]["message"] == "handled")
        .filter(|v| v["span"]["trace_id"] == trace.as_str())
        .filter_map(|v| v["span"]["type"].as_str().map(str::to_owned))
        .collect();
    println!("trace {trace}: order events {types:?}; central handled {handled:?}");
    for step in [
        "ev.kiosk.order",
        "cmd.customers.authorize_customer",
        "cmd.payments.authorize_payment",
        "cmd.depot.create_shopping_list",
        "cmd.ordering.approve_order",
        "cmd.depot.initiate_shopping",
    ] {
        assert!(
            handled.contains(step),
            "no {step} step handled in trace {trace}: {handled:?}"
        );
    }
}
