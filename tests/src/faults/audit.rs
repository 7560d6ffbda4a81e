//! The end-to-end audit of a reliability run, after every order has settled:
//!
//! * every event the kiosk committed is on the EVENTS stream exactly once (by `Nats-Msg-Id`),
//!   at the sequence the kiosk recorded (or, after a recovery that read only the subject's last
//!   message, at a later event of its own on the same subject), and nothing else is on the
//!   kiosk's subjects;
//! * every order the kiosk reported as committed is in its database;
//! * every order's saga finished on central (readied, completed, rejected or canceled) and the
//!   kiosk shows that status;
//! * no step was applied twice: no status event twice on an order subject, no payment event
//!   twice, no shopping list created or completed twice, no saga step succeeding twice, and no
//!   central event folded twice into the kiosk's copy of an order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use anyhow::{anyhow, Result};
use async_nats::jetstream;
use mallbots_domain::saga::list_id_for;
use mallbots_domain::{OrderId, SagaId};
use mallbots_edge::Edge;
use mallbots_sync::store::StoredEvent;
use serde_json::Value;

use super::stream::{exactly_once, repeated_types, scan_stream, types_by_subject};
use super::world::is_final;
use super::Figures;

/// Central's order events that end the automatic flow.
const FINAL_TYPES: [&str; 4] = [
    "OrderReadied",
    "OrderCompleted",
    "OrderRejected",
    "OrderCanceled",
];

/// What the audit found; [`Audit::assert_clean`] fails the test unless it is all empty.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// Orders the kiosk committed.
    pub orders: usize,
    /// Events the kiosk committed (its own, all relayed).
    pub events: usize,
    /// Messages scanned on the stream.
    pub scanned: usize,
    /// Committed but missing (from the stream, or from the kiosk after being reported).
    pub lost: Vec<String>,
    /// On the stream, or applied, more than once.
    pub duplicates: Vec<String>,
    /// Anything else inconsistent: unknown messages, wrong recorded sequences, unfinished orders.
    pub other: Vec<String>,
    /// Events recorded as accepted at the sequence of a later event of theirs on the same
    /// subject (a recovery that could read only the subject's last message).
    pub accepted_by_later: usize,
    /// Messages central dead-lettered (each also listed in `other`).
    pub dead_letters: usize,
    /// The kiosk's orders by status.
    pub statuses: BTreeMap<String, usize>,
}

impl Audit {
    /// Nothing lost, duplicated or left unfinished.
    pub fn is_clean(&self) -> bool {
        self.lost.is_empty() && self.duplicates.is_empty() && self.other.is_empty()
    }

    /// Writes what every reliability test reports into `f`: lost, duplicates, events, scanned,
    /// dead letters, other findings and the kiosk's orders by status.
    pub fn record(&self, f: &mut Figures) {
        f.lost = self.lost.len() as u64;
        f.duplicates = self.duplicates.len() as u64;
        f.extra.insert("events".into(), self.events.into());
        f.extra.insert("scanned".into(), self.scanned.into());
        f.extra
            .insert("dead_letters".into(), self.dead_letters.into());
        f.extra
            .insert("other_findings".into(), self.other.len().into());
        f.extra
            .insert("accepted_by_later".into(), self.accepted_by_later.into());
        f.extra.insert(
            "statuses".into(),
            serde_json::to_value(&self.statuses).expect("statuses are plain JSON"),
        );
    }

    /// Panics with the first findings unless nothing was lost, duplicated or left unfinished.
    pub fn assert_clean(&self, seed: u64) {
        let show = |v: &[String]| v.iter().take(20).cloned().collect::<Vec<_>>().join("\n  ");
        assert!(
            self.is_clean(),
            "seed {seed}: {} lost, {} duplicated, {} other\nlost:\n  {}\nduplicates:\n  {}\nother:\n  {}",
            self.lost.len(),
            self.duplicates.len(),
            self.other.len(),
            show(&self.lost),
            show(&self.duplicates),
            show(&self.other),
        );
    }
}

/// Where to look.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// Subject root.
    pub root: &'a str,
    /// Stream and bucket prefix.
    pub prefix: &'a str,
    /// The kiosk's device id.
    pub device: &'a str,
}

