//! The `mallbots` command line: parses arguments ([`args`]), opens the [`Edge`], runs one use
//! case or query and prints it ([`render`] for text, the views as JSON with `--json`).
//!
//! `sync` and `status` are delegated to [`sync`] (owned by the sync engine).
//!
//! Arguments the grammar refuses (an unknown flag, a number that does not fit, a missing value)
//! are reported like every other error, with the code `usage` and exit code 2:
//! `error: usage: <message>` on stderr (clap's hints follow on the next lines) and, with
//! `--json`, `{"code": "usage", "message": ..}` on stdout. `--help` and `--version` print as
//! usual and exit 0.

pub mod args;
pub mod render;
pub mod run;
pub mod sync;

use crate::{Edge, EdgeConfig, EdgeError};
use args::Cli;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// What a command produced: JSON for `--json`, text otherwise.
#[derive(Debug)]
pub struct Outcome {
    /// The stable JSON document.
    pub json: serde_json::Value,
    /// The human-readable text.
    pub text: String,
}

impl Outcome {
    /// An outcome from a serializable view and its text.
    pub fn new(view: &impl serde::Serialize, text: String) -> Result<Self, EdgeError> {
        let json =
            serde_json::to_value(view).map_err(|e| EdgeError::invalid("output", e.to_string()))?;
        Ok(Self { json, text })
    }
}

/// Parses a typed id, or `invalid_input` naming the argument (quoting at most 64 characters).
pub fn parse_id<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, EdgeError> {
    text.trim().parse().map_err(|_| {
        let mut shown: String = text.chars().take(64).collect();
        if text.chars().nth(64).is_some() {
            shown.push('…');
        }
        EdgeError::invalid(what, format!("`{shown}` is not a valid id"))
    })
}

fn config(cli: &Cli) -> EdgeConfig {
    EdgeConfig {
        device_id: cli.device.clone(),
        subject_root: cli.subject_root.clone(),
        idle_cart_ms: cli.idle_cart_ms,
        user: cli.user.clone(),
        ..EdgeConfig::default()
    }
}

/// The longest message echoed back for a refused argument (an argument may be 100 KiB).
const MAX_USAGE_MESSAGE_CHARS: usize = 300;

/// A parser refusal as `(message, hints)`: clap's first line without its `error: ` prefix,
/// capped at [`MAX_USAGE_MESSAGE_CHARS`], and the rest of its rendering.
pub fn usage_message(err: &clap::Error) -> (String, String) {
    let rendered = err.render().to_string();
    let (first, rest) = rendered.split_once('\n').unwrap_or((&rendered, ""));
    let first = first.trim();
    let first = first.strip_prefix("error:").unwrap_or(first).trim();
    let mut message: String = first.chars().take(MAX_USAGE_MESSAGE_CHARS).collect();
    if first.chars().nth(MAX_USAGE_MESSAGE_CHARS).is_some() {
        message.push('…');
    }
    if message.is_empty() {
        message = "invalid arguments".into();
    }
    (message, rest.trim().to_owned())
}

/// Whether `--json` was given (read from the raw arguments when the parser refused them).
fn wants_json(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// Reports a parser refusal: help and version print and exit 0, anything else is `usage`.
fn refuse_usage(err: &clap::Error, json: bool) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let (message, hints) = usage_message(err);
    if json {
        let body = serde_json::json!({"code": "usage", "message": message});
        let _ = writeln!(std::io::stdout().lock(), "{body}");
    }
    eprintln!("error: usage: {message}");
    if !hints.is_empty() {
        eprintln!("{hints}");
    }
    ExitCode::from(2)
}

/// Runs the CLI with the process arguments; the binary's `main`.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return refuse_usage(&err, wants_json(&args)),
    };
    let json = cli.json;
    let result = Edge::open(&cli.db, config(&cli)).and_then(|edge| run::run(&edge, cli.command));
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(outcome) => {
            let text = if json {
                outcome.json.to_string()
            } else {
                outcome.text
            };
            if !text.is_empty() {
                let _ = writeln!(stdout, "{text}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            if json {
                let body = serde_json::to_string(&err).unwrap_or_default();
                let _ = writeln!(stdout, "{body}");
            }
            eprintln!("error: {}: {}", err.code(), err);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod depot_tests;
#[cfg(test)]
mod orders_tests;
#[cfg(test)]
mod usage_tests;
