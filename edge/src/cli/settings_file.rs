//! A settings file for `mallbots` and `mallbots-app`: `--config FILE` (or `MALLBOTS_CONFIG`),
//! TOML with a table per section, the names `mallbots-central` uses too: the variable
//! `MALLBOTS__NATS__URL` is the key `url` of the table `[nats]`.
//!
//! ```toml
//! # kiosk.toml
//! [app]
//! windows = "kiosk"
//! [kiosk]
//! fullscreen = true
//! enrollment = "/home/kiosk/.config/mallbots/kiosk.enrollment.json"
//! idle_secs = 90
//! ```
//!
//! Precedence: flag, then environment variable, then the file, then the default: a key sets its
//! variable only when the variable is unset, before the command line is parsed. A key the binary
//! does not know, or a value that is not a string, number or boolean, is refused naming the file
//! and the key; a value the binary then refuses is reported with the file and key it came from
//! ([`FileSettings::explain`]). The flat variables of earlier versions (`MALLBOTS_NATS_URL`) are
//! refused naming their replacement ([`renamed_variable`]). docs/settings.md lists every key.

use clap::Command;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable naming the settings file when `--config` is not given.
pub const CONFIG_ENV: &str = "MALLBOTS_CONFIG";
const PREFIX: &str = "MALLBOTS__";

/// Variables of earlier versions and the names that replaced them (one name for one setting in
/// every binary).
pub const RENAMED_ENV: &[(&str, &str)] = &[
    ("MALLBOTS_NATS", "MALLBOTS__NATS__URL"),
    ("MALLBOTS_NATS_URL", "MALLBOTS__NATS__URL"),
    ("MALLBOTS_NATS_CA", "MALLBOTS__NATS__TLS_CA"),
    ("MALLBOTS_NATS_CREDS", "MALLBOTS__NATS__CREDENTIALS_FILE"),
    ("MALLBOTS_DEVICE", "MALLBOTS__DEVICE__ID"),
    ("MALLBOTS_DEVICE_ID", "MALLBOTS__DEVICE__ID"),
    ("MALLBOTS_DB", "MALLBOTS__DEVICE__DB"),
    ("MALLBOTS_ENROLLMENT", "MALLBOTS__DEVICE__ENROLLMENT"),
    ("MALLBOTS_USER", "MALLBOTS__DEVICE__USER"),
    ("MALLBOTS_SUBJECT_ROOT", "MALLBOTS__TOPOLOGY__SUBJECT_ROOT"),
    ("MALLBOTS_IDLE_CART_MS", "MALLBOTS__KIOSK__IDLE_CART_MS"),
    ("MALLBOTS_METRICS_LISTEN", "MALLBOTS__METRICS__LISTEN"),
    ("MALLBOTS_LOG_FORMAT", "MALLBOTS__LOG__FORMAT"),
    ("MALLBOTS_WINDOWS", "MALLBOTS__APP__WINDOWS"),
    ("MALLBOTS_DEMO", "MALLBOTS__APP__DEMO"),
    ("MALLBOTS_KIOSK_DB", "MALLBOTS__KIOSK__DB"),
    ("MALLBOTS_KIOSK_ENROLLMENT", "MALLBOTS__KIOSK__ENROLLMENT"),
    ("MALLBOTS_KIOSK_IDLE_SECS", "MALLBOTS__KIOSK__IDLE_SECS"),
    ("MALLBOTS_FULLSCREEN", "MALLBOTS__KIOSK__FULLSCREEN"),
    ("MALLBOTS_MANAGER_DB", "MALLBOTS__MANAGER__DB"),
    (
        "MALLBOTS_MANAGER_ENROLLMENT",
        "MALLBOTS__MANAGER__ENROLLMENT",
    ),
    ("MALLBOTS_MANAGER_USER", "MALLBOTS__MANAGER__USER"),
    ("MALLBOTS_MANAGER_PASSWORD", "MALLBOTS__MANAGER__PASSWORD"),
    (
        "MALLBOTS_MANAGER_PASSWORD_HASH",
        "MALLBOTS__MANAGER__PASSWORD_HASH",
    ),
    (
        "MALLBOTS_SIGN_IN_MAX_FAILURES",
        "MALLBOTS__MANAGER__SIGN_IN_MAX_FAILURES",
    ),
    (
        "MALLBOTS_SIGN_IN_LOCKOUT_SECS",
        "MALLBOTS__MANAGER__SIGN_IN_LOCKOUT_SECS",
    ),
    ("MALLBOTS_TIME_ZONE", "MALLBOTS__MALL__TIME_ZONE"),
    ("MALLBOTS_CURRENCY", "MALLBOTS__MALL__CURRENCY"),
    ("MALLBOTS_PHONE_FORMAT", "MALLBOTS__MALL__PHONE_FORMAT"),
    (
        "MALLBOTS_SYNC_CREATE_CONSUMERS",
        "MALLBOTS__SYNC__CREATE_CONSUMERS",
    ),
];

