//! The handler contract: one [`Delivery`] (a message with its JetStream metadata) goes to a
//! [`Handler`], which decodes it and says what to do with it as an explicit [`Outcome`]. The
//! consumer loop (`worker`, a layer above) runs handlers; every role implements them.

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;

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
    pub(crate) fn label(&self) -> &'static str {
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
    pub(crate) fn new(message: jetstream::Message) -> Self {
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

    /// Sends the final acknowledgement (the worker's, after the handler's outcome); true if sent.
    pub(crate) async fn settle(&self, kind: AckKind) -> bool {
        self.message.ack_with(kind).await.is_ok()
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
    let raw = delivery.header(mallbots_wire::headers::H_SCHEMA_VERSION)?;
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
