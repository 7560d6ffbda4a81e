//! The generic consumer worker: pulls batches from a durable consumer, decodes each message,
//! calls a [`Handler`] and applies its explicit [`Outcome`].
//!
//! * While a handler runs longer than a third of the ack wait, the worker sends `+WPI` (in
//!   progress) so the message is not redelivered meanwhile; handlers may also call
//!   [`Delivery::in_progress`] themselves.
//! * A message that fails to decode, that the handler terminates, or that would be nak'ed on its
//!   last allowed delivery is copied to `<root>.dlq.<consumer>` ([`crate::dlq`]) and terminated.
//!   If the copy fails, the message is nak'ed instead, so nothing is lost. Before a nak'ed last
//!   delivery is given up, the worker holds it (with `+WPI`) and calls the handler again a few
//!   times, a back-off step apart ([`LAST_DELIVERY_RETRIES`]): a cluster electing a new stream
//!   leader (several seconds without one) must not dead-letter good messages.
//! * A nak without a delay is sent with the consumer's back-off step for that delivery, so a
//!   handler failing fast (no stream leader yet) does not burn its deliveries in milliseconds.
//! * The pull stream survives reconnects; if it ends, the worker re-attaches after a pause.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::dlq::DeadLetters;
use crate::metrics::{self, Metrics};

/// In-place handler retries of a nak'ed last delivery before it is dead-lettered.
pub const LAST_DELIVERY_RETRIES: u32 = 3;

/// What to do with a handled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done: acknowledge.
    Ack,
    /// Try again later (after `delay`, or the consumer's back-off).
    Nak {
        /// Redelivery delay; `None` uses the consumer's back-off.
        delay: Option<Duration>,
    },
    /// Never succeeds: dead-letter with `reason`, then terminate.
    Term {
        /// Why (stored in the DLQ entry).
        reason: String,
    },
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Ack => "ack",
            Outcome::Nak { .. } => "nak",
            Outcome::Term { .. } => "term",
        }
    }
}

/// The payload could not be decoded into the handler's message type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("decode: {0}")]
pub struct DecodeError(pub String);

/// One delivered message with its JetStream metadata.
#[derive(Debug)]
pub struct Delivery {
    message: jetstream::Message,
    stream_sequence: u64,
    delivered: i64,
    stream: String,
    published_ms: Option<i64>,
}

impl Delivery {
    fn new(message: jetstream::Message) -> Self {
        let (stream_sequence, delivered, stream, published_ms) = match message.info() {
            Ok(info) => (
                info.stream_sequence,
                info.delivered,
                info.stream.to_string(),
                epoch_ms(info.published.into()),
            ),
            Err(_) => (0, 1, String::new(), None),
        };
        Self {
            message,
            stream_sequence,
            delivered,
            stream,
            published_ms,
        }
    }

    /// When the stream stored the message (its JetStream timestamp), in ms since the epoch: the
    /// same on every delivery and every replica, unlike the time it arrives.
    pub fn published_ms(&self) -> Option<i64> {
        self.published_ms
    }

    /// The subject it was published to.
    pub fn subject(&self) -> &str {
        self.message.subject.as_str()
    }

    /// The payload.
    pub fn payload(&self) -> &Bytes {
        &self.message.payload
    }

    /// The headers, if any.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.message.headers.as_ref()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()?.get(name).map(|v| v.as_str())
    }

    /// Its sequence in the stream.
    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence
    }

    /// The stream it came from.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// How many times it has been delivered (1 on the first delivery).
    pub fn delivered(&self) -> i64 {
        self.delivered
    }

    /// Tells the server that work is still going on (`+WPI`), resetting the ack wait.
    pub async fn in_progress(&self) {
        let _ = self.message.ack_with(AckKind::Progress).await;
    }
}

/// The step of `backoff` after delivery number `delivered` (1-based), the last step past the
/// end, 1 s without a back-off.
pub fn backoff_step(backoff: &[Duration], delivered: i64) -> Duration {
    let index = usize::try_from(delivered.max(1) - 1).unwrap_or(0);
    backoff
        .get(index)
        .or(backoff.last())
        .copied()
        .unwrap_or(Duration::from_secs(1))
}

/// Milliseconds since the epoch of `at` (None before 1970 or past i64).
pub fn epoch_ms(at: std::time::SystemTime) -> Option<i64> {
    let ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    i64::try_from(ms).ok()
}

/// The newest `Mallbots-Schema-Version` central reads (every domain event is at version 1).
pub const SCHEMA_VERSION: u32 = 1;

