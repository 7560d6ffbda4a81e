//! What the benchmark programs in `tests/examples` share: positional arguments with defaults,
//! and running the measurement on a two-thread runtime with the workspace binaries found
//! beside the example (`target/<profile>/`), so a release example starts a release central.

use std::future::Future;

/// The `n`th command-line argument parsed as `T`, or `default` when absent or unparsable.
pub fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// Runs `bench` on a two-worker tokio runtime. Unless `MALLBOTS_BIN_DIR` is set, the spawned
/// binaries are taken from the example's profile directory (`target/<profile>/examples/x` →
/// `target/<profile>/`).
pub fn run<F: Future<Output = ()>>(bench: F) {
    if std::env::var_os("MALLBOTS_BIN_DIR").is_none() {
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent()?.parent().map(|p| p.to_path_buf()))
        {
            std::env::set_var("MALLBOTS_BIN_DIR", dir);
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(bench);
}
