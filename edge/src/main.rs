//! The `mallbots` binary: see [`mallbots_edge::cli`].

fn main() -> std::process::ExitCode {
    mallbots_edge::cli::main()
}
