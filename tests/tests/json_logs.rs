//! Logs for a log collector (issue 17): with `MALLBOTS__LOG__FORMAT=json`, `mallbots-central`
//! writes one JSON object per line to stderr (timestamp, level, target, fields); without it,
//! plain text lines. The app and the CLI build their logger the same way from the same
//! variables (README, "Settings").
//!
//! Needs the binary: `cargo build -p mallbots-central` (same target dir).

use mallbots_tests::nats::NatsServer;
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::Value;
use std::time::Duration;

fn central(format: Option<&str>) -> Proc {
    let root = format!("jl{}", rand::random::<u32>());
    let mut builder = Proc::builder(CENTRAL).args([
        "--nats",
        &NatsServer::shared().url(),
        "--http",
        "127.0.0.1:0",
        "--subject-root",
        &root,
        "--stream-prefix",
        &format!("{root}_"),
    ]);
    if let Some(format) = format {
        builder = builder.env("MALLBOTS__LOG__FORMAT", format);
    }
    let mut central = builder.spawn().expect("spawn mallbots-central");
    central
        .wait_for_log("mallbots-central ready", Duration::from_secs(30))
        .expect("central ready");
    central
}

#[test]
fn central_logs_one_json_object_per_line_on_request() {
    let json = central(Some("json"));
    let lines: Vec<Value> = json
        .logs()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ready = lines
        .iter()
        .find(|l| l["fields"]["message"] == "mallbots-central ready")
        .expect("the ready line");
    assert_eq!(ready["level"], "INFO", "{ready}");
    assert!(
        ready["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("mallbots_central")),
        "{ready}"
    );
    assert!(ready["timestamp"].is_string(), "{ready}");

    let text = central(None);
    let ready = text
        .logs()
        .lines()
        .find(|l| l.contains("mallbots-central ready"))
        .map(str::to_owned)
        .expect("the ready line");
    assert!(
        serde_json::from_str::<Value>(&ready).is_err() && ready.contains("INFO"),
        "plain text by default: {ready}"
    );
}
