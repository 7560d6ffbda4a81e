//! The `mallbots` command line: parses arguments ([`args`]), opens the [`Edge`], runs one use
//! case or query and prints it ([`render`] for text, the views as JSON with `--json`).
//!
//! The database's device ([`crate::DeviceIdentity`], `mallbots device init`) decides the
//! device id, subject root and role of every command ([`resolve`]); `--device` and
//! `--subject-root` are for a database without one, and a mismatch is `device.mismatch`.
//! Read-only verbs ([`read_only`]) open the database read-only, so they work while another
//! process (the app, `sync --watch`) is its writer; a second writer gets `edge.database_in_use`.
//!
//! `sync` and `status` are in [`sync`], `device` in [`device`].
//!
//! Arguments the grammar refuses (an unknown flag, a number that does not fit, a missing value)
//! are reported like every other error, with the code `usage` and exit code 2:
//! `error: usage: <message>` on stderr (clap's hints follow on the next lines) and, with
//! `--json`, `{"code": "usage", "message": ..}` on stdout. `--help` and `--version` print as
//! usual and exit 0.

pub mod args;
pub mod device;
pub mod metrics;
pub mod progress;
pub mod render;
pub mod run;
pub mod settings_file;
pub mod sync;

use crate::device::Enrollment;
use crate::{Access, Edge, EdgeConfig, EdgeError};
use args::{Cli, Command};
use clap::Parser;
use device::DeviceCmd;
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

/// Whether a verb only reads: it opens the database read-only ([`Access::ReadOnly`]), so it
/// works while another process writes. Anything not listed here opens as the writer.
pub fn read_only(command: &Command) -> bool {
    use args::{CartCmd, CustomerCmd, DepotCmd, OrderCmd, StoreCmd};
    matches!(
        command,
        Command::Status(_)
            | Command::Device(DeviceCmd::Show)
            | Command::Store(StoreCmd::Show { .. } | StoreCmd::List)
            | Command::Catalog { .. }
            | Command::Customer(CustomerCmd::Show { .. })
            | Command::Cart(CartCmd::Show { .. })
            | Command::Order(OrderCmd::Show { .. })
            | Command::Orders { .. }
            | Command::Depot(DepotCmd::Bots | DepotCmd::Lists { .. })
            | Command::Sales { .. }
            | Command::Export { .. }
    )
}

/// The configuration and access a command opens the edge with: the device id and subject root
/// from the flags, else the identity this command brings (`device init`, `sync --enrollment`
/// on a database without one), else the database's stored identity, else `local` /
/// `mallbots`.
pub fn resolve(cli: &Cli) -> Result<(EdgeConfig, Access), EdgeError> {
    let stored = crate::device::stored_identity(&cli.db)?;
    let stored_root = stored.as_ref().map(|d| d.subject_root.clone());
    let implied = match &cli.command {
        Command::Device(DeviceCmd::Init(args)) => {
            let root = cli
                .subject_root
                .clone()
                .or(stored_root)
                .unwrap_or_else(|| "mallbots".to_owned());
            Some(args.identity(&root)?)
        }
        Command::Sync(args) if stored.is_none() => args
            .enrollment
            .as_ref()
            .map(|path| Enrollment::load(path).map(|e| e.identity(path)))
            .transpose()?,
        _ => None,
    };
    let base = implied.as_ref().or(stored.as_ref());
    if let (Some(asked), Some(implied)) = (&cli.device, &implied) {
        if asked != &implied.device_id {
            return Err(EdgeError::refused(
                "device.mismatch",
                format!(
                    "--device {asked} does not match the device `{}` being initialized",
                    implied.device_id
                ),
            ));
        }
    }
    let config = EdgeConfig {
        device_id: cli
            .device
            .clone()
            .or_else(|| base.map(|d| d.device_id.clone()))
            .unwrap_or_else(|| EdgeConfig::default().device_id),
        subject_root: cli
            .subject_root
            .clone()
            .or_else(|| base.map(|d| d.subject_root.clone()))
            .unwrap_or_else(|| EdgeConfig::default().subject_root),
        role: base.map(|d| d.role).unwrap_or_default(),
        idle_cart_ms: cli.idle_cart_ms,
        user: cli.user.clone(),
        ..EdgeConfig::default()
    };
    let access = if read_only(&cli.command) {
        Access::ReadOnly
    } else {
        Access::Write
    };
    Ok((config, access))
}

