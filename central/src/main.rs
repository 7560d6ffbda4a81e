//! `mallbots-central`: runs a central replica (default), operates the dead-letter queue
//! (`dlq list`, `dlq replay SEQ`), makes the NATS server's authorization (`auth init --dir DIR`)
//! and enrolls devices (`enroll --device ID --role ROLE --auth-dir DIR --out FILE`). Settings: defaults → `--config FILE` (JSON) → `MALLBOTS__…`
//! environment → flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use mallbots_central::platform::config::Settings;
use mallbots_central::platform::dlq::DeadLetters;
use mallbots_central::platform::error::CentralError;
use mallbots_central::platform::metrics::Metrics;
use mallbots_central::platform::publish::Publisher;
use mallbots_central::platform::service::{self, connect};
use mallbots_central::platform::telemetry::init_telemetry;
use mallbots_central::platform::topology::Topology;
use mallbots_central::platform::ServiceRole;
use mallbots_domain::error::ErrorCode;

#[derive(Debug, Parser)]
#[command(name = "mallbots-central", version, about = "MallBots central service")]
struct Cli {
    /// Settings file: TOML (`*.toml`, a table per section: `[nats]`, `[topology]`, …) or
    /// JSON; layered over the defaults, under the `MALLBOTS__SECTION__KEY` variables and flags.
    #[arg(long, global = true, env = "MALLBOTS_CONFIG", value_name = "FILE")]
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
    /// NATS credentials: central's credentials JSON (`auth init`) or a `.creds` file.
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
    /// Print the settings this replica would run with (defaults, file, variables and flags
    /// applied; secrets shown as `[redacted]`), as a TOML settings file.
    Settings,
    /// Operate the dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Enroll a device: create its durable consumers with fixed filters and record it in the
    /// devices bucket; with `--auth-dir`, also issue its NATS user (credentials file `--out`,
    /// mode 0600), re-render DIR/nats-auth.conf and reload the server. Prints JSON (never the
    /// password).
    Enroll {
        /// The device id (the token in its subjects, consumer names and NATS user).
        #[arg(long)]
        device: String,
        /// `kiosk`, `manager` or `depot`.
        #[arg(long, default_value = "kiosk")]
        role: String,
        /// A manager's store ids (repeat the flag).
        #[arg(long = "store", conflicts_with = "all_stores")]
        stores: Vec<String>,
        /// A mall-wide manager (the mall office): every store, present and future, including
        /// stores it creates itself (stores `["*"]`).
        #[arg(long)]
        all_stores: bool,
        /// The auth directory of `auth init` (central's credentials default to DIR/central.json).
        #[arg(long)]
        auth_dir: Option<PathBuf>,
        /// Where to write the device's credentials file (needs --auth-dir).
        #[arg(long, requires = "auth_dir")]
        out: Option<PathBuf>,
        /// The NATS URL written into the credentials file (default: --nats without credentials).
        #[arg(long)]
        nats_url: Option<String>,
        /// Issue a new password even if the device has one (the old one stops working).
        #[arg(long, requires = "auth_dir")]
        rotate: bool,
        /// nats-server process(es) to reload (SIGHUP), besides the pids in DIR/*.pid.
        #[arg(long = "reload-pid")]
        reload_pids: Vec<u32>,
    },
    /// The NATS server's authorization, made by the product.
    Auth {
        #[command(subcommand)]
        action: AuthAction,
    },
}

