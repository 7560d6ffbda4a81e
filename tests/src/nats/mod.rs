//! Real nats-server instances for system tests: a single JetStream server ([`NatsServer`]) and a
//! 3-node JetStream cluster ([`NatsCluster`]), each in its own temp directory with random ports,
//! stopped on drop.
//!
//! The binary comes from env `NATS_SERVER`, else `<workspace>/.tools/venv/bin/nats-server`, else
//! `PATH`; versions older than 2.10 are refused (Debian's 2.9 lacks what async-nats needs).
//! Start-up waits until the server accepts connections and JetStream is ready (for a cluster:
//! until every node knows the JetStream meta leader), polling with a deadline.
//!
//! The API is blocking (plain `std::process`), so it works from sync and async tests alike; from a
//! `current_thread` tokio test a start blocks the runtime for the start-up time only.
//!
//! With the product's authorization (docs/architecture.md §9): [`NatsServer::start_with_auth`],
//! [`NatsServer::shared_with_auth`], [`NatsCluster::start_with_auth`] and
//! [`NatsCluster::shared_with_auth`] start servers whose only users are those the real
//! `mallbots-central auth init` / `enroll` made ([`NatsAuth`]); `enroll(&Enrollment)` runs
//! the real `mallbots-central enroll` and returns the device's credentials file, `central_creds()`
//! gives central's.
//!
//! Layout: `binary` finds the server program, `node` runs one process, `server` and `cluster`
//! are the public harnesses (re-exported here).

use std::path::PathBuf;
use std::time::Duration;

mod auth;
mod binary;
mod cluster;
mod node;
mod server;

pub use auth::{connect_with, AuthKind, Enrollment, NatsAuth};
pub use binary::{free_port, nats_server_binary, workspace_root};
pub use cluster::NatsCluster;
pub use server::NatsServer;

/// How long start-up may take before it is reported as failed.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Extra options for a server: a config file (accounts, users, authorization …) and raw
/// command-line arguments. Command-line flags set by the harness (ports, `-js`, `-sd`) win over
/// the config file, as nats-server gives flags precedence.
#[derive(Debug, Clone, Default)]
pub struct NatsOptions {
    /// Passed as `-c FILE`.
    pub config_file: Option<PathBuf>,
    /// Appended verbatim to the command line.
    pub extra_args: Vec<String>,
}
