//! The generic consumer worker: pulls batches from a durable consumer, decodes each message,
//! calls a [`Handler`] and applies its explicit [`Outcome`].
//!
//! * While a handler runs longer than a third of the ack wait, the worker sends `+WPI` (in
//!   progress) so the message is not redelivered meanwhile; handlers may also call
//!   [`Delivery::in_progress`] themselves.
//! * A message that fails to decode, that the handler terminates, or that would be nak'ed on its
//!   last allowed delivery is copied to `<root>.dlq.<consumer>` ([`crate::platform::dlq`]) and terminated.
//!   If the copy fails, the message is nak'ed instead, so nothing is lost. Before a nak'ed last
//!   delivery is given up, the worker holds it (with `+WPI`) and calls the handler again a few
//!   times, a back-off step apart ([`LAST_DELIVERY_RETRIES`]): a cluster electing a new stream
//!   leader (several seconds without one) must not dead-letter good messages.
//! * A nak without a delay is sent with the consumer's back-off step for that delivery, so a
//!   handler failing fast (no stream leader yet) does not burn its deliveries in milliseconds.
//! * The pull stream survives reconnects; if it ends, the worker re-attaches after a pause.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;

use super::dlq::DeadLetters;
use super::handler::{backoff_step, DecodeError, Delivery, DynHandler, Outcome};
use mallbots_wire::service_subjects::message_type;

use crate::platform::metrics::{self, Metrics};
use crate::platform::{retry, trace};

/// The first wait before re-attaching a detached consumer, and the longest.
const REATTACH_MIN: Duration = Duration::from_millis(500);
const REATTACH_MAX: Duration = Duration::from_secs(30);
use mallbots_wire::headers::H_MSG_ID;
use tracing::Instrument;

/// In-place handler retries of a nak'ed last delivery before it is dead-lettered.
pub const LAST_DELIVERY_RETRIES: u32 = 3;

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
        let mut delays = retry::delays(REATTACH_MIN, REATTACH_MAX);
        while !*shutdown.borrow() {
            let attached = Instant::now();
            if let Err(reason) = this.clone().consume(&mut shutdown).await {
                tracing::warn!(consumer = %this.consumer, %reason, "consumer detached; retrying");
                this.metrics
                    .inc(metrics::CONSUMER_ERRORS, &[("consumer", &this.consumer)]);
                // A consumer that worked for a while starts its delays over.
                if attached.elapsed() > REATTACH_MAX {
                    delays = retry::delays(REATTACH_MIN, REATTACH_MAX);
                }
                let delay = delays.next().unwrap_or(REATTACH_MAX);
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = tokio::time::sleep(delay) => {}
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
        let kind = message_type(&self.root, delivery.subject());
        let msg_id = delivery.header(H_MSG_ID).unwrap_or_default().to_owned();
        let ctx = trace::of_message(delivery.headers(), &msg_id);
        let span = tracing::info_span!(
            "message",
            consumer = %self.consumer,
            r#type = %kind,
            trace_id = ctx.map(|c| c.trace_hex()).unwrap_or_default(),
            parent_span_id = ctx.map(|c| c.span_hex()).unwrap_or_default(),
        );
        trace::within(ctx, self.handle(delivery, kind).instrument(span)).await;
    }

    /// Handles one delivery (inside its trace and span), records its outcome.
    async fn handle(self: Arc<Self>, delivery: Delivery, kind: String) {
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
        let limits = Redelivery {
            max_deliver: self.max_deliver,
            backoff: &self.backoff,
        };
        let (outcome, label) = limits.settle(result, delivery.delivered());
        let applied = self.apply(&delivery, outcome).await;
        tracing::debug!(outcome = label, applied, "handled");
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
        Redelivery {
            max_deliver: self.max_deliver,
            backoff: &self.backoff,
        }
        .is_last(delivery.delivered())
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
        delivery.settle(kind).await
    }
}

/// A consumer's redelivery limits: what the worker does with a handler's result (the one rule,
/// also run by the deterministic simulator).
#[derive(Debug, Clone, Copy)]
pub struct Redelivery<'a> {
    /// Deliveries allowed (`<= 0`: unlimited).
    pub max_deliver: i64,
    /// The back-off step per delivery.
    pub backoff: &'a [Duration],
}

impl Redelivery<'_> {
    /// Whether delivery number `delivered` (1-based) is the last allowed.
    pub fn is_last(&self, delivered: i64) -> bool {
        self.max_deliver > 0 && delivered >= self.max_deliver
    }

    /// The outcome to apply to delivery number `delivered` for the handler's `result`, and its
    /// label for the metrics: a payload that did not decode is dead-lettered, a nak on the last
    /// delivery too (`max_deliver`), a nak without a delay waits the back-off step.
    pub fn settle(
        &self,
        result: Result<Outcome, DecodeError>,
        delivered: i64,
    ) -> (Outcome, &'static str) {
        match result {
            Err(DecodeError(reason)) => (
                Outcome::Term {
                    reason: format!("decode: {reason}"),
                },
                "decode_error",
            ),
            Ok(Outcome::Nak { .. }) if self.is_last(delivered) => {
                let reason = format!("max deliveries ({}) reached", self.max_deliver);
                (Outcome::Term { reason }, "max_deliver")
            }
            Ok(Outcome::Nak { delay: None }) => {
                let delay = Some(backoff_step(self.backoff, delivered));
                (Outcome::Nak { delay }, "nak")
            }
            Ok(outcome) => {
                let label = outcome.label();
                (outcome, label)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: [Duration; 2] = [Duration::from_millis(100), Duration::from_secs(2)];

    fn limits() -> Redelivery<'static> {
        Redelivery {
            max_deliver: 3,
            backoff: &BACKOFF,
        }
    }

    #[test]
    fn a_nak_waits_its_back_off_step_until_the_last_delivery_dead_letters_it() {
        let nak = || Ok(Outcome::Nak { delay: None });
        let first = limits().settle(nak(), 1);
        assert_eq!(
            first.0,
            Outcome::Nak {
                delay: Some(BACKOFF[0])
            }
        );
        let later = limits().settle(nak(), 2);
        assert_eq!(
            later.0,
            Outcome::Nak {
                delay: Some(BACKOFF[1])
            }
        );
        let last = limits().settle(nak(), 3);
        assert!(
            matches!(last, (Outcome::Term { .. }, "max_deliver")),
            "{last:?}"
        );
        let unlimited = Redelivery {
            max_deliver: -1,
            ..limits()
        };
        assert_eq!(unlimited.settle(nak(), 500).1, "nak");
    }

    #[test]
    fn an_undecodable_payload_is_dead_lettered_and_the_rest_applied_as_given() {
        let bad = limits().settle(Err(DecodeError("eof".into())), 1);
        assert!(
            matches!(bad, (Outcome::Term { ref reason }, "decode_error") if reason.contains("eof"))
        );
        assert_eq!(limits().settle(Ok(Outcome::Ack), 3), (Outcome::Ack, "ack"));
        let given = Some(Duration::from_secs(7));
        assert_eq!(
            limits().settle(Ok(Outcome::Nak { delay: given }), 1).0,
            Outcome::Nak { delay: given }
        );
    }
}
