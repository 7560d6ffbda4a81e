//! The devices registry, KV bucket `<stream-prefix>devices` (key = device id, value JSON
//! `{"device":"k1","role":"kiosk|manager|depot","stores":["<store-id>",...]}`), written at
//! enrollment and read by the desk handlers to authorize a request by the device in its subject.
//!
//! A device without an entry (or an entry that does not parse, or no bucket at all) is not a
//! desk: its requests are refused.

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use mallbots_domain::desk::DeskAccess;
use serde::{Deserialize, Serialize};

/// The base name of the bucket (after the stream prefix).
pub const DEVICES_BUCKET: &str = "devices";

/// The bucket's name for `prefix`.
pub fn bucket_name(prefix: &str) -> String {
    format!("{prefix}{DEVICES_BUCKET}")
}

/// One registry entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEntry {
    /// The device id (= the key).
    pub device: String,
    /// `kiosk`, `manager` or `depot`.
    pub role: String,
    /// A manager's stores.
    #[serde(default)]
    pub stores: Vec<String>,
}

impl DeviceEntry {
    /// What the entry allows a desk.
    pub fn access(&self) -> DeskAccess {
        DeskAccess {
            role: self.role.clone(),
            stores: self.stores.clone(),
        }
    }
}

/// Why the registry could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("devices registry {bucket}: {reason}")]
pub struct RegistryError {
    /// The bucket.
    pub bucket: String,
    /// What failed.
    pub reason: String,
}

/// Reads (and, at enrollment, writes) the registry.
#[derive(Clone, Debug)]
pub struct Registry {
    js: jetstream::Context,
    bucket: String,
    replicas: usize,
}

impl Registry {
    /// The registry of stream prefix `prefix`.
    pub fn new(js: jetstream::Context, prefix: &str, replicas: usize) -> Self {
        Self {
            js,
            bucket: bucket_name(prefix),
            replicas,
        }
    }

    fn err(&self, e: impl std::fmt::Display) -> RegistryError {
        RegistryError {
            bucket: self.bucket.clone(),
            reason: e.to_string(),
        }
    }

    /// The entry of `device`: `Ok(None)` when the bucket or the key does not exist or the value
    /// does not parse (not a desk); `Err` when the server could not be asked (retry).
    pub async fn lookup(&self, device: &str) -> Result<Option<DeviceEntry>, RegistryError> {
        let store = match self.js.get_key_value(&self.bucket).await {
            Ok(s) => s,
            // No bucket yet: nobody was enrolled with a registry entry.
            Err(e) if format!("{e:?}").to_lowercase().contains("not found") => return Ok(None),
            Err(e) => return Err(self.err(e)),
        };
        let Some(value) = store.get(device).await.map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        match serde_json::from_slice::<DeviceEntry>(&value) {
            Ok(entry) if entry.device == device => Ok(Some(entry)),
            Ok(_) | Err(_) => {
                tracing::warn!(device, bucket = %self.bucket, "unusable devices registry entry");
                Ok(None)
            }
        }
    }

    /// Records `entry` (creating the bucket if needed); idempotent.
    pub async fn record(&self, entry: &DeviceEntry) -> Result<(), RegistryError> {
        let store = match self.js.get_key_value(&self.bucket).await {
            Ok(s) => s,
            Err(_) => self
                .js
                .create_key_value(kv::Config {
                    bucket: self.bucket.clone(),
                    history: 1,
                    num_replicas: self.replicas,
                    ..Default::default()
                })
                .await
                .map_err(|e| self.err(e))?,
        };
        let value = serde_json::to_vec(entry).map_err(|e| self.err(e))?;
        store
            .put(&entry.device, Bytes::from(value))
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