/// Opens the edge for `cli` ([`resolve`]).
pub fn open(cli: &Cli) -> Result<Edge, EdgeError> {
    let (config, access) = resolve(cli)?;
    Edge::open_with_access(
        &cli.db,
        config,
        std::sync::Arc::new(crate::SystemClock),
        access,
    )
}

/// The longest message echoed back for a refused argument (an argument may be 100 KiB).
const MAX_USAGE_MESSAGE_CHARS: usize = 300;

/// A parser refusal as `(message, hints)`: clap's first line without its `error: ` prefix,
/// capped at [`MAX_USAGE_MESSAGE_CHARS`], and the rest of its rendering.
pub fn usage_message(err: &clap::Error) -> (String, String) {
    let rendered = err.render().to_string();
    let (first, mut rest) = rendered.split_once('\n').unwrap_or((&rendered, ""));
    let first = first.trim();
    let first = first.strip_prefix("error:").unwrap_or(first).trim();
    // "the following required arguments were not provided:" lists them on the next lines:
    // the message names them.
    let mut first = first.to_owned();
    if first.ends_with(':') {
        let mut named = Vec::new();
        while let Some((line, more)) = rest.split_once('\n').or(Some((rest, ""))) {
            if line.trim().is_empty() || !line.starts_with(' ') {
                break;
            }
            named.push(line.trim().to_owned());
            rest = more;
            if more.is_empty() {
                break;
            }
        }
        if !named.is_empty() {
            first = format!("{first} {}", named.join(", "));
        }
    }
    let first = first.as_str();
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

/// Logs to stderr for the long-running `sync --watch` (connection state, reconnects, refused
/// rows; `info` unless `RUST_LOG` says otherwise) and for any command when `RUST_LOG` is set;
/// one JSON object per line with `MALLBOTS__LOG__FORMAT=json`.
/// One-shot commands otherwise print only their outcome, so their first stderr line is the
/// `error: <code>: …` scripts read.
fn install_logging(command: &Command, format: LogFormat) {
    let watching = matches!(command, Command::Sync(args) if args.watch);
    if !watching && std::env::var_os("RUST_LOG").is_none() {
        return;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,async_nats=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == LogFormat::Json {
        logs.json().try_init()
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
}

/// A settings file that cannot be used: `config.file`, exit 2.
fn refuse_settings_file(message: &str, json: bool) -> ExitCode {
    if json {
        let body = serde_json::json!({"code": "config.file", "message": message});
        let _ = writeln!(std::io::stdout().lock(), "{body}");
    }
    eprintln!("error: config.file: {message}");
    ExitCode::from(2)
}

/// Refuses a variable of an earlier version (`config.renamed`, exit 2): it is no longer read,
/// and running without it would quietly do something else than meant.
fn refuse_renamed(json: bool) -> Option<ExitCode> {
    let message = settings_file::renamed_variable()?;
    if json {
        let body = serde_json::json!({"code": "config.renamed", "message": message});
        let _ = writeln!(std::io::stdout().lock(), "{body}");
    }
    eprintln!("error: config.renamed: {message}");
    Some(ExitCode::from(2))
}

/// How log lines are written (`--log-format`, `MALLBOTS__LOG__FORMAT`, `[log] format`; the
/// same setting in `mallbots-central`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for a log collector).
    Json,
}

/// Runs the CLI with the process arguments; the binary's `main`.
pub fn main() -> ExitCode {
    mallbots_wire::tls::install_crypto_provider();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let file = match settings_file::apply(&<Cli as clap::CommandFactory>::command(), &args) {
        Ok(file) => file,
        Err(message) => return refuse_settings_file(&message, wants_json(&args)),
    };
    if let Some(refused) = refuse_renamed(wants_json(&args)) {
        return refused;
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = refuse_usage(&err, wants_json(&args));
            if let Some(file) = &file {
                eprintln!("{}", file.explain().trim_start());
            }
            return code;
        }
    };
    let json = cli.json;
    install_logging(&cli.command, cli.log_format);
    let result = open(&cli).and_then(|edge| run::run(&edge, cli.command));
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
