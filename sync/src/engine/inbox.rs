//! Incoming: the device's durable pull consumers, applied through the inbox.
//!
//! Each fetched batch is applied in ONE writer transaction ([`local::receive`] per message,
//! then the consumer's checkpoint), and only then acknowledged: a crash before the commit
//! redelivers the batch, a crash after it redelivers messages the inbox already holds (no-ops).

use super::config::DeviceConsumer;
use super::error::SyncError;
use super::local::{self, RawMessage, Received};
use super::{Link, Shared};
use crate::store::Durability;
use async_nats::jetstream::consumer::PullConsumer;
use futures::StreamExt;
use std::time::Duration;

/// What draining a consumer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxReport {
    /// Applied through the edge's projections.
    pub applied: u64,
    /// The device's own events echoed back.
    pub echoed: u64,
    /// Parked (unknown type, newer schema, undecodable).
    pub parked: u64,
    /// Redeliveries of messages already in the inbox.
    pub duplicates: u64,
}

impl InboxReport {
    fn add(&mut self, r: &Received) {
        match r {
            Received::Applied => self.applied += 1,
            Received::Echo => self.echoed += 1,
            Received::Parked(_) => self.parked += 1,
            Received::Duplicate => self.duplicates += 1,
        }
    }

    /// Messages handled in total.
    pub fn total(&self) -> u64 {
        self.applied + self.echoed + self.parked + self.duplicates
    }
}

pub use mallbots_wire::devices::{consumer_config, DEVICE_MAX_DELIVER};

fn consumer_missing(e: &async_nats::jetstream::stream::ConsumerError) -> bool {
    use async_nats::jetstream::stream::ConsumerErrorKind;
    matches!(e.kind(), ConsumerErrorKind::JetStream(j)
        if j.error_code() == async_nats::jetstream::ErrorCode::CONSUMER_NOT_FOUND)
}

/// Binds the device's consumer, creating it when the configuration allows.
pub(crate) async fn bind(
    shared: &Shared,
    link: &Link,
    consumer: &DeviceConsumer,
) -> Result<PullConsumer, SyncError> {
    let err = |e: &dyn std::fmt::Display| SyncError::Consumer {
        consumer: consumer.name.clone(),
        reason: e.to_string(),
    };
    let stream = &shared.config.events_stream;
    match link
        .js
        .get_consumer_from_stream(&consumer.name, stream)
        .await
    {
        Ok(c) => Ok(c),
        Err(e) if shared.config.create_consumers => {
            tracing::debug!(consumer = %consumer.name, error = %e, "creating the device consumer");
            link.stream
                .create_consumer(consumer_config(consumer))
                .await
                .map_err(|e| err(&e))
        }
        Err(e) if consumer_missing(&e) => Err(SyncError::NotEnrolled(format!(
            "run `mallbots-central enroll --device {} --role {} ...` on the operator machine and \
             give this device the file (consumer {} not found)",
            shared.config.device_id, shared.config.role_name, consumer.name
        ))),
        Err(e) => Err(err(&e)),
    }
}

/// Pulls one batch (waiting up to `wait` for messages, or not at all), applies it, acks it.
/// Returns the report and the server's count of messages still pending after it.
pub(crate) async fn pull_batch(
    shared: &Shared,
    name: &str,
    consumer: &PullConsumer,
    wait: Option<Duration>,
) -> Result<(InboxReport, u64), SyncError> {
    let err = |e: &dyn std::fmt::Display| SyncError::Consumer {
        consumer: name.to_owned(),
        reason: e.to_string(),
    };
    let max = shared.config.fetch_batch;
    let mut batch = match wait {
        Some(expires) => {
            consumer
                .batch()
                .max_messages(max)
                .expires(expires)
                .messages()
                .await
        }
        None => consumer.fetch().max_messages(max).messages().await,
    }
    .map_err(|e| err(&e))?;
    let mut messages = Vec::new();
    while let Some(m) = batch.next().await {
        messages.push(m.map_err(|e| err(&e))?);
    }
    apply(shared, name, messages).await
}

/// Follows a consumer continuously (the server pushes into an open pull request): whatever
/// has arrived is applied at once, in one transaction per ready chunk of up to
/// [`super::SyncConfig::fetch_batch`] messages. Returns only on failure.
pub(crate) async fn follow(
    shared: &Shared,
    name: &str,
    consumer: &PullConsumer,
) -> Result<(), SyncError> {
    let err = |e: &dyn std::fmt::Display| SyncError::Consumer {
        consumer: name.to_owned(),
        reason: e.to_string(),
    };
    let max = shared.config.fetch_batch;
    let stream = consumer
        .stream()
        .max_messages_per_batch(max)
        .messages()
        .await
        .map_err(|e| err(&e))?;
    let mut chunks = stream.ready_chunks(max);
    while let Some(chunk) = chunks.next().await {
        let mut messages = Vec::with_capacity(chunk.len());
        let mut failure = None;
        for m in chunk {
            match m {
                Ok(m) if failure.is_none() => messages.push(m),
                Ok(_) => {}
                Err(e) => {
                    failure.get_or_insert(err(&e));
                }
            }
        }
        // What arrived before a failure is still applied and acknowledged.
        apply(shared, name, messages).await?;
        if let Some(e) = failure {
            return Err(e);
        }
    }
    Err(err(&"the consumer's message stream ended"))
}

/// Applies `messages` in one writer transaction (inbox rows, read models, the consumer's
/// checkpoint), then acknowledges them. Returns the report and the server's count of
/// messages still pending after the last one.
async fn apply(
    shared: &Shared,
    name: &str,
    messages: Vec<async_nats::jetstream::Message>,
) -> Result<(InboxReport, u64), SyncError> {
    let err = |e: &dyn std::fmt::Display| SyncError::Consumer {
        consumer: name.to_owned(),
        reason: e.to_string(),
    };
    if messages.is_empty() {
        return Ok((InboxReport::default(), 0));
    }
    let mut raws = Vec::with_capacity(messages.len());
    let mut remaining = 0;
    for m in &messages {
        let info = m.info().map_err(|e| err(&e))?;
        remaining = info.pending;
        raws.push(RawMessage {
            subject: m.subject.to_string(),
            seq: info.stream_sequence,
            headers: m.headers.clone(),
            payload: m.payload.to_vec(),
        });
    }
    let applier = shared.applier.clone();
    let checkpoint = local::consumer_checkpoint(name);
    let report = shared
        .writer
        .call_async(move |store| {
            store.transaction(Durability::Normal, |tx| {
                let mut report = InboxReport::default();
                let mut last = 0;
                for raw in &raws {
                    let (received, _) = local::receive(tx, applier.as_ref(), raw)?;
                    report.add(&received);
                    last = last.max(raw.seq);
                }
                let known = crate::store::sqlite::read::checkpoint(tx, &checkpoint)?;
                if known.is_none_or(|k| k < last) {
                    crate::store::sqlite::write::set_checkpoint(
                        tx,
                        &checkpoint,
                        last,
                        crate::store::now_ms(),
                    )?;
                }
                Ok(report)
            })
        })
        .await?;
    let acks = futures::future::join_all(messages.iter().map(|m| m.ack())).await;
    if let Some(Err(e)) = acks.into_iter().find(Result::is_err) {
        return Err(err(&e));
    }
    Ok((report, remaining))
}
