//! Two `mallbots-central` replicas (every role, the bot simulator included) on a 3-node
//! nats-server cluster with R3 streams and buckets: a batch of orders placed as a kiosk would all
//! go approved → shopping → ready → completed at pickup, each list is assigned to one bot at a
//! time (again only after a release), and every saga step is applied once (each event type once
//! per aggregate on the EVENTS stream). Then a second batch runs while the EVENTS stream's leader
//! node is killed with SIGKILL, and every order of it still completes, again exactly once.
//!
//! The cluster runs with the generated authorization; the replicas and the test (standing in
//! for the kiosks, see `saga_support`) connect with central's credentials.
//!
//! Prints `figure:` lines (orders, seconds, orders/s). Needs the binary: `cargo build -p
//! mallbots-central` (same `CARGO_TARGET_DIR`) first. More orders: `MALLBOTS_CLUSTER_ORDERS=N`.

mod saga_support;

use mallbots_wire::service_subjects::CommandContext;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream::DirectGetErrorKind};
use mallbots_central::platform::commands::invoice_id_for;
use mallbots_central::platform::metrics::Metrics;
use mallbots_central::platform::publish::Publisher;
use mallbots_central::platform::topology::Topology;
use mallbots_domain::ids::{CustomerId, OrderId, ProductId, StoreId};
use mallbots_domain::saga::{list_id_for, payment_id_for};
use mallbots_domain::SagaId;
use mallbots_tests::nats::NatsCluster;
use saga_support::{new_id, now, Central, World};
use serde_json::{json, Value};

const DEVICE: &str = "kioskC";
/// Orders of the first phase (the figure); the second phase places half as many.
const DEFAULT_ORDERS: usize = 200;
/// Per phase: every order of the batch must complete within this.
const PHASE: Duration = Duration::from_secs(75);

/// One event of the EVENTS stream as the checks need it.
#[derive(Debug, Clone)]
struct Seen {
    subject: String,
    kind: String,
    payload: Value,
}

/// Reads `<root>.ev.>` of the EVENTS stream incrementally with direct gets; errors (a node just
/// died) end a pass early and the next pass carries on from the same sequence.
struct Tail {
    stream: jetstream::stream::Stream<()>,
    filter: String,
    next: u64,
}

impl Tail {
    async fn new(w: &World) -> Tail {
        let stream =
            w.js.get_stream_no_info(format!("{}EVENTS", w.prefix))
                .await
                .expect("events stream");
        Tail {
            stream,
            filter: w.subject("ev.>"),
            next: 1,
        }
    }

    /// Everything appended since the last pass.
    async fn poll(&mut self) -> Vec<Seen> {
        let mut out = Vec::new();
        loop {
            let got = tokio::time::timeout(
                Duration::from_secs(2),
                self.stream
                    .direct_get_next_for_subject(&self.filter, Some(self.next)),
            )
            .await;
            match got {
                Ok(Ok(m)) => {
                    self.next = m.sequence + 1;
                    let payload: Value = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
                    out.push(Seen {
                        subject: m.subject.to_string(),
                        kind: payload["type"].as_str().unwrap_or_default().to_string(),
                        payload,
                    });
                }
                Ok(Err(e)) if e.kind() == DirectGetErrorKind::NotFound => return out,
                Ok(Err(e)) => {
                    eprintln!("tail: {e} (retrying)");
                    return out;
                }
                Err(_) => {
                    eprintln!("tail: direct get timed out (retrying)");
                    return out;
                }
            }
        }
    }
}

/// The test's world on the cluster plus what the checks accumulate.
struct Run {
    w: World,
    tail: Tail,
    /// Every event seen so far, in stream order.
    events: Vec<Seen>,
    store: StoreId,
    product: ProductId,
    customer: CustomerId,
}

