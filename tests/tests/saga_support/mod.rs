//! Shared helpers of the saga / orders system tests: a unique subject root and stream prefix on
//! the shared nats-server, spawned `mallbots-central` replicas, and publishing as a kiosk or a
//! store manager would (right subjects, `Mallbots-*` headers, msg-id = event id, expected last
//! subject sequence).
//!
//! The shared server runs with the authorization `mallbots-central auth init` generated, and
//! the replicas connect with central's credentials (docs/architecture.md §9). These tests drive no device:
//! the test itself stands in for the kiosks and managers, publishing their events on their
//! subjects through central's `Publisher` with central's credentials (central has every right);
//! [`World::command`] publishes central commands with central's credentials too: an admin's
//! `cancel_order` is what the operator's CLI sends. A pickup is what a desk asks for:
//! [`World::request_pickup`] enrolls a depot desk with the real `mallbots-central enroll` (so
//! central's devices registry knows it) and publishes its `OrderPickupRequested` on its own
//! `R.ev.desk.<d>.pickupreq.<order>`, as the desk would; central does the rest. Driving real
//! enrolled devices end to end is what the sync, desk and reliability tests do.

#![allow(dead_code)]

use mallbots_wire::service_subjects::CommandContext;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::HeaderMap;
use mallbots_central::platform::envelope::{EventReader, StoredEvent};
use mallbots_central::platform::metrics::Metrics;
use mallbots_central::platform::publish::Publisher;
use mallbots_central::platform::topology::Topology;
use mallbots_domain::ids::*;
use mallbots_domain::ordering::{OrderEvent, OrderItem};
use mallbots_domain::{Currency, DomainEvent, Money, Timestamp};
use mallbots_tests::nats::NatsServer;
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::Value;
use uuid::Uuid;

/// Start-up allowance for a replica.
pub const START: Duration = Duration::from_secs(30);

/// A replica that prints the tail of its log if the test fails.
pub struct Central(pub Proc);

impl Drop for Central {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = self.0.logs();
            let lines: Vec<&str> = logs.lines().collect();
            eprintln!(
                "--- central log (last 60 lines) ---\n{}",
                lines[lines.len().saturating_sub(60)..].join("\n")
            );
        }
    }
}

/// One test's world: its own root and prefix on the shared server.
pub struct World {
    pub url: String,
    /// `--creds <central.json>` for a replica.
    pub central_args: Vec<String>,
    pub root: String,
    pub prefix: String,
    pub js: jetstream::Context,
    pub publisher: Publisher,
    pub topology: Topology,
}

