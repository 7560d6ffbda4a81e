//! The sync engine's error type: specific variants with stable, machine-readable codes.
//!
//! Store failures are wrapped ([`SyncError::Store`]); NATS failures are split by operation
//! (connect, publish, read, consume) so the runner can tell "offline, retry with backoff" from
//! "this build cannot go on".

use crate::store::StoreError;
use mallbots_domain::ErrorCode;

/// Everything that can stop a sync pass.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No connection to NATS could be made.
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect {
        /// The server URL(s).
        url: String,
        /// What the client reported.
        reason: String,
    },
    /// A publish failed for a reason other than a conflict or a lost ack (the connection broke,
    /// permission refused, no stream for the subject …).
    #[error("publishing to {subject} failed: {reason}")]
    Publish {
        /// The subject.
        subject: String,
        /// What the server or client reported.
        reason: String,
    },
    /// Reading a subject back (direct get) failed.
    #[error("reading {subject} back failed: {reason}")]
    ReadBack {
        /// The subject.
        subject: String,
        /// What the server or client reported.
        reason: String,
    },
    /// The device's durable consumer could not be found, created or read.
    #[error("consumer {consumer} failed: {reason}")]
    Consumer {
        /// The durable name.
        consumer: String,
        /// What the server or client reported.
        reason: String,
    },
    /// The device's durable consumer does not exist: the device was never enrolled (or its
    /// enrollment was removed). Retried with a growing backoff.
    #[error(
        "not enrolled: run `mallbots-central enroll --device {device} --role {role} ...` on the \
         operator machine and give this device the file (consumer {consumer} not found)"
    )]
    NotEnrolled {
        /// This device's id.
        device: String,
        /// Its role (`kiosk`, `manager`, …).
        role: String,
        /// The consumer the server does not know.
        consumer: String,
    },
    /// The server refused this device's credentials (authorization violation, bad creds).
    /// Retried with a growing backoff. Never carries a secret.
    #[error("refused: the NATS server refused this device's credentials ({reason})")]
    Refused {
        /// What the client reported (no credentials in it).
        reason: String,
    },
    /// The configuration is unusable (empty device id, bad subject root …).
    #[error("invalid sync configuration: {0}")]
    Config(String),
}

impl SyncError {
    /// True when the failure is about reaching NATS (the runner backs off and reconnects).
    pub fn is_transient(&self) -> bool {
        !matches!(self, SyncError::Store(_) | SyncError::Config(_))
    }

    /// The sync state this failure puts the device in, for the status
    /// ([`super::status::SyncStatus::state`]): `not_enrolled`, `refused`, else `offline`.
    pub fn state(&self) -> &'static str {
        match self {
            SyncError::NotEnrolled { .. } => "not_enrolled",
            SyncError::Refused { .. } => "refused",
            _ => "offline",
        }
    }
}

impl ErrorCode for SyncError {
    fn code(&self) -> &'static str {
        match self {
            SyncError::Store(e) => e.code(),
            SyncError::Connect { .. } => "sync.connect",
            SyncError::Publish { .. } => "sync.publish",
            SyncError::ReadBack { .. } => "sync.read_back",
            SyncError::Consumer { .. } => "sync.consumer",
            SyncError::NotEnrolled { .. } => "sync.not_enrolled",
            SyncError::Refused { .. } => "sync.refused",
            SyncError::Config(_) => "sync.config",
        }
    }
}
