//! The simulated fleet: brings its bots online, hands lists from the dispatch consumer to the
//! idle ones, and takes them all offline at shutdown.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mallbots_domain::bots::BotCommand;
use mallbots_domain::dispatch::IdleBot;
use mallbots_domain::ids::BotId;
use mallbots_domain::Timestamp;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use super::driver::{self, After, Ctx};
use crate::platform::retry;

use super::SimSettings;
use crate::platform::service::Runtime;
use crate::roles::depot::dispatch::Dispatcher;
use crate::roles::depot::journal::now_ms;
use crate::roles::depot::lease::Leases;
use crate::roles::depot::ops::{fresh_id, Depot};

/// Waits after a failed dispatch pull (jittered, growing while it keeps failing).
const PULL_RETRY_MIN: Duration = Duration::from_millis(250);
const PULL_RETRY_MAX: Duration = Duration::from_secs(5);

/// How long one pull waits for lists.
const PULL_WAIT: Duration = Duration::from_secs(1);

/// The idle bots of this fleet, shared with the drivers.
#[derive(Debug, Default)]
pub struct Fleet {
    idle: Mutex<BTreeMap<BotId, Timestamp>>,
    online: Mutex<BTreeSet<BotId>>,
    changed: Notify,
}

impl Fleet {
    /// Marks `bot` idle since now and wakes the dispatcher loop.
    pub fn idle(&self, bot: BotId) {
        self.lock().insert(bot, Timestamp::from_millis(now_ms()));
        self.changed.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<BotId, Timestamp>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn snapshot(&self) -> Vec<IdleBot> {
        self.lock()
            .iter()
            .map(|(id, since)| IdleBot {
                bot_id: *id,
                idle_since: *since,
            })
            .collect()
    }

    fn take(&self, bot: BotId) {
        self.lock().remove(&bot);
    }

    fn online(&self) -> std::sync::MutexGuard<'_, BTreeSet<BotId>> {
        self.online.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops renewing `bot`'s lease (it went offline).
    pub fn gone(&self, bot: BotId) {
        self.online().remove(&bot);
    }
}

/// Renews the lease of every online bot of `fleet` until shutdown.
async fn heartbeat(fleet: Arc<Fleet>, leases: Leases, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let bots: Vec<BotId> = fleet.online().iter().copied().collect();
        for bot in bots {
            if let Err(e) = leases.renew(bot).await {
                tracing::warn!(%bot, error = %e, "bot lease not renewed");
            }
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = tokio::time::sleep(leases.renew_every()) => {}
        }
    }
}

