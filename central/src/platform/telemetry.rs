//! Telemetry, set up once per process: `tracing` to stderr filtered by `RUST_LOG` (default
//! `info`), without colour codes unless stderr is a terminal, so log files stay greppable; one
//! JSON object per line with `[log] format = "json"` / `MALLBOTS__LOG__FORMAT=json` (for a log
//! collector).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::platform::config::LogFormat;

/// Installs the global subscriber. Later calls (e.g. from several tests) are no-ops.
pub fn init_telemetry(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == LogFormat::Json {
        logs.json().try_init()
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).try_init()
    };
}
