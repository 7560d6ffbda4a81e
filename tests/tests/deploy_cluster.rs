//! The operator's deployment, from the files in `deploy/`, on loopback: the TLS material of
//! `deploy/tls/make-certs.sh`, three nats-servers each started as `mallbots-nats.service` starts
//! it (`nats-server -c nats.conf -P auth/nats-server.pid` with its node's environment file),
//! the account (JWT) authorization `mallbots-central auth init --accounts` makes, two central
//! replicas started as `mallbots-central@.service` starts them (`--config central.toml`), a
//! desk and a kiosk enrolled with `mallbots-central enroll` (no node reloaded: the nodes trust
//! the operator) and synced over TLS with the CA
//! (`MALLBOTS__NATS__TLS_CA`), and an order that goes through to ready.
//!
//! What the test changes, and why: `/etc/mallbots` becomes a temp folder, and the ports, routes
//! and host names of the environment files and of central.toml become free loopback ports
//! (three nodes on one machine); every other line is the files' own.

use mallbots_tests::nats::{free_port, nats_server_binary, workspace_root};
use mallbots_tests::procs::{binary, Proc, CENTRAL, EDGE_CLI};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The nodes, ended on drop.
struct Nodes(Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn deploy(file: &str) -> PathBuf {
    workspace_root().join("deploy").join(file)
}

/// `KEY=VALUE` lines of an environment file.
fn env_file(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = Command::new(binary(program).unwrap())
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{program} {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One (pretty-printed) JSON document, or JSON lines after other output.
    serde_json::from_str(&stdout).unwrap_or_else(|_| {
        stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or(Value::Null)
    })
}

#[test]
fn the_deploy_files_run_a_three_node_tls_cluster_with_two_replicas_and_an_order_goes_through() {
    let etc = tempfile::tempdir().unwrap();
    let etc = etc.path();
    // TLS material.
    let status = Command::new("bash")
        .arg(deploy("tls/make-certs.sh"))
        .arg(etc.join("tls"))
        .args(["nats-1", "nats-2", "nats-3"])
        .status()
        .unwrap();
    assert!(status.success(), "make-certs.sh");
    let ca = etc.join("tls/ca.pem").display().to_string();
    // The authorization, and the node config beside it.
    let auth = etc.join("auth").display().to_string();
    let init = run(
        CENTRAL,
        &[
            "auth",
            "init",
            "--dir",
            &auth,
            "--accounts",
            "--operator",
            "mall",
        ],
        &[],
    );
    assert_eq!(init["auth"], "accounts", "{init}");
    std::fs::copy(deploy("nats/nats.conf"), etc.join("nats.conf")).unwrap();

    // Three nodes on loopback.
    let ports: Vec<(u16, u16, u16)> = (0..3)
        .map(|_| {
            (
                free_port().unwrap(),
                free_port().unwrap(),
                free_port().unwrap(),
            )
        })
        .collect();
    let mut nodes = Nodes(Vec::new());
    for n in 0..3 {
        let mut env = env_file(&deploy(&format!("nats/nats-{}.env", n + 1)));
        let others: Vec<u16> = (0..3).filter(|m| *m != n).map(|m| ports[m].1).collect();
        for (key, value) in &mut env {
            let local = |v: &str| v.replace("/etc/mallbots", &etc.display().to_string());
            *value = match key.as_str() {
                "NATS_HOST" => "127.0.0.1".into(),
                "NATS_PORT" => ports[n].0.to_string(),
                "NATS_CLUSTER_PORT" => ports[n].1.to_string(),
                "NATS_MONITOR_PORT" => ports[n].2.to_string(),
                "NATS_ROUTE_A" => format!("nats-route://127.0.0.1:{}", others[0]),
                "NATS_ROUTE_B" => format!("nats-route://127.0.0.1:{}", others[1]),
                "NATS_STORE" => etc.join(format!("js-{n}")).display().to_string(),
                _ => local(value),
            };
        }
        let log = std::fs::File::create(etc.join(format!("nats-{n}.log"))).unwrap();
        let pid = etc.join(format!("auth/nats-{n}.pid"));
        let child = Command::new(nats_server_binary().unwrap())
            .arg("-c")
            .arg(etc.join("nats.conf"))
            .arg("-P")
            .arg(&pid)
            .envs(env)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        nodes.0.push(child);
    }
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("tls://127.0.0.1:{}", p.0))
        .collect();
    let url = urls.join(",");

    // central.toml as installed, pointing at the loopback nodes.
    let toml = std::fs::read_to_string(deploy("central.toml"))
        .unwrap()
        .replace("/etc/mallbots", &etc.display().to_string())
        .replace(
            "tls://nats-1:4222,tls://nats-2:4222,tls://nats-3:4222",
            &url,
        )
        .replace(
            "/var/log/mallbots/sms.log",
            &etc.join("sms.log").display().to_string(),
        );
    let config = etc.join("central.toml");
    std::fs::write(&config, toml).unwrap();
    let config = config.display().to_string();
    let replica = |n: u32| {
        // As mallbots-central@N.service: its Environment= lines, then --config.
        let mut c = Proc::builder(CENTRAL)
            .args(["--config", &config])
            .env("MALLBOTS__HTTP__LISTEN", "127.0.0.1:0")
            .env("MALLBOTS__SIM__NAME", format!("central-{n}"))
            .env("MALLBOTS__SIM__STEP_MS", "50")
            .spawn()
            .unwrap();
        if let Err(e) = c.wait_for_log("mallbots-central ready", Duration::from_secs(60)) {
            let logs: Vec<String> = (0..3)
                .map(|n| {
                    std::fs::read_to_string(etc.join(format!("nats-{n}.log"))).unwrap_or_default()
                })
                .collect();
            panic!(
                "replica {n}: {e}\n{}\nnodes:\n{}",
                c.logs(),
                logs.join("\n---\n")
            );
        }
        c
    };
    let _one = replica(1);
    let _two = replica(2);

    // The desk: a store with a product, enrolled for it; the kiosk.
    let cli = |db: &Path, args: &[&str]| -> Value {
        let mut all = vec!["--db", db.to_str().unwrap(), "--json"];
        all.extend_from_slice(args);
        run(EDGE_CLI, &all, &[("MALLBOTS__NATS__TLS_CA", &ca)])
    };
    let desk = etc.join("desk.db");
    let store = cli(
        &desk,
        &[
            "store",
            "create",
            "--name",
            "Grocer",
            "--location",
            "Level 1",
        ],
    );
    let store = store["store_id"].as_str().unwrap().to_owned();
    cli(&desk, &["store", "participate", &store, "on"]);
    cli(&desk, &["store", "automated", &store, "on"]);
    let product = cli(
        &desk,
        &[
            "product",
            "add",
            "--store",
            &store,
            "--sku",
            "TEA",
            "--name",
            "Tea",
            "--price-cents",
            "450",
        ],
    );
    let product = product["product_id"].as_str().unwrap().to_owned();
    let enroll = |device: &str, role: &[&str]| -> String {
        let out = etc.join(format!("{device}.json")).display().to_string();
        let mut args = vec!["--config", &config, "enroll", "--device", device];
        args.extend_from_slice(role);
        args.extend_from_slice(&["--auth-dir", &auth, "--out", &out, "--nats-url", &url]);
        let enrolled = run(CENTRAL, &args, &[]);
        // Account auth: the nodes trust the operator, so a new device needs no reload.
        assert_eq!(enrolled["auth"], "accounts", "{enrolled}");
        assert_eq!(enrolled["reloaded"], serde_json::json!([]), "{enrolled}");
        out
    };
    let m1 = enroll("m1", &["--role", "manager", "--store", &store]);
    cli(&desk, &["device", "init", "--enrollment", &m1]);
    cli(&desk, &["sync"]);
    let kiosk = etc.join("kiosk.db");
    let k1 = enroll("k1", &["--role", "kiosk"]);
    cli(&kiosk, &["device", "init", "--enrollment", &k1]);

    let until = |what: &str, mut check: Box<dyn FnMut() -> bool + '_>| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    until(
        "the catalog on the kiosk",
        Box::new(|| {
            cli(&kiosk, &["sync"]);
            cli(&kiosk, &["catalog"]).to_string().contains(&product)
        }),
    );
    std::thread::sleep(Duration::from_millis(500)); // central's catalog view
    let customer = cli(
        &kiosk,
        &[
            "customer",
            "register",
            "--name",
            "Ada",
            "--phone",
            "+15550104477",
        ],
    );
    let customer = customer["customer_id"].as_str().unwrap().to_owned();
    let cart = cli(&kiosk, &["cart", "start", "--customer", &customer]);
    let cart = cart["cart_id"].as_str().unwrap().to_owned();
    cli(&kiosk, &["cart", "add", &cart, &product, "--qty", "2"]);
    let order = cli(&kiosk, &["checkout", &cart, "--card", "tok_visa"]);
    let order = order["order_id"].as_str().unwrap().to_owned();
    until(
        "the order ready on the kiosk",
        Box::new(|| {
            cli(&kiosk, &["sync"]);
            cli(&kiosk, &["order", "show", &order])["status"] == "ready"
        }),
    );
    // And the desk sees it, over the same TLS cluster.
    until(
        "the order on the desk",
        Box::new(|| {
            cli(&desk, &["sync"]);
            cli(&desk, &["orders"]).to_string().contains(&order)
        }),
    );
}