/// The first variable of an earlier version that is set, as `"OLD is no longer read: set NEW
/// instead"`: running without it would quietly do something else than meant.
pub fn renamed_variable() -> Option<String> {
    let (old, new) = RENAMED_ENV
        .iter()
        .find(|(old, _)| std::env::var_os(old).is_some())?;
    Some(format!("{old} is no longer read: set {new} instead"))
}

/// The file key of `variable`: `MALLBOTS__NATS__URL` is `nats.url`.
pub fn file_key(variable: &str) -> String {
    variable
        .strip_prefix(PREFIX)
        .unwrap_or(variable)
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(".")
}

/// What a settings file set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// The file.
    pub path: PathBuf,
    /// `(key, variable)` of each setting the file supplied (variables already set win).
    pub applied: Vec<(String, String)>,
}

impl FileSettings {
    /// A note for an error about the command line: which file and keys supplied values.
    pub fn explain(&self) -> String {
        if self.applied.is_empty() {
            return String::new();
        }
        let keys: Vec<&str> = self.applied.iter().map(|(k, _)| k.as_str()).collect();
        format!(
            "\nnote: settings file {} supplied: {}",
            self.path.display(),
            keys.join(", ")
        )
    }
}

/// Every environment variable `command` (and its subcommands) reads.
fn known_variables(command: &Command) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = command
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect();
    for sub in command.get_subcommands() {
        out.extend(known_variables(sub));
    }
    out
}

/// The `--config FILE` of `args` (also `--config=FILE`), else `MALLBOTS_CONFIG`.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if text == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV).map(PathBuf::from)
}

fn refused(path: &Path, reason: impl std::fmt::Display) -> String {
    format!("settings file {}: {reason}", path.display())
}

/// The variables `text` (the file at `path`) sets for `command`: `(key, variable, value)`.
pub fn parse(
    command: &Command,
    path: &Path,
    text: &str,
) -> Result<Vec<(String, String, String)>, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| refused(path, e))?;
    let known = known_variables(command);
    let mut entries = Vec::new();
    for (key, value) in table {
        match value {
            toml::Value::Table(section) => {
                entries.extend(section.into_iter().map(|(k, v)| (format!("{key}.{k}"), v)))
            }
            value => entries.push((key, value)),
        }
    }
    let mut out = Vec::new();
    for (key, value) in entries {
        let variable = format!("{PREFIX}{}", key.replace('.', "__").to_ascii_uppercase());
        if !known.contains(&variable) {
            let keys: Vec<String> = known
                .iter()
                .filter(|v| v.as_str() != CONFIG_ENV)
                .map(|v| file_key(v))
                .collect();
            return Err(refused(
                path,
                format!(
                    "unknown key `{key}` (this program reads: {})",
                    keys.join(", ")
                ),
            ));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(refused(
                    path,
                    format!(
                        "`{key}` is a {}: give a string, number or boolean",
                        other.type_str()
                    ),
                ))
            }
        };
        out.push((key, variable, value));
    }
    Ok(out)
}

/// Reads the settings file named by `args` (or `MALLBOTS_CONFIG`), if any, and sets the
/// variables it supplies that are not set already. Call before parsing `args`, while the
/// process has one thread.
pub fn apply(command: &Command, args: &[OsString]) -> Result<Option<FileSettings>, String> {
    let Some(path) = config_path(args) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| refused(&path, e))?;
    let mut applied = Vec::new();
    for (key, variable, value) in parse(command, &path, &text)? {
        if std::env::var_os(&variable).is_none() {
            std::env::set_var(&variable, value);
            applied.push((key, variable));
        }
    }
    Ok(Some(FileSettings { path, applied }))
}

/// The settings `command` reads, as a Markdown table (file key, variable, flag, meaning): the
/// reference in docs/settings.md, kept current by tests.
pub fn reference(command: &Command) -> String {
    let mut rows: std::collections::BTreeMap<String, (String, String)> = Default::default();
    let mut visit = |cmd: &Command, prefix: &str| {
        for arg in cmd.get_arguments() {
            let Some(env) = arg.get_env() else { continue };
            let env = env.to_string_lossy().into_owned();
            let flag = arg
                .get_long()
                .map(|l| format!("{prefix}--{l}"))
                .unwrap_or_default();
            let help = arg
                .get_help()
                .map(|h| h.to_string().replace('\n', " ").replace('|', "\\|"))
                .unwrap_or_default();
            rows.entry(env).or_insert((flag, help));
        }
    };
    visit(command, "");
    for sub in command.get_subcommands() {
        visit(sub, &format!("{} ", sub.get_name()));
        for nested in sub.get_subcommands() {
            visit(
                nested,
                &format!("{} {} ", sub.get_name(), nested.get_name()),
            );
        }
    }
    let mut out = String::from("| file key | variable | flag | meaning |\n|---|---|---|---|\n");
    for (env, (flag, help)) in rows {
        let key = if env == CONFIG_ENV {
            "–".to_owned()
        } else {
            format!("`{}`", file_key(&env))
        };
        out.push_str(&format!("| {key} | `{env}` | `{flag}` | {help} |\n"));
    }
    out
}

