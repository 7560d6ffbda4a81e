//! Specific error enums of the central service, each with stable machine-readable codes
//! ([`ErrorCode`]) that the HTTP API returns as `{code, message}`.

use std::path::PathBuf;

use mallbots_domain::error::ErrorCode;
use thiserror::Error;

/// Configuration could not be loaded or is invalid.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The config file could not be read or parsed.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A `MALLBOTS__…` variable names no setting.
    #[error("unknown setting {0}")]
    UnknownKey(String),
    /// A setting has an unusable value.
    #[error("setting {key}: {reason}")]
    Value {
        /// Dotted path or variable name.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(err: serde_json::Error) -> Self {
        Self::Value {
            key: "settings".into(),
            reason: err.to_string(),
        }
    }
}

impl ErrorCode for ConfigError {
    fn code(&self) -> &'static str {
        match self {
            Self::File { .. } => "config.file",
            Self::UnknownKey(_) => "config.unknown_key",
            Self::Value { .. } => "config.invalid_value",
        }
    }
}

/// Creating streams, buckets or consumers failed.
#[derive(Debug, Error)]
pub enum TopologyError {
    /// A stream could not be created or updated.
    #[error("stream {name}: {reason}")]
    Stream {
        /// Stream name.
        name: String,
        /// Server or client error.
        reason: String,
    },
    /// A KV bucket could not be created or updated.
    #[error("kv bucket {name}: {reason}")]
    Bucket {
        /// Bucket name.
        name: String,
        /// Server or client error.
        reason: String,
    },
    /// A durable consumer could not be created or updated.
    #[error("consumer {stream}/{name}: {reason}")]
    Consumer {
        /// Stream name.
        stream: String,
        /// Consumer name.
        name: String,
        /// Server or client error.
        reason: String,
    },
}

impl ErrorCode for TopologyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Stream { .. } => "topology.stream",
            Self::Bucket { .. } => "topology.bucket",
            Self::Consumer { .. } => "topology.consumer",
        }
    }
}

/// Publishing to JetStream failed.
#[derive(Debug, Error)]
pub enum PublishError {
    /// Someone else wrote the subject since the expected sequence (a concurrency conflict).
    #[error("wrong last sequence on {subject} (expected {expected})")]
    WrongLastSequence {
        /// Subject published to.
        subject: String,
        /// The expected last subject sequence that was sent.
        expected: u64,
    },
    /// An event subject was published without an expected last subject sequence.
    #[error("{0} is an event subject: use publish_event with an expected sequence")]
    EventNeedsExpectedSequence(String),
    /// No acknowledgement in time (the message may or may not be stored).
    #[error("publish to {0} timed out")]
    TimedOut(String),
    /// The server kept answering that a publish with the same msg-id is in process (error
    /// 10158) and the message did not show up on its subject in time: retry later.
    #[error("publish to {0}: the same msg-id stayed in process")]
    InProcess(String),
    /// Any other client or server failure.
    #[error("publish to {subject}: {reason}")]
    Other {
        /// Subject published to.
        subject: String,
        /// What went wrong.
        reason: String,
    },
}

impl ErrorCode for PublishError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongLastSequence { .. } => "publish.wrong_last_sequence",
            Self::EventNeedsExpectedSequence(_) => "publish.event_needs_expected_sequence",
            Self::TimedOut(_) => "publish.timed_out",
            Self::InProcess(_) => "publish.in_process",
            Self::Other { .. } => "publish.failed",
        }
    }
}

/// Listing or replaying dead letters failed.
#[derive(Debug, Error)]
pub enum DlqError {
    /// No dead letter with that DLQ stream sequence.
    #[error("no dead letter with sequence {0}")]
    NotFound(u64),
    /// The entry lacks the original-subject header, so it cannot be replayed.
    #[error("dead letter {0} has no original subject header")]
    MissingSubject(u64),
    /// An event-log entry that lacks what puts it back exactly where it was meant to go (its
    /// original msg-id and expected last subject sequence): replaying it could duplicate it.
    #[error("dead letter {seq} ({subject}) cannot be replayed into the event log: {why}")]
    EventLogReplay {
        /// DLQ sequence.
        seq: u64,
        /// Original subject.
        subject: String,
        /// What is missing.
        why: String,
    },
    /// The aggregate was written after the sequence the event-log entry expected: the entry is
    /// no longer valid where it was meant to go.
    #[error("dead letter {seq}: {subject} has moved past sequence {expected}; not replayed")]
    Conflict {
        /// DLQ sequence.
        seq: u64,
        /// Original subject.
        subject: String,
        /// The expected last subject sequence of the original.
        expected: u64,
    },
    /// The entry holds only the first bytes of an oversized original; replay it from its
    /// original stream and sequence instead.
    #[error("dead letter {seq} holds {kept} of the original's {original} bytes; replaying it would send a truncated message")]
    Truncated {
        /// DLQ sequence.
        seq: u64,
        /// Bytes kept.
        kept: usize,
        /// The original's length.
        original: String,
    },
    /// The event-log stream's msg-id de-duplication window still holds the original's msg-id
    /// (its original was taken out of the log moments ago): nothing was appended; replay it
    /// again once the window (`topology.duplicate_window_ms`) has passed.
    #[error("dead letter {seq}: msg-id {msg_id} is still in the stream's de-duplication window; replay it again later")]
    DedupWindow {
        /// DLQ sequence.
        seq: u64,
        /// The original msg-id.
        msg_id: String,
    },
    /// Reading or writing JetStream failed.
    #[error("dlq: {0}")]
    Nats(String),
}

impl ErrorCode for DlqError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "dlq.not_found",
            Self::MissingSubject(_) => "dlq.missing_subject",
            Self::EventLogReplay { .. } => "dlq.event_log_replay",
            Self::Conflict { .. } => "dlq.conflict",
            Self::DedupWindow { .. } => "dlq.dedup_window",
            Self::Truncated { .. } => "dlq.truncated",
            Self::Nats(_) => "dlq.nats",
        }
    }
}

/// Start-up or run-time failure of the service as a whole.
#[derive(Debug, Error)]
pub enum CentralError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Could not connect to NATS.
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect {
        /// The configured URL.
        url: String,
        /// Client error.
        reason: String,
    },
    /// Topology creation failed.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// A KV bucket of the topology could not be opened.
    #[error("kv bucket {name}: {reason}")]
    Bucket {
        /// Bucket name.
        name: String,
        /// Client or server error.
        reason: String,
    },
    /// The HTTP listener failed.
    #[error("http: {0}")]
    Http(String),
}

impl ErrorCode for CentralError {
    fn code(&self) -> &'static str {
        match self {
            Self::Config(e) => e.code(),
            Self::Connect { .. } => "central.connect",
            Self::Topology(e) => e.code(),
            Self::Bucket { .. } => "central.bucket",
            Self::Http(_) => "central.http",
        }
    }
}
