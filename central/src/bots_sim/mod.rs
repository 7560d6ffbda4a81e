//! The `bots-sim` role: simulated bots that drive the depot flow with no hardware.
//!
//! [`Fleet`] brings `count` bots online (`BotCameOnline`), pulls one list per idle bot from the
//! dispatch consumer (pairing by `mallbots_domain::dispatch`), and runs a [`driver`] per list:
//! walk to each stop (`BotArrivedAtStore` / `BotArrivedAtStop`), pick (`ItemsPickedUp` /
//! `StopItemsPickedUp`), return (`BotReturned`), complete (`ShoppingListCompleted` →
//! `<root>.cmd.ordering.ready_order`), idle again (`BotIdled`). A bot taken offline
//! (`<root>.cmd.depot.bot_offline`) gives its list back; on shutdown every bot goes offline and
//! releases its list; a killed process's lists return after the ack wait.
//!
//! Each online bot's lease (`crate::depot::lease`) is renewed while the fleet runs, so depot
//! replicas take the bots of a killed fleet offline once `MALLBOTS_BOT_LEASE_MS` passes.
//!
//! Settings (environment, read at start): `MALLBOTS_SIM_BOTS` (bots, default 3),
//! `MALLBOTS_SIM_STEP_MS` (time per walk or pick, default 1000), `MALLBOTS_SIM_NAME` (name
//! prefix, default `sim-<pid>`).

pub mod driver;
pub mod fleet;

use std::time::Duration;

use crate::roles::{HandlerRegistry, Role};
use crate::service::Runtime;

pub use fleet::Fleet;

/// The simulator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSettings {
    /// Number of bots.
    pub count: usize,
    /// Time per walk or pick.
    pub step: Duration,
    /// Bot name prefix.
    pub name: String,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            count: 3,
            step: Duration::from_millis(1000),
            name: format!("sim-{}", std::process::id()),
        }
    }
}

impl SimSettings {
    /// Defaults overridden by `MALLBOTS_SIM_BOTS`, `MALLBOTS_SIM_STEP_MS`, `MALLBOTS_SIM_NAME`
    /// from `env`; unparsable values keep the default (and are logged).
    pub fn from_env<I: IntoIterator<Item = (String, String)>>(env: I) -> Self {
        let mut s = Self::default();
        for (k, v) in env {
            match k.as_str() {
                "MALLBOTS_SIM_BOTS" => match v.trim().parse() {
                    Ok(n) => s.count = n,
                    Err(_) => tracing::warn!(value = %v, "MALLBOTS_SIM_BOTS ignored"),
                },
                "MALLBOTS_SIM_STEP_MS" => match v.trim().parse() {
                    Ok(ms) => s.step = Duration::from_millis(ms),
                    Err(_) => tracing::warn!(value = %v, "MALLBOTS_SIM_STEP_MS ignored"),
                },
                "MALLBOTS_SIM_NAME" if !v.trim().is_empty() => s.name = v.trim().to_string(),
                _ => {}
            }
        }
        s
    }
}

/// Starts the fleet as a background task on replicas with the `bots-sim` role.
pub fn register(runtime: &Runtime, registry: &mut HandlerRegistry) {
    if !runtime.settings.roles.contains(&Role::BotsSim) {
        return;
    }
    let settings = SimSettings::from_env(std::env::vars());
    let rt = runtime.clone();
    registry.background("bots-sim", async move {
        tracing::info!(
            bots = settings.count,
            step_ms = settings.step.as_millis() as u64,
            "bot simulator starting"
        );
        fleet::run(rt, settings).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn settings_come_from_the_environment() {
        let s = SimSettings::from_env(env(&[
            ("MALLBOTS_SIM_BOTS", "5"),
            ("MALLBOTS_SIM_STEP_MS", "20"),
            ("MALLBOTS_SIM_NAME", "east"),
            ("OTHER", "x"),
        ]));
        assert_eq!(s.count, 5);
        assert_eq!(s.step, Duration::from_millis(20));
        assert_eq!(s.name, "east");
    }

    #[test]
    fn bad_values_keep_defaults() {
        let s = SimSettings::from_env(env(&[("MALLBOTS_SIM_BOTS", "many")]));
        assert_eq!(s.count, SimSettings::default().count);
    }
}
