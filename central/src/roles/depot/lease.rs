//! Bot liveness: a bot driver renews a lease per online bot (`bot.<id>` in KV bucket
//! `<stream_prefix>bot_leases`, written every third of the lease); depot replicas take every bot
//! whose lease lapsed offline ([`reap`]), releasing the list it held. So the bots of a killed
//! replica stop counting as idle, and their lists return once the dispatch ack wait passes.
//!
//! The lease is the setting `depot.bot_lease_ms` (`MALLBOTS__DEPOT__BOT_LEASE_MS`, default
//! 15000); drivers and depot replicas must agree on it. A driver renews a bot's lease before bringing it online.

use std::time::Duration;

use async_nats::jetstream::kv;
use bytes::Bytes;
use mallbots_domain::bots::BotStatus;
use mallbots_domain::ids::BotId;

use super::error::DepotError;
use super::journal::now_ms;
use super::ops::Depot;
use crate::platform::service::Runtime;

/// The lease bucket.
#[derive(Debug, Clone)]
pub struct Leases {
    kv: kv::Store,
    lease: Duration,
}

impl Leases {
    /// Opens (creating if needed) `<prefix>bot_leases`; keys expire after `lease`.
    pub async fn open(rt: &Runtime, lease: Duration) -> Result<Self, DepotError> {
        let name = format!("{}bot_leases", rt.settings.topology.stream_prefix);
        let kv = match rt.js.get_key_value(&name).await {
            Ok(kv) => kv,
            Err(_) => rt
                .js
                .create_key_value(kv::Config {
                    bucket: name.clone(),
                    history: 1,
                    max_age: lease,
                    num_replicas: rt.settings.topology.replicas,
                    ..Default::default()
                })
                .await
                .map_err(|e| DepotError::kv(&name, e))?,
        };
        Ok(Self { kv, lease })
    }

    /// How often a driver renews.
    pub fn renew_every(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(50))
    }

    /// Renews `bot`'s lease.
    pub async fn renew(&self, bot: BotId) -> Result<(), DepotError> {
        let key = format!("bot.{bot}");
        self.kv
            .put(&key, Bytes::from(now_ms().to_string()))
            .await
            .map(|_| ())
            .map_err(|e| DepotError::kv(&key, e))
    }

    /// Whether `bot`'s lease is current.
    pub async fn alive(&self, bot: BotId) -> Result<bool, DepotError> {
        let key = format!("bot.{bot}");
        let Some(value) = self
            .kv
            .get(&key)
            .await
            .map_err(|e| DepotError::kv(&key, e))?
        else {
            return Ok(false);
        };
        let renewed: i64 = std::str::from_utf8(&value)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let age = now_ms().saturating_sub(renewed);
        Ok(u128::try_from(age).unwrap_or(0) <= self.lease.as_millis())
    }
}

/// Takes every online bot whose lease lapsed offline; returns how many.
pub async fn reap(depot: &Depot, leases: &Leases) -> Result<usize, DepotError> {
    let mut reaped = 0;
    for id in depot.bots.ids().await? {
        let Ok(bot_id) = id.parse::<BotId>() else {
            continue;
        };
        let loaded = depot.bots.load(&id).await?;
        if !loaded.state.registered || loaded.state.status == BotStatus::Offline {
            continue;
        }
        if leases.alive(bot_id).await? {
            continue;
        }
        let cause = format!("lease/{bot_id}/{}", loaded.record.last_seq);
        depot.bot_offline(bot_id, &cause).await?;
        tracing::info!(%bot_id, "bot lease lapsed; taken offline");
        reaped += 1;
    }
    Ok(reaped)
}
