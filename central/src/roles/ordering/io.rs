//! The ordering context's I/O edge: reading an order's subjects, appending to central's order
//! and order-line subjects with the expected last subject sequence, publishing follow-up
//! commands and replies, the customer's phone for the order lines, and the time. Production's
//! is [`NatsOrderingIo`]; the deterministic simulator (`mallbots-sim`) brings its own, so both
//! run the same [`super::Ordering`] logic.

use async_nats::HeaderMap;
use bytes::Bytes;
use futures::future::BoxFuture;
use mallbots_domain::CustomerId;
use tokio::sync::OnceCell;

use crate::platform::envelope::{EventReader, StoredEvent};
use crate::platform::error::PublishError;
use crate::platform::service::Runtime;
use crate::platform::topology::{Bucket, Topology};
use crate::platform::views::LazyBucket;
use crate::roles::customers::load_customer;

/// What the ordering logic needs from the world.
pub trait OrderingIo: Send + Sync {
    /// Subject, stream and bucket names.
    fn topology(&self) -> &Topology;

    /// The first message on `subject` (a wildcard may stand for the device).
    fn first<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredEvent>, PublishError>>;

    /// Every message on `subject`, oldest first.
    fn history<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, PublishError>>;

    /// The last sequence on `subject` (0 if none), as the stream leader has it.
    fn last_sequence<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<u64, PublishError>>;

    /// Appends one event to `subject` expecting `expected` as its last sequence; its sequence.
    fn append<'a>(
        &'a self,
        subject: &'a str,
        expected: u64,
        event_id: &'a str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> BoxFuture<'a, Result<u64, PublishError>>;

    /// Publishes a command or reply with `Nats-Msg-Id = msg_id`.
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        msg_id: &'a str,
        payload: Bytes,
    ) -> BoxFuture<'a, Result<(), PublishError>>;

    /// The customer's SMS number, if central's customers view knows it.
    fn customer_phone(&self, customer: CustomerId) -> BoxFuture<'_, Option<String>>;

    /// Now, in ms since the epoch.
    fn now_ms(&self) -> i64;
}

/// JetStream as the ordering context's I/O.
pub struct NatsOrderingIo {
    rt: Runtime,
    reader: OnceCell<EventReader>,
    customers: LazyBucket,
}

impl NatsOrderingIo {
    /// Over the runtime's streams and buckets.
    pub fn new(rt: Runtime) -> Self {
        Self {
            customers: LazyBucket::new(&rt, Bucket::Customers),
            reader: OnceCell::new(),
            rt,
        }
    }

    async fn reader(&self) -> Result<&EventReader, PublishError> {
        self.reader
            .get_or_try_init(|| EventReader::new(&self.rt.js, &self.rt.publisher))
            .await
    }
}

impl OrderingIo for NatsOrderingIo {
    fn topology(&self) -> &Topology {
        &self.rt.topology
    }

    fn first<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredEvent>, PublishError>> {
        Box::pin(async move { self.reader().await?.first(subject).await })
    }

    fn history<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, PublishError>> {
        Box::pin(async move { self.reader().await?.history(subject).await })
    }

    fn last_sequence<'a>(&'a self, subject: &'a str) -> BoxFuture<'a, Result<u64, PublishError>> {
        Box::pin(self.rt.publisher.last_subject_sequence(subject))
    }

    fn append<'a>(
        &'a self,
        subject: &'a str,
        expected: u64,
        event_id: &'a str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> BoxFuture<'a, Result<u64, PublishError>> {
        Box::pin(async move {
            self.rt
                .publisher
                .publish_event(subject, event_id, expected, headers, payload)
                .await
                .map(|p| p.sequence)
        })
    }

    fn publish<'a>(
        &'a self,
        subject: &'a str,
        msg_id: &'a str,
        payload: Bytes,
    ) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            self.rt
                .publisher
                .publish(subject, msg_id, Default::default(), payload)
                .await
                .map(|_| ())
        })
    }

    fn customer_phone(&self, customer: CustomerId) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move {
            match load_customer(&self.customers, customer).await {
                Ok(c) if c.is_registered() => Some(c.sms_number().to_owned()),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(%customer, error = %e,
                        "customers view unreadable: order lines without the phone's last digits");
                    None
                }
            }
        })
    }

    fn now_ms(&self) -> i64 {
        crate::platform::envelope::now_ms()
    }
}
