//! Parser refusals through the real `mallbots` binary: `error: usage: <message>` on stderr,
//! exit code 2, the `{code, message}` body on stdout with `--json`; help and version exit 0.

use serde_json::Value;
use std::process::{Command, Output};

fn mallbots(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_mallbots"))
        .current_dir(dir.path())
        .args(["--db", "shop.db"])
        .args(args)
        .env_remove("MALLBOTS__DEVICE__DB")
        .output()
        .unwrap()
}

#[test]
fn parser_refusals_are_coded_usage_errors() {
    let huge = "9".repeat(100 * 1024);
    let cases: Vec<Vec<&str>> = vec![
        vec!["store", "show", "-1"],
        vec!["cart", "add", "C", "P", "--qty", "9223372036854775808"],
        vec!["product", "reprice", "P", "--price-cents", "1e3"],
        vec!["product", "reprice", "P", "--price-cents", &huge],
        vec!["frobnicate"],
    ];
    for args in cases {
        let label: Vec<String> = args.iter().map(|a| a.chars().take(20).collect()).collect();
        let plain = mallbots(&args);
        assert_eq!(plain.status.code(), Some(2), "{label:?}");
        let stderr = String::from_utf8(plain.stderr).unwrap();
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: usage: "), "{label:?}: {stderr}");
        assert!(first.len() < 1024, "{label:?}: the argument echoed in full");
        assert!(plain.stdout.is_empty(), "{label:?}: stdout without --json");

        let json = mallbots(&[&["--json"], &args[..]].concat());
        assert_eq!(json.status.code(), Some(2), "{label:?}");
        let body: Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(body["code"], "usage", "{label:?}");
        let message = body["message"].as_str().unwrap();
        assert_eq!(first, format!("error: usage: {message}"), "{label:?}");
    }
}

#[test]
fn help_and_version_still_exit_zero() {
    for args in [
        &["--help"][..],
        &["--version"][..],
        &["store", "--help"][..],
    ] {
        let out = mallbots(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

/// One name per setting in every binary: the CLI reads the app's `MALLBOTS__NATS__URL` and
/// `MALLBOTS__DEVICE__ID` (and takes `--nats-url`, `--device-id`); the names of earlier
/// versions are refused with the one that replaced them, not silently ignored.
#[test]
fn the_names_of_earlier_versions_are_refused_naming_their_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let run = |env: (&str, &str), args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mallbots"))
            .current_dir(dir.path())
            .args(["--db", "shop.db"])
            .args(args)
            .env_remove("MALLBOTS__DEVICE__DB")
            .env_remove("MALLBOTS__NATS__URL")
            .env_remove("MALLBOTS__DEVICE__ID")
            .env(env.0, env.1)
            .output()
            .unwrap()
    };
    for (old, new) in [
        ("MALLBOTS_NATS", "MALLBOTS__NATS__URL"),
        ("MALLBOTS_DEVICE", "MALLBOTS__DEVICE__ID"),
    ] {
        let out = run((old, "x"), &["--json", "store", "list"]);
        assert_eq!(out.status.code(), Some(2), "{old}");
        let body: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(body["code"], "config.renamed");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(old) && message.contains(new), "{message}");
    }
    // The new names are read: a device id from MALLBOTS__DEVICE__ID, and --device-id for it.
    let out = run(("MALLBOTS__DEVICE__ID", "k-7"), &["--json", "status"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["device"]["device"], "k-7", "{status}");
    let out = run(
        ("MALLBOTS__NATS__URL", "nats://127.0.0.1:1"),
        &["--json", "--device-id", "k-7", "sync"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("no NATS URL"),
        "MALLBOTS__NATS__URL is the URL: {stdout}"
    );
}