/// The kiosk's events (every non-superseded one), from its export.
pub fn kiosk_events(kiosk: &Edge) -> Result<Vec<StoredEvent>> {
    let mut buf = Vec::new();
    kiosk
        .export_events(&mut buf)
        .map_err(|e| anyhow!("export: {e}"))?;
    String::from_utf8_lossy(&buf)
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| anyhow!("export line: {e}")))
        .collect()
}

/// Audits a settled run; `reported` are order ids a driver saw committed (e.g. printed by
/// `mallbots loadgen`).
pub async fn audit(
    kiosk: &Edge,
    js: &jetstream::Context,
    scope: &Scope<'_>,
    reported: &[String],
) -> Result<Audit> {
    let timeout = Duration::from_secs(60);
    let stream = format!("{}EVENTS", scope.prefix);
    let events = kiosk_events(kiosk)?;
    let own: Vec<&StoredEvent> = events
        .iter()
        .filter(|e| e.metadata.device_id.as_deref() == Some(scope.device))
        .collect();
    let orders: Vec<String> = own
        .iter()
        .filter(|e| e.event_type == "OrderCreated")
        .map(|e| e.stream_id.clone())
        .collect();
    let mut a = Audit {
        orders: orders.len(),
        events: own.len(),
        ..Audit::default()
    };
    let order_set: HashSet<&str> = orders.iter().map(String::as_str).collect();
    for id in reported {
        if !order_set.contains(id.as_str()) {
            a.lost
                .push(format!("order {id} reported committed, not in the kiosk"));
        }
    }

    let (root, device) = (scope.root, scope.device);
    let kiosk_msgs =
        scan_stream(js, &stream, &format!("{root}.ev.kiosk.{device}.>"), timeout).await?;
    a.scanned += kiosk_msgs.len();
    let committed: HashSet<String> = own.iter().map(|e| e.event_id.to_string()).collect();
    let tally = exactly_once(&committed, &kiosk_msgs);
    a.lost.extend(
        tally
            .lost
            .into_iter()
            .map(|id| format!("event {id} not on the stream")),
    );
    a.duplicates.extend(
        tally
            .duplicates
            .into_iter()
            .map(|d| format!("event {d} twice")),
    );
    a.other.extend(
        tally
            .unknown
            .into_iter()
            .map(|u| format!("uncommitted {u}")),
    );
    let seq_of: HashMap<&str, (u64, &str)> = kiosk_msgs
        .iter()
        .map(|m| (m.msg_id.as_str(), (m.seq, m.subject.as_str())))
        .collect();
    let at_seq: HashMap<u64, (&str, &str)> = kiosk_msgs
        .iter()
        .map(|m| (m.seq, (m.subject.as_str(), m.msg_id.as_str())))
        .collect();
    for e in &own {
        let found = seq_of.get(e.event_id.to_string().as_str()).copied();
        let on_stream = found.map(|(seq, _)| seq);
        // Recovery after a lost flush reads back only the subject's last message (a device
        // may read nothing else, docs/architecture.md §5): the events before it are recorded as accepted
        // at that later sequence (sync/src/engine/plan.rs, `MarkAccepted`). Sound when the
        // recorded sequence is a later event of ours on the same subject.
        let accepted_by_later = match (found, e.stream_seq) {
            (Some((seq, subject)), Some(recorded)) if recorded > seq => at_seq
                .get(&recorded)
                .is_some_and(|(s, id)| *s == subject && committed.contains(*id)),
            _ => false,
        };
        if accepted_by_later {
            a.accepted_by_later += 1;
        } else if on_stream.is_some() && e.stream_seq != on_stream {
            a.other.push(format!(
                "event {} recorded at {:?}, on the stream at {on_stream:?}",
                e.event_id, e.stream_seq
            ));
        }
    }

    let order_msgs =
        scan_stream(js, &stream, &format!("{root}.ev.order.{device}.>"), timeout).await?;
    a.scanned += order_msgs.len();
    let by_order = types_by_subject(&order_msgs);
    a.duplicates.extend(repeated_types(&by_order, |_| true));
    let mut lists = BTreeMap::new();
    for (filter, unique) in [
        (format!("{root}.ev.payments.>"), None),
        (
            format!("{root}.ev.depot.list.>"),
            Some(["Created", "Completed"]),
        ),
    ] {
        let msgs = scan_stream(js, &stream, &filter, timeout).await?;
        a.scanned += msgs.len();
        let by = types_by_subject(&msgs);
        a.duplicates.extend(repeated_types(&by, |t| {
            unique.is_none_or(|u| u.iter().any(|s| t.ends_with(s)))
        }));
        lists = by;
    }
    for id in &orders {
        let subject = format!("{root}.ev.order.{device}.{id}");
        let types = by_order.get(&subject);
        if !types
            .and_then(|t| t.last())
            .is_some_and(|t| FINAL_TYPES.contains(&t.as_str()))
        {
            let list = id
                .parse::<OrderId>()
                .map(|o| list_id_for(SagaId::from(o)).to_string())
                .unwrap_or_default();
            let list_types = lists.get(&format!("{root}.ev.depot.list.{list}"));
            a.other.push(format!(
                "order {id}: saga unfinished; central's order events {types:?}, list {list} events {list_types:?}"
            ));
        }
    }

    let held: HashSet<String> = events.iter().map(|e| e.event_id.to_string()).collect();
    for m in &order_msgs {
        if !held.contains(&m.msg_id) {
            a.lost.push(format!(
                "central's {} {} (seq {} on {}) never reached the kiosk",
                m.event_type, m.msg_id, m.seq, m.subject
            ));
        }
    }
    a.duplicates.extend(kiosk_repeats(&events, device));
    a.other.extend(out_of_order(&events, device));
    for id in &orders {
        let status = kiosk
            .order(id.parse().map_err(|_| anyhow!("order id {id}"))?)
            .map(|o| o.status)
            .unwrap_or_else(|e| format!("missing: {e}"));
        *a.statuses.entry(status.clone()).or_default() += 1;
        if !is_final(&status) {
            a.other.push(format!("order {id}: kiosk shows {status}"));
        }
    }
    a.duplicates
        .extend(saga_repeats(js, scope.prefix, &orders).await);
    Ok(a)
}

