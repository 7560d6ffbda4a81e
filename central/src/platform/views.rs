//! Read views central keeps in KV buckets: per aggregate, the events it has seen, keyed by their
//! stream sequence. A view consumer records each event (idempotent: a redelivered sequence is
//! already there; out-of-order deliveries are sorted by sequence), and readers fold the list with
//! the domain aggregate. Writes are compare-and-set on the entry's revision, retried on conflict.
//! Reads go to the bucket's stream leader ([`leader_entry`]), so an order checked against a view
//! sees every write acknowledged before it, on a cluster too.

use async_nats::jetstream::kv::{self, Operation, UpdateErrorKind};
use async_nats::jetstream::stream::LastRawMessageErrorKind;
use bytes::Bytes;
use mallbots_domain::error::ErrorCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::envelope::EventReader;
use super::error::PublishError;
use super::publish::Publisher;
use super::service::Runtime;
use super::topology::Bucket;

/// A view could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The KV request failed.
    #[error("kv {key}: {reason}")]
    Kv {
        /// The key.
        key: String,
        /// Client or server error.
        reason: String,
    },
    /// A stored value does not decode.
    #[error("kv {key}: undecodable value: {reason}")]
    Decode {
        /// The key.
        key: String,
        /// Decoder error.
        reason: String,
    },
}

impl ErrorCode for ViewError {
    fn code(&self) -> &'static str {
        match self {
            ViewError::Kv { .. } => "view.kv",
            ViewError::Decode { .. } => "view.decode",
        }
    }
}

/// The stored value: events with their stream sequences, ascending.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "E: Serialize + DeserializeOwned")]
struct Folded<E> {
    events: Vec<(u64, E)>,
}

fn kv_err(key: &str, e: impl std::fmt::Display) -> ViewError {
    ViewError::Kv {
        key: key.to_string(),
        reason: e.to_string(),
    }
}

async fn read<E: Serialize + DeserializeOwned>(
    store: &kv::Store,
    key: &str,
) -> Result<(Folded<E>, u64), ViewError> {
    match leader_entry(store, key).await? {
        Some(entry) if entry.operation == Operation::Put => {
            let folded = serde_json::from_slice(&entry.value).map_err(|e| ViewError::Decode {
                key: key.to_string(),
                reason: e.to_string(),
            })?;
            Ok((folded, entry.revision))
        }
        Some(entry) => Ok((Folded { events: Vec::new() }, entry.revision)),
        None => Ok((Folded { events: Vec::new() }, 0)),
    }
}

/// A key's latest entry as the bucket's stream leader has it.
#[derive(Debug, Clone)]
pub struct LeaderEntry {
    /// The value (empty for a delete or purge).
    pub value: Bytes,
    /// The entry's revision (its stream sequence).
    pub revision: u64,
    /// Put, delete or purge.
    pub operation: Operation,
}

/// Reads `key`'s latest entry from the bucket's stream leader (`STREAM.MSG.GET`).
///
/// `kv::Store::entry` uses a direct get when the bucket allows it, which any replica of an R3
/// bucket may answer, possibly before it has applied the latest write: a view read just after the
/// catalog changed could then reject an order for a product it has not seen yet. The leader has
/// every acknowledged write.
pub async fn leader_entry(store: &kv::Store, key: &str) -> Result<Option<LeaderEntry>, ViewError> {
    let subject = format!("{}{key}", store.prefix);
    match store.stream.get_last_raw_message_by_subject(&subject).await {
        Ok(m) => {
            let operation = match m.headers.get("KV-Operation").map(|v| v.as_str()) {
                Some("DEL") => Operation::Delete,
                Some("PURGE") => Operation::Purge,
                _ => Operation::Put,
            };
            Ok(Some(LeaderEntry {
                value: m.payload,
                revision: m.sequence,
                operation,
            }))
        }
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(kv_err(key, e)),
    }
}

/// Records `event` at stream sequence `seq` under `key`; a sequence already recorded is a no-op.
pub async fn record<E: Serialize + DeserializeOwned>(
    store: &kv::Store,
    key: &str,
    seq: u64,
    event: E,
) -> Result<(), ViewError> {
    let mut event = Some(event);
    loop {
        let (mut folded, revision) = read::<E>(store, key).await?;
        let at = match folded.events.binary_search_by_key(&seq, |(s, _)| *s) {
            Ok(_) => return Ok(()),
            Err(at) => at,
        };
        let Some(e) = event.take() else {
            return Ok(());
        };
        folded.events.insert(at, (seq, e));
        let bytes = serde_json::to_vec(&folded).map_err(|e| kv_err(key, e))?;
        match store.update(key, Bytes::from(bytes), revision).await {
            Ok(_) => return Ok(()),
            Err(e)
                if e.kind() == UpdateErrorKind::WrongLastRevision
                    || crate::platform::publish::is_wrong_last_sequence(&e.to_string()) =>
            {
                // Someone recorded another event meanwhile: take ours back and retry.
                let (_, ours) = folded.events.remove(at);
                event = Some(ours);
            }
            Err(e) => return Err(kv_err(key, e)),
        }
    }
}

/// The events recorded under `key`, oldest first (empty if none).
pub async fn load<E: Serialize + DeserializeOwned>(
    store: &kv::Store,
    key: &str,
) -> Result<Vec<E>, ViewError> {
    let (folded, _) = read::<E>(store, key).await?;
    Ok(folded.events.into_iter().map(|(_, e)| e).collect())
}

/// A KV bucket of the topology opened on first use (role set-up is synchronous; the bucket
/// exists once the topology is provisioned).
#[derive(Clone)]
pub struct LazyBucket {
    js: async_nats::jetstream::Context,
    name: String,
    cell: std::sync::Arc<tokio::sync::OnceCell<kv::Store>>,
}

impl std::fmt::Debug for LazyBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyBucket")
            .field("name", &self.name)
            .finish()
    }
}

impl LazyBucket {
    /// The bucket `bucket` of the runtime's topology.
    pub fn new(rt: &Runtime, bucket: Bucket) -> Self {
        Self {
            js: rt.js.clone(),
            name: rt.topology.bucket_name(bucket),
            cell: Default::default(),
        }
    }

    /// The opened bucket.
    pub async fn get(&self) -> Result<&kv::Store, ViewError> {
        self.cell
            .get_or_try_init(|| async {
                self.js
                    .get_key_value(&self.name)
                    .await
                    .map_err(|e| kv_err(&self.name, e))
            })
            .await
    }
}

/// An [`EventReader`] opened on first use (role set-up is synchronous).
#[derive(Clone)]
pub struct LazyReader {
    js: async_nats::jetstream::Context,
    publisher: Publisher,
    cell: std::sync::Arc<tokio::sync::OnceCell<EventReader>>,
}

impl std::fmt::Debug for LazyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyReader").finish_non_exhaustive()
    }
}

impl LazyReader {
    /// A reader of the runtime's events stream.
    pub fn new(rt: &Runtime) -> Self {
        Self {
            js: rt.js.clone(),
            publisher: rt.publisher.clone(),
            cell: Default::default(),
        }
    }

    /// The opened reader.
    pub async fn get(&self) -> Result<&EventReader, PublishError> {
        self.cell
            .get_or_try_init(|| EventReader::new(&self.js, &self.publisher))
            .await
    }
}
