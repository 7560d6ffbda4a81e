//! Reliability (issue 7): 100 `kill -9`s of edge and central processes at seeded random points
//! while orders flow, then an audit that nothing was lost or applied twice.
//!
//! Edge side: one kiosk database written by one real `mallbots` process at a time (one writer
//! per database, issue 12): `loadgen --nats` (takes orders in short runs and syncs them in the
//! same process) and, between runs, `sync --watch` (relays the outbox, follows the kiosk's
//! consumers). The test itself only reads the database (opened read-only). Central
//! side: two `mallbots-central` replicas with every role (saga, payments, depot, bot
//! simulator). Every few hundred milliseconds (seeded) one of the four is SIGKILLed and started
//! again; each kill is printed with what the process was doing. Afterwards everything runs until
//! every order is final, and [`audit`] checks the EVENTS stream, the saga bucket and the
//! kiosk's database. Replay a run with `MALLBOTS_FAULT_SEED=<seed>`.
//!
//! As it ships (docs/architecture.md §9): NATS runs with the authorization `mallbots-central auth init`
//! generated, the centrals connect with their credentials, the manager and the kiosk are
//! enrolled by the real `mallbots-central enroll`, and the kiosk's processes sync with its
//! credentials file (`device init --enrollment`, `sync --enrollment`), within its own
//! permissions and through the consumers enrollment created.
//!
//! Needs the binaries: `cargo build -p mallbots-central -p mallbots-edge` (same
//! `CARGO_TARGET_DIR`) first.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mallbots_edge::Edge;
use mallbots_tests::faults::audit::{audit, Scope};
use mallbots_tests::faults::central::CentralSpec;
use mallbots_tests::faults::world::{kiosk, seed_catalog, wait_final};
use mallbots_tests::faults::{last_line, log_tail, seeded_rng, Figures};
use mallbots_tests::nats::NatsServer;
use mallbots_tests::procs::{Proc, EDGE_CLI};
use rand::rngs::StdRng;
use rand::Rng;

const KILLS: usize = 100;
const DEVICE: &str = "k1";
const START: Duration = Duration::from_secs(30);

/// A process under chaos, with when it was (re)started.
struct Running {
    proc: Proc,
    since: Instant,
}

impl Running {
    fn new(proc: Proc) -> Self {
        Self {
            proc,
            since: Instant::now(),
        }
    }

    fn age_ms(&self) -> u128 {
        self.since.elapsed().as_millis()
    }
}

/// What the kiosk processes are started with.
struct Kiosk {
    db: PathBuf,
    creds: PathBuf,
    root: String,
    url: String,
    stream: String,
    product: String,
    customer: String,
}

impl Kiosk {
    fn cli(&self) -> mallbots_tests::procs::ProcBuilder {
        Proc::builder(EDGE_CLI)
            .arg("--db")
            .arg(self.db.display().to_string())
            .args(["--device", DEVICE, "--subject-root", &self.root])
    }

    fn sync(&self) -> Running {
        let p = self
            .cli()
            .args(["sync", "--nats", &self.url, "--stream", &self.stream])
            .arg("--enrollment")
            .arg(self.creds.display().to_string());
        Running::new(p.arg("--watch").spawn().unwrap())
    }

    /// A loadgen run that also syncs (it is the database's writer while it runs), with the
    /// enrollment `device init` stored.
    fn loadgen(&self, orders: u32) -> Running {
        let p = self.cli().args(["loadgen", "--product", &self.product]);
        let p = p.args([
            "--customer",
            &self.customer,
            "--orders",
            &orders.to_string(),
            "--nats",
            &self.url,
            "--stream",
            &self.stream,
        ]);
        Running::new(p.spawn().unwrap())
    }
}

/// The one edge process writing the kiosk's database.
enum Writer {
    Loadgen(Running),
    Sync(Running),
}

impl Writer {
    fn running(&mut self) -> &mut Running {
        match self {
            Writer::Loadgen(r) | Writer::Sync(r) => r,
        }
    }
}

/// Order ids a loadgen run printed (each printed only after its commit returned).
fn printed_orders(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["order_id"].as_str().map(str::to_owned))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Loadgen,
    Sync,
    Central(usize),
}