#[derive(Debug, Subcommand)]
enum AuthAction {
    /// Create the auth directory (0700) with central's user (DIR/central.json, 0600) and render
    /// DIR/nats-auth.conf (bcrypt hashes only). Idempotent: an existing central user is kept.
    Init {
        /// The auth directory.
        #[arg(long)]
        dir: PathBuf,
        /// Account (JWT) auth: an operator and a MALLBOTS account (DIR/accounts.json, nkey
        /// seeds); users are keys whose JWTs carry their rights, so enrolling a device needs no
        /// server reload. The config trusts the operator (memory resolver). A directory that
        /// used passwords switches (its devices must be enrolled again).
        #[arg(long)]
        accounts: bool,
        /// The operator's name (with --accounts, for a new directory).
        #[arg(long, requires = "accounts", default_value = "mallbots")]
        operator: String,
        /// Give central a new password (or key; the old one stops working).
        #[arg(long)]
        rotate: bool,
        /// nats-server process(es) to reload (SIGHUP), besides the pids in DIR/*.pid.
        #[arg(long = "reload-pid")]
        reload_pids: Vec<u32>,
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
            s.roles = ServiceRole::parse_list(roles)?;
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

/// What `enroll` was asked.
struct EnrollArgs<'a> {
    device: &'a str,
    role: &'a str,
    stores: &'a [String],
    auth_dir: Option<&'a PathBuf>,
    out: Option<&'a PathBuf>,
    nats_url: Option<&'a str>,
    rotate: bool,
    reload_pids: &'a [u32],
}

async fn enroll_device(settings: &Settings, args: &EnrollArgs<'_>) -> Result<String, String> {
    use mallbots_central::auth::{self, AuthDir, DeviceIssue};
    use mallbots_central::platform::topology::{Bucket, StreamKind};
    let role = mallbots_central::enrollment::parse_role(args.role, args.stores.to_vec())
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let mut settings = settings.clone();
    if let Some(dir) = args.auth_dir {
        let central = dir.join(auth::CENTRAL_FILE);
        if settings.nats.credentials_file.is_none() && central.is_file() {
            settings.nats.credentials_file = Some(central);
        }
    }
    let client = connect(&settings)
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let js = async_nats::jetstream::new(client);
    let topology = Topology::from_settings(&settings.topology);
    // A fresh installation: create the topology as central would (same settings).
    let stream_name = topology.stream_name(StreamKind::Events);
    if js.get_stream(&stream_name).await.is_err()
        || js
            .get_key_value(topology.bucket_name(Bucket::Devices))
            .await
            .is_err()
    {
        mallbots_central::ensure_topology(&js, &topology, &settings.topology)
            .await
            .map_err(|e| format!("{}: {e}", e.code()))?;
    }
    let enrolled = mallbots_central::enrollment::enroll(&js, &topology, args.device, &role)
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let mut out = serde_json::json!({
        "device": enrolled.device,
        "role": role.name(),
        "stores": role.stores(),
        "consumers": enrolled.consumers,
    });
    let Some(dir) = args.auth_dir else {
        return serde_json::to_string_pretty(&out).map_err(|e| e.to_string());
    };
    let auth_dir = AuthDir::new(dir);
    let default_url = auth::without_userinfo(&settings.nats.url);
    let issued = auth_dir
        .issue_device(&DeviceIssue {
            device: args.device,
            role: &role,
            subject_root: topology.root(),
            stream: &stream_name,
            out: args.out.map(PathBuf::as_path),
            rotate: args.rotate,
            nats_url: Some(args.nats_url.unwrap_or(&default_url)),
        })
        .map_err(|e| format!("{}: {e}", e.code()))?;
    // Under account auth a new key needs no reload: only a revocation changes the config.
    let reloaded = if issued.reload_needed {
        reload(dir, args.reload_pids, false)?
    } else {
        Vec::new()
    };
    if !reloaded.is_empty() || auth_dir.uses_accounts() {
        if let Some(creds) = &issued.credentials {
            let refused = auth::wait_accepted(
                &settings.nats.url,
                settings.nats.tls_ca.as_deref(),
                creds,
                std::time::Duration::from_secs(10),
            )
            .await;
            if !refused.is_empty() {
                return Err(format!(
                    "enrollment.not_accepted: {} was enrolled and its credentials written, but \
                     {} still refuse them after the reload: does the server's config include {}?",
                    args.device,
                    refused.join(", "),
                    auth_dir.config_path().display()
                ));
            }
        }
    }
    out["credentials"] = match (args.out, &issued.credentials) {
        (Some(path), Some(_)) => serde_json::json!(path),
        _ => serde_json::Value::Null,
    };
    out["new_password"] = serde_json::json!(issued.new_password);
    out["auth"] = serde_json::json!(if auth_dir.uses_accounts() {
        "accounts"
    } else {
        "passwords"
    });
    out["config"] = serde_json::json!(auth_dir.config_path());
    out["reloaded"] = serde_json::json!(reloaded);
    serde_json::to_string_pretty(&out).map_err(|e| e.to_string())
}

/// SIGHUPs the servers named by `pids` and DIR/*.pid; returns those signalled. A server that
/// cannot be signalled is reported on stderr; none known is a note, not an error.
fn reload(dir: &std::path::Path, pids: &[u32], quiet: bool) -> Result<Vec<u32>, String> {
    use mallbots_central::auth;
    let mut all = pids.to_vec();
    all.extend(auth::server_pids(dir));
    all.sort_unstable();
    all.dedup();
    if all.is_empty() && !quiet {
        eprintln!(
            "note: no nats-server pid known (--reload-pid, or nats-server -P {}/nats-server.pid): \
             reload the server yourself (nats-server --signal reload=PID) for the change to apply",
            dir.display()
        );
    }
    let mut signalled = Vec::new();
    for (pid, result) in auth::reload_servers(&all) {
        match result {
            Ok(()) => signalled.push(pid),
            Err(e) if pids.contains(&pid) => {
                return Err(format!("auth.reload: nats-server {pid}: {e}"));
            }
            Err(e) => eprintln!("note: pid file names {pid}, not reloaded: {e}"),
        }
    }
    Ok(signalled)
}

/// `auth init`: `accounts` names the operator under account auth.
fn auth_init(
    settings: &Settings,
    dir: &std::path::Path,
    accounts: Option<&str>,
    rotate: bool,
    pids: &[u32],
) -> Result<String, String> {
    use mallbots_central::auth::AuthDir;
    use mallbots_central::platform::topology::StreamKind;
    let topology = Topology::from_settings(&settings.topology);
    let auth_dir = AuthDir::new(dir);
    let root = topology.root();
    let stream = topology.stream_name(StreamKind::Events);
    let creds = match accounts {
        Some(operator) => auth_dir.init_accounts(root, &stream, rotate, Some(operator)),
        None => auth_dir.init(root, &stream, rotate),
    }
    .map_err(|e| format!("{}: {e}", e.code()))?;
    // A first init comes before the server exists: no note when nothing is running.
    let reloaded = reload(dir, pids, true)?;
    serde_json::to_string_pretty(&serde_json::json!({
        "dir": dir,
        "user": creds.user,
        "auth": if auth_dir.uses_accounts() { "accounts" } else { "passwords" },
        "credentials": auth_dir.central_credentials_path(),
        "config": auth_dir.config_path(),
        "reloaded": reloaded,
    }))
    .map_err(|e| e.to_string())
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

/// `settings` as a TOML settings file, secrets redacted.
fn settings_toml(
    settings: &mallbots_central::platform::config::Settings,
) -> Result<String, String> {
    let mut tree = serde_json::to_value(settings).map_err(|e| e.to_string())?;
    for secret in ["password", "token"] {
        if let Some(value) = tree.pointer_mut(&format!("/nats/{secret}")) {
            if !value.is_null() {
                *value = serde_json::Value::String("[redacted]".into());
            }
        }
    }
    strip_nulls(&mut tree);
    toml::to_string(&tree).map_err(|e| e.to_string())
}

/// TOML has no null: an unset optional setting is left out.
fn strip_nulls(value: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    }
}

fn print_result(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    mallbots_wire::tls::install_crypto_provider();
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    init_telemetry(settings.log.format);
    match &cli.command {
        Some(Command::Settings) => print_result(settings_toml(&settings)),
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
            all_stores,
            auth_dir,
            out,
            nats_url,
            rotate,
            reload_pids,
        }) => {
            let every_store = [mallbots_domain::desk::ALL_STORES.to_owned()];
            let args = EnrollArgs {
                device,
                role,
                stores: if *all_stores { &every_store } else { stores },
                auth_dir: auth_dir.as_ref(),
                out: out.as_ref(),
                nats_url: nats_url.as_deref(),
                rotate: *rotate,
                reload_pids,
            };
            print_result(enroll_device(&settings, &args).await)
        }
        Some(Command::Auth {
            action:
                AuthAction::Init {
                    dir,
                    accounts,
                    operator,
                    rotate,
                    reload_pids,
                },
        }) => print_result(auth_init(
            &settings,
            dir,
            accounts.then_some(operator.as_str()),
            *rotate,
            reload_pids,
        )),
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
