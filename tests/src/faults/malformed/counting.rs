//! Counting: dead letters by consumer ([`dead_letters`]), messages per subject
//! ([`subject_counts`], [`total`]), consumers not drained yet ([`undrained`]), and how each edge
//! recorded the bad messages it was sent ([`edge_outcomes`], [`parked_good`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use mallbots_central::platform::dlq;
use mallbots_sync::store::sqlite::read;
use mallbots_sync::store::{StoreOptions, StoreReader, Upcasters};
use uuid::Uuid;

use super::generators::Bad;

/// Dead letters of one consumer: entries, and the distinct originals (stream, sequence).
#[derive(Debug, Default)]
pub struct DeadLetterCount {
    /// Entries.
    pub entries: u64,
    /// Distinct originals.
    pub distinct: BTreeSet<(String, u64)>,
    /// Entries by reason prefix (the text before the first `:`).
    pub reasons: BTreeMap<String, u64>,
}

/// Reads the whole DLQ stream once (an ordered consumer) and groups it by consumer.
pub async fn dead_letters(
    js: &jetstream::Context,
    stream: &str,
) -> BTreeMap<String, DeadLetterCount> {
    let s = js.get_stream(stream).await.expect("DLQ stream");
    let total = s.get_info().await.expect("info").state.messages;
    let mut out: BTreeMap<String, DeadLetterCount> = BTreeMap::new();
    if total == 0 {
        return out;
    }
    let consumer = s
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("ordered consumer");
    let mut messages = consumer.messages().await.expect("messages");
    let mut read = 0;
    while read < total {
        let m = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("DLQ read in time")
            .expect("DLQ message")
            .expect("DLQ message ok");
        read += 1;
        let h = |name: &str| {
            m.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default()
        };
        let entry = out.entry(h(dlq::H_CONSUMER)).or_default();
        entry.entries += 1;
        entry
            .distinct
            .insert((h(dlq::H_STREAM), h(dlq::H_SEQUENCE).parse().unwrap_or(0)));
        let error = h(dlq::H_ERROR);
        let reason = error.split(':').next().unwrap_or_default().to_owned();
        *entry.reasons.entry(reason).or_default() += 1;
    }
    out
}

/// Messages per subject matching `filter` in `stream`.
pub async fn subject_counts(
    js: &jetstream::Context,
    stream: &str,
    filter: &str,
) -> BTreeMap<String, u64> {
    let s = js.get_stream(stream).await.expect("stream");
    let mut info = s.info_with_subjects(filter).await.expect("subjects");
    let mut out = BTreeMap::new();
    while let Some(entry) = info.next().await {
        let (subject, n) = entry.expect("subject count");
        out.insert(subject, n as u64);
    }
    out
}

/// Messages on all of `filters` in `stream`.
pub async fn total(js: &jetstream::Context, stream: &str, filters: &[String]) -> u64 {
    let mut n = 0;
    for f in filters {
        n += subject_counts(js, stream, f).await.values().sum::<u64>();
    }
    n
}

/// Every durable consumer the server has on `streams`, as (stream, name): central's, whatever
/// the topology says, and the devices'.
pub async fn consumers_on(js: &jetstream::Context, streams: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for stream in streams {
        let s = js.get_stream(stream).await.expect("stream");
        let mut names = s.consumer_names();
        while let Some(name) = names.next().await {
            out.push((stream.clone(), name.expect("consumer name")));
        }
    }
    out
}

/// The consumers that still have messages pending or unacknowledged (empty = drained).
pub async fn undrained(js: &jetstream::Context, consumers: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (stream, name) in consumers {
        let info = match js
            .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(name, stream)
            .await
        {
            Ok(mut c) => c.info().await.map(|i| (i.num_pending, i.num_ack_pending)),
            Err(e) => {
                out.push(format!("{name}: {e}"));
                continue;
            }
        };
        match info {
            Ok((0, 0)) => {}
            Ok((pending, acks)) => out.push(format!("{name}: {pending} pending, {acks} unacked")),
            Err(e) => out.push(format!("{name}: {e}")),
        }
    }
    out
}

/// A parked row of a good message: central's (`Mallbots-Device: central`, which no bad
/// message here claims together with a causation id) with a `Mallbots-Causation-Id` that is
/// not a UUID (central's depot events once carried ids such as `online/<session>/<bot>`, which
/// the edge decoder refused, so manager devices parked every depot event).
pub fn parked_good(raw: Option<&str>) -> bool {
    let Some(v) = raw.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()) else {
        return false;
    };
    let h = &v["headers"];
    let causation = h["Mallbots-Causation-Id"].as_str();
    h["Mallbots-Device"] == "central" && causation.is_some_and(|c| Uuid::parse_str(c).is_err())
}

/// How one device's inbox recorded what it was sent.
#[derive(Debug, Default)]
pub struct EdgeOutcomes {
    /// Bad messages (with an event id) not parked, by `<device>/<class>/<status>`.
    pub not_parked: BTreeMap<String, u64>,
    /// Good messages (central's) parked.
    pub good_parked: u64,
}

/// Reads `device`'s database `db` and records, for each `(device, class, id)` in `tracked`
/// that is this device's, how its inbox holds it; and counts parked good messages.
pub fn edge_outcomes(db: &Path, device: &str, tracked: &[(&str, Bad, Uuid)]) -> EdgeOutcomes {
    let reader = StoreReader::open(db, Arc::new(Upcasters::new()), &StoreOptions::default())
        .expect("read the edge db");
    let conn = reader.connection();
    let mut out = EdgeOutcomes::default();
    for (d, class, id) in tracked.iter().filter(|t| t.0 == device) {
        let status = match read::inbox_entry(conn, *id).expect("inbox") {
            Some(row) => format!("{:?}", row.record.status).to_lowercase(),
            None => "missing".to_owned(),
        };
        if status != "parked" {
            *out.not_parked
                .entry(format!("{d}/{class:?}/{status}"))
                .or_default() += 1;
        }
    }
    let parked = read::parked_inbox(conn).expect("parked rows");
    out.good_parked = parked
        .iter()
        .filter(|r| parked_good(r.record.raw.as_deref()))
        .count() as u64;
    out
}
