//! The `depot` role: shopping lists, bots and dispatch (docs/architecture.md §3, §5; docs/central-messages.md).
//!
//! * [`commands`]: the `cmd-depot` handler (saga commands with replies, `cancel_list` from
//!   ordering, `bot_offline`).
//! * [`store`]: load → decide → append over the event subject `<root>.ev.depot.{list,bot}.<id>`
//!   mirrored in KV `lists` / `bots` (`list.<id>`, `bot.<id>`), compare-and-set on the revision.
//! * [`lists`] / [`holding`] / [`bots`]: the decisions central adds around the domain
//!   (idempotency by command id, the dispatch fence).
//! * [`dispatch`]: the `DISPATCH` work queue and its durable pull consumer, paired with
//!   `mallbots_domain::dispatch`.
//! * [`ops::Depot`]: the operations bot drivers (such as the bot simulator, a role above this one) call.
//! * [`lease`]: bot liveness; depot replicas take bots whose driver stopped renewing offline.

pub mod bots;
pub mod commands;
pub mod dispatch;
pub mod error;
pub mod holding;
pub mod journal;
pub mod lease;
pub mod lists;
pub mod ops;
pub mod record;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::platform::service::Runtime;
use crate::platform::{HandlerRegistry, ServiceRole};

pub use commands::{BotOffline, CancelList, DepotCommands};
pub use error::DepotError;
pub use ops::{Depot, DispatchEntry};

/// How often bot leases are checked and the bots-by-status gauge is refreshed (at most).
const GAUGE_EVERY: Duration = Duration::from_secs(2);

/// Registers the `cmd-depot` handler and the bot watch (leases, gauge) on depot replicas.
pub fn register(runtime: &Runtime, registry: &mut HandlerRegistry) {
    let cell = Arc::new(OnceCell::new());
    registry.register(
        "cmd-depot",
        DepotCommands::new(runtime.clone(), cell.clone()),
    );
    if !runtime.settings.roles.contains(&ServiceRole::Depot) {
        return;
    }
    let rt = runtime.clone();
    registry.background("depot-bots", watch_bots(rt, cell));
}

/// Every [`GAUGE_EVERY`] (or a third of the bot lease, if shorter): takes bots whose lease lapsed
/// offline, then refreshes the bots-by-status gauge.
async fn watch_bots(rt: Runtime, cell: Arc<OnceCell<Depot>>) {
    let mut shutdown = rt.shutdown.clone();
    let lease = rt.settings.depot.bot_lease();
    let (depot, leases) = loop {
        let opened = match commands::depot(&cell, &rt).await {
            Ok(d) => lease::Leases::open(&rt, lease)
                .await
                .map(|l| (d.clone(), l)),
            Err(e) => Err(e),
        };
        match opened {
            Ok(pair) => break pair,
            Err(e) => tracing::warn!(error = %e, "depot bot watch waiting for buckets"),
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(GAUGE_EVERY) => {}
        }
    };
    let every = GAUGE_EVERY.min(leases.renew_every());
    while !*shutdown.borrow() {
        if let Err(e) = lease::reap(&depot, &leases).await {
            tracing::debug!(error = %e, "bot leases not checked");
        }
        if let Err(e) = bots::refresh_gauge(&depot.bots, &rt.metrics).await {
            tracing::debug!(error = %e, "bot gauge not refreshed");
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = tokio::time::sleep(every) => {}
        }
    }
}
