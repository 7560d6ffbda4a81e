//! Provisioning: creates the streams, KV buckets and durable consumers of a [`Topology`]
//! idempotently, so every replica can run it at start-up, several at once.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, kv, stream};

use crate::platform::config::TopologySettings;
use crate::platform::error::TopologyError;
use crate::platform::topology::{Bucket, ConsumerSpec, StreamKind, Topology};

/// Creates (or updates to the current definition) every stream, bucket and durable consumer.
/// Safe to run concurrently from several replicas. What already exists as defined is only read,
/// never re-proposed: on a 2.15 cluster, replicas racing to create the same R3 stream can leave
/// the requests unanswered (the stream is created all the same), so callers retry with a short
/// request timeout and the retry finds everything in place.
#[tracing::instrument(skip_all, err(level = "warn"), fields(root = topology.root()))]
pub async fn ensure_topology(
    js: &jetstream::Context,
    topology: &Topology,
    settings: &TopologySettings,
) -> Result<(), TopologyError> {
    for kind in [
        StreamKind::Events,
        StreamKind::Commands,
        StreamKind::Dispatch,
        StreamKind::Dlq,
    ] {
        ensure_stream(js, topology.stream_config(kind, settings)).await?;
    }
    for bucket in Bucket::ALL {
        let name = topology.bucket_name(bucket);
        if js.get_key_value(&name).await.is_ok() {
            continue;
        }
        js.create_key_value(kv::Config {
            bucket: name.clone(),
            history: 1,
            max_age: bucket.max_age(),
            storage: stream::StorageType::File,
            num_replicas: settings.replicas,
            // Per-message TTL, so the marker a forgotten key leaves expires.
            limit_markers: bucket
                .forgets_keys()
                .then(|| settings.forgotten_marker_ttl().max(Duration::from_secs(1))),
            ..Default::default()
        })
        .await
        .map_err(|e| TopologyError::Bucket {
            name,
            reason: e.to_string(),
        })?;
    }
    for spec in topology.consumers(settings) {
        ensure_consumer(js, topology, settings, &spec).await?;
    }
    for (kind, name) in topology.retired_consumers() {
        let stream = topology.stream_name(kind);
        // Absent (the usual case) or deleted by another replica: both fine.
        let _ = js.delete_consumer_from_stream(name, &stream).await;
    }
    Ok(())
}

async fn ensure_consumer(
    js: &jetstream::Context,
    topology: &Topology,
    settings: &TopologySettings,
    spec: &ConsumerSpec,
) -> Result<(), TopologyError> {
    let stream = topology.stream_name(spec.stream);
    let config = consumer::pull::Config {
        durable_name: Some(spec.name.clone()),
        filter_subjects: spec.filters.clone(),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: settings.ack_wait(),
        max_deliver: spec.max_deliver,
        backoff: spec.backoff.clone(),
        ..Default::default()
    };
    let existing: Result<consumer::PullConsumer, _> =
        js.get_consumer_from_stream(&spec.name, &stream).await;
    if let Ok(existing) = existing {
        let c = &existing.cached_info().config;
        if c.filter_subjects == config.filter_subjects
            && c.ack_wait == config.ack_wait
            && c.max_deliver == config.max_deliver
            && c.backoff == config.backoff
        {
            return Ok(());
        }
    }
    js.create_consumer_on_stream(config, &stream)
        .await
        .map(|_| ())
        .map_err(|e| TopologyError::Consumer {
            stream,
            name: spec.name.clone(),
            reason: e.to_string(),
        })
}

/// Creates a stream, or updates it if its definition differs from `config`.
async fn ensure_stream(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<(), TopologyError> {
    let name = config.name.clone();
    let err = |reason: String| TopologyError::Stream {
        name: name.clone(),
        reason,
    };
    if let Ok(existing) = js.get_stream(&name).await {
        let c = &existing.cached_info().config;
        let same = c.subjects == config.subjects
            && c.num_replicas == config.num_replicas
            && c.duplicate_window == config.duplicate_window
            && c.retention == config.retention
            && c.max_age == config.max_age
            && c.allow_message_schedules == config.allow_message_schedules
            && c.allow_direct == config.allow_direct;
        if same {
            return Ok(());
        }
        return js
            .update_stream(&config)
            .await
            .map(|_| ())
            .map_err(|e| err(e.to_string()));
    }
    match js.create_stream(config.clone()).await {
        Ok(_) => Ok(()),
        Err(e) if is_name_in_use(&e.kind()) => js
            .update_stream(&config)
            .await
            .map(|_| ())
            .map_err(|e| err(e.to_string())),
        Err(e) => Err(err(e.to_string())),
    }
}

fn is_name_in_use(kind: &jetstream::context::CreateStreamErrorKind) -> bool {
    matches!(kind, jetstream::context::CreateStreamErrorKind::JetStream(e)
        if e.error_code() == jetstream::ErrorCode::STREAM_NAME_EXIST)
}
