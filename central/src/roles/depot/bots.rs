//! Bot decisions and the bots-by-status gauge. A bot's events go to `<root>.ev.depot.bot.<id>`,
//! mirrored in KV `bots` (`bot.<id>`). Each write carries an id derived from what caused it, so a
//! retried step is recognised as done.

use std::collections::BTreeMap;

use mallbots_domain::bots::{Bot, BotCommand, BotError, BotEvent, BotStatus};
use mallbots_domain::Aggregate;

use super::journal::{derived_id, Cause};
use super::store::{BotStore, Loaded, Plan};
use crate::platform::metrics::Metrics;

/// Decides `cmd` on a bot; `cause` names the step (its event id derives from it). A step whose
/// event is already recorded is `Ok` with nothing to write.
pub fn decide_bot(
    loaded: &Loaded<Bot>,
    cause: &str,
    cmd: &BotCommand,
    at: i64,
    correlation: &str,
) -> (Plan<BotEvent>, Result<(), BotError>) {
    let id = derived_id(&format!("bot/{cause}"));
    if loaded.record.has_event(&id) {
        return (Plan::nothing(), Ok(()));
    }
    match loaded.state.decide(cmd) {
        Ok(events) => {
            let mut plan = Plan::nothing();
            plan.at = at;
            plan.cause = Cause {
                correlation_id: correlation.to_string(),
                causation_id: cause.to_string(),
            };
            plan.events = events
                .into_iter()
                .enumerate()
                .map(|(i, e)| {
                    let id = if i == 0 {
                        id.clone()
                    } else {
                        derived_id(&format!("bot/{cause}/{i}"))
                    };
                    (id, e)
                })
                .collect();
            (plan, Ok(()))
        }
        Err(e) => (Plan::nothing(), Err(e)),
    }
}

/// Status label for the gauge.
pub fn status_label(status: BotStatus) -> &'static str {
    match status {
        BotStatus::Offline => "offline",
        BotStatus::Idle => "idle",
        BotStatus::Assigned => "assigned",
        BotStatus::Shopping => "shopping",
        BotStatus::Returning => "returning",
    }
}

/// Counts bots by status from the KV mirror.
pub async fn count_by_status(
    store: &BotStore,
) -> Result<BTreeMap<&'static str, i64>, super::error::DepotError> {
    let mut counts: BTreeMap<&'static str, i64> = [
        BotStatus::Offline,
        BotStatus::Idle,
        BotStatus::Assigned,
        BotStatus::Shopping,
        BotStatus::Returning,
    ]
    .into_iter()
    .map(|s| (status_label(s), 0))
    .collect();
    for id in store.ids().await? {
        let loaded = store.load(&id).await?;
        if loaded.state.registered {
            *counts.entry(status_label(loaded.state.status)).or_default() += 1;
        }
    }
    Ok(counts)
}

/// Sets the `mallbots_bots{status}` gauge from the KV mirror.
pub async fn refresh_gauge(
    store: &BotStore,
    metrics: &Metrics,
) -> Result<(), super::error::DepotError> {
    for (status, n) in count_by_status(store).await? {
        metrics.set_bots(status, n);
    }
    Ok(())
}
