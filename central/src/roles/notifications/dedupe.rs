//! Once-only sending across redeliveries and replicas: before sending, a replica claims the
//! trigger's dedupe key in KV bucket `<prefix>notifications` (create = only if absent); after
//! sending it marks the key `sent`; a failed send deletes its claim so a redelivery can try again.
//! A claim left by a replica that died mid-send is taken over after [`STALE_CLAIM`] (the gateway
//! gets the same `Idempotency-Key`, so it can drop the repeat).

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;

use crate::roles::depot::DepotError;

/// A `sending` claim older than this is taken over.
pub const STALE_CLAIM: Duration = Duration::from_secs(60);

const SENT: &[u8] = b"sent";
const SENDING: &[u8] = b"sending";

/// What the claim says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours: send, then [`Ledger::sent`] or [`Ledger::release`] with the revision.
    Mine(u64),
    /// Already sent: nothing to do.
    AlreadySent,
    /// Another replica is sending it now: try again later.
    Busy,
}

/// The dedupe ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    kv: kv::Store,
}

/// The KV key of a dedupe key (`order_ready:<id>` → `order_ready.<id>`).
pub fn kv_key(dedupe_key: &str) -> String {
    dedupe_key.replace(':', ".")
}

impl Ledger {
    /// Opens (creating if needed) the bucket `name`.
    pub async fn open(
        js: &jetstream::Context,
        name: &str,
        replicas: usize,
    ) -> Result<Self, DepotError> {
        if let Ok(kv) = js.get_key_value(name).await {
            return Ok(Self { kv });
        }
        let kv = js
            .create_key_value(kv::Config {
                bucket: name.to_string(),
                history: 1,
                num_replicas: replicas,
                ..Default::default()
            })
            .await
            .map_err(|e| DepotError::kv(name, e))?;
        Ok(Self { kv })
    }

    /// Claims `dedupe_key` for sending.
    pub async fn claim(&self, dedupe_key: &str) -> Result<Claim, DepotError> {
        let key = kv_key(dedupe_key);
        match self.kv.create(&key, Bytes::from_static(SENDING)).await {
            Ok(rev) => return Ok(Claim::Mine(rev)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
            Err(e) => return Err(DepotError::kv(&key, e)),
        }
        let Some(entry) = self
            .kv
            .entry(&key)
            .await
            .map_err(|e| DepotError::kv(&key, e))?
        else {
            return Ok(Claim::Busy);
        };
        if entry.value.as_ref() == SENT {
            return Ok(Claim::AlreadySent);
        }
        let age = time_since(entry.created.unix_timestamp());
        if age < STALE_CLAIM {
            return Ok(Claim::Busy);
        }
        match self
            .kv
            .update(&key, Bytes::from_static(SENDING), entry.revision)
            .await
        {
            Ok(rev) => Ok(Claim::Mine(rev)),
            Err(_) => Ok(Claim::Busy),
        }
    }

    /// Marks the key sent.
    pub async fn sent(&self, dedupe_key: &str, revision: u64) -> Result<(), DepotError> {
        let key = kv_key(dedupe_key);
        self.kv
            .update(&key, Bytes::from_static(SENT), revision)
            .await
            .map(|_| ())
            .map_err(|e| DepotError::kv(&key, e))
    }

    /// Gives the claim up after a failed send.
    pub async fn release(&self, dedupe_key: &str, revision: u64) {
        let key = kv_key(dedupe_key);
        let _ = self.kv.delete_expect_revision(&key, Some(revision)).await;
    }
}

fn time_since(unix_secs: i64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Duration::from_secs(now.saturating_sub(unix_secs).max(0) as u64)
}
