//! Once-only sending across redeliveries and replicas: before sending, a replica claims the
//! trigger's dedupe key in KV bucket `<prefix>notifications` (create = only if absent); after
//! sending it marks the key `sent`; a failed send deletes its claim so a redelivery can try again.
//! A claim left by a replica that died mid-send is taken over after [`STALE_CLAIM`] (the gateway
//! gets the same `Idempotency-Key`, so it can drop the repeat).

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;

use crate::roles::depot::DepotError;

/// A `sending` claim older than this is taken over (production's `stale_after`).
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

/// An entry of the ledger as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// `sending` or `sent`.
    pub value: Vec<u8>,
    /// Its revision.
    pub revision: u64,
    /// How long ago it was written.
    pub age: Duration,
}

/// The KV bucket the ledger keeps its keys in: JetStream KV in production ([`Ledger`]); the
/// deterministic simulator's KV there, so both run [`claim`], [`mark_sent`] and [`release`].
pub trait LedgerStore: Sync {
    /// Creates `key` with `value` if it is absent: the new revision, `None` if it exists.
    fn create(
        &self,
        key: &str,
        value: &'static [u8],
    ) -> impl Future<Output = Result<Option<u64>, DepotError>> + Send;
    /// The entry of `key`, if any.
    fn entry(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<LedgerEntry>, DepotError>> + Send;
    /// Writes `value` if `key` is still at `revision`: the new revision.
    fn update(
        &self,
        key: &str,
        value: &'static [u8],
        revision: u64,
    ) -> impl Future<Output = Result<u64, DepotError>> + Send;
    /// Deletes `key` if it is still at `revision` (best effort).
    fn delete(&self, key: &str, revision: u64) -> impl Future<Output = ()> + Send;
}

/// Claims `dedupe_key` for sending; a `sending` claim older than `stale_after` (a replica died
/// mid-send) is taken over.
pub async fn claim(
    store: &impl LedgerStore,
    dedupe_key: &str,
    stale_after: Duration,
) -> Result<Claim, DepotError> {
    let key = kv_key(dedupe_key);
    if let Some(revision) = store.create(&key, SENDING).await? {
        return Ok(Claim::Mine(revision));
    }
    let Some(entry) = store.entry(&key).await? else {
        return Ok(Claim::Busy);
    };
    if entry.value == SENT {
        return Ok(Claim::AlreadySent);
    }
    if entry.age < stale_after {
        return Ok(Claim::Busy);
    }
    match store.update(&key, SENDING, entry.revision).await {
        Ok(revision) => Ok(Claim::Mine(revision)),
        Err(_) => Ok(Claim::Busy),
    }
}

/// Marks `dedupe_key` sent.
pub async fn mark_sent(
    store: &impl LedgerStore,
    dedupe_key: &str,
    revision: u64,
) -> Result<(), DepotError> {
    store
        .update(&kv_key(dedupe_key), SENT, revision)
        .await
        .map(|_| ())
}

/// Gives the claim on `dedupe_key` up after a failed send.
pub async fn release(store: &impl LedgerStore, dedupe_key: &str, revision: u64) {
    store.delete(&kv_key(dedupe_key), revision).await;
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
}

impl LedgerStore for Ledger {
    async fn create(&self, key: &str, value: &'static [u8]) -> Result<Option<u64>, DepotError> {
        match self.kv.create(key, Bytes::from_static(value)).await {
            Ok(revision) => Ok(Some(revision)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(DepotError::kv(key, e)),
        }
    }

    async fn entry(&self, key: &str) -> Result<Option<LedgerEntry>, DepotError> {
        let entry = self
            .kv
            .entry(key)
            .await
            .map_err(|e| DepotError::kv(key, e))?;
        Ok(entry.map(|e| LedgerEntry {
            value: e.value.to_vec(),
            revision: e.revision,
            age: time_since(e.created.unix_timestamp()),
        }))
    }

    async fn update(
        &self,
        key: &str,
        value: &'static [u8],
        revision: u64,
    ) -> Result<u64, DepotError> {
        self.kv
            .update(key, Bytes::from_static(value), revision)
            .await
            .map_err(|e| DepotError::kv(key, e))
    }

    async fn delete(&self, key: &str, revision: u64) {
        let _ = self.kv.delete_expect_revision(key, Some(revision)).await;
    }
}

fn time_since(unix_secs: i64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Duration::from_secs(now.saturating_sub(unix_secs).max(0) as u64)
}
