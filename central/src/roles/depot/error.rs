//! Infrastructure errors of the depot (domain rule violations stay `ListError` / `BotError` and
//! travel as reply reasons).

use mallbots_domain::error::ErrorCode;
use thiserror::Error;

use crate::platform::error::PublishError;

/// Reading or writing a depot aggregate (KV mirror + event subject) failed.
#[derive(Debug, Error)]
pub enum DepotError {
    /// Another writer got there first and retries did not settle it.
    #[error("concurrent writers on {key}: gave up after {attempts} attempts")]
    Concurrency {
        /// The KV key.
        key: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A KV request failed.
    #[error("kv {key}: {reason}")]
    Kv {
        /// The key.
        key: String,
        /// Client or server error.
        reason: String,
    },
    /// A stored value or event does not decode.
    #[error("undecodable {what}: {reason}")]
    Decode {
        /// What was read.
        what: String,
        /// Decoder error.
        reason: String,
    },
    /// Reading the event stream failed.
    #[error("reading {subject}: {reason}")]
    Read {
        /// Subject read.
        subject: String,
        /// Client or server error.
        reason: String,
    },
    /// Publishing failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// Fetching from the dispatch consumer failed.
    #[error("dispatch: {0}")]
    Dispatch(String),
}

impl ErrorCode for DepotError {
    fn code(&self) -> &'static str {
        match self {
            DepotError::Concurrency { .. } => "depot.concurrency",
            DepotError::Kv { .. } => "depot.kv",
            DepotError::Decode { .. } => "depot.decode",
            DepotError::Read { .. } => "depot.read",
            DepotError::Publish(e) => e.code(),
            DepotError::Dispatch(_) => "depot.dispatch",
        }
    }
}

impl DepotError {
    pub(crate) fn kv(key: &str, e: impl std::fmt::Display) -> Self {
        DepotError::Kv {
            key: key.to_string(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn decode(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        DepotError::Decode {
            what: what.into(),
            reason: e.to_string(),
        }
    }
}
