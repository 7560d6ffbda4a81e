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
//! Each online bot's lease (`crate::roles::depot::lease`) is renewed while the fleet runs, so depot
//! replicas take the bots of a killed fleet offline once `depot.bot_lease_ms` passes.
//!
//! Settings: the `sim` section ([`crate::platform::config::SimSection`]): `bots` (default 3), `step_ms`
//! (time per walk or pick, default 1000), `name` (name prefix, default `sim-<pid>`), e.g.
//! `MALLBOTS__SIM__BOTS=12`.

pub mod decisions;
pub mod driver;
pub mod fleet;

use std::time::Duration;

use crate::platform::config::SimSection;
use crate::platform::service::Runtime;
use crate::platform::{HandlerRegistry, ServiceRole};

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
    /// The simulator of the `sim` settings section (an empty name keeps `sim-<pid>`).
    pub fn from_config(c: &SimSection) -> Self {
        let mut s = Self {
            count: c.bots,
            step: Duration::from_millis(c.step_ms),
            ..Self::default()
        };
        if !c.name.trim().is_empty() {
            s.name = c.name.trim().to_string();
        }
        s
    }
}

/// Starts the fleet as a background task on replicas with the `bots-sim` role.
pub fn register(runtime: &Runtime, registry: &mut HandlerRegistry) {
    if !runtime.settings.roles.contains(&ServiceRole::BotsSim) {
        return;
    }
    let settings = SimSettings::from_config(&runtime.settings.sim);
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

    #[test]
    fn settings_come_from_the_sim_section() {
        let s = SimSettings::from_config(&SimSection {
            bots: 5,
            step_ms: 20,
            name: "east".into(),
        });
        assert_eq!(s.count, 5);
        assert_eq!(s.step, Duration::from_millis(20));
        assert_eq!(s.name, "east");
        let unnamed = SimSettings::from_config(&SimSection::default());
        assert!(unnamed.name.starts_with("sim-"), "{}", unnamed.name);
        assert_eq!(unnamed.count, 3);
    }
}
