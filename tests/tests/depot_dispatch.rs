//! Depot and dispatch against a real nats-server and real `mallbots-central` replicas: saga
//! commands answered on `reply.<saga>` (idempotent by command id), lists dispatched oldest-first,
//! many lists over two racing replicas each assigned and completed exactly once, a bot taken
//! offline mid-list releasing it to another bot, and a killed replica's list taken over after the
//! ack wait. Every completion sends `cmd.ordering.ready_order`; a completed list's redelivered
//! dispatch message sends it again, and a list left assigned by a claim that failed half-way is
//! taken over.
//! NATS runs open: the test stands in for the saga (it publishes saga commands as central
//! would) to drive dispatch precisely; no device is involved.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream::DirectGetErrorKind};
use mallbots_domain::depot::{ListEvent, ListItem};
use mallbots_domain::ids::{CommandId, OrderId, ProductId, SagaId, ShoppingListId, StoreId};
use mallbots_domain::saga::{
    CommandMeta, ReplyOutcome, SagaCommand, SagaInput, SagaInputKind, SagaStep,
};
use mallbots_domain::Timestamp;
use mallbots_tests::nats::{NatsCluster, NatsServer};
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::Value;
use uuid::Uuid;

const START: Duration = Duration::from_secs(20);

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", rand::random::<u32>())
}

struct Env {
    url: String,
    replicas: usize,
    root: String,
    prefix: String,
    js: jetstream::Context,
    logs: std::sync::Mutex<Vec<std::path::PathBuf>>,
}

impl Env {
    async fn new() -> Self {
        Self::on(NatsServer::shared().url(), 1).await
    }

    /// On a 3-node cluster with R3 streams and buckets.
    async fn on_cluster() -> Self {
        Self::on(NatsCluster::shared().url(), 3).await
    }

    async fn on(url: String, replicas: usize) -> Self {
        let urls: Vec<String> = url.split(',').map(str::to_string).collect();
        let js = jetstream::new(async_nats::connect(urls).await.expect("connect"));
        Self {
            url,
            replicas,
            root: unique("r"),
            prefix: unique("p"),
            js,
            logs: Default::default(),
        }
    }

    fn central(&self, roles: &str, envs: &[(&str, &str)]) -> Proc {
        let mut b = Proc::builder(CENTRAL).args([
            "--nats",
            &self.url,
            "--http",
            "127.0.0.1:0",
            "--subject-root",
            &self.root,
            "--stream-prefix",
            &self.prefix,
            "--duplicate-window-ms",
            "1000",
            "--roles",
            roles,
            "--replicas",
            &self.replicas.to_string(),
        ]);
        for (k, v) in envs {
            b = b.env(*k, *v);
        }
        let mut p = b.spawn().expect("spawn mallbots-central");
        self.logs.lock().unwrap().push(p.log_path().to_path_buf());
        p.wait_for_log("mallbots-central ready", START)
            .expect("ready");
        p
    }

