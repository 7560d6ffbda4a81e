//! `mallbots-sim`: runs seeds of the deterministic simulation.
//!
//! ```text
//! mallbots-sim --seed 42            # one seed, replayed bit for bit; prints its trace on failure
//! mallbots-sim --seeds 100000       # seeds 0..100000 (or --from N), stops at the first failure
//! mallbots-sim --seeds 50 --plant unfenced-dispatch   # show the simulator finds a planted bug
//! ```

use clap::Parser;
use mallbots_sim::{run_seed, shrink, Config, Planted};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "mallbots-sim",
    about = "Deterministic simulation of the MallBots protocol"
)]
struct Args {
    /// Run this one seed and print its outcome (with the trace when it fails).
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// Run this many seeds.
    #[arg(long, default_value_t = 20)]
    seeds: u64,
    /// The first seed of `--seeds`.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Workload steps per run (the drain follows).
    #[arg(long, default_value_t = 400)]
    steps: usize,
    /// Kiosks.
    #[arg(long, default_value_t = 3)]
    kiosks: usize,
    /// Bots.
    #[arg(long, default_value_t = 3)]
    bots: usize,
    /// Plant a known bug (payment-step-twice, unfenced-dispatch, inbox-out-of-order,
    /// blind-saga-write).
    #[arg(long)]
    plant: Vec<String>,
    /// Print the whole trace of `--seed`, even when it passes.
    #[arg(long)]
    trace: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut cfg = Config {
        steps: args.steps,
        kiosks: args.kiosks,
        bots: args.bots,
        ..Config::default()
    };
    for name in &args.plant {
        let bug = Planted::parse(name).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown bug {name:?}; known: {}",
                Planted::ALL.map(Planted::name).join(", ")
            )
        })?;
        cfg.planted.insert(bug);
    }
    if let Some(seed) = args.seed {
        let report = run_seed(seed, &cfg);
        if args.trace || report.violation.is_some() {
            for line in &report.trace {
                println!("{line}");
            }
        }
        return finish(&cfg, &report);
    }
    let started = Instant::now();
    for (done, seed) in (args.from..args.from + args.seeds).enumerate() {
        if done > 0 && done % 250 == 0 {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{done} seeds passed so far ({:.2} seeds/s)",
                done as f64 / secs
            );
        }
        let report = run_seed(seed, &cfg);
        if report.violation.is_some() {
            println!("seed {seed} FAILED; shrinking…");
            let (small, report) = shrink(seed, &cfg).unwrap_or((cfg.clone(), report));
            let tail = report.trace.len().saturating_sub(60);
            for line in &report.trace[tail..] {
                println!("{line}");
            }
            println!(
                "shortest failing workload: {} steps; replay with: cargo run -p mallbots-sim -- --seed {seed} --steps {}{}",
                small.steps,
                small.steps,
                plant_args(&small)
            );
            return finish(&small, &report);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} seeds passed in {secs:.1} s ({:.2} seeds/s)",
        args.seeds,
        args.seeds as f64 / secs
    );
    Ok(())
}

fn plant_args(cfg: &Config) -> String {
    cfg.planted
        .iter()
        .map(|p| format!(" --plant {}", p.name()))
        .collect()
}

fn finish(cfg: &Config, report: &mallbots_sim::Report) -> anyhow::Result<()> {
    match &report.violation {
        None => {
            println!(
                "seed {} passed: {} orders {:?}, rejected for {:?}, saga inputs {:?}, {} steps, trace digest {:016x}",
                report.seed,
                report.orders,
                report.outcomes,
                report.rejections,
                report.saga,
                report.steps,
                report.digest
            );
            Ok(())
        }
        Some(v) => {
            println!(
                "seed {} FAILED at step {}: {}\nreplay: cargo run -p mallbots-sim -- --seed {} --steps {}{}",
                report.seed,
                v.step,
                v.what,
                report.seed,
                cfg.steps,
                plant_args(cfg)
            );
            std::process::exit(1)
        }
    }
}
