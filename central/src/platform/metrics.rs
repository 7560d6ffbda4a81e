//! A small hand-written metrics registry rendered in the Prometheus text format: counters,
//! gauges and latency histograms with label sets. Cheap enough for the message path (one mutex
//! lock per update) and dependency-free.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Messages received by a consumer worker, by `consumer` and `type`.
pub const RECEIVED: &str = "mallbots_messages_received_total";
/// Messages published, by `type`.
pub const SENT: &str = "mallbots_messages_sent_total";
/// Handling outcomes, by `consumer` and `outcome` (ack, nak, term, dead_letter).
pub const OUTCOMES: &str = "mallbots_message_outcomes_total";
/// Handling latency in seconds, by `consumer` and `type`.
pub const LATENCY: &str = "mallbots_message_handle_seconds";
/// Messages copied to the DLQ, by `consumer`.
pub const DEAD_LETTERS: &str = "mallbots_dead_letters_total";
/// Finished sagas, by `outcome` (approved, rejected, compensated, …).
pub const SAGA_OUTCOMES: &str = "mallbots_saga_outcomes_total";
/// Shopping lists waiting in the dispatch work queue.
pub const DISPATCH_DEPTH: &str = "mallbots_dispatch_queue_depth";
/// Bots by `status`.
pub const BOTS: &str = "mallbots_bots";
/// Consumer stream errors (missed heartbeats, reconnects), by `consumer`.
pub const CONSUMER_ERRORS: &str = "mallbots_consumer_errors_total";

/// Publishes answered "duplicate message id is in process" (error 10158), then checked.
pub const PUBLISH_IN_PROCESS: &str = "mallbots_publish_in_process_total";

/// Latency histogram bucket bounds in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

type Labels = Vec<(&'static str, String)>;
type Key = (&'static str, Labels);

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Families {
    counters: BTreeMap<Key, u64>,
    gauges: BTreeMap<Key, i64>,
    histograms: BTreeMap<Key, Histogram>,
}

/// The registry; share it as `Arc<Metrics>`.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Families>,
}

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    (
        name,
        labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect(),
    )
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Families) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Adds `n` to a counter.
    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], n: u64) {
        self.with(|f| *f.counters.entry(key(name, labels)).or_default() += n);
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1);
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: &[(&'static str, &str)], value: i64) {
        self.with(|f| f.gauges.insert(key(name, labels), value));
    }

    /// Records one latency observation.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], took: Duration) {
        let secs = took.as_secs_f64();
        self.with(|f| {
            let h = f.histograms.entry(key(name, labels)).or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        });
    }

    /// A counter's value (0 if never touched).
    pub fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> u64 {
        self.with(|f| f.counters.get(&key(name, labels)).copied().unwrap_or(0))
    }

    /// Sum of a counter over all label sets.
    pub fn counter_total(&self, name: &'static str) -> u64 {
        self.with(|f| {
            f.counters
                .iter()
                .filter(|((n, _), _)| *n == name)
                .map(|(_, v)| v)
                .sum()
        })
    }

    /// A finished saga, by outcome.
    pub fn saga_outcome(&self, outcome: &str) {
        self.inc(SAGA_OUTCOMES, &[("outcome", outcome)]);
    }

    /// Number of bots in `status`.
    pub fn set_bots(&self, status: &str, count: i64) {
        self.set(BOTS, &[("status", status)], count);
    }

    /// Renders every family in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.with(|f| {
            let mut last = "";
            for ((name, labels), value) in &f.counters {
                header(&mut out, &mut last, name, "counter");
                let _ = writeln!(out, "{name}{} {value}", fmt_labels(labels, None));
            }
            for ((name, labels), value) in &f.gauges {
                header(&mut out, &mut last, name, "gauge");
                let _ = writeln!(out, "{name}{} {value}", fmt_labels(labels, None));
            }
            for ((name, labels), h) in &f.histograms {
                header(&mut out, &mut last, name, "histogram");
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let le = bound.to_string();
                    let l = fmt_labels(labels, Some(&le));
                    let _ = writeln!(out, "{name}_bucket{l} {}", h.counts[i]);
                }
                let l = fmt_labels(labels, Some("+Inf"));
                let _ = writeln!(out, "{name}_bucket{l} {}", h.count);
                let plain = fmt_labels(labels, None);
                let _ = writeln!(out, "{name}_sum{plain} {}", h.sum);
                let _ = writeln!(out, "{name}_count{plain} {}", h.count);
            }
        });
        out
    }
}

fn header<'a>(out: &mut String, last: &mut &'a str, name: &'a str, kind: &str) {
    if *last != name {
        let _ = writeln!(out, "# TYPE {name} {kind}");
        *last = name;
    }
}

fn fmt_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::new();
        m.inc(RECEIVED, &[("consumer", "c"), ("type", "t")]);
        m.inc(RECEIVED, &[("consumer", "c"), ("type", "t")]);
        m.set_bots("idle", 3);
        m.observe(LATENCY, &[("consumer", "c")], Duration::from_millis(2));
        let text = m.render();
        assert!(text.contains("# TYPE mallbots_messages_received_total counter"));
        assert!(text.contains("mallbots_messages_received_total{consumer=\"c\",type=\"t\"} 2"));
        assert!(text.contains("mallbots_bots{status=\"idle\"} 3"));
        assert!(
            text.contains("mallbots_message_handle_seconds_bucket{consumer=\"c\",le=\"0.0025\"} 1")
        );
        assert!(text.contains("mallbots_message_handle_seconds_count{consumer=\"c\"} 1"));
        assert_eq!(m.counter_total(RECEIVED), 2);
    }
}
