//! The `depot` role: shopping lists, bots and dispatch (DESIGN §3, §5; docs/central-messages.md).
//!
//! * [`commands`]: the `cmd-depot` handler (saga commands with replies, `cancel_list` from
//!   ordering, `bot_offline`).
//! * [`store`]: load → decide → append over the event subject `<root>.ev.depot.{list,bot}.<id>`
//!   mirrored in KV `lists` / `bots` (`list.<id>`, `bot.<id>`), compare-and-set on the revision.
//! * [`lists`] / [`holding`] / [`bots`]: the decisions central adds around the domain
//!   (idempotency by command id, the dispatch fence).
//! * [`dispatch`]: the `DISPATCH` work queue and its durable pull consumer, paired with
//!   `mallbots_domain::dispatch`.
//! * [`ops::Depot`]: the operations bot drivers (the simulator in `crate::bots_sim`) call.

pub mod bots;
pub mod commands;
pub mod dispatch;
pub mod error;
pub mod holding;
pub mod journal;
pub mod lists;
pub mod ops;
pub mod record;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::roles::{HandlerRegistry, Role};
use crate::service::Runtime;

pub use commands::{BotOffline, CancelList, DepotCommands};
pub use error::DepotError;
pub use ops::{Depot, DispatchEntry};

/// How often the bots-by-status gauge is refreshed.
const GAUGE_EVERY: Duration = Duration::from_secs(2);

/// Registers the `cmd-depot` handler and the bot gauge (on replicas with the `depot` role).
pub fn register(runtime: &Runtime, registry: &mut HandlerRegistry) {
    let cell = Arc::new(OnceCell::new());
    registry.register(
        "cmd-depot",
        DepotCommands::new(runtime.clone(), cell.clone()),
    );
    if !runtime.settings.roles.contains(&Role::Depot) {
        return;
    }
    let rt = runtime.clone();
    registry.background("depot-bot-gauge", async move {
        let mut shutdown = rt.shutdown.clone();
        let depot = loop {
            match commands::depot(&cell, &rt).await {
                Ok(d) => break d.clone(),
                Err(e) => tracing::warn!(error = %e, "depot gauge waiting for buckets"),
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(GAUGE_EVERY) => {}
            }
        };
        bots::watch_bot_gauge(depot.bots, rt.metrics.clone(), GAUGE_EVERY, shutdown).await;
    });
}
