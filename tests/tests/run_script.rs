//! The README's run command, as a new user runs it: `bash scripts/run.sh --demo` on a machine
//! with no display. It must bring up a mall that works with nothing else typed — NATS with the
//! authorization the product generates, central, and the app hosting two enrolled devices (the
//! kiosk and the mall office's manager desk) — so that within a minute both devices' sync is
//! online with no error logged, and the demo catalog (seeded into the manager's database) has
//! reached the kiosk through central.
//!
//! The test only skips the script's install-and-build step (`MALLBOTS_RUN_NO_BUILD=1`: the test
//! suite built everything already) and points it at a temp state folder and free ports; what
//! runs is the script itself. It reads the devices through the `mallbots` CLI, read-only,
//! while the app holds their databases.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mallbots_tests::nats::{free_port, workspace_root};
use mallbots_tests::procs::{bin_dir, binary, EDGE_CLI};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(60);

/// The script's whole process group, ended on drop.
struct Script(Child);

impl Drop for Script {
    fn drop(&mut self) {
        let pgid = self.0.id() as i32;
        // SIGTERM first so run.sh's trap stops its children, then make sure.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{pgid}")])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .status();
        let _ = self.0.wait();
    }
}

fn cli_json(db: &Path, args: &[&str]) -> Option<Value> {
    let out = Command::new(binary(EDGE_CLI).ok()?)
        .arg("--db")
        .arg(db)
        .arg("--json")
        .args(args)
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Lines of a log that report an error or a warning (tracing's level column).
fn problems(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains(" ERROR ") || l.contains(" WARN "))
        .collect()
}

#[test]
fn run_sh_demo_brings_up_a_working_mall() {
    let state = tempfile::tempdir().unwrap();
    let run_dir = state.path().join("run");
    let bin = bin_dir().unwrap();
    let target = bin.parent().expect("target dir").to_path_buf();
    let mut cmd = Command::new("bash");
    cmd.arg(workspace_root().join("scripts/run.sh"))
        .arg("--demo")
        .current_dir(workspace_root())
        .env("MALLBOTS_RUN_NO_BUILD", "1")
        .env("MALLBOTS_RUN_DIR", &run_dir)
        .env("CARGO_TARGET_DIR", &target)
        .env("MALLBOTS_NATS_PORT", free_port().unwrap().to_string())
        .env("MALLBOTS_HTTP_PORT", free_port().unwrap().to_string())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            std::fs::File::create(state.path().join("run.out")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(state.path().join("run.err")).unwrap(),
        ));
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let script = Script(cmd.spawn().expect("bash scripts/run.sh"));

    let kiosk_db = run_dir.join("kiosk.db");
    let manager_db = run_dir.join("manager.db");
    let started = Instant::now();
    let mut last;
    let ready = loop {
        let kiosk = cli_json(&kiosk_db, &["status"]);
        let manager = cli_json(&manager_db, &["status"]);
        let catalog = cli_json(&kiosk_db, &["catalog", "--participating"]);
        let online = |s: &Option<Value>| {
            s.as_ref()
                .is_some_and(|s| s["online"] == Value::Bool(true) && s["problem"].is_null())
        };
        let products = catalog
            .as_ref()
            .map(|c| c.to_string().matches("\"sku\"").count())
            .unwrap_or(0);
        last = format!(
            "kiosk status {kiosk:?}\nmanager status {manager:?}\nkiosk products {products}"
        );
        if online(&kiosk) && online(&manager) && products > 0 {
            break true;
        }
        if started.elapsed() > DEADLINE {
            break false;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let logs = format!(
        "run.sh stdout:\n{}\nrun.sh stderr:\n{}\napp.log:\n{}\ncentral.log (tail):\n{}",
        read(&state.path().join("run.out")),
        read(&state.path().join("run.err")),
        read(&run_dir.join("app.log")),
        read(&run_dir.join("central.log"))
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert!(
        ready,
        "within {DEADLINE:?}: both devices online and the demo catalog on the kiosk\n{last}\n{logs}"
    );
    println!(
        "run.sh --demo: both devices online and the demo catalog on the kiosk after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Each device keeps the identity its enrollment gave it, as the CLI sees it.
    for (db, file, role) in [
        (&kiosk_db, "kiosk.json", "kiosk"),
        (&manager_db, "manager.json", "manager"),
    ] {
        let status = cli_json(db, &["status"]).expect("status");
        let enrolled: Value = serde_json::from_str(&read(&run_dir.join(file))).unwrap();
        let device = &status["device"];
        assert_eq!(device["initialized"], true, "{file}: {status}");
        assert_eq!(device["role"], role, "{file}: {status}");
        assert_eq!(device["device"], enrolled["device"], "{file}: {status}");
    }
    let app_log = read(&run_dir.join("app.log"));
    assert!(
        problems(&app_log).is_empty(),
        "the app logged problems:\n{}",
        problems(&app_log).join("\n")
    );
    let central_log = read(&run_dir.join("central.log"));
    let errors: Vec<&str> = central_log
        .lines()
        .filter(|l| l.contains(" ERROR "))
        .collect();
    assert!(
        errors.is_empty(),
        "central logged errors:\n{}",
        errors.join("\n")
    );
    for file in [
        "auth/nats-auth.conf",
        "kiosk.json",
        "manager.json",
        "auth/central.json",
    ] {
        let path = run_dir.join(file);
        assert!(path.is_file(), "{} was not written", path.display());
    }
    let auth = read(&run_dir.join("auth/nats-auth.conf"));
    let kiosk: Value = serde_json::from_str(&read(&run_dir.join("kiosk.json"))).unwrap();
    // Account auth: the kiosk holds a key (JWT and seed), the server trusts the operator.
    let seed = kiosk["seed"].as_str().expect("an nkey seed in kiosk.json");
    assert!(
        kiosk.get("password").is_none(),
        "a password under account auth"
    );
    assert!(auth.contains("operator: \"eyJ"), "{auth}");
    assert!(
        !auth.contains(seed) && !app_log.contains(seed) && !central_log.contains(seed),
        "a device's seed appears in the server config or a log"
    );
    drop(script);
}
