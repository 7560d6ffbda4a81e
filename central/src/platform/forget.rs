//! Forgetting a KV key a grace period after its last write (docs/architecture.md §8 P7: finished
//! saga keys and finished shopping lists leave their buckets, so KV stays flat over months).
//!
//! The purge expects that write's revision, so a later write wins, and leaves a marker: a saga
//! input that finds it is ignored, never taken for a new saga. The marker expires after
//! `marker_ttl` (a per-message TTL, so the bucket holds no key per finished order for ever). A
//! bucket created by a version without per-message TTL refuses the TTL: the key is then purged
//! with a marker that stays.

use std::time::Duration;

use async_nats::jetstream::kv;

use crate::platform::publish::is_wrong_last_sequence;

/// When a finished key goes, and how long its marker stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forgetting {
    /// After the key's last write: long enough for redelivered duplicates to still find it.
    pub grace: Duration,
    /// How long the purge marker stays (at least a second, the TTL's unit).
    pub marker_ttl: Duration,
}

/// Waits `forgetting.grace`, then purges `key` if its revision is still `revision`.
pub async fn purge_after(
    store: &kv::Store,
    key: &str,
    revision: u64,
    forgetting: Forgetting,
) -> Result<(), kv::PurgeError> {
    tokio::time::sleep(forgetting.grace).await;
    let ttl = forgetting.marker_ttl.max(Duration::from_secs(1));
    match store
        .purge_expect_revision_with_ttl(key, revision, ttl)
        .await
    {
        Err(e) if !is_wrong_last_sequence(&e.to_string()) => {
            tracing::debug!(key, error = %e, "purge marker without a TTL (bucket without per-message TTL)");
            store.purge_expect_revision(key, Some(revision)).await
        }
        purged => purged,
    }
}
