//! Shared fixtures for the store tests: event builders and a tiny counter aggregate.
#![allow(dead_code)]

use mallbots_domain::{Aggregate, DomainEvent, ErrorCode};
use mallbots_sync::store::{AppendRequest, EventMetadata, NewEvent, SqliteStore};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tempfile::TempDir;
use uuid::Uuid;

/// A file-backed store in a fresh temp dir (keep the dir alive as long as the store).
pub fn sqlite_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("edge.db"), &[]).expect("open store");
    (dir, store)
}

/// An event with a fresh id, relayed to `subject`.
pub fn event(event_type: &str, payload: serde_json::Value, subject: Option<&str>) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        payload,
        metadata: EventMetadata {
            correlation_id: Some(Uuid::now_v7()),
            causation_id: None,
            device_id: Some("kiosk-1".to_owned()),
            user: Some("ann".to_owned()),
            schema_version: 0,
        },
        occurred_at: 1_700_000_000_000,
        subject: subject.map(str::to_owned),
    }
}

/// `n` relayed events for stream `basket/<id>`.
pub fn basket_events(id: &str, n: usize) -> Vec<NewEvent> {
    (0..n)
        .map(|i| {
            event(
                "BasketItemAdded",
                json!({"type": "BasketItemAdded", "n": i}),
                Some(&format!("mallbots.ev.kiosk.k1.basket.{id}")),
            )
        })
        .collect()
}

/// An append to `basket/<id>`.
pub fn basket_append(id: &str, expected: u64, n: usize) -> AppendRequest {
    AppendRequest::new("basket", id, expected, basket_events(id, n))
}

/// The test aggregate: a counter that can be incremented and reset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub total: i64,
    pub increments: u32,
}

/// Counter commands.
#[derive(Debug, Clone)]
pub enum CounterCommand {
    Increment(i64),
    Reset,
}

/// Counter events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CounterEvent {
    Incremented { by: i64 },
    Reset,
}

impl DomainEvent for CounterEvent {
    fn event_type(&self) -> &'static str {
        match self {
            CounterEvent::Incremented { .. } => "Incremented",
            CounterEvent::Reset => "Reset",
        }
    }
}

/// Counter rule violations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CounterError {
    #[error("increment must be positive")]
    NotPositive,
}

impl ErrorCode for CounterError {
    fn code(&self) -> &'static str {
        "counter.not_positive"
    }
}

impl Aggregate for Counter {
    const STREAM_TYPE: &'static str = "counter";
    type Command = CounterCommand;
    type Event = CounterEvent;
    type Error = CounterError;

    fn decide(&self, command: &CounterCommand) -> Result<Vec<CounterEvent>, CounterError> {
        match command {
            CounterCommand::Increment(by) if *by <= 0 => Err(CounterError::NotPositive),
            CounterCommand::Increment(by) => Ok(vec![CounterEvent::Incremented { by: *by }]),
            CounterCommand::Reset => Ok(vec![CounterEvent::Reset]),
        }
    }

    fn apply(&mut self, event: &CounterEvent) {
        match event {
            CounterEvent::Incremented { by } => {
                self.total += by;
                self.increments += 1;
            }
            CounterEvent::Reset => self.total = 0,
        }
    }
}