async fn open(rt: &Runtime) -> Option<(Depot, Dispatcher, Leases)> {
    let mut shutdown = rt.shutdown.clone();
    let lease = rt.settings.depot.bot_lease();
    loop {
        let leases = Leases::open(rt, lease).await;
        match (Depot::open(rt).await, Dispatcher::open(rt).await, leases) {
            (Ok(d), Ok(p), Ok(l)) => return Some((d, p, l)),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                tracing::warn!(error = %e, "bot simulator waiting")
            }
        }
        tokio::select! {
            _ = shutdown.changed() => return None,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Brings one bot online: its lease first (so no depot replica takes the new bot for a dead one),
/// then `BotCameOnline`. Failures to reach JetStream (a bucket or stream without a leader yet,
/// right after an R3 topology is created, or during an election) are retried every 500 ms; a
/// refusal leaves the bot offline. Returns false if shutdown came first.
async fn bring_online(
    rt: &Runtime,
    depot: &Depot,
    leases: &Leases,
    fleet: &Fleet,
    bot_id: BotId,
    name: &str,
    session: &str,
) -> bool {
    let mut shutdown = rt.shutdown.clone();
    let mut warned = false;
    loop {
        let attempt = async {
            leases.renew(bot_id).await.map_err(|e| e.to_string())?;
            fleet.online().insert(bot_id);
            let cmd = BotCommand::BringOnline {
                bot_id,
                name: name.to_string(),
                at: Timestamp::from_millis(now_ms()),
            };
            depot
                .bot(bot_id, &format!("online/{session}/{bot_id}"), cmd, "")
                .await
                .map_err(|e| e.to_string())
        };
        match attempt.await {
            Ok(Ok(())) => {
                tracing::info!(%bot_id, %name, "bot online");
                fleet.idle(bot_id);
                return true;
            }
            Ok(Err(e)) => {
                tracing::warn!(%bot_id, error = %e, "bot refused to come online");
                fleet.gone(bot_id);
                return true;
            }
            Err(e) => {
                if !warned {
                    tracing::warn!(%bot_id, error = %e, "bot not online yet; retrying");
                    warned = true;
                }
            }
        }
        tokio::select! {
            _ = shutdown.changed() => return false,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Runs the fleet until shutdown.
pub async fn run(rt: Runtime, settings: SimSettings) {
    let Some((depot, dispatcher, leases)) = open(&rt).await else {
        return;
    };
    let fleet = Arc::new(Fleet::default());
    let beats = tokio::spawn(heartbeat(
        fleet.clone(),
        leases.clone(),
        rt.shutdown.clone(),
    ));
    let session = fresh_id();
    for i in 0..settings.count {
        let bot_id = BotId::from_uuid(uuid::Uuid::now_v7());
        let name = format!("{}-{}", settings.name, i + 1);
        if !bring_online(&rt, &depot, &leases, &fleet, bot_id, &name, &session).await {
            break;
        }
    }
    let ctx = Arc::new(Ctx {
        catalog: crate::roles::catalog::Catalog::new(crate::platform::views::LazyBucket::new(
            &rt,
            crate::platform::topology::Bucket::Catalog,
        )),
        depot,
        fleet: fleet.clone(),
        step: settings.step,
        progress_every: (rt.settings.topology.ack_wait() / 3).max(Duration::from_millis(50)),
        shutdown: rt.shutdown.clone(),
    });
    let mut drivers = JoinSet::new();
    let mut shutdown = rt.shutdown.clone();
    let mut pull_delays = retry::delays(PULL_RETRY_MIN, PULL_RETRY_MAX);
    while !*shutdown.borrow() {
        let idle = fleet.snapshot();
        if idle.is_empty() {
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = fleet.changed.notified() => {}
                Some(_) = drivers.join_next(), if !drivers.is_empty() => {}
            }
            continue;
        }
        let offers = tokio::select! {
            _ = shutdown.changed() => break,
            offers = dispatcher.offers(&idle, PULL_WAIT) => offers,
        };
        match offers {
            Ok(offers) => {
                pull_delays = retry::delays(PULL_RETRY_MIN, PULL_RETRY_MAX);
                for (bot_id, offer) in offers {
                    fleet.take(bot_id);
                    let ctx = ctx.clone();
                    drivers.spawn(async move {
                        let after = driver::drive(&ctx, bot_id, offer).await;
                        match after {
                            After::Idle => ctx.fleet.idle(bot_id),
                            After::Offline => ctx.fleet.gone(bot_id),
                        }
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "dispatch pull failed");
                let delay = pull_delays.next().unwrap_or(PULL_RETRY_MAX);
                tokio::time::sleep(delay).await;
            }
        }
        while drivers.try_join_next().is_some() {}
    }
    while drivers.join_next().await.is_some() {}
    let _ = beats.await;
    let idle: Vec<BotId> = fleet.snapshot().iter().map(|b| b.bot_id).collect();
    for bot_id in idle {
        if let Err(e) = ctx
            .depot
            .bot_offline(bot_id, &format!("shutdown/{session}"))
            .await
        {
            tracing::warn!(%bot_id, error = %e, "bot not taken offline at shutdown");
        }
    }
    tracing::info!("bot simulator stopped");
}