/// Central's events folded more than once into the kiosk's copy of one order.
fn kiosk_repeats(events: &[StoredEvent], device: &str) -> Vec<String> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in events {
        if e.stream_type == "order" && e.metadata.device_id.as_deref() != Some(device) {
            by.entry(format!("kiosk order {}", e.stream_id))
                .or_default()
                .push(e.event_type.clone());
        }
    }
    repeated_types(&by, |_| true)
}

/// Central's events the kiosk folded into an order in a different order than the stream's
/// (e.g. a redelivered `OrderShoppingStarted` after the `OrderReadied` that followed it).
fn out_of_order(events: &[StoredEvent], device: &str) -> Vec<String> {
    let mut last: HashMap<&str, (u64, &str)> = HashMap::new();
    let mut out = Vec::new();
    for e in events {
        if e.stream_type != "order" || e.metadata.device_id.as_deref() == Some(device) {
            continue;
        }
        let Some(seq) = e.stream_seq else { continue };
        if let Some((prev, prev_type)) = last.get(e.stream_id.as_str()) {
            if *prev > seq {
                out.push(format!(
                    "kiosk order {}: {} (seq {seq}) folded after {prev_type} (seq {prev})",
                    e.stream_id, e.event_type
                ));
            }
        }
        last.insert(e.stream_id.as_str(), (seq, e.event_type.as_str()));
    }
    out
}

/// Saga steps that succeeded more than once (from the `sagas` bucket; finished sagas whose key
/// was already deleted are skipped).
async fn saga_repeats(js: &jetstream::Context, prefix: &str, orders: &[String]) -> Vec<String> {
    let Ok(kv) = js.get_key_value(format!("{prefix}sagas")).await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for id in orders {
        let Ok(Some(bytes)) = kv.get(id).await else {
            continue;
        };
        let Ok(state) = serde_json::from_slice::<Value>(&bytes) else {
            out.push(format!("saga {id}: state is not JSON"));
            continue;
        };
        let mut succeeded: BTreeMap<String, usize> = BTreeMap::new();
        for r in state["records"].as_array().into_iter().flatten() {
            if r["direction"] == "forward" && r["status"] == "succeeded" {
                *succeeded.entry(r["step"].to_string()).or_default() += 1;
            }
        }
        for (step, n) in succeeded {
            if n > 1 {
                out.push(format!("saga {id}: step {step} succeeded x{n}"));
            }
        }
    }
    out
}
