//! A settings file for `mallbots` and `mallbots-app`: `--config FILE` (or `MALLBOTS_CONFIG`),
//! TOML whose keys are the binary's environment variables without `MALLBOTS_`, in lower case:
//!
//! ```toml
//! # kiosk.toml
//! windows = "kiosk"
//! fullscreen = true
//! enrollment = "/home/kiosk/.config/mallbots/kiosk.enrollment.json"
//! kiosk_idle_secs = 90
//! ```
//!
//! Precedence: flag, then environment variable, then the file, then the default: a key sets its
//! variable only when the variable is unset, before the command line is parsed. A key the binary
//! does not know, or a value that is not a string, number or boolean, is refused naming the file
//! and the key; a value the binary then refuses is reported with the file and key it came from
//! ([`FileSettings::explain`]). docs/settings.md lists every key.

use clap::Command;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable naming the settings file when `--config` is not given.
pub const CONFIG_ENV: &str = "MALLBOTS_CONFIG";
const PREFIX: &str = "MALLBOTS_";

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
    let mut out = Vec::new();
    for (key, value) in table {
        let variable = format!("{PREFIX}{}", key.to_ascii_uppercase());
        if key == "config" || !known.contains(&variable) {
            let keys: Vec<String> = known
                .iter()
                .filter(|v| v.as_str() != CONFIG_ENV)
                .map(|v| v[PREFIX.len()..].to_ascii_lowercase())
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
        let key = env[PREFIX.len()..].to_ascii_lowercase();
        let key = if env == CONFIG_ENV {
            "–".to_owned()
        } else {
            format!("`{key}`")
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
                    .env("MALLBOTS_NATS_URL"),
            )
            .arg(
                Arg::new("fullscreen")
                    .long("fullscreen")
                    .env("MALLBOTS_FULLSCREEN")
                    .action(ArgAction::SetTrue),
            )
            .subcommand(
                Command::new("sync")
                    .arg(Arg::new("m").long("metrics").env("MALLBOTS_METRICS_LISTEN")),
            )
    }

    #[test]
    fn keys_are_the_variables_without_the_prefix() {
        let set = parse(
            &command(),
            Path::new("k.toml"),
            "nats_url = \"nats://x:4222\"\nfullscreen = true\nmetrics_listen = \"127.0.0.1:9464\"\n",
        )
        .unwrap();
        assert_eq!(
            set,
            [
                (
                    "fullscreen".into(),
                    "MALLBOTS_FULLSCREEN".into(),
                    "true".into()
                ),
                (
                    "metrics_listen".into(),
                    "MALLBOTS_METRICS_LISTEN".into(),
                    "127.0.0.1:9464".into()
                ),
                (
                    "nats_url".into(),
                    "MALLBOTS_NATS_URL".into(),
                    "nats://x:4222".into()
                ),
            ]
        );
    }

    #[test]
    fn unknown_keys_and_tables_are_refused_naming_the_file() {
        let err = parse(&command(), Path::new("k.toml"), "nats = \"x\"").unwrap_err();
        assert!(
            err.starts_with("settings file k.toml: unknown key `nats`"),
            "{err}"
        );
        assert!(err.contains("nats_url"), "{err}");
        let err = parse(&command(), Path::new("k.toml"), "[nats_url]\na = 1").unwrap_err();
        assert!(err.contains("`nats_url` is a table"), "{err}");
        let err = parse(&command(), Path::new("k.toml"), "nats_url = ").unwrap_err();
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
