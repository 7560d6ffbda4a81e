//! `mallbots-app`: starts the kiosk and/or store-manager windows. See `--help`.

use clap::Parser;
use mallbots_app::LaunchOptions;

fn main() -> std::process::ExitCode {
    let options = LaunchOptions::parse();
    match mallbots_app::run(options) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mallbots-app: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
