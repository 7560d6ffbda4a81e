//! The payments role's I/O edge: its aggregates' subjects (read back and appended with the
//! expected last subject sequence), commands and replies it publishes, in-progress acks while
//! the gateway works, and the time. Production's is [`NatsPaymentsIo`] (JetStream, one per
//! delivery); the deterministic simulator (`mallbots-sim`) brings its own, so both run the
//! same [`super::handler::Payments`] logic.

use std::future::Future;

use async_nats::HeaderMap;
use bytes::Bytes;

use crate::platform::envelope::{EventReader, StoredEvent};
use crate::platform::error::PublishError;
use crate::platform::handler::Delivery;
use crate::platform::service::Runtime;
use crate::platform::topology::Topology;

/// What the payments logic needs from the world.
pub trait PaymentsIo: Send + Sync {
    /// Subject, stream and bucket names.
    fn topology(&self) -> &Topology;

    /// Every event on `subject`, oldest first.
    fn history(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Vec<StoredEvent>, PublishError>> + Send;

    /// Appends one event to `subject` expecting `expected` as its last sequence; its sequence.
    fn append(
        &self,
        subject: &str,
        expected: u64,
        event_id: &str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> impl Future<Output = Result<u64, PublishError>> + Send;

    /// Publishes a command or reply with `Nats-Msg-Id = msg_id`.
    fn publish(
        &self,
        subject: &str,
        msg_id: &str,
        payload: Bytes,
    ) -> impl Future<Output = Result<(), PublishError>> + Send;

    /// Tells the server the message is still being worked on.
    fn in_progress(&self) -> impl Future<Output = ()> + Send;

    /// Now, in ms since the epoch (a reply's time).
    fn now_ms(&self) -> i64;
}

/// JetStream as the payments role's I/O, for one delivery.
pub struct NatsPaymentsIo<'a> {
    /// The replica's runtime.
    pub rt: &'a Runtime,
    /// Direct gets on the events stream.
    pub reader: &'a EventReader,
    /// The message being handled.
    pub delivery: &'a Delivery,
}

impl PaymentsIo for NatsPaymentsIo<'_> {
    fn topology(&self) -> &Topology {
        &self.rt.topology
    }

    async fn history(&self, subject: &str) -> Result<Vec<StoredEvent>, PublishError> {
        self.reader.history(subject).await
    }

    async fn append(
        &self,
        subject: &str,
        expected: u64,
        event_id: &str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<u64, PublishError> {
        self.rt
            .publisher
            .publish_event(subject, event_id, expected, headers, payload)
            .await
            .map(|p| p.sequence)
    }

    async fn publish(
        &self,
        subject: &str,
        msg_id: &str,
        payload: Bytes,
    ) -> Result<(), PublishError> {
        self.rt
            .publisher
            .publish(subject, msg_id, Default::default(), payload)
            .await
            .map(|_| ())
    }

    async fn in_progress(&self) {
        self.delivery.in_progress().await
    }

    fn now_ms(&self) -> i64 {
        crate::platform::envelope::now_ms()
    }
}
