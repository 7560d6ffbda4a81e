//! A mall driven through the `mallbots` CLI as an operator would (docs/architecture.md §9):
//! every device is enrolled with `mallbots-central enroll` on a nats-server running the
//! generated authorization, initialized from its credentials file (`mallbots device init
//! --enrollment FILE`), and synced with `mallbots sync` as itself. One database per device in a
//! temp folder. Shared by the CLI system tests (desk hand-over, audit trails).

use crate::nats::{Enrollment, NatsServer};
use crate::procs::{binary, Proc, CENTRAL, EDGE_CLI};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The user every desk command runs as unless a test names another ([`CliMall::cli_as`]).
pub const DEFAULT_USER: &str = "alice";

/// Devices of one mall under one subject root and stream prefix.
pub struct CliMall {
    /// The NATS URL.
    pub url: String,
    /// Where the device databases live.
    pub dir: PathBuf,
    /// The server (for enrollment).
    pub server: NatsServer,
    /// The subject root.
    pub root: String,
    /// The stream prefix.
    pub prefix: String,
}

/// `mallbots-central` on `server` with central's generated credentials, under `root` and
/// `prefix`: the saga, payments and the depot with two simulated bots (20 ms steps), HTTP on a
/// free port, `extra` environment on top. Returns once it logs that it is ready.
pub fn start_central(
    server: &NatsServer,
    root: &str,
    prefix: &str,
    extra: &[(&str, &str)],
) -> Proc {
    let mut builder = Proc::builder(CENTRAL)
        .args(["--nats", &server.url(), "--http", "127.0.0.1:0"])
        .args(server.auth().central_args())
        .args(["--subject-root", root, "--stream-prefix", prefix])
        .args(["--roles", "saga,payments,depot,bots-sim"])
        .env("MALLBOTS__SIM__BOTS", "2")
        .env("MALLBOTS__SIM__STEP_MS", "20");
    for (key, value) in extra {
        builder = builder.env(*key, *value);
    }
    let mut central = builder
        .spawn()
        .expect("spawn mallbots-central (cargo build -p mallbots-central first)");
    if let Err(e) = central.wait_for_log("mallbots-central ready", Duration::from_secs(30)) {
        panic!("central not ready: {e}\n{}", central.logs());
    }
    central
}

/// The string field `field` of a CLI answer (panics naming it when absent).
pub fn id(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
        .to_owned()
}

/// The code of a refusal (panics if the command succeeded).
pub fn code(answer: Result<Value, Value>) -> String {
    match answer {
        Ok(v) => panic!("expected a refusal, got {v}"),
        Err(e) => e["code"].as_str().unwrap_or("?").to_owned(),
    }
}

impl CliMall {
    /// A mall on `server` whose devices keep their databases in `dir`.
    pub fn new(server: NatsServer, dir: PathBuf, root: &str, prefix: &str) -> Self {
        Self {
            url: server.url(),
            dir,
            server,
            root: root.to_owned(),
            prefix: prefix.to_owned(),
        }
    }

    /// The database of `device`.
    pub fn db(&self, device: &str) -> PathBuf {
        self.dir.join(format!("{device}.db"))
    }