/// Why a message's `Mallbots-Schema-Version` header is one central cannot read (newer than
/// `newest`, or not a version at all); `None` without the header or for a readable version.
pub fn unsupported_schema(delivery: &Delivery, newest: u32) -> Option<String> {
    let raw = delivery.header(crate::envelope::H_SCHEMA_VERSION)?;
    match raw.trim().parse::<u32>() {
        Ok(v) if (1..=newest).contains(&v) => None,
        Ok(v) => Some(format!(
            "schema.unsupported: version {v}, this build reads 1 to {newest}"
        )),
        Err(_) => Some(format!(
            "schema.unsupported: version {:?} is not a number",
            raw.chars().take(32).collect::<String>()
        )),
    }
}

/// Handles one consumer's messages. Implement this; the worker does the rest.
pub trait Handler: Send + Sync + 'static {
    /// The decoded message.
    type Message: DeserializeOwned + Send;

    /// The newest `Mallbots-Schema-Version` this handler reads. A message declaring a newer
    /// (or unreadable) version is dead-lettered with reason `schema.unsupported` before it is
    /// decoded, so it is never half-applied by code that does not know its fields.
    fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    /// Decodes the payload (JSON by default). An error dead-letters the message.
    fn decode(&self, delivery: &Delivery) -> Result<Self::Message, DecodeError> {
        serde_json::from_slice(delivery.payload()).map_err(|e| DecodeError(e.to_string()))
    }

    /// Handles a decoded message and says what to do with it.
    fn handle(
        &self,
        delivery: &Delivery,
        message: Self::Message,
    ) -> impl Future<Output = Outcome> + Send;
}

/// Object-safe form of [`Handler`], used by the registry and the worker.
pub trait DynHandler: Send + Sync {
    /// Decodes and handles.
    fn call<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Outcome, DecodeError>>;
}

impl<H: Handler> DynHandler for H {
    fn call<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Outcome, DecodeError>> {
        Box::pin(async move {
            if let Some(reason) = unsupported_schema(delivery, self.schema_version()) {
                return Ok(Outcome::Term { reason });
            }
            let message = self.decode(delivery)?;
            Ok(self.handle(delivery, message).await)
        })
    }
}

/// One durable consumer's worker.
pub struct Worker {
    /// Durable consumer name.
    pub consumer: String,
    /// Stream the consumer is on.
    pub stream: String,
    /// JetStream context.
    pub js: jetstream::Context,
    /// The handler.
    pub handler: Arc<dyn DynHandler>,
    /// Where dead letters go.
    pub dead_letters: DeadLetters,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Subject root (for message-type labels).
    pub root: String,
    /// Messages per pull.
    pub batch: usize,
    /// Messages handled at once.
    pub concurrency: usize,
    /// The consumer's redelivery window: its ack wait, or its first back-off step if shorter
    /// (progress is sent every third of it).
    pub ack_wait: Duration,
    /// The consumer's max deliveries (-1 = unlimited).
    pub max_deliver: i64,
    /// The consumer's redelivery back-off (empty: none); a nak without a delay uses the step for
    /// the delivery's number, the last step past the end.
    pub backoff: Vec<Duration>,
}