fn pick(rng: &mut StdRng) -> Target {
    match rng.gen_range(0..4) {
        0 => Target::Loadgen,
        1 => Target::Sync,
        i => Target::Central(i - 2),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_kills_of_edge_and_central_lose_and_duplicate_nothing() {
    let started = Instant::now();
    let (seed, mut rng) = seeded_rng("kill9");
    let server = NatsServer::shared_with_auth();
    let n: u32 = rng.gen();
    let (root, prefix) = (format!("rk{n}"), format!("rk{n}_"));
    let stream = format!("{prefix}EVENTS");
    let spec = CentralSpec::new(
        &server.url(),
        &root,
        &prefix,
        "saga,payments,depot,bots-sim",
        1,
    )
    .with_creds(server.central_creds());
    let mut centrals = [
        Running::new(spec.spawn_ready(START).unwrap()),
        Running::new(spec.spawn_ready(START).unwrap()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let catalog = seed_catalog(dir.path(), server, &server.url(), &root, &stream)
        .await
        .unwrap();
    let kiosk = kiosk(
        dir.path(),
        DEVICE,
        server,
        &server.url(),
        &root,
        &stream,
        catalog,
    )
    .await
    .unwrap();
    let (edge, customer) = (kiosk.edge, kiosk.customer);
    // The test only reads from here on: the CLI processes are the writers.
    let db = edge.path().to_path_buf();
    let config = edge.config().clone();
    drop(edge);
    // The device's identity and enrollment, stored as an operator would (`device init`).
    let mut init = Proc::builder(EDGE_CLI)
        .arg("--db")
        .arg(db.display().to_string())
        .args(["device", "init", "--enrollment"])
        .arg(kiosk.creds.display().to_string())
        .spawn()
        .unwrap();
    let status = init.wait_exit(START).unwrap();
    assert!(status.success(), "device init: {}", init.logs());
    let edge = Edge::open_read_only(&db, config).unwrap();
    let k = Kiosk {
        db,
        creds: kiosk.creds.clone(),
        root: root.clone(),
        url: server.url(),
        stream: stream.clone(),
        product: catalog.product.to_string(),
        customer: customer.to_string(),
    };
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut writer = Writer::Sync(k.sync());
    let mut next_loadgen = Instant::now();
    let mut reported = Vec::new();
    let (mut edge_kills, mut central_kills) = (0u64, 0u64);
    let mut pending: Option<Target> = None;
    let mut next_kill = Instant::now() + Duration::from_millis(rng.gen_range(300..900));
    let mut kills = 0;
    while kills < KILLS {
        if let Writer::Loadgen(r) = &mut writer {
            if !r.proc.is_running() {
                reported.extend(printed_orders(r.proc.log_path()));
                writer = Writer::Sync(k.sync());
                next_loadgen = Instant::now() + Duration::from_millis(rng.gen_range(100..600));
            }
        }
        if matches!(writer, Writer::Sync(_)) && Instant::now() >= next_loadgen {
            // Hand the database over: the watcher stops, the loadgen run writes (and syncs).
            let _ = writer.running().proc.terminate(START);
            writer = Writer::Loadgen(k.loadgen(rng.gen_range(1..=3)));
        }
        if Instant::now() < next_kill {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let target = pending.take().unwrap_or_else(|| pick(&mut rng));
        kills += 1;
        let what = match (target, &mut writer) {
            (Target::Loadgen, Writer::Loadgen(r)) => {
                r.proc.kill_9();
                let printed = printed_orders(r.proc.log_path());
                let line = format!(
                    "loadgen (syncing) up {} ms, {} orders committed",
                    r.age_ms(),
                    printed.len()
                );
                reported.extend(printed);
                writer = Writer::Sync(k.sync());
                next_loadgen = Instant::now() + Duration::from_millis(rng.gen_range(0..200));
                edge_kills += 1;
                line
            }
            (Target::Sync, Writer::Sync(r)) => {
                r.proc.kill_9();
                let line = format!("sync --watch up {} ms", r.age_ms());
                writer = Writer::Sync(k.sync());
                edge_kills += 1;
                line
            }
            (Target::Loadgen | Target::Sync, _) => {
                // Not the process writing now: kill it soon after it takes over.
                if target == Target::Loadgen {
                    next_loadgen = Instant::now();
                }
                pending = Some(target);
                kills -= 1;
                next_kill = Instant::now() + Duration::from_millis(rng.gen_range(10..200));
                continue;
            }
            (Target::Central(i), _) => {
                let c = &mut centrals[i];
                c.proc.kill_9();
                let line = format!(
                    "central {i} up {} ms, last log: {}",
                    c.age_ms(),
                    last_line(c.proc.log_path())
                );
                let _ = std::fs::copy(
                    c.proc.log_path(),
                    logs.join(format!("central{i}-{kills}.log")),
                );
                *c = Running::new(spec.spawn().unwrap());
                central_kills += 1;
                line
            }
        };
        println!(
            "kill #{kills} ({:.1}s): {what}",
            started.elapsed().as_secs_f64()
        );
        next_kill = Instant::now() + Duration::from_millis(rng.gen_range(150..1000));
    }
    let chaos_secs = started.elapsed().as_secs_f64();

    let mut sync = match writer {
        Writer::Loadgen(mut r) => {
            r.proc.wait_exit(START).unwrap();
            reported.extend(printed_orders(r.proc.log_path()));
            k.sync()
        }
        Writer::Sync(r) => r,
    };
    for (i, c) in centrals.iter_mut().enumerate() {
        if let Err(e) = c.proc.wait_for_log("mallbots-central ready", START) {
            panic!("seed {seed}: central {i} after the kills: {e}");
        }
    }
    let counts = wait_final(&edge, reported.len(), Duration::from_secs(180), |c| {
        println!("settling: {c:?}");
    });
    if let Err(e) = &counts {
        for (i, c) in centrals.iter().enumerate() {
            eprintln!("--- central {i} ---\n{}", log_tail(&c.proc, 40));
        }
        eprintln!("seed {seed}: {e}");
    }
    let _ = sync.proc.terminate(START);

    let js = async_nats::jetstream::new(server.central_client().await.unwrap());
    let scope = Scope {
        root: &root,
        prefix: &prefix,
        device: DEVICE,
    };
    let a = audit(&edge, &js, &scope, &reported).await.unwrap();
    let mut f = Figures::new("kill9", seed);
    f.ops = a.orders as u64;
    f.faults = edge_kills + central_kills;
    f.seconds = started.elapsed().as_secs_f64();
    f.extra.insert("kills_edge".into(), edge_kills.into());
    f.extra.insert("kills_central".into(), central_kills.into());
    f.extra.insert(
        "chaos_seconds".into(),
        ((chaos_secs * 10.0).round() / 10.0).into(),
    );
    a.record(&mut f);
    f.print();
    if !a.is_clean() {
        let kept = dir.keep();
        for (i, c) in centrals.iter().enumerate() {
            let _ = std::fs::copy(c.proc.log_path(), kept.join(format!("central{i}.log")));
        }
        eprintln!("seed {seed}: databases and logs kept in {}", kept.display());
    }
    a.assert_clean(seed);
    counts.unwrap();
    assert!(a.orders > 0 && a.orders >= reported.len(), "seed {seed}");
}
