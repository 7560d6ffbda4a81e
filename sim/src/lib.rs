//! # mallbots-sim
//!
//! Deterministic simulation of the whole MallBots protocol (docs/simulation.md): kiosks, two
//! manager desks and a depot desk running the real edge (command decisions, SQLite event store,
//! outbox, inbox, rebase, the sync planner), central's real saga runner
//! ([`mallbots_central::roles::saga::drive`]), ordering and payments (over their I/O traits) and
//! depot decisions, and bots, all in one process over a simulated JetStream ([`bus`]) and clock
//! ([`clock`]). One seed draws the workload and the faults (lost messages
//! and acks, duplicates, reordering, delays, partitions, crashes and restarts, refusals), so a
//! failing seed replays bit for bit: `cargo run -p mallbots-sim -- --seed N`.
//!
//! [`run_seed`] runs one seed; [`shrink`] looks for the shortest workload that still fails.

pub mod bus;
pub mod central;
pub mod clock;
pub mod device;
pub mod effects;
pub mod faults;
pub mod invariants;
pub mod misconfig;
pub mod rng;
pub mod workload;
pub mod world;

pub use faults::{Faults, Planted};
pub use world::{Config, Report, Violation};

/// Runs `seed` with `cfg`.
pub fn run_seed(seed: u64, cfg: &Config) -> Report {
    world::World::new(seed, cfg.clone()).run(seed)
}

/// The shortest workload (in steps) with which `seed` still fails the same invariant, and its
/// report; `None` if `seed` passes.
pub fn shrink(seed: u64, cfg: &Config) -> Option<(Config, Report)> {
    let first = run_seed(seed, cfg);
    let kind = invariant_name(&first.violation.as_ref()?.what).to_owned();
    let mut best = (cfg.clone(), first);
    let mut steps = best.0.steps;
    while steps > 10 {
        steps /= 2;
        let smaller = Config {
            steps,
            ..cfg.clone()
        };
        let report = run_seed(seed, &smaller);
        match &report.violation {
            Some(v) if invariant_name(&v.what) == kind => best = (smaller, report),
            _ => break,
        }
    }
    Some(best)
}

/// The invariant a violation names (the text before its first `:`).
pub fn invariant_name(what: &str) -> &str {
    what.split(':').next().unwrap_or(what)
}