/// `doc` with the text between `<!-- {marker}:begin -->` and `<!-- {marker}:end -->` replaced
/// by `body` (`None` when the markers are missing).
pub fn replace_section(doc: &str, marker: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- {marker}:begin -->\n");
    let end = format!("<!-- {marker}:end -->");
    let start = doc.find(&begin)? + begin.len();
    let stop = doc[start..].find(&end)? + start;
    Some(format!("{}{body}{}", &doc[..start], &doc[stop..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn command() -> Command {
        Command::new("t")
            .arg(Arg::new("config").long("config").env(CONFIG_ENV))
            .arg(
                Arg::new("nats-url")
                    .long("nats-url")
                    .env("MALLBOTS__NATS__URL"),
            )
            .arg(
                Arg::new("fullscreen")
                    .long("fullscreen")
                    .env("MALLBOTS__KIOSK__FULLSCREEN")
                    .action(ArgAction::SetTrue),
            )
            .subcommand(
                Command::new("sync").arg(
                    Arg::new("m")
                        .long("metrics")
                        .env("MALLBOTS__METRICS__LISTEN"),
                ),
            )
    }

    #[test]
    fn a_table_per_section_names_the_variables() {
        let set = parse(
            &command(),
            Path::new("k.toml"),
            "[nats]\nurl = \"nats://x:4222\"\n[kiosk]\nfullscreen = true\n[metrics]\nlisten = \"127.0.0.1:9464\"\n",
        )
        .unwrap();
        assert_eq!(
            set,
            [
                (
                    "kiosk.fullscreen".into(),
                    "MALLBOTS__KIOSK__FULLSCREEN".into(),
                    "true".into()
                ),
                (
                    "metrics.listen".into(),
                    "MALLBOTS__METRICS__LISTEN".into(),
                    "127.0.0.1:9464".into()
                ),
                (
                    "nats.url".into(),
                    "MALLBOTS__NATS__URL".into(),
                    "nats://x:4222".into()
                ),
            ]
        );
        assert_eq!(file_key("MALLBOTS__NATS__TLS_CA"), "nats.tls_ca");
    }

    #[test]
    fn unknown_keys_and_tables_are_refused_naming_the_file() {
        let err = parse(&command(), Path::new("k.toml"), "nats_url = \"x\"").unwrap_err();
        assert!(
            err.starts_with("settings file k.toml: unknown key `nats_url`"),
            "{err}"
        );
        assert!(err.contains("nats.url"), "{err}");
        let err = parse(
            &command(),
            Path::new("k.toml"),
            "[nats]\nurl = 1\nca = \"x\"",
        )
        .unwrap_err();
        assert!(err.contains("unknown key `nats.ca`"), "{err}");
        let err = parse(&command(), Path::new("k.toml"), "[nats.url]\na = 1").unwrap_err();
        assert!(err.contains("`nats.url` is a table"), "{err}");
        let err = parse(&command(), Path::new("k.toml"), "[nats]\nurl = ").unwrap_err();
        assert!(err.starts_with("settings file k.toml:"), "{err}");
    }

    #[test]
    fn the_cli_settings_reference_in_the_docs_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/settings.md");
        let doc = std::fs::read_to_string(&path).expect("docs/settings.md");
        let table = reference(&<crate::cli::args::Cli as clap::CommandFactory>::command());
        let current = replace_section(&doc, "mallbots", &table).expect("the mallbots markers");
        if std::env::var_os("UPDATE_SETTINGS_DOC").is_some() {
            std::fs::write(&path, current).unwrap();
        } else {
            assert!(
                current == doc,
                "docs/settings.md is out of date: UPDATE_SETTINGS_DOC=1 cargo test -p mallbots-edge settings_reference"
            );
        }
    }

    #[test]
    fn the_path_comes_from_the_flag_first() {
        let args: Vec<OsString> = ["t", "--config", "a.toml"].map(Into::into).to_vec();
        assert_eq!(config_path(&args), Some(PathBuf::from("a.toml")));
        let args: Vec<OsString> = ["t", "--config=b.toml"].map(Into::into).to_vec();
        assert_eq!(config_path(&args), Some(PathBuf::from("b.toml")));
    }
}