    async fn publish(&self, subject: String, msg_id: &str, body: Vec<u8>) {
        let mut h = async_nats::HeaderMap::new();
        h.insert("Nats-Msg-Id", msg_id);
        self.js
            .publish_with_headers(subject, h, body.into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }

    async fn command(&self, cmd: &SagaCommand) {
        let subject = format!("{}.cmd.{}.{}", self.root, cmd.context(), cmd.name());
        let body = serde_json::to_vec(cmd).unwrap();
        self.publish(subject, &cmd.command_id().to_string(), body)
            .await;
    }

    /// Sends `create`, waits for its reply, then sends `initiate` (the saga's order).
    async fn create_and_initiate(
        &self,
        saga: SagaId,
        create: &SagaCommand,
        initiate: &SagaCommand,
    ) {
        self.command(create).await;
        self.eventually(START, "create reply", || async {
            (!self.replies(saga).await.is_empty()).then_some(())
        })
        .await;
        self.command(initiate).await;
    }

    /// Every message on `subject` (wildcards allowed) of stream `kind`, oldest first.
    async fn messages(&self, kind: &str, subject: &str) -> Vec<(String, Vec<u8>)> {
        let stream = self
            .js
            .get_stream(format!("{}{kind}", self.prefix))
            .await
            .expect("stream");
        let mut out = Vec::new();
        let mut next = 1;
        loop {
            match stream
                .direct_get_next_for_subject(subject, Some(next))
                .await
            {
                Ok(m) => {
                    next = m.sequence + 1;
                    out.push((m.subject.to_string(), m.payload.to_vec()));
                }
                Err(e) if e.kind() == DirectGetErrorKind::NotFound => return out,
                Err(e) => panic!("direct get {subject}: {e}"),
            }
        }
    }

    async fn list_events(&self, list: ShoppingListId) -> Vec<ListEvent> {
        let subject = format!("{}.ev.depot.list.{list}", self.root);
        self.messages("EVENTS", &subject)
            .await
            .into_iter()
            .map(|(_, p)| serde_json::from_slice(&p).expect("list event"))
            .collect()
    }

    async fn replies(&self, saga: SagaId) -> Vec<SagaInput> {
        let subject = format!("{}.reply.{saga}", self.root);
        self.messages("COMMANDS", &subject)
            .await
            .into_iter()
            .map(|(_, p)| serde_json::from_slice(&p).expect("reply"))
            .collect()
    }

    /// `ready_order` commands sent, by order id.
    async fn ready_orders(&self) -> BTreeMap<OrderId, usize> {
        let subject = format!("{}.cmd.ordering.ready_order", self.root);
        let mut out = BTreeMap::new();
        for (_, p) in self.messages("COMMANDS", &subject).await {
            let v: Value = serde_json::from_slice(&p).unwrap();
            let order: OrderId = v["order_id"].as_str().unwrap().parse().unwrap();
            *out.entry(order).or_default() += 1;
        }
        out
    }
}

impl Env {
    /// Polls `probe` until it returns Some; on timeout fails with the replicas' logs.
    async fn eventually<T, F, Fut>(&self, timeout: Duration, what: &str, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            if Instant::now() > deadline {
                for path in self.logs.lock().unwrap().iter() {
                    let text = std::fs::read_to_string(path).unwrap_or_default();
                    let tail: Vec<&str> = text.lines().rev().take(80).collect();
                    eprintln!(
                        "--- {}\n{}",
                        path.display(),
                        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                    );
                }
                panic!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn meta(saga: SagaId, step: SagaStep, name: &str, at: i64) -> CommandMeta {
    CommandMeta {
        command_id: CommandId::from_uuid(Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("{saga}/{name}").as_bytes(),
        )),
        saga_id: saga,
        step,
        attempt: 1,
        issued_at: Timestamp::from_millis(at),
    }
}

/// An order with items in `stores` stores: (saga, list, create, initiate).
fn order(stores: usize, at: i64) -> (SagaId, ShoppingListId, SagaCommand, SagaCommand) {
    let saga = SagaId::from_uuid(Uuid::now_v7());
    let list = ShoppingListId::from_uuid(Uuid::now_v7());
    let items = (0..stores)
        .map(|i| {
            let store = StoreId::from_uuid(Uuid::now_v7());
            ListItem {
                store_id: store,
                product_id: ProductId::for_sku(store, &format!("sku-{i}")),
                product_name: format!("thing {i}"),
                quantity: 2,
            }
        })
        .collect();
    let create = SagaCommand::CreateShoppingList {
        meta: meta(saga, SagaStep::CreateShoppingList, "create", at),
        list_id: list,
        order_id: OrderId::from(saga),
        items,
    };
    let initiate = SagaCommand::InitiateShopping {
        meta: meta(saga, SagaStep::InitiateShopping, "initiate", at + 1),
        list_id: list,
    };
    (saga, list, create, initiate)
}

fn is_success(input: &SagaInput) -> bool {
    matches!(
        &input.kind,
        SagaInputKind::Reply {
            outcome: ReplyOutcome::Success { .. },
            ..
        }
    )
}

fn assigned_bots(events: &[ListEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ListEvent::ShoppingListAssigned { bot_id, .. } => Some(bot_id.to_string()),
            _ => None,
        })
        .collect()
}

fn completed(events: &[ListEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, ListEvent::ShoppingListCompleted { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saga_commands_reply_once_and_lists_go_to_bots_oldest_first() {
    let env = Env::new().await;
    let mut depot = env.central("depot", &[]);
    let metrics_addr = depot.http_addr(START).expect("http addr");
    let mut orders = Vec::new();
    for i in 0..3 {
        let (saga, list, create, initiate) = order(2, 1_000 + i);
        env.command(&create).await;
        let replies = env
            .eventually(START, "create reply", || async {
                let r = env.replies(saga).await;
                (!r.is_empty()).then_some(r)
            })
            .await;
        assert!(is_success(&replies[0]), "{replies:?}");
        match &replies[0].kind {
            SagaInputKind::Reply {
                step,
                outcome: ReplyOutcome::Success { list_id, .. },
                ..
            } => {
                assert_eq!(*step, SagaStep::CreateShoppingList);
                assert_eq!(*list_id, Some(list));
            }
            other => panic!("unexpected reply {other:?}"),
        }
        assert_eq!(
            replies[0].input_id,
            format!("reply/{}", create.command_id())
        );
        env.command(&initiate).await;
        env.eventually(START, "initiate reply", || async {
            (env.replies(saga).await.len() == 2).then_some(())
        })
        .await;
        orders.push((saga, list, create));
    }
    // A redelivered command (same id, after the dedup window) gets the same reply, no new event.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (saga0, list0, create0) = &orders[0];
    env.command(create0).await;
    env.eventually(START, "repeated reply", || async {
        (env.replies(*saga0).await.len() == 3).then_some(())
    })
    .await;
    let replies = env.replies(*saga0).await;
    assert!(replies.iter().all(is_success), "{replies:?}");
    let events = env.list_events(*list0).await;
    assert_eq!(events.len(), 2, "created + available only: {events:?}");

    // One bot comes online afterwards: it takes the lists in the order they became available.
    let _bots = env.central(
        "bots-sim",
        &[
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "30"),
        ],
    );
    let ready = env
        .eventually(START, "3 orders ready", || async {
            let r = env.ready_orders().await;
            (r.len() == 3).then_some(r)
        })
        .await;
    assert!(ready.values().all(|n| *n == 1), "{ready:?}");
    let subject = format!("{}.ev.depot.list.*", env.root);
    let order_of_assignment: Vec<ShoppingListId> = env
        .messages("EVENTS", &subject)
        .await
        .into_iter()
        .filter_map(|(_, p)| match serde_json::from_slice(&p).unwrap() {
            ListEvent::ShoppingListAssigned { list_id, .. } => Some(list_id),
            _ => None,
        })
        .collect();
    let expected: Vec<ShoppingListId> = orders.iter().map(|(_, l, _)| *l).collect();
    assert_eq!(order_of_assignment, expected, "oldest first");
    for (_, list, _) in &orders {
        assert_eq!(completed(&env.list_events(*list).await), 1);
    }
    let started = env
        .messages(
            "COMMANDS",
            &format!("{}.cmd.ordering.start_shopping", env.root),
        )
        .await;
    assert_eq!(started.len(), 3);
    // The depot replica reports the bot (idle again) and the empty dispatch queue.
    env.eventually(START, "bot gauge", || async {
        let text = reqwest::get(format!("http://{metrics_addr}/metrics"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (text.contains("mallbots_bots{status=\"idle\"} 1")
            && text.contains("mallbots_bots{status=\"shopping\"} 0")
            && text.contains("mallbots_dispatch_queue_depth 0"))
        .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_racing_assign_and_complete_every_list_exactly_once() {
    race(Env::new().await, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_an_r3_cluster_racing_replicas_still_complete_every_list_exactly_once() {
    race(Env::on_cluster().await, 20).await;
}

async fn race(env: Env, default_lists: usize) {
    let sim = [
        ("MALLBOTS__SIM__BOTS", "4"),
        ("MALLBOTS__SIM__STEP_MS", "10"),
    ];
    let _a = env.central("depot,bots-sim", &sim);
    let _b = env.central("depot,bots-sim", &sim);
    // More lists for a measurement: MALLBOTS_DEPOT_TEST_LISTS=200.
    let n: usize = std::env::var("MALLBOTS_DEPOT_TEST_LISTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_lists);
    let orders: Vec<_> = (0..n)
        .map(|i| order(1 + i % 3, 10_000 + i as i64))
        .collect();
    for (_, _, create, _) in &orders {
        env.command(create).await;
    }
    let reply_subject = format!("{}.reply.*", env.root);
    env.eventually(Duration::from_secs(60), "every create reply", || async {
        (env.messages("COMMANDS", &reply_subject).await.len() == n).then_some(())
    })
    .await;
    let started = Instant::now();
    for (_, _, _, initiate) in &orders {
        env.command(initiate).await;
    }
    let lists: Vec<ShoppingListId> = orders.iter().map(|(_, l, _, _)| *l).collect();
    let ready = env
        .eventually(Duration::from_secs(60), "all orders ready", || async {
            let r = env.ready_orders().await;
            (r.len() == n).then_some(r)
        })
        .await;
    eprintln!(
        "figure: {n} lists initiated, dispatched, shopped (1-3 stops, 10 ms steps) and completed \
         over 2 replicas x 4 bots (R{}) in {:?}",
        env.replicas,
        started.elapsed()
    );
    assert!(ready.values().all(|n| *n == 1), "{ready:?}");
    let mut bots = BTreeSet::new();
    for list in lists {
        let events = env.list_events(list).await;
        let assigned = assigned_bots(&events);
        assert_eq!(assigned.len(), 1, "{list}: {events:?}");
        assert_eq!(completed(&events), 1, "{list}: {events:?}");
        bots.extend(assigned);
    }
    assert!(bots.len() > 1, "work spread over bots: {bots:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_taken_offline_mid_list_releases_it_and_another_bot_completes_it() {
    let env = Env::new().await;
    let _c = env.central(
        "depot,bots-sim",
        &[
            ("MALLBOTS__SIM__BOTS", "2"),
            ("MALLBOTS__SIM__STEP_MS", "400"),
        ],
    );
    let (saga, list, create, initiate) = order(3, 5_000);
    env.create_and_initiate(saga, &create, &initiate).await;
    let first = env
        .eventually(START, "assignment", || async {
            assigned_bots(&env.list_events(list).await).first().cloned()
        })
        .await;
    let offline = serde_json::json!({"command_id": Uuid::now_v7().to_string(), "bot_id": first});
    env.publish(
        format!("{}.cmd.depot.bot_offline", env.root),
        &Uuid::now_v7().to_string(),
        serde_json::to_vec(&offline).unwrap(),
    )
    .await;
    let events = env
        .eventually(START, "completion by another bot", || async {
            let events = env.list_events(list).await;
            (completed(&events) == 1).then_some(events)
        })
        .await;
    let assigned = assigned_bots(&events);
    assert_eq!(assigned.len(), 2, "{events:?}");
    assert_ne!(assigned[0], assigned[1]);
    assert!(events
        .iter()
        .any(|e| matches!(e, ListEvent::ShoppingListReleased { .. })));
    match events.last().unwrap() {
        ListEvent::ShoppingListCompleted { bot_id, .. } => {
            assert_eq!(bot_id.to_string(), assigned[1])
        }
        other => panic!("last event {other:?}"),
    }
    let ready = env.ready_orders().await;
    assert_eq!(ready.len(), 1);
    let bot_subject = format!("{}.ev.depot.bot.{first}", env.root);
    let bot_events = env.messages("EVENTS", &bot_subject).await;
    let last: Value = serde_json::from_slice(&bot_events.last().unwrap().1).unwrap();
    assert_eq!(last["type"], "BotWentOffline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replicas_list_returns_after_the_ack_wait_and_is_completed() {
    let env = Env::new().await;
    let ack = ("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "1500");
    let mut slow = env.central(
        "depot,bots-sim",
        &[
            ack,
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "5000"),
        ],
    );
    let (saga, list, create, initiate) = order(2, 7_000);
    env.create_and_initiate(saga, &create, &initiate).await;
    let first = env
        .eventually(START, "assignment", || async {
            assigned_bots(&env.list_events(list).await).first().cloned()
        })
        .await;
    let _fast = env.central(
        "depot,bots-sim",
        &[
            ack,
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "20"),
        ],
    );
    slow.kill_9();
    let killed_at = Instant::now();
    let events = env
        .eventually(START, "completion after takeover", || async {
            let events = env.list_events(list).await;
            (completed(&events) == 1).then_some(events)
        })
        .await;
    assert!(
        killed_at.elapsed() >= Duration::from_millis(1000),
        "taken over before the ack wait"
    );
    let assigned = assigned_bots(&events);
    assert_eq!(assigned.len(), 2, "{events:?}");
    assert_eq!(assigned[0], first);
    assert_ne!(assigned[1], first);
    assert_eq!(env.ready_orders().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_canceled_while_shopping_stops_its_bot_which_takes_the_next_list() {
    let env = Env::new().await;
    let _c = env.central(
        "depot,bots-sim",
        &[
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "300"),
        ],
    );
    let (saga, list, create, initiate) = order(3, 9_000);
    env.create_and_initiate(saga, &create, &initiate).await;
    env.eventually(START, "assignment", || async {
        assigned_bots(&env.list_events(list).await).first().cloned()
    })
    .await;
    let cancel = serde_json::json!({
        "command_id": Uuid::now_v7().to_string(),
        "order_id": OrderId::from(saga),
        "list_id": list,
        "at": 9_100,
    });
    env.publish(
        format!("{}.cmd.depot.cancel_list", env.root),
        &Uuid::now_v7().to_string(),
        serde_json::to_vec(&cancel).unwrap(),
    )
    .await;
    // A dispatch message nobody can read is dead-lettered, and dispatch carries on.
    env.publish(
        format!("{}.dispatch.garbage", env.root),
        "garbage",
        b"{not json".to_vec(),
    )
    .await;
    // The bot stops, acks the message and is free for the next list.
    let (saga2, list2, create2, initiate2) = order(1, 9_200);
    env.create_and_initiate(saga2, &create2, &initiate2).await;
    env.eventually(START, "next list completed", || async {
        (completed(&env.list_events(list2).await) == 1).then_some(())
    })
    .await;
    let events = env.list_events(list).await;
    assert!(
        matches!(events.last(), Some(ListEvent::ShoppingListCanceled { .. })),
        "{events:?}"
    );
    assert_eq!(completed(&events), 0);
    let ready = env.ready_orders().await;
    assert_eq!(
        ready.keys().copied().collect::<Vec<_>>(),
        vec![OrderId::from(saga2)]
    );
    let dispatch = env
        .js
        .get_stream(format!("{}DISPATCH", env.prefix))
        .await
        .unwrap()
        .get_info()
        .await
        .unwrap();
    assert_eq!(dispatch.state.messages, 0, "both dispatch messages acked");
    let dead = env
        .messages("DLQ", &format!("{}.dlq.dispatch", env.root))
        .await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].1, b"{not json".to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replicas_bots_go_offline_when_their_leases_lapse() {
    let env = Env::new().await;
    let lease = ("MALLBOTS__DEPOT__BOT_LEASE_MS", "1000");
    let ack = ("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "3000");
    let mut doomed = env.central(
        "bots-sim",
        &[
            lease,
            ack,
            ("MALLBOTS__SIM__BOTS", "2"),
            ("MALLBOTS__SIM__STEP_MS", "5000"),
        ],
    );
    let mut depot = env.central("depot", &[lease, ack]);
    let metrics_addr = depot.http_addr(START).expect("http addr");
    let (saga, list, create, initiate) = order(1, 8_000);
    env.create_and_initiate(saga, &create, &initiate).await;
    let holder = env
        .eventually(START, "assignment", || async {
            assigned_bots(&env.list_events(list).await).first().cloned()
        })
        .await;
    let bots_subject = format!("{}.ev.depot.bot.*", env.root);
    let doomed_bots: BTreeSet<String> = env
        .messages("EVENTS", &bots_subject)
        .await
        .iter()
        .map(|(s, _)| s.rsplit('.').next().unwrap().to_string())
        .collect();
    assert_eq!(doomed_bots.len(), 2);
    // Leases are renewed while the replica lives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for bot in &doomed_bots {
        let events = env
            .messages("EVENTS", &format!("{}.ev.depot.bot.{bot}", env.root))
            .await;
        let last: Value = serde_json::from_slice(&events.last().unwrap().1).unwrap();
        assert_ne!(last["type"], "BotWentOffline", "{bot} reaped while alive");
    }
    doomed.kill_9();
    env.eventually(START, "both bots offline", || async {
        let text = reqwest::get(format!("http://{metrics_addr}/metrics"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (text.contains("mallbots_bots{status=\"offline\"} 2")
            && text.contains("mallbots_bots{status=\"idle\"} 0"))
        .then_some(())
    })
    .await;
    let events = env.list_events(list).await;
    assert!(
        matches!(events.last(), Some(ListEvent::ShoppingListReleased { bot_id, .. }) if bot_id.to_string() == holder),
        "{events:?}"
    );
    // A new fleet completes the released list once the dead delivery's ack wait has passed.
    let _fleet = env.central(
        "bots-sim",
        &[
            lease,
            ack,
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "20"),
        ],
    );
    env.eventually(START, "completion by the new fleet", || async {
        (completed(&env.list_events(list).await) == 1).then_some(())
    })
    .await;
    assert_eq!(env.ready_orders().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_shutting_down_gives_its_lists_back_at_once() {
    let env = Env::new().await;
    // The default ack wait (30 s) is longer than the test's deadline: only the nak can be why
    // another bot gets the list.
    let mut stopping = env.central(
        "depot,bots-sim",
        &[
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "5000"),
        ],
    );
    let (saga, list, create, initiate) = order(2, 9_500);
    env.create_and_initiate(saga, &create, &initiate).await;
    let first = env
        .eventually(START, "assignment", || async {
            assigned_bots(&env.list_events(list).await).first().cloned()
        })
        .await;
    let _other = env.central(
        "depot,bots-sim",
        &[
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "20"),
        ],
    );
    let status = stopping.terminate(Duration::from_secs(15)).expect("exit");
    assert!(status.success(), "{status}");
    let events = env
        .eventually(START, "completion by the other replica", || async {
            let events = env.list_events(list).await;
            (completed(&events) == 1).then_some(events)
        })
        .await;
    let assigned = assigned_bots(&events);
    assert_eq!(assigned.len(), 2, "{events:?}");
    assert_eq!(assigned[0], first);
    let bot_events = env
        .messages("EVENTS", &format!("{}.ev.depot.bot.{first}", env.root))
        .await;
    let last: Value = serde_json::from_slice(&bot_events.last().unwrap().1).unwrap();
    assert_eq!(last["type"], "BotWentOffline");
}

impl Env {
    /// Messages still waiting in the dispatch work queue.
    async fn dispatch_depth(&self) -> u64 {
        let mut stream = self
            .js
            .get_stream(format!("{}DISPATCH", self.prefix))
            .await
            .expect("dispatch stream");
        stream.info().await.expect("info").state.messages
    }

    /// Puts `list`'s dispatch message back in the queue (what a redelivery with a new fence
    /// looks like to a bot), past the dedup window of the first one.
    async fn redispatch(&self, list: ShoppingListId, order: OrderId) {
        let entry = serde_json::json!({
            "list_id": list,
            "order_id": order,
            "available_since": 1,
        });
        self.publish(
            format!("{}.dispatch.{list}", self.root),
            &Uuid::now_v7().to_string(),
            serde_json::to_vec(&entry).unwrap(),
        )
        .await;
    }
}

/// A dispatch message redelivered after its list completed (the driver died before `ready_order`
/// and the ack) sends `ready_order` again, once, even after the completed list's KV mirror was
/// forgotten: the list is folded again from its events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_lists_redelivered_dispatch_message_resends_ready_order() {
    let env = Env::new().await;
    let _c = env.central(
        "depot,bots-sim",
        &[
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "20"),
            ("MALLBOTS__DEPOT__FINISHED_LIST_GRACE_MS", "300"),
        ],
    );
    let (saga, list, create, initiate) = order(1, 9_000);
    let order_id = OrderId::from(saga);
    env.create_and_initiate(saga, &create, &initiate).await;
    env.eventually(START, "completion and ready_order", || async {
        let done = completed(&env.list_events(list).await) == 1;
        (done && env.ready_orders().await.get(&order_id) == Some(&1)).then_some(())
    })
    .await;
    // The completed list's KV mirror is forgotten 300 ms later (P7); what follows finds the list
    // by folding its events again.
    let lists = env
        .js
        .get_key_value(format!("{}lists", env.prefix))
        .await
        .expect("lists bucket");
    env.eventually(START, "the completed list forgotten", || async {
        matches!(lists.get(format!("list.{list}")).await, Ok(None)).then_some(())
    })
    .await;
    // The driver died after ShoppingListCompleted, before ready_order and the ack (the first
    // ready_order is left in the stream here; its msg-id's dedup window, 1 s, has to pass so a
    // re-send shows up as a second message).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    env.redispatch(list, order_id).await;
    env.eventually(
        START,
        "ready_order re-sent and the message acked",
        || async {
            let again = env.ready_orders().await.get(&order_id) == Some(&2);
            (again && env.dispatch_depth().await == 0).then_some(())
        },
    )
    .await;
    assert_eq!(completed(&env.list_events(list).await), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_left_assigned_by_a_failed_claim_is_taken_over_and_completed() {
    let env = Env::new().await;
    let _depot = env.central("depot", &[]);
    let (saga, list, create, initiate) = order(1, 10_000);
    let order_id = OrderId::from(saga);
    env.create_and_initiate(saga, &create, &initiate).await;
    env.eventually(START, "dispatch message", || async {
        (env.dispatch_depth().await == 1).then_some(())
    })
    .await;
    // A claim whose ShoppingListAssigned reached the log but whose KV record (with the fence)
    // did not: the event is appended as central would, nothing else.
    let subject = format!("{}.ev.depot.list.{list}", env.root);
    let stream = env
        .js
        .get_stream(format!("{}EVENTS", env.prefix))
        .await
        .expect("events");
    let last = stream
        .get_last_raw_message_by_subject(&subject)
        .await
        .expect("list events")
        .sequence;
    let ghost = mallbots_domain::ids::BotId::from_uuid(Uuid::now_v7());
    let assigned = ListEvent::ShoppingListAssigned {
        list_id: list,
        order_id,
        bot_id: ghost,
        at: Timestamp::from_millis(10_002),
    };
    let mut h = async_nats::HeaderMap::new();
    h.insert("Nats-Msg-Id", Uuid::now_v7().to_string().as_str());
    h.insert(
        "Nats-Expected-Last-Subject-Sequence",
        last.to_string().as_str(),
    );
    h.insert("Mallbots-Event-Type", "ShoppingListAssigned");
    env.js
        .publish_with_headers(subject, h, serde_json::to_vec(&assigned).unwrap().into())
        .await
        .expect("publish")
        .await
        .expect("orphan assignment appended");
    // Now a bot gets the (given back) message: it must take the list over, not skip it as held.
    let _bots = env.central(
        "depot,bots-sim",
        &[
            ("MALLBOTS__SIM__BOTS", "1"),
            ("MALLBOTS__SIM__STEP_MS", "20"),
        ],
    );
    let events = env
        .eventually(START, "completion after the orphan assignment", || async {
            let events = env.list_events(list).await;
            (completed(&events) == 1).then_some(events)
        })
        .await;
    let bots = assigned_bots(&events);
    assert_eq!(bots.len(), 2, "{events:?}");
    assert_eq!(bots[0], ghost.to_string());
    assert_ne!(bots[1], ghost.to_string());
    assert!(events
        .iter()
        .any(|e| matches!(e, ListEvent::ShoppingListReleased { .. })));
    env.eventually(START, "ready_order and an empty queue", || async {
        let ready = env.ready_orders().await.get(&order_id) == Some(&1);
        (ready && env.dispatch_depth().await == 0).then_some(())
    })
    .await;
}
