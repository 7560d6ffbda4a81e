//! [`EdgeError`]: every way a use case or query can fail, with a machine-readable
//! [`EdgeError::code`] and a `{code, message}` serialization for the UI and `--json`.
//!
//! Domain rule violations keep their domain codes (`basket.store_not_participating`), store
//! errors keep the store's (`store.concurrency`), sync failures the sync engine's
//! (`sync.connect`, `sync.publish`, `sync.consumer` …); the edge adds `not_found`,
//! `invalid_input`, `io` and `not_available`.

use mallbots_domain::{DomainError, ErrorCode};
use mallbots_sync::engine::SyncError;
use mallbots_sync::store::StoreError;
use serde::ser::SerializeStruct;

/// A failed use case or query.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    /// A domain rule refused the command.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The event store failed (concurrency, SQLite, codec...).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The thing asked for does not exist here.
    #[error("{what} {id} not found")]
    NotFound {
        /// What kind of thing, e.g. `"cart"`.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// An argument is malformed (bad id, bad price, bad CSV header...).
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The argument or field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A file could not be read or written.
    #[error("i/o error ({context}): {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Sync with central failed (NATS unreachable, publish refused, consumer missing …); the
    /// code says which (`sync.connect`, `sync.publish`, `sync.read_back`, `sync.consumer`,
    /// `sync.config`). A store failure during sync is [`EdgeError::Store`].
    #[error("sync failed: {0}")]
    Sync(SyncError),
    /// The feature is not available in this build or state (e.g. sync before it is wired).
    #[error("{0}")]
    NotAvailable(String),
    /// Refused by a rule of this device or database, with its own stable code
    /// (`edge.database_in_use`, `edge.read_only`, `device.mismatch`, `catalog.kiosk_forbidden`,
    /// `catalog.not_your_store`, `manager.user_required`, `sync.not_enrolled` ...).
    #[error("{message}")]
    Refused {
        /// The stable code.
        code: &'static str,
        /// What happened and what fixes it.
        message: String,
    },
}

impl EdgeError {
    /// An [`EdgeError::InvalidInput`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        EdgeError::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An [`EdgeError::NotFound`].
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        EdgeError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// An [`EdgeError::Io`].
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EdgeError::Io {
            context: context.into(),
            source,
        }
    }

    /// An [`EdgeError::Refused`] with `code`.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        EdgeError::Refused {
            code,
            message: message.into(),
        }
    }

    /// The stable machine-readable code the UI and scripts branch on.
    pub fn code(&self) -> &'static str {
        match self {
            EdgeError::Domain(e) => e.code(),
            EdgeError::Store(e) => e.code(),
            EdgeError::NotFound { .. } => "not_found",
            EdgeError::InvalidInput { .. } => "invalid_input",
            EdgeError::Io { .. } => "io",
            EdgeError::Sync(e) => e.code(),
            EdgeError::NotAvailable(_) => "not_available",
            EdgeError::Refused { code, .. } => code,
        }
    }

    /// True for an optimistic-concurrency conflict (worth a retry).
    pub fn is_concurrency(&self) -> bool {
        matches!(self, EdgeError::Store(e) if e.is_concurrency())
    }
}

impl ErrorCode for EdgeError {
    fn code(&self) -> &'static str {
        EdgeError::code(self)
    }
}

impl From<rusqlite::Error> for EdgeError {
    fn from(err: rusqlite::Error) -> Self {
        EdgeError::Store(StoreError::Sqlite(err))
    }
}

macro_rules! domain_from {
    ($($ty:path),*) => {
        $(impl From<$ty> for EdgeError {
            fn from(err: $ty) -> Self {
                EdgeError::Domain(DomainError::from(err))
            }
        })*
    };
}

domain_from!(
    mallbots_domain::stores::StoreError,
    mallbots_domain::products::ProductError,
    mallbots_domain::customers::CustomerError,
    mallbots_domain::baskets::BasketError,
    mallbots_domain::ordering::OrderError
);

impl serde::Serialize for EdgeError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("EdgeError", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mallbots_domain::baskets::BasketError;

    #[test]
    fn serializes_as_code_and_message() {
        let err = EdgeError::from(BasketError::StoreNotParticipating);
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], "basket.store_not_participating");
        assert!(json["message"].as_str().unwrap().contains("participate"));
        assert_eq!(EdgeError::not_found("cart", "x").code(), "not_found");
    }

    #[test]
    fn sync_failures_carry_the_engine_code() {
        let err = crate::sync::edge_error(SyncError::Connect {
            url: "nats://127.0.0.1:1".into(),
            reason: "connection refused".into(),
        });
        assert_eq!(err.code(), "sync.connect");
        let json = serde_json::to_value(&err).unwrap();
        assert!(json["message"].as_str().unwrap().contains("127.0.0.1:1"));
        let store = crate::sync::edge_error(SyncError::Store(StoreError::Closed));
        assert_eq!(store.code(), StoreError::Closed.code());
    }
}
