//! The edge side of a reliability run: a manager device that publishes a participating store
//! with automated shopping and one product ([`seed_catalog`]), a kiosk that has synced that
//! catalog and registered a customer ([`kiosk`]), one-shot syncs through the real engine
//! ([`sync_once`]) and the wait for every order to reach a final status ([`wait_final`]).
//!
//! As it ships (docs/architecture.md §9): every device is enrolled by the real `mallbots-central enroll`
//! ([`Enroller`]: a server or cluster started with the generated authorization) and syncs with
//! its credentials file, within its own permissions; nothing creates consumers.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use mallbots_domain::{CustomerId, OrderId, ProductId, StoreId};
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NewProduct, Role};
use mallbots_sync::engine::NatsTarget;

use crate::nats::{Enrollment, NatsCluster, NatsServer};

/// Order statuses after which nothing more happens without a person (pickup).
pub const FINAL_STATUSES: [&str; 4] = ["ready", "completed", "rejected", "canceled"];

/// Whether `status` is final.
pub fn is_final(status: &str) -> bool {
    FINAL_STATUSES.contains(&status)
}

/// What the manager published.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    /// The store (participating, automated shopping on).
    pub store: StoreId,
    /// Its one product.
    pub product: ProductId,
}

/// Opens (creating) the edge database `<dir>/<id>.db` for device `id` under `root`.
pub fn open_edge(dir: &Path, id: &str, root: &str, role: Role) -> Result<Edge> {
    let config = EdgeConfig {
        device_id: id.into(),
        subject_root: root.into(),
        role,
        ..EdgeConfig::default()
    };
    Edge::open(dir.join(format!("{id}.db")), config).map_err(|e| anyhow!("open {id}: {e}"))
}

/// Where devices are enrolled: a server or cluster started with the product's authorization
/// (`start_with_auth` / `shared_with_auth`), whose `enroll` runs the real
/// `mallbots-central enroll` and reloads the server(s).
pub trait Enroller {
    /// Enrolls the device; returns its credentials file.
    fn enroll_device(&self, enrollment: &Enrollment) -> Result<PathBuf>;
}

impl Enroller for NatsServer {
    fn enroll_device(&self, enrollment: &Enrollment) -> Result<PathBuf> {
        self.enroll(enrollment)
    }
}

impl Enroller for NatsCluster {
    fn enroll_device(&self, enrollment: &Enrollment) -> Result<PathBuf> {
        self.enroll(enrollment)
    }
}

/// The stream prefix of events stream `stream` (`<prefix>EVENTS`).
fn prefix_of(stream: &str) -> &str {
    stream.strip_suffix("EVENTS").unwrap_or("")
}

/// Sync settings for `stream`: the consumers are enrollment's (a device cannot create any).
pub fn settings(stream: &str) -> SyncSettings {
    SyncSettings {
        events_stream: stream.into(),
        stores: Vec::new(),
        create_consumers: false,
    }
}

/// The target of a device: `url` with its credentials file.
pub fn target(url: &str, creds: &Path) -> NatsTarget {
    NatsTarget::with_creds(url, creds)
}

/// One full sync of `edge` through the real engine, with its credentials file `creds`.
pub async fn sync_once(edge: &Edge, url: &str, creds: &Path, stream: &str) -> Result<()> {
    let engine = engine(edge, &settings(stream)).map_err(|e| anyhow!("{e}"))?;
    let link = engine
        .connect(&target(url, creds))
        .await
        .map_err(|e| anyhow!("connect: {e}"))?;
    engine
        .sync_once(&link)
        .await
        .map_err(|e| anyhow!("sync: {e}"))?;
    edge.clear_cache();
    Ok(())
}

/// Syncs until `done` holds (retrying failed syncs), failing after `timeout`.
pub async fn sync_until(
    edge: &Edge,
    url: &str,
    creds: &Path,
    stream: &str,
    timeout: Duration,
    what: &str,
    done: impl Fn(&Edge) -> bool,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let synced = sync_once(edge, url, creds, stream).await;
        if synced.is_ok() && done(edge) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what} not reached within {timeout:?} (last sync: {synced:?})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Manager `m1` opens a participating store with automated shopping and one product, is