impl Run {
    /// Places `n` orders and drives them to completion: a `complete_order` command goes out as
    /// soon as an order is ready. `during` runs once, after `at_ready` orders are ready.
    async fn batch(&mut self, n: usize, at_ready: usize, mut during: impl FnMut()) -> Vec<OrderId> {
        let started = Instant::now();
        let mut orders = Vec::with_capacity(n);
        for _ in 0..n {
            orders.push(
                self.w
                    .place_order(
                        DEVICE,
                        self.customer,
                        &[(self.product, self.store, 1, 250)],
                        "tok_visa",
                    )
                    .await,
            );
        }
        let placed = started.elapsed();
        let wanted: std::collections::HashSet<OrderId> = orders.iter().copied().collect();
        let mut ready: Vec<OrderId> = Vec::new();
        let mut completed = 0usize;
        let mut fired = false;
        let deadline = Instant::now() + PHASE;
        while completed < n {
            let fresh = self.tail.poll().await;
            for e in &fresh {
                let Some(order) = order_of(&self.w, e).filter(|o| wanted.contains(o)) else {
                    continue;
                };
                match e.kind.as_str() {
                    "OrderReadied" => ready.push(order),
                    "OrderCompleted" => completed += 1,
                    "OrderRejected" | "OrderCanceled" => {
                        panic!("order {order} ended as {}: {}", e.kind, e.payload)
                    }
                    _ => {}
                }
            }
            self.events.extend(fresh);
            for order in ready.drain(..) {
                self.w
                    .command(
                        CommandContext::Ordering,
                        "complete_order",
                        json!({"command_id": new_id().to_string(), "order_id": order, "at": now()}),
                    )
                    .await;
            }
            if !fired && self.count(&wanted, "OrderReadied") >= at_ready {
                fired = true;
                during();
            }
            if Instant::now() > deadline {
                self.explain(&orders);
                panic!("{completed} of {n} orders completed within {PHASE:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "figure: {n} orders placed ({:.2} s) and completed (approved → shopped by simulated \
             bots → ready → picked up) in {secs:.2} s = {:.1} orders/s over 2 replicas, R3",
            placed.as_secs_f64(),
            n as f64 / secs
        );
        orders
    }

    /// Prints the events of the first few orders that did not complete.
    fn explain(&self, orders: &[OrderId]) {
        let done = |o: &OrderId| {
            self.events
                .iter()
                .any(|e| e.kind == "OrderCompleted" && order_of(&self.w, e).as_ref() == Some(o))
        };
        for order in orders.iter().filter(|o| !done(o)).take(3) {
            let saga = SagaId::from(*order);
            let ids = [
                order.to_string(),
                payment_id_for(saga).to_string(),
                list_id_for(saga).to_string(),
                invoice_id_for(*order).to_string(),
            ];
            let mine: Vec<String> = self
                .events
                .iter()
                .filter(|e| ids.iter().any(|id| e.subject.ends_with(id.as_str())))
                .map(|e| format!("{} {}", e.subject, e.kind))
                .collect();
            eprintln!("incomplete order {order}:\n  {}", mine.join("\n  "));
        }
    }

    fn count(&self, wanted: &std::collections::HashSet<OrderId>, kind: &str) -> usize {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .filter(|e| order_of(&self.w, e).is_some_and(|o| wanted.contains(&o)))
            .count()
    }

    /// Exactly-once checks over every event of `orders`' aggregates.
    async fn check(&mut self, orders: &[OrderId]) {
        // Whatever was appended after the last completion (late duplicates would show here).
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            let fresh = self.tail.poll().await;
            self.events.extend(fresh);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut by_subject: HashMap<&str, Vec<&Seen>> = HashMap::new();
        for e in &self.events {
            by_subject.entry(e.subject.as_str()).or_default().push(e);
        }
        let types = |subject: String| -> Vec<String> {
            by_subject
                .get(subject.as_str())
                .map(|v| v.iter().map(|e| e.kind.clone()).collect())
                .unwrap_or_default()
        };
        let mut reassigned = 0;
        for order in orders {
            let saga = SagaId::from(*order);
            assert_eq!(
                types(self.w.subject(&format!("ev.order.{DEVICE}.{order}"))),
                [
                    "OrderApproved",
                    "OrderShoppingStarted",
                    "OrderReadied",
                    "OrderCompleted"
                ],
                "order {order}"
            );
            let payment = payment_id_for(saga);
            assert_eq!(
                types(self.w.subject(&format!("ev.payments.payment.{payment}"))),
                ["PaymentAuthorized", "PaymentCaptured"],
                "order {order}"
            );
            let invoice = invoice_id_for(*order);
            assert_eq!(
                types(self.w.subject(&format!("ev.payments.invoice.{invoice}"))),
                ["InvoiceCreated", "InvoicePaid"],
                "order {order}"
            );
            let list = list_id_for(saga);
            let list_events = by_subject
                .get(self.w.subject(&format!("ev.depot.list.{list}")).as_str())
                .cloned()
                .unwrap_or_default();
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            let mut holder: Option<String> = None;
            for e in &list_events {
                *counts.entry(e.kind.as_str()).or_default() += 1;
                match e.kind.as_str() {
                    "ShoppingListAssigned" => {
                        assert!(
                            holder.is_none(),
                            "list {list} assigned to {} while {holder:?} held it",
                            e.payload["bot_id"]
                        );
                        holder = Some(e.payload["bot_id"].to_string());
                    }
                    "ShoppingListReleased" => {
                        assert!(holder.take().is_some(), "list {list} released unassigned");
                        reassigned += 1;
                    }
                    _ => {}
                }
            }
            for once in [
                "ShoppingListCreated",
                "ShoppingListAvailable",
                "ShoppingListCompleted",
            ] {
                assert_eq!(counts.get(once), Some(&1), "list {list}: {counts:?}");
            }
            assert!(holder.is_some(), "list {list} completed by its holder");
        }
        eprintln!(
            "figure: {} orders checked exactly once ({reassigned} lists released and reassigned)",
            orders.len()
        );
    }
}

/// Copies the replicas' logs to the temp directory if the test fails (their own directories go).
struct KeepLogs(Vec<std::path::PathBuf>);

impl Drop for KeepLogs {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        for (i, path) in self.0.iter().enumerate() {
            let keep = std::env::temp_dir().join(format!(
                "central_cluster-{}-replica{i}.log",
                std::process::id()
            ));
            if std::fs::copy(path, &keep).is_ok() {
                eprintln!("replica {i}'s log kept at {}", keep.display());
            }
        }
    }
}

/// The order of an event on central's order subject (`ev.order.<device>.<order>`).
fn order_of(w: &World, e: &Seen) -> Option<OrderId> {
    let prefix = w.subject(&format!("ev.order.{DEVICE}."));
    e.subject.strip_prefix(&prefix)?.parse().ok()
}

/// docs/architecture.md §8 P7: a finished saga's key is purged shortly after its last write (here 500 ms), not
/// left to the bucket's max age: every saga of the batch is gone from `sagas`, leaving only the
/// purge marker; and every completed shopping list is gone from `lists`.
async fn finished_sagas_are_forgotten(w: &World, orders: &[OrderId]) {
    use futures::TryStreamExt;
    let kv =
        w.js.get_key_value(format!("{}sagas", w.prefix))
            .await
            .expect("sagas bucket");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut left: Vec<OrderId> = orders.to_vec();
    while !left.is_empty() {
        let mut still = Vec::new();
        for order in left {
            if !matches!(kv.get(order.to_string()).await, Ok(None)) {
                still.push(order);
            }
        }
        left = still;
        assert!(
            Instant::now() < deadline,
            "{} of {} finished sagas still stored, e.g. {:?}",
            left.len(),
            orders.len(),
            left.first()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let marker = kv
        .entry(orders[0].to_string())
        .await
        .expect("entry")
        .expect("a purge marker");
    assert_eq!(
        marker.operation,
        async_nats::jetstream::kv::Operation::Purge
    );
    eprintln!(
        "figure: {} finished saga keys purged after the 500 ms grace",
        orders.len()
    );
    // Their shopping lists, completed, leave the `lists` bucket too (their events stay in the
    // log): no list key is left once the batch is done.
    let lists =
        w.js.get_key_value(format!("{}lists", w.prefix))
            .await
            .expect("lists bucket");
    loop {
        let keys: Vec<String> = lists
            .keys()
            .await
            .expect("list keys")
            .try_collect()
            .await
            .expect("list keys");
        if keys.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} completed lists still stored, e.g. {:?}",
            keys.len(),
            keys.first()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The saga decides with the OrderCreated message's JetStream timestamp as `now` (docs/architecture.md §3), so
/// its first command (AuthorizeCustomer) is issued at exactly that time, whichever replica ran it.
async fn saga_time_is_the_order_events_stream_time(w: &World) {
    let commands =
        w.js.get_stream_no_info(format!("{}COMMANDS", w.prefix))
            .await
            .expect("commands stream");
    let first = commands
        .direct_get_first_for_subject(w.subject("cmd.customers.authorize_customer"))
        .await
        .expect("an authorize_customer command");
    let command: Value = serde_json::from_slice(&first.payload).expect("command json");
    let order = command["meta"]["saga_id"].as_str().expect("saga id");
    let issued = command["meta"]["issued_at"].as_i64().expect("issued_at");
    let events =
        w.js.get_stream_no_info(format!("{}EVENTS", w.prefix))
            .await
            .expect("events stream");
    let created = events
        .direct_get_first_for_subject(w.subject(&format!("ev.kiosk.{DEVICE}.order.{order}")))
        .await
        .expect("the OrderCreated message");
    let stored: std::time::SystemTime = created.time.into();
    let stored_ms = stored
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(
        issued, stored_ms,
        "saga {order}: now = the stream's timestamp of OrderCreated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_an_r3_cluster_complete_every_order_once_even_across_a_node_kill() {
    let total = Instant::now();
    let mut cluster = NatsCluster::start_with_auth(3, "").expect("3-node cluster");
    let n: usize = std::env::var("MALLBOTS_CLUSTER_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ORDERS);
    let id = rand::random::<u32>();
    let (root, prefix) = (format!("cc{id}"), format!("cc{id}_"));
    let client = cluster.central_client().await.expect("connect as central");
    let js = jetstream::new(client);
    let topology = Topology::new(&root, &prefix);
    let w = World {
        url: cluster.url(),
        central_args: cluster.auth().central_args(),
        root,
        prefix,
        publisher: Publisher::new(js.clone(), topology.clone(), Arc::new(Metrics::new())),
        js,
        topology,
    };
    let sms = tempfile::tempdir().expect("temp dir");
    let sms_log = sms.path().join("sms.log");
    let sms_log = sms_log.to_string_lossy();
    let envs = [
        ("MALLBOTS__TOPOLOGY__REPLICAS", "3"),
        // Steps must not time out while a new stream leader is elected (or CI is busy): a saga
        // compensating an order whose approval is already on its way is another test's subject.
        ("MALLBOTS__SAGA__TIMEOUT_MS", "60000"),
        ("MALLBOTS__SAGA__FINISHED_KEY_GRACE_MS", "500"),
        ("MALLBOTS__DEPOT__FINISHED_LIST_GRACE_MS", "500"),
        ("MALLBOTS__SIM__BOTS", "12"),
        ("MALLBOTS__SIM__STEP_MS", "20"),
        ("MALLBOTS__SMS__LOG", &sms_log),
    ];
    let roles = "saga,payments,depot,notifications,bots-sim";
    let replicas: Vec<Central> = vec![w.central(roles, &envs), w.central(roles, &envs)];
    let _keep = KeepLogs(
        replicas
            .iter()
            .map(|c| c.0.log_path().to_path_buf())
            .collect(),
    );
    let (store, products) = w.seed_store(&[("Tea", "T-1", 250)]).await;
    let customer = w.register_customer(DEVICE).await;
    let mut run = Run {
        tail: Tail::new(&w).await,
        w,
        events: Vec::new(),
        store,
        product: products[0],
        customer,
    };

    let first = run.batch(n, usize::MAX, || {}).await;
    run.check(&first).await;
    saga_time_is_the_order_events_stream_time(&run.w).await;
    finished_sagas_are_forgotten(&run.w, &first).await;

    // Phase 2: kill the node leading the EVENTS stream once a quarter of the batch is ready.
    let info = run
        .w
        .js
        .get_stream(format!("{}EVENTS", run.w.prefix))
        .await
        .expect("events stream")
        .info()
        .await
        .expect("stream info")
        .clone();
    let leader = info.cluster.and_then(|c| c.leader).expect("stream leader");
    let victim: usize = leader
        .trim_start_matches('n')
        .parse()
        .expect("node index from the leader's name");
    let second_n = n / 2;
    let second = run
        .batch(second_n, second_n / 4, || {
            eprintln!("killing node {victim} ({leader}, the EVENTS leader) with SIGKILL");
            cluster.kill_node(victim);
        })
        .await;
    run.check(&second).await;
    drop(replicas);
    eprintln!(
        "figure: cluster test total {:.1} s",
        total.elapsed().as_secs_f64()
    );
}