pub fn now() -> Timestamp {
    Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Polls `probe` until it returns Some or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl World {
    /// A fresh world on the shared server (topology created by the first replica).
    pub async fn new() -> World {
        let server = NatsServer::shared_with_auth();
        let n = rand::random::<u32>();
        let root = format!("sg{n}");
        let prefix = format!("sg{n}_");
        let client = server.central_client().await.expect("connect as central");
        let js = jetstream::new(client);
        let topology = Topology::new(&root, &prefix);
        let publisher = Publisher::new(js.clone(), topology.clone(), Arc::new(Metrics::new()));
        World {
            url: server.url(),
            central_args: server.auth().central_args(),
            root,
            prefix,
            js,
            publisher,
            topology,
        }
    }

    /// Spawns a replica with `roles` and extra environment; waits until it is ready.
    pub fn central(&self, roles: &str, envs: &[(&str, &str)]) -> Central {
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
        ]);
        b = b.args(self.central_args.iter().cloned());
        b = b
            .env("MALLBOTS__SIM__STEP_MS", "50")
            .env("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "5000")
            .env("MALLBOTS__TOPOLOGY__BACKOFF_MS", "1000,2000,4000");
        for (k, v) in envs {
            b = b.env(*k, *v);
        }
        let mut p = b.spawn().expect("spawn mallbots-central");
        p.wait_for_log("mallbots-central ready", START)
            .expect("central ready");
        Central(p)
    }

    pub fn subject(&self, tail: &str) -> String {
        format!("{}.{tail}", self.root)
    }

    /// Appends `event` as `device` would: msg-id = a fresh event id, expected last subject
    /// sequence = the subject's current last one. Returns the stream sequence.
    pub async fn append<E: DomainEvent>(
        &self,
        subject: &str,
        device: &str,
        stream: (&str, String),
        event: &E,
    ) -> u64 {
        let payload = serde_json::to_vec(event).unwrap();
        self.append_raw(subject, device, stream, event.event_type(), payload)
            .await
    }

    pub async fn append_raw(
        &self,
        subject: &str,
        device: &str,
        stream: (&str, String),
        event_type: &str,
        payload: Vec<u8>,
    ) -> u64 {
        let event_id = new_id().to_string();
        let mut h = HeaderMap::new();
        h.insert("Mallbots-Event-Type", event_type);
        h.insert("Mallbots-Schema-Version", "1");
        h.insert("Mallbots-Stream-Type", stream.0);
        h.insert("Mallbots-Stream-Id", stream.1.as_str());
        h.insert("Mallbots-Occurred-At", now().millis().to_string().as_str());
        h.insert("Mallbots-Correlation-Id", stream.1.as_str());
        h.insert("Mallbots-Causation-Id", event_id.as_str());
        h.insert("Mallbots-Device", device);
        let expected = self
            .publisher
            .last_subject_sequence(subject)
            .await
            .expect("last seq");
        self.publisher
            .publish_event(subject, &event_id, expected, h, payload.into())
            .await
            .expect("append")
            .sequence
    }

    /// A depot desk, enrolled for real, asks central to hand `order` over (what `mallbots order
    /// pickup` on that desk publishes). Returns the desk's device id.
    pub async fn request_pickup(&self, order: OrderId) -> String {
        let desk = format!("{}-depot-{}", self.root, rand::random::<u16>());
        let (server, enrollment) = (
            NatsServer::shared_with_auth(),
            mallbots_tests::nats::Enrollment::depot(&desk, &self.root).stream_prefix(&self.prefix),
        );
        tokio::task::block_in_place(|| server.enroll(&enrollment)).expect("enroll the depot desk");
        let event = mallbots_domain::desk::DeskEvent::OrderPickupRequested {
            order_id: order,
            user: "depot-clerk".into(),
            code: pickup_code_of(order),
            at: now(),
        };
        self.append(
            &self.subject(&format!("ev.desk.{desk}.pickupreq.{order}")),
            &desk,
            ("pickupreq", order.to_string()),
            &event,
        )
        .await;
        desk
    }

    /// Publishes a central command payload (as a manager edge or the CLI would), retrying for
    /// up to 20 s as a device's relay does: right after a cluster node dies, the stream may be
    /// briefly unknown ("no stream found") until its new leader is elected. The msg-id makes a
    /// retry of a publish that did land a duplicate, not a second command.
    pub async fn command(&self, context: CommandContext, name: &str, payload: Value) {
        let id = payload["command_id"].as_str().unwrap().to_string();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let sent = self
                .publisher
                .publish(
                    &self.topology.command_subject(context, name),
                    &id,
                    HeaderMap::new(),
                    serde_json::to_vec(&payload).unwrap().into(),
                )
                .await;
            match sent {
                Ok(_) => return,
                Err(e) if std::time::Instant::now() < deadline => {
                    eprintln!("publish command {name} failed ({e}); retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(e) => panic!("publish command {name}: {e}"),
            }
        }
    }

    /// A participating store with products (name, sku, price cents) as a manager publishes them.
    pub async fn seed_store(&self, products: &[(&str, &str, i64)]) -> (StoreId, Vec<ProductId>) {
        use mallbots_domain::products::ProductEvent;
        use mallbots_domain::stores::StoreEvent;
        let store = StoreId(new_id());
        let subject = self.subject(&format!("ev.catalog.{store}.store.{store}"));
        let s = ("store", store.to_string());
        let at = now();
        self.append(
            &subject,
            "manager1",
            s.clone(),
            &StoreEvent::StoreCreated {
                store_id: store,
                name: "Corner Shop".into(),
                location: "Level 1".into(),
                at,
            },
        )
        .await;
        self.append(
            &subject,
            "manager1",
            s.clone(),
            &StoreEvent::StoreParticipationEnabled {
                store_id: store,
                at,
            },
        )
        .await;
        self.append(
            &subject,
            "manager1",
            s,
            &StoreEvent::AutomatedShoppingEnabled {
                store_id: store,
                at,
            },
        )
        .await;
        let mut ids = Vec::new();
        for (name, sku, cents) in products {
            let product = ProductId::for_sku(store, sku);
            let subject = self.subject(&format!("ev.catalog.{store}.product.{product}"));
            self.append(
                &subject,
                "manager1",
                ("product", product.to_string()),
                &ProductEvent::ProductAdded {
                    product_id: product,
                    store_id: store,
                    sku: sku.to_string(),
                    name: name.to_string(),
                    description: String::new(),
                    price: Money::new(*cents, Currency::default()),
                    at,
                },
            )
            .await;
            ids.push(product);
        }
        // A kiosk orders from a catalog it has synced; central's view has it by then too.
        if let Some(last) = ids.last() {
            self.wait_view("catalog", &format!("product.{last}"), "ProductAdded")
                .await;
        }
        self.wait_view(
            "catalog",
            &format!("store.{store}"),
            "AutomatedShoppingEnabled",
        )
        .await;
        (store, ids)
    }

    /// Removes a product as its manager would.
    pub async fn remove_product(&self, store: StoreId, product: ProductId) {
        use mallbots_domain::products::ProductEvent;
        let subject = self.subject(&format!("ev.catalog.{store}.product.{product}"));
        self.append(
            &subject,
            "manager1",
            ("product", product.to_string()),
            &ProductEvent::ProductRemoved {
                product_id: product,
                store_id: store,
                at: now(),
            },
        )
        .await;
    }

    /// Registers a customer at `device`.
    pub async fn register_customer(&self, device: &str) -> CustomerId {
        use mallbots_domain::customers::CustomerEvent;
        let customer = CustomerId(new_id());
        let subject = self.subject(&format!("ev.kiosk.{device}.customer.{customer}"));
        self.append(
            &subject,
            device,
            ("customer", customer.to_string()),
            &CustomerEvent::CustomerRegistered {
                customer_id: customer,
                name: "Ada".into(),
                sms_number: "+15550104477".into(),
                at: now(),
            },
        )
        .await;
        customer
    }

    /// Places an order at `device` for `items` (product, store, qty, price cents).
    pub async fn place_order(
        &self,
        device: &str,
        customer: CustomerId,
        lines: &[(ProductId, StoreId, i64, i64)],
        token: &str,
    ) -> OrderId {
        let order = OrderId(new_id());
        let items: Vec<OrderItem> = lines
            .iter()
            .map(|(p, s, q, cents)| OrderItem {
                product_id: *p,
                store_id: *s,
                store_name: "Corner Shop".into(),
                product_name: "Thing".into(),
                price: Money::new(*cents, Currency::default()),
                quantity: *q,
            })
            .collect();
        let total = Money::new(
            lines.iter().map(|(_, _, q, c)| q * c).sum(),
            Currency::default(),
        );
        let event = OrderEvent::OrderCreated {
            order_id: order,
            customer_id: customer,
            device_id: Some(device.to_string()),
            items,
            total,
            payment_token: token.to_string(),
            pickup_code: Some(pickup_code_of(order)),
            at: now(),
        };
        let subject = self.subject(&format!("ev.kiosk.{device}.order.{order}"));
        self.append(&subject, device, ("order", order.to_string()), &event)
            .await;
        order
    }

    /// Every event on `subject` (wildcards allowed).
    pub async fn events(&self, subject: &str) -> Vec<StoredEvent> {
        let reader = EventReader::new(&self.js, &self.publisher)
            .await
            .expect("reader");
        reader.history(subject).await.expect("history")
    }

    /// The `type` of every event on `subject`.
    pub async fn types(&self, subject: &str) -> Vec<String> {
        self.events(subject)
            .await
            .iter()
            .map(|e| {
                serde_json::from_slice::<Value>(&e.payload).unwrap()["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    /// Central's events of `order` placed at `device`.
    pub async fn order_types(&self, device: &str, order: OrderId) -> Vec<String> {
        self.types(&self.subject(&format!("ev.order.{device}.{order}")))
            .await
    }

    /// Waits until central's order subject holds an event of type `wanted`; returns its payload.
    pub async fn wait_order_event(
        &self,
        device: &str,
        order: OrderId,
        wanted: &str,
        timeout: Duration,
    ) -> Value {
        let subject = self.subject(&format!("ev.order.{device}.{order}"));
        eventually(timeout, &format!("{wanted} for {order}"), || async {
            self.events(&subject).await.iter().find_map(|e| {
                let v: Value = serde_json::from_slice(&e.payload).ok()?;
                (v["type"] == wanted).then_some(v)
            })
        })
        .await
    }

    /// Waits until central's view `bucket` holds an event of type `wanted` under `key`.
    pub async fn wait_view(&self, bucket: &str, key: &str, wanted: &str) {
        let name = format!("{}{bucket}", self.prefix);
        eventually(
            Duration::from_secs(20),
            &format!("{key} in {bucket}"),
            || async {
                let kv = self.js.get_key_value(&name).await.ok()?;
                let bytes = kv.get(key).await.ok()??;
                let text = String::from_utf8_lossy(&bytes).to_string();
                text.contains(&format!("\"{wanted}\"")).then_some(())
            },
        )
        .await
    }

    /// The saga's stored state, if any.
    pub async fn saga_state(&self, order: OrderId) -> Option<Value> {
        let kv = self
            .js
            .get_key_value(format!("{}sagas", self.prefix))
            .await
            .ok()?;
        let bytes = kv.get(order.to_string()).await.ok()??;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The pickup code the orders of this harness carry (a kiosk draws one at random; here it is
/// fixed by the order id, so the desk standing in for the customer's can show it).
pub fn pickup_code_of(order: OrderId) -> String {
    mallbots_domain::ordering::pickup_code_from(order.0.as_u128())
}
