//! `mallbots-app`: starts the kiosk and/or store-manager windows. See `--help`.

use mallbots_app::LaunchOptions;

fn main() -> std::process::ExitCode {
    mallbots_wire::tls::install_crypto_provider();
    // Logs to stderr; `RUST_LOG=info` (or `mallbots_sync=debug`…) for more than warnings.
    // `RUST_LOG` filters (default `warn`); `MALLBOTS_LOG_FORMAT=json`: one JSON object a line.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr);
    if mallbots_edge::cli::json_logs() {
        logs.json().init();
    } else {
        logs.init();
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = <LaunchOptions as clap::CommandFactory>::command();
    let file = match mallbots_edge::cli::settings_file::apply(&command, &args) {
        Ok(file) => file,
        Err(message) => {
            eprintln!("mallbots-app: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let options = match <LaunchOptions as clap::Parser>::try_parse_from(&args) {
        Ok(options) => options,
        Err(err) => {
            let _ = err.print();
            if let Some(file) = &file {
                eprintln!("{}", file.explain().trim_start());
            }
            return std::process::ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match mallbots_app::run(options) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mallbots-app: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
