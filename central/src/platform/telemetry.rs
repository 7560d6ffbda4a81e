//! Telemetry, set up once per process: `tracing` to stderr filtered by `RUST_LOG` (default
//! `info`), without colour codes unless stderr is a terminal, so log files stay greppable.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Later calls (e.g. from several tests) are no-ops.
pub fn init_telemetry() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
