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
    /// The server refused the device's credentials (wrong password, unknown user, revoked).
    /// Retried with a growing backoff. The message never contains the password.
    #[error("NATS refused the credentials of user {user}: {reason}")]
    Refused {
        /// The NATS user (never the password).
        user: String,
        /// What the server said, e.g. "authorization violation".
        reason: String,
    },
    /// The device is not enrolled: no credentials file where one is expected, or its durable
    /// consumer does not exist (never enrolled, or the enrollment was removed). Retried with a
    /// growing backoff; the message says what the operator must do.
    #[error("not enrolled: {0}")]
    NotEnrolled(String),
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
            SyncError::NotEnrolled(_) => "not_enrolled",
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
            SyncError::Refused { .. } => "sync.refused",
            SyncError::NotEnrolled(_) => "sync.not_enrolled",
            SyncError::Config(_) => "sync.config",
        }
    }
}

impl From<mallbots_wire::credentials::CredentialsError> for SyncError {
    fn from(e: mallbots_wire::credentials::CredentialsError) -> Self {
        use mallbots_wire::credentials::CredentialsError;
        match e {
            CredentialsError::Missing(m) => SyncError::NotEnrolled(m),
            CredentialsError::Invalid(m) => SyncError::Config(m),
        }
    }
}
