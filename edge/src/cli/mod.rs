//! The `mallbots` command line: parses arguments ([`args`]), opens the [`Edge`], runs one use
//! case or query and prints it ([`render`] for text, the views as JSON with `--json`).
//!
//! `sync` and `status` are delegated to [`sync`] (owned by the sync engine).

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

/// Parses a typed id, or `invalid_input` naming the argument.
pub fn parse_id<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, EdgeError> {
    text.trim()
        .parse()
        .map_err(|_| EdgeError::invalid(what, format!("`{text}` is not a valid id")))
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

/// Runs the CLI with the process arguments; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
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
