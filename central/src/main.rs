//! `mallbots-central`: runs a central replica (default), or operates the dead-letter queue
//! (`dlq list`, `dlq replay SEQ`). Settings: defaults → `--config FILE` (JSON) → `MALLBOTS__…`
//! environment → flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use mallbots_central::config::Settings;
use mallbots_central::dlq::DeadLetters;
use mallbots_central::error::CentralError;
use mallbots_central::metrics::Metrics;
use mallbots_central::publish::Publisher;
use mallbots_central::roles::Role;
use mallbots_central::service::{self, connect};
use mallbots_central::telemetry::init_telemetry;
use mallbots_central::topology::Topology;
use mallbots_domain::error::ErrorCode;

#[derive(Debug, Parser)]
#[command(name = "mallbots-central", version, about = "MallBots central service")]
struct Cli {
    /// JSON settings file (layered over the defaults, under the environment).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// NATS URL(s), comma-separated.
    #[arg(long, global = true)]
    nats: Option<String>,
    /// Roles to run: saga,payments,depot,notifications,bots-sim (all by default).
    #[arg(long, global = true)]
    roles: Option<String>,
    /// HTTP listen address, e.g. 127.0.0.1:0.
    #[arg(long, global = true)]
    http: Option<SocketAddr>,
    /// Subject root (default `mallbots`).
    #[arg(long, global = true)]
    subject_root: Option<String>,
    /// Prefix of stream and bucket names.
    #[arg(long, global = true)]
    stream_prefix: Option<String>,
    /// Stream replicas (1, or 3 on a cluster).
    #[arg(long, global = true)]
    replicas: Option<usize>,
    /// NATS credentials file.
    #[arg(long, global = true)]
    creds: Option<PathBuf>,
    /// Msg-id de-duplication window in milliseconds.
    #[arg(long, global = true)]
    duplicate_window_ms: Option<u64>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a replica (the default).
    Run,
    /// Operate the dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Enroll a device: create its durable consumers with fixed filters (prints them as JSON).
    Enroll {
        /// The device id (the token in its subjects and consumer names).
        #[arg(long)]
        device: String,
        /// `kiosk` or `manager`.
        #[arg(long, default_value = "kiosk")]
        role: String,
        /// A manager's store ids (repeat the flag).
        #[arg(long = "store")]
        stores: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum DlqAction {
    /// Print entries as JSON.
    List {
        /// First DLQ sequence.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Maximum entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Re-publish entry SEQ to its original subject and delete it.
    Replay {
        /// DLQ stream sequence.
        seq: u64,
    },
}

impl Cli {
    fn settings(&self) -> Result<Settings, CentralError> {
        let mut s = Settings::load(self.config.as_deref(), std::env::vars())?;
        if let Some(url) = &self.nats {
            s.nats.url = url.clone();
        }
        if let Some(roles) = &self.roles {
            s.roles = Role::parse_list(roles)?;
        }
        if let Some(addr) = self.http {
            s.http.listen = addr;
        }
        if let Some(root) = &self.subject_root {
            s.topology.subject_root = root.clone();
        }
        if let Some(prefix) = &self.stream_prefix {
            s.topology.stream_prefix = prefix.clone();
        }
        if let Some(replicas) = self.replicas {
            s.topology.replicas = replicas;
        }
        if let Some(creds) = &self.creds {
            s.nats.credentials_file = Some(creds.clone());
        }
        if let Some(ms) = self.duplicate_window_ms {
            s.topology.duplicate_window_ms = ms;
        }
        s.validate()?;
        Ok(s)
    }
}

async fn enroll_device(
    settings: &Settings,
    device: &str,
    role: &str,
    stores: &[String],
) -> Result<String, String> {
    let role = mallbots_central::enrollment::parse_role(role, stores.to_vec())
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let client = connect(settings).await.map_err(|e| e.to_string())?;
    let js = async_nats::jetstream::new(client);
    let topology = Topology::from_settings(&settings.topology);
    let enrolled = mallbots_central::enrollment::enroll(&js, &topology, device, &role)
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    serde_json::to_string_pretty(&enrolled).map_err(|e| e.to_string())
}

async fn dlq(settings: &Settings, action: &DlqAction) -> Result<String, String> {
    let client = connect(settings).await.map_err(|e| e.to_string())?;
    let js = async_nats::jetstream::new(client);
    let metrics = Arc::new(Metrics::new());
    let topology = Topology::from_settings(&settings.topology);
    let publisher = Publisher::new(js.clone(), topology, metrics.clone());
    let dead_letters = DeadLetters::new(js, publisher, metrics);
    let json = match action {
        DlqAction::List { from, limit } => dead_letters
            .list(*from, *limit)
            .await
            .map(|e| serde_json::to_string_pretty(&e))
            .map_err(|e| format!("{}: {e}", e.code()))?,
        DlqAction::Replay { seq } => dead_letters
            .replay(*seq)
            .await
            .map(|p| {
                serde_json::to_string(&serde_json::json!({"seq": seq, "sequence": p.sequence, "duplicate": p.duplicate}))
            })
            .map_err(|e| format!("{}: {e}", e.code()))?,
    };
    json.map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    init_telemetry();
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    match &cli.command {
        None | Some(Command::Run) => {
            let listener = match tokio::net::TcpListener::bind(settings.http.listen).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!(
                        "central.http: cannot listen on {}: {e}",
                        settings.http.listen
                    );
                    return ExitCode::FAILURE;
                }
            };
            match service::run(
                settings,
                listener,
                mallbots_central::app::setup,
                service::shutdown_signal(),
            )
            .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{}: {e}", e.code());
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Enroll {
            device,
            role,
            stores,
        }) => match enroll_device(&settings, device, role, stores).await {
            Ok(out) => {
                println!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Dlq { action }) => match dlq(&settings, action).await {
            Ok(out) => {
                println!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}
