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
        .env_remove("MALLBOTS_DB")
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