/// enrolled for that store, and syncs it to the EVENTS stream with its credentials (central
/// must have created the topology).
pub async fn seed_catalog(
    dir: &Path,
    nats: &impl Enroller,
    url: &str,
    root: &str,
    stream: &str,
) -> Result<Catalog> {
    let manager = open_edge(dir, "m1", root, Role::Manager)?;
    let e = |e: mallbots_edge::EdgeError| anyhow!("manager: {e}");
    let store = manager.create_store("Grocer", "Level 0").map_err(e)?;
    manager.set_participation(store.store_id, true).map_err(e)?;
    manager
        .set_automated_shopping(store.store_id, true)
        .map_err(e)?;
    let product = manager
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "TEA".into(),
            name: "Tea".into(),
            description: String::new(),
            price_cents: 450,
        })
        .map_err(e)?;
    let store_id = store.store_id.to_string();
    let creds = nats.enroll_device(
        &Enrollment::manager("m1", &[&store_id], root).stream_prefix(prefix_of(stream)),
    )?;
    sync_until(
        &manager,
        url,
        &creds,
        stream,
        Duration::from_secs(30),
        "catalog published",
        |m| m.local_counts().is_ok_and(|c| c.outbox_pending == 0),
    )
    .await?;
    Ok(Catalog {
        store: store.store_id,
        product: product.product_id,
    })
}

/// A kiosk ready to take orders.
pub struct Kiosk {
    /// Its database.
    pub edge: Edge,
    /// The customer it registered.
    pub customer: CustomerId,
    /// Its credentials file (`mallbots-central enroll --out`).
    pub creds: PathBuf,
}

/// Kiosk `device`: enrolled by central, registers a customer and syncs with its credentials
/// until it sees the catalog's product.
pub async fn kiosk(
    dir: &Path,
    device: &str,
    nats: &impl Enroller,
    url: &str,
    root: &str,
    stream: &str,
    catalog: Catalog,
) -> Result<Kiosk> {
    let creds =
        nats.enroll_device(&Enrollment::kiosk(device, root).stream_prefix(prefix_of(stream)))?;
    let kiosk = open_edge(dir, device, root, Role::Kiosk)?;
    let customer = kiosk
        .register_customer("Ada", "+15550104477")
        .map_err(|e| anyhow!("register: {e}"))?
        .customer_id;
    sync_until(
        &kiosk,
        url,
        &creds,
        stream,
        Duration::from_secs(30),
        "kiosk catalog",
        |k| k.product(catalog.product).is_ok_and(|p| !p.removed),
    )
    .await?;
    Ok(Kiosk {
        edge: kiosk,
        customer,
        creds,
    })
}

/// Takes one order of `qty` units of `product` for `customer` on `kiosk` (start, add, checkout).
pub fn take_order(
    kiosk: &Edge,
    customer: CustomerId,
    product: ProductId,
    qty: i64,
) -> Result<OrderId> {
    let e = |e: mallbots_edge::EdgeError| anyhow!("order: {e}");
    let cart = kiosk.start_cart(Some(customer)).map_err(e)?;
    kiosk.add_item(cart.cart_id, product, qty).map_err(e)?;
    let order = kiosk.checkout(cart.cart_id, "tok_visa", None).map_err(e)?;
    Ok(order.order_id)
}

/// Counts of the kiosk's orders by status.
pub fn status_counts(kiosk: &Edge) -> Result<std::collections::BTreeMap<String, usize>> {
    let mut counts = std::collections::BTreeMap::new();
    for order in kiosk.orders(None).map_err(|e| anyhow!("orders: {e}"))? {
        *counts.entry(order.status).or_default() += 1;
    }
    Ok(counts)
}

/// Polls the kiosk's read models until every one of its orders (at least `min_orders`) has a
/// final status and nothing waits in its outbox; returns the status counts. `progress` is
/// called about every 5 s (to show how far it got, or to log the state of the processes).
pub fn wait_final(
    kiosk: &Edge,
    min_orders: usize,
    timeout: Duration,
    mut progress: impl FnMut(&std::collections::BTreeMap<String, usize>),
) -> Result<std::collections::BTreeMap<String, usize>> {
    let deadline = Instant::now() + timeout;
    let mut next_report = Instant::now() + Duration::from_secs(5);
    loop {
        let counts = status_counts(kiosk)?;
        let total: usize = counts.values().sum();
        let open: usize = counts
            .iter()
            .filter(|(s, _)| !is_final(s))
            .map(|(_, n)| n)
            .sum();
        let pending = kiosk
            .local_counts()
            .map_err(|e| anyhow!("counts: {e}"))?
            .outbox_pending;
        if total >= min_orders && open == 0 && pending == 0 {
            return Ok(counts);
        }
        if Instant::now() > deadline {
            bail!("orders not final within {timeout:?}: {counts:?}, outbox pending {pending}");
        }
        if Instant::now() > next_report {
            progress(&counts);
            next_report = Instant::now() + Duration::from_secs(5);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The ids of every order the kiosk holds.
pub fn order_ids(kiosk: &Edge) -> Result<Vec<OrderId>> {
    Ok(kiosk
        .orders(None)
        .map_err(|e| anyhow!("orders: {e}"))
        .context("listing orders")?
        .into_iter()
        .map(|o| o.order_id)
        .collect())
}