    /// `mallbots --db <device>.db --user <user> --json ARGS`: Ok(stdout JSON) or Err(the
    /// `{code, message}`).
    pub fn cli_as(&self, device: &str, user: &str, args: &[&str]) -> Result<Value, Value> {
        let out = Command::new(binary(EDGE_CLI).expect("mallbots binary"))
            .arg("--db")
            .arg(self.db(device))
            .args(["--subject-root", &self.root, "--device", device])
            .args(["--user", user, "--json"])
            .args(args)
            .output()
            .expect("run mallbots");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let value: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
            Value::String(format!(
                "{stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        });
        if out.status.success() {
            Ok(value)
        } else {
            Err(value)
        }
    }

    /// [`Self::cli_as`] the [`DEFAULT_USER`].
    pub fn cli(&self, device: &str, args: &[&str]) -> Result<Value, Value> {
        self.cli_as(device, DEFAULT_USER, args)
    }

    /// [`Self::cli`], panicking on a refusal.
    pub fn ok(&self, device: &str, args: &[&str]) -> Value {
        self.cli(device, args)
            .unwrap_or_else(|e| panic!("{device} {args:?} failed: {e}"))
    }

    /// [`Self::cli_as`], panicking on a refusal.
    pub fn ok_as(&self, device: &str, user: &str, args: &[&str]) -> Value {
        self.cli_as(device, user, args)
            .unwrap_or_else(|e| panic!("{device} as {user} {args:?} failed: {e}"))
    }

    /// The raw stdout of `mallbots --db <device>.db ARGS` (no `--json`), for text and CSV.
    pub fn text(&self, device: &str, args: &[&str]) -> String {
        let out = Command::new(binary(EDGE_CLI).expect("mallbots binary"))
            .arg("--db")
            .arg(self.db(device))
            .args(["--subject-root", &self.root, "--device", device])
            .args(args)
            .output()
            .expect("run mallbots");
        assert!(
            out.status.success(),
            "{device} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// One sync pass of `device`.
    pub fn sync(&self, device: &str) {
        let stream = format!("{}EVENTS", self.prefix);
        self.ok(device, &["sync", "--nats", &self.url, "--stream", &stream]);
    }

    /// `mallbots-central enroll` (the product's command: consumers, registry entry, NATS user,
    /// server reloaded), then `mallbots device init --enrollment FILE` on the device's database.
    /// Returns the credentials file.
    pub fn device(&self, device: &str, role: &str, store: Option<&str>) -> PathBuf {
        let stores: Vec<&str> = store.into_iter().collect();
        let enrollment = match role {
            "kiosk" => Enrollment::kiosk(device, &self.root),
            "depot" => Enrollment::depot(device, &self.root),
            _ => Enrollment::manager(device, &stores, &self.root),
        };
        let file = self
            .server
            .enroll(&enrollment.stream_prefix(&self.prefix))
            .expect("mallbots-central enroll");
        let path = file.display().to_string();
        self.ok(device, &["device", "init", "--enrollment", &path]);
        file
    }

    /// Syncs `device` until `check` holds (or panics after `secs`).
    pub fn until(
        &self,
        device: &str,
        secs: u64,
        what: &str,
        mut check: impl FnMut(&CliMall) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            self.sync(device);
            if check(self) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The order's status as `device` shows it.
    pub fn order_status(&self, device: &str, order: &str) -> String {
        self.ok(device, &["order", "show", order])["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The pickup code the kiosk that placed `order` shows its customer (`order show`).
    pub fn pickup_code(&self, kiosk: &str, order: &str) -> String {
        let shown = self.ok(kiosk, &["order", "show", order]);
        shown["pickup_code"]
            .as_str()
            .unwrap_or_else(|| panic!("no pickup code on {kiosk}'s order: {shown}"))
            .to_owned()
    }

    /// `device`'s pickup request of `order` (`null` when it has none).
    pub fn pickup_status(&self, desk: &str, order: &str) -> Value {
        self.cli(desk, &["order", "pickup-status", order])
            .unwrap_or(Value::Null)
    }

    /// A participating store with one product (450 cents), created on `device`'s database;
    /// automated shopping on if `automated`. Returns (store id, product id).
    pub fn store(&self, device: &str, name: &str, sku: &str, automated: bool) -> (String, String) {
        let s = self.ok(
            device,
            &["store", "create", "--name", name, "--location", "Level 1"],
        );
        let store = id(&s, "store_id");
        self.ok(device, &["store", "participate", &store, "on"]);
        if automated {
            self.ok(device, &["store", "automated", &store, "on"]);
        }
        let p = self.ok(
            device,
            &[
                "product",
                "add",
                "--store",
                &store,
                "--sku",
                sku,
                "--name",
                sku,
                "--price-cents",
                "450",
            ],
        );
        (store, id(&p, "product_id"))
    }

    /// Syncs `kiosk` until its catalog holds every one of `products`, then gives central's
    /// catalog view a moment to take them too (an order names them next).
    pub fn catalog_reaches(&self, kiosk: &str, products: &[&str]) {
        self.until(kiosk, 20, "the catalog on the kiosk", |m| {
            let catalog = m.ok(kiosk, &["catalog"]).to_string();
            products.iter().all(|p| catalog.contains(p))
        });
        std::thread::sleep(Duration::from_millis(500)); // central's catalog view
    }

    /// A customer registered on `kiosk` with `name` and `phone`; the customer id.
    pub fn customer(&self, kiosk: &str, name: &str, phone: &str) -> String {
        let customer = self.ok(
            kiosk,
            &["customer", "register", "--name", name, "--phone", phone],
        );
        id(&customer, "customer_id")
    }

    /// A checkout of 2 x `product` on `kiosk` for `customer`; the order id.
    pub fn order(&self, kiosk: &str, customer: &str, product: &str) -> String {
        let cart = self.ok(kiosk, &["cart", "start", "--customer", customer]);
        let cart = id(&cart, "cart_id");
        self.ok(kiosk, &["cart", "add", &cart, product, "--qty", "2"]);
        let o = self.ok(kiosk, &["checkout", &cart, "--card", "tok_visa"]);
        id(&o, "order_id")
    }
}
