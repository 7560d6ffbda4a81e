//! `mallbots-app`: starts the kiosk and/or store-manager windows. See `--help`.

use mallbots_app::LaunchOptions;
use mallbots_edge::cli::{settings_file, LogFormat};
use std::process::ExitCode;

/// Logs to stderr: `RUST_LOG` filters (default `warn`; `info` or `mallbots_sync=debug` for
/// more); `--log-format json` writes one JSON object a line.
fn install_logging(format: LogFormat) {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr);
    if format == LogFormat::Json {
        logs.json().init();
    } else {
        logs.init();
    }
}

fn main() -> ExitCode {
    mallbots_wire::tls::install_crypto_provider();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = <LaunchOptions as clap::CommandFactory>::command();
    let file = match settings_file::apply(&command, &args) {
        Ok(file) => file,
        Err(message) => {
            eprintln!("mallbots-app: config.file: {message}");
            return ExitCode::from(2);
        }
    };
    if let Some(message) = settings_file::renamed_variable() {
        eprintln!("mallbots-app: config.renamed: {message}");
        return ExitCode::from(2);
    }
    let options = match <LaunchOptions as clap::Parser>::try_parse_from(&args) {
        Ok(options) => options,
        Err(err) => {
            let _ = err.print();
            if let Some(file) = &file {
                eprintln!("{}", file.explain().trim_start());
            }
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    install_logging(options.log_format);
    match mallbots_app::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mallbots-app: {err}");
            ExitCode::FAILURE
        }
    }
}
