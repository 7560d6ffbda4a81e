//! Scanning the EVENTS stream: every message on a filter with its msg-id and event type
//! ([`scan_stream`]), compared with what the edge committed ([`exactly_once`]), and event types
//! repeated on one subject ([`repeated_types`]: a saga step or status change applied twice).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use futures::StreamExt;
use mallbots_central::platform::dlq;

/// One message of the EVENTS stream, as scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedEvent {
    /// Stream sequence.
    pub seq: u64,
    /// Subject.
    pub subject: String,
    /// `Nats-Msg-Id` (the event id).
    pub msg_id: String,
    /// `Mallbots-Event-Type`.
    pub event_type: String,
    /// For a dead letter: its original subject and the error (`Mallbots-Dlq-*` headers).
    pub dead_letter: Option<String>,
}

/// Every message of `stream` on `filter` (wildcards allowed), in stream order, read with an
/// ordered consumer; the count to expect is taken from the stream's per-subject totals first,
/// so the scan ends without waiting for silence.
pub async fn scan_stream(
    js: &jetstream::Context,
    stream: &str,
    filter: &str,
    timeout: Duration,
) -> Result<Vec<ScannedEvent>> {
    let stream = js.get_stream(stream).await?;
    let mut subjects = stream.info_with_subjects(filter).await?;
    let mut expected = 0u64;
    while let Some(entry) = subjects.next().await {
        expected += entry?.1 as u64;
    }
    let mut out = Vec::with_capacity(expected as usize);
    if expected == 0 {
        return Ok(out);
    }
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: filter.to_string(),
            ..OrderedConfig::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    let deadline = Instant::now() + timeout;
    while (out.len() as u64) < expected {
        let left = deadline.saturating_duration_since(Instant::now());
        let next = tokio::time::timeout(left, messages.next()).await;
        let Ok(Some(message)) = next else {
            bail!("scan of {filter}: {} of {expected} messages", out.len());
        };
        let message = message?;
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_string())
                .unwrap_or_default()
        };
        let seq = message.info().map(|i| i.stream_sequence).unwrap_or(0);
        out.push(ScannedEvent {
            seq,
            subject: message.subject.to_string(),
            msg_id: header("Nats-Msg-Id"),
            event_type: header("Mallbots-Event-Type"),
            dead_letter: (!header(dlq::H_SUBJECT).is_empty()).then(|| {
                format!(
                    "{} via {}: {}",
                    header(dlq::H_SUBJECT),
                    header(dlq::H_CONSUMER),
                    header(dlq::H_ERROR)
                )
            }),
        });
    }
    Ok(out)
}

/// What a comparison of committed events with the stream found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Committed event ids not on the stream.
    pub lost: Vec<String>,
    /// Ids on the stream more than once (each extra copy counted once).
    pub duplicates: Vec<String>,
    /// Ids on the stream that were never committed at the edge.
    pub unknown: Vec<String>,
}

/// Compares the edge's committed event ids with the scanned stream.
pub fn exactly_once(committed: &HashSet<String>, scanned: &[ScannedEvent]) -> Tally {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut tally = Tally::default();
    for e in scanned {
        let n = seen.entry(e.msg_id.as_str()).or_default();
        *n += 1;
        if *n > 1 {
            tally
                .duplicates
                .push(format!("{} (seq {})", e.msg_id, e.seq));
        }
        if !committed.contains(&e.msg_id) && *n == 1 {
            tally.unknown.push(format!("{} on {}", e.msg_id, e.subject));
        }
    }
    tally.lost = committed
        .iter()
        .filter(|id| !seen.contains_key(id.as_str()))
        .cloned()
        .collect();
    tally.lost.sort();
    tally
}

/// Event types by subject, in stream order.
pub fn types_by_subject(scanned: &[ScannedEvent]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in scanned {
        out.entry(e.subject.clone())
            .or_default()
            .push(e.event_type.clone());
    }
    out
}

/// Event types (those `unique` accepts) that occur more than once on one subject, as
/// `subject: type xN` (a saga step or a status change applied twice).
pub fn repeated_types(
    by_subject: &BTreeMap<String, Vec<String>>,
    unique: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for (subject, types) in by_subject {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for t in types {
            *counts.entry(t.as_str()).or_default() += 1;
        }
        for (t, n) in counts {
            if n > 1 && unique(t) {
                out.push(format!("{subject}: {t} x{n}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, id: &str) -> ScannedEvent {
        ScannedEvent {
            seq,
            subject: format!("r.ev.s.{id}"),
            msg_id: id.to_string(),
            event_type: "T".into(),
            dead_letter: None,
        }
    }

    #[test]
    fn tally_finds_lost_duplicated_and_unknown_events() {
        let committed: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let t = exactly_once(
            &committed,
            &[ev(1, "a"), ev(2, "b"), ev(3, "b"), ev(4, "x")],
        );
        assert_eq!(t.lost, ["c"]);
        assert_eq!(t.duplicates, ["b (seq 3)"]);
        assert_eq!(t.unknown, ["x on r.ev.s.x"]);
        let clean = exactly_once(&committed, &[ev(1, "a"), ev(2, "b"), ev(3, "c")]);
        assert_eq!(clean, Tally::default());
    }

    #[test]
    fn repeated_types_are_reported_per_subject() {
        let mut by = BTreeMap::new();
        by.insert(
            "s1".to_string(),
            vec!["A".to_string(), "B".into(), "A".into()],
        );
        by.insert("s2".to_string(), vec!["A".to_string(), "B".into()]);
        assert_eq!(repeated_types(&by, |_| true), ["s1: A x2"]);
        assert!(repeated_types(&by, |t| t == "B").is_empty());
    }
}