impl Worker {
    /// Runs until `shutdown` becomes true; in-flight messages are finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let this = Arc::new(self);
        while !*shutdown.borrow() {
            if let Err(reason) = this.clone().consume(&mut shutdown).await {
                tracing::warn!(consumer = %this.consumer, %reason, "consumer detached; retrying");
                this.metrics
                    .inc(metrics::CONSUMER_ERRORS, &[("consumer", &this.consumer)]);
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
        tracing::info!(consumer = %this.consumer, "worker stopped");
    }

    async fn consume(self: Arc<Self>, shutdown: &mut watch::Receiver<bool>) -> Result<(), String> {
        let consumer: jetstream::consumer::PullConsumer = self
            .js
            .get_consumer_from_stream(&self.consumer, &self.stream)
            .await
            .map_err(|e| e.to_string())?;
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(self.batch)
            .heartbeat(Duration::from_secs(5))
            .messages()
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(consumer = %self.consumer, stream = %self.stream, "worker attached");
        let mut in_flight = FuturesUnordered::new();
        let result = loop {
            tokio::select! {
                _ = shutdown.changed() => break Ok(()),
                Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
                next = messages.next(), if in_flight.len() < self.concurrency => match next {
                    Some(Ok(message)) => in_flight.push(self.clone().process(message)),
                    Some(Err(e)) => {
                        tracing::debug!(consumer = %self.consumer, error = %e, "pull stream error");
                        self.metrics.inc(metrics::CONSUMER_ERRORS, &[("consumer", &self.consumer)]);
                    }
                    None => break Err("pull stream ended".to_string()),
                },
            }
        };
        while in_flight.next().await.is_some() {}
        result
    }

    async fn process(self: Arc<Self>, message: jetstream::Message) {
        let delivery = Delivery::new(message);
        let kind = metrics::message_type(&self.root, delivery.subject());
        let labels = [
            ("consumer", self.consumer.as_str()),
            ("type", kind.as_str()),
        ];
        self.metrics.inc(metrics::RECEIVED, &labels);
        let started = Instant::now();
        let mut result = self.with_progress(&delivery).await;
        if self.is_last(&delivery) {
            let mut retries = 0;
            while matches!(result, Ok(Outcome::Nak { .. })) && retries < LAST_DELIVERY_RETRIES {
                retries += 1;
                self.hold(&delivery, self.backoff_step(delivery.delivered()))
                    .await;
                tracing::debug!(consumer = %self.consumer, retries, "last delivery retried");
                result = self.with_progress(&delivery).await;
            }
        }
        let (outcome, label) = match result {
            Err(DecodeError(reason)) => (
                Outcome::Term {
                    reason: format!("decode: {reason}"),
                },
                "decode_error",
            ),
            Ok(Outcome::Nak { .. }) if self.is_last(&delivery) => {
                let reason = format!("max deliveries ({}) reached", self.max_deliver);
                (Outcome::Term { reason }, "max_deliver")
            }
            Ok(Outcome::Nak { delay: None }) => {
                let delay = Some(self.backoff_step(delivery.delivered()));
                (Outcome::Nak { delay }, "nak")
            }
            Ok(outcome) => {
                let label = outcome.label();
                (outcome, label)
            }
        };
        let applied = self.apply(&delivery, outcome).await;
        self.metrics
            .observe(metrics::LATENCY, &labels, started.elapsed());
        self.metrics.inc(
            metrics::OUTCOMES,
            &[
                ("consumer", self.consumer.as_str()),
                ("outcome", if applied { label } else { "ack_failed" }),
            ],
        );
    }

    /// Whether `delivery` is the last the consumer allows.
    fn is_last(&self, delivery: &Delivery) -> bool {
        self.max_deliver > 0 && delivery.delivered() >= self.max_deliver
    }

    /// The back-off step after delivery number `delivered` (1-based).
    fn backoff_step(&self, delivered: i64) -> Duration {
        backoff_step(&self.backoff, delivered)
    }

    /// Waits `pause` while keeping the message with `+WPI` every third of the ack wait.
    async fn hold(&self, delivery: &Delivery, pause: Duration) {
        let every = (self.ack_wait / 3).max(Duration::from_millis(100));
        let until = tokio::time::Instant::now() + pause;
        loop {
            delivery.in_progress().await;
            let now = tokio::time::Instant::now();
            if now >= until {
                return;
            }
            tokio::time::sleep(every.min(until - now)).await;
        }
    }

    /// Runs the handler, sending `+WPI` every third of the ack wait while it is busy.
    async fn with_progress(&self, delivery: &Delivery) -> Result<Outcome, DecodeError> {
        let call = self.handler.call(delivery);
        tokio::pin!(call);
        let every = (self.ack_wait / 3).max(Duration::from_millis(100));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                result = &mut call => return result,
                _ = ticker.tick() => delivery.in_progress().await,
            }
        }
    }

    /// Acks, naks or dead-letters + terminates. Returns false if the server could not be told.
    async fn apply(&self, delivery: &Delivery, outcome: Outcome) -> bool {
        let kind = match outcome {
            Outcome::Ack => AckKind::Ack,
            Outcome::Nak { delay } => AckKind::Nak(delay),
            Outcome::Term { reason } => {
                match self
                    .dead_letters
                    .copy(&self.consumer, delivery, &reason)
                    .await
                {
                    Ok(_) => AckKind::Term,
                    Err(e) => {
                        tracing::warn!(consumer = %self.consumer, error = %e, "dead-lettering failed; nak");
                        AckKind::Nak(Some(Duration::from_secs(1)))
                    }
                }
            }
        };
        delivery.message.ack_with(kind).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naks_wait_the_back_off_step_of_their_delivery() {
        let ms = Duration::from_millis;
        let backoff = [ms(100), ms(200), ms(400)];
        assert_eq!(backoff_step(&backoff, 1), ms(100));
        assert_eq!(backoff_step(&backoff, 3), ms(400));
        assert_eq!(
            backoff_step(&backoff, 9),
            ms(400),
            "the last step past the end"
        );
        assert_eq!(backoff_step(&backoff, 0), ms(100));
        assert_eq!(backoff_step(&[], 2), Duration::from_secs(1));
    }

    #[test]
    fn epoch_milliseconds() {
        let at = std::time::UNIX_EPOCH + Duration::from_millis(1_795_440_349_956);
        assert_eq!(epoch_ms(at), Some(1_795_440_349_956));
        assert_eq!(
            epoch_ms(std::time::UNIX_EPOCH - Duration::from_secs(1)),
            None
        );
    }
}
