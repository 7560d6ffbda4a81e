//! The settings file of `mallbots` and `mallbots-app` (`--config FILE` or `MALLBOTS_CONFIG`),
//! as a user writes one: a table per section, as `mallbots-central`'s (`MALLBOTS__NATS__URL` is
//! `url` in `[nats]`); the flat variables of earlier versions are refused; flags and
//! variables win over the file; an unknown key is refused naming the file and the key
//! (`config.file`, exit 2); a value the program refuses names the file that supplied it.

use mallbots_tests::procs::{binary, APP, EDGE_CLI};
use std::path::Path;
use std::process::{Command, Output};

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary(program).expect("cargo build --workspace --bins"));
    cmd.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("MALLBOTS") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("not JSON: {out:?}"))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_cli_reads_its_settings_file_under_flags_and_variables() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db").display().to_string();
    let file = write(
        dir.path(),
        "kiosk.toml",
        &format!("[device]\ndb = \"{db}\"\nid = \"k9\"\n[topology]\nsubject_root = \"mall2\"\n"),
    );
    let out = run(
        EDGE_CLI,
        &[
            "--config", &file, "--json", "device", "init", "--id", "k9", "--role", "kiosk",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(Path::new(&db).exists(), "the file's db was used");
    let shown = json(&run(
        EDGE_CLI,
        &["--json", "device", "show"],
        &[("MALLBOTS_CONFIG", &file)],
    ));
    assert_eq!(shown["device"], "k9", "{shown}");
    assert_eq!(shown["subject_root"], "mall2", "{shown}");

    // A variable wins over the file, a flag over both: another database, no device in it.
    assert_eq!(shown["initialized"], true, "{shown}");
    let other = dir.path().join("other.db").display().to_string();
    let by_variable = json(&run(
        EDGE_CLI,
        &["--config", &file, "--json", "device", "show"],
        &[("MALLBOTS__DEVICE__DB", &other)],
    ));
    assert_eq!(by_variable["initialized"], false, "{by_variable}");
    let third = dir.path().join("third.db").display().to_string();
    let by_flag = json(&run(
        EDGE_CLI,
        &[
            "--config", &file, "--db", &third, "--json", "device", "show",
        ],
        &[("MALLBOTS__DEVICE__DB", &other)],
    ));
    assert_eq!(by_flag["initialized"], false, "{by_flag}");
    assert!(Path::new(&third).exists(), "the flag's database was opened");

    // An unknown key: refused before anything runs, naming the file and the key.
    let bad = write(dir.path(), "bad.toml", "nats_url = \"nats://x:4222\"\n");
    let out = run(
        EDGE_CLI,
        &["--config", &bad, "--json", "device", "show"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["code"], "config.file");
    let text = stderr(&out);
    assert!(
        text.contains("bad.toml") && text.contains("unknown key `nats_url`"),
        "{text}"
    );
    assert!(
        text.contains("nats.url") && text.contains("device.db"),
        "the known keys are listed: {text}"
    );

    // A value the program refuses: the usage error says which file supplied what.
    let odd = write(
        dir.path(),
        "odd.toml",
        &format!("[device]\ndb = \"{db}\"\n[kiosk]\nidle_cart_ms = \"soon\"\n"),
    );
    let out = run(EDGE_CLI, &["--config", &odd, "device", "show"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("soon"), "{text}");
    assert!(
        text.contains("settings file")
            && text.contains("odd.toml")
            && text.contains("kiosk.idle_cart_ms"),
        "{text}"
    );
}

#[test]
fn the_app_refuses_a_settings_file_it_cannot_use_before_opening_a_window() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "app.toml", "[app]\nwindow = \"kiosk\"\n");
    let out = run(APP, &["--config", &bad], &[]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.contains("app.toml")
            && text.contains("unknown key `app.window`")
            && text.contains("app.windows"),
        "{text}"
    );

    let odd = write(dir.path(), "odd.toml", "[app]\nwindows = \"lobby\"\n");
    let out = run(APP, &[], &[("MALLBOTS_CONFIG", &odd)]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.contains("lobby") && text.contains("odd.toml") && text.contains("windows"),
        "{text}"
    );
}

#[test]
fn the_flat_variables_of_earlier_versions_are_refused_naming_their_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db").display().to_string();
    let out = run(
        EDGE_CLI,
        &["--json", "device", "show"],
        &[("MALLBOTS_DB", &db)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(json(&out)["code"], "config.renamed");
    assert!(
        stderr(&out).contains("MALLBOTS_DB is no longer read: set MALLBOTS__DEVICE__DB instead"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&db).exists(), "nothing was opened");

    let out = run(APP, &[], &[("MALLBOTS_KIOSK_IDLE_SECS", "30")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("set MALLBOTS__KIOSK__IDLE_SECS instead"),
        "{}",
        stderr(&out)
    );
}

/// One name for one setting: the NATS URL, the CA and the log format are the same variables
/// (and file keys) for the three binaries, and central starts in an environment that also holds
/// the devices' own sections.
#[test]
fn the_three_binaries_share_the_names_of_shared_settings() {
    let env = [
        ("MALLBOTS__NATS__URL", "nats://shared.example:4999"),
        ("MALLBOTS__LOG__FORMAT", "json"),
        ("MALLBOTS__DEVICE__DB", "/nonexistent/k.db"),
        ("MALLBOTS__KIOSK__IDLE_SECS", "30"),
    ];
    let out = run(mallbots_tests::procs::CENTRAL, &["settings"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("url = \"nats://shared.example:4999\""),
        "{text}"
    );
    assert!(
        text.contains("[log]") && text.contains("format = \"json\""),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "central.toml",
        "[nats]\nurl = \"nats://from-file:4222\"\n[log]\nformat = \"json\"\n",
    );
    let out = run(
        mallbots_tests::procs::CENTRAL,
        &["--config", &file, "settings"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nats://from-file:4222"));
    for program in [EDGE_CLI, APP] {
        let out = run(program, &["--config", &file, "--help"], &[]);
        assert!(
            out.status.success(),
            "{program} reads the same [nats] url and [log] format: {}",
            stderr(&out)
        );
    }
}
