//! Central's metrics, through the `prometheus-client` crate: every family is registered once
//! with its help text and type ([`FAMILIES`]), rendered in the OpenMetrics text format (`# HELP`,
//! `# TYPE`, `# EOF`) on `GET /metrics`, with the process's own figures ([`process`]: CPU,
//! memory, open files, threads, start time) read at each scrape.
//!
//! Updates go to the family's atomic for that label set (a read lock on the family's map, a
//! write lock only the first time a label set is seen); callers keep naming families by the
//! constants below.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashMap;
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
/// KV operations on saga state (reads and writes), by `op`, for the P5 figures.
pub const SAGA_KV_OPS: &str = "mallbots_saga_kv_ops_total";
/// Saga inputs applied, by `result` (`applied`, `duplicate`, `ignored`, `conflict`).
pub const SAGA_INPUTS: &str = "mallbots_saga_inputs_total";
/// Finished saga keys purged.
pub const SAGAS_FORGOTTEN: &str = "mallbots_saga_keys_forgotten_total";

/// The type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (name ends in `_total`).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Observations in [`BUCKETS`].
    Histogram,
}

/// Every family central exports: name, type, help (the encoder ends it with a full stop).
/// Families in [`UNLABELLED`] have one series and no labels.
pub const FAMILIES: &[(&str, Kind, &str)] = &[
    (RECEIVED, Kind::Counter, "Messages received by a consumer worker, by consumer and message type"),
    (SENT, Kind::Counter, "Messages published to JetStream and acknowledged, by message type"),
    (OUTCOMES, Kind::Counter, "How received messages ended, by consumer and outcome (ack, nak, term, dead_letter, ack_failed)"),
    (LATENCY, Kind::Histogram, "Time to handle one message in seconds, by consumer and message type"),
    (DEAD_LETTERS, Kind::Counter, "Messages copied to the dead-letter stream, by consumer"),
    (SAGA_OUTCOMES, Kind::Counter, "Order sagas finished, by outcome"),
    (DISPATCH_DEPTH, Kind::Gauge, "Shopping lists waiting in the dispatch work queue (read at each scrape)"),
    (BOTS, Kind::Gauge, "Robots known to the depot, by status"),
    (CONSUMER_ERRORS, Kind::Counter, "Consumer stream errors (missed heartbeats, reconnects), by consumer"),
    (PUBLISH_IN_PROCESS, Kind::Counter, "Publishes answered 'duplicate message id is in process' and then checked"),
    (SAGA_KV_OPS, Kind::Counter, "KV operations on saga state, by op (read, write)"),
    (SAGA_INPUTS, Kind::Counter, "Saga inputs, by result (applied, duplicate, ignored, conflict)"),
    (SAGAS_FORGOTTEN, Kind::Counter, "Finished saga keys purged from the saga bucket"),
];

/// The families that carry no labels.
pub const UNLABELLED: &[&str] = &[DISPATCH_DEPTH, PUBLISH_IN_PROCESS, SAGAS_FORGOTTEN];

/// Latency histogram bucket bounds in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

type Labels = Vec<(&'static str, String)>;
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

fn owned(labels: &[(&'static str, &str)]) -> Labels {
    labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// The registry; share it as `Arc<Metrics>`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    counters: HashMap<&'static str, Family<Labels, Counter>>,
    gauges: HashMap<&'static str, Family<Labels, Gauge>>,
    plain_counters: HashMap<&'static str, Counter>,
    plain_gauges: HashMap<&'static str, Gauge>,
    histograms: HashMap<&'static str, Histograms>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every family of [`FAMILIES`] registered, and the process collector.
    pub fn new() -> Self {
        let mut metrics = Self {
            registry: Registry::default(),
            counters: HashMap::new(),
            gauges: HashMap::new(),
            plain_counters: HashMap::new(),
            plain_gauges: HashMap::new(),
            histograms: HashMap::new(),
        };
        for &(name, kind, help) in FAMILIES {
            let plain = UNLABELLED.contains(&name);
            match kind {
                Kind::Counter if plain => {
                    let counter = Counter::default();
                    let base = name.strip_suffix("_total").unwrap_or(name);
                    metrics.registry.register(base, help, counter.clone());
                    metrics.plain_counters.insert(name, counter);
                }
                Kind::Gauge if plain => {
                    let gauge = Gauge::default();
                    metrics.registry.register(name, help, gauge.clone());
                    metrics.plain_gauges.insert(name, gauge);
                }
                Kind::Counter => {
                    let family = Family::<Labels, Counter>::default();
                    // The encoder adds the `_total` suffix counters must have.
                    let base = name.strip_suffix("_total").unwrap_or(name);
                    metrics.registry.register(base, help, family.clone());
                    metrics.counters.insert(name, family);
                }
                Kind::Gauge => {
                    let family = Family::<Labels, Gauge>::default();
                    metrics.registry.register(name, help, family.clone());
                    metrics.gauges.insert(name, family);
                }
                Kind::Histogram => {
                    let family: Histograms = Family::new_with_constructor(histogram);
                    metrics.registry.register(name, help, family.clone());
                    metrics.histograms.insert(name, family);
                }
            }
        }
        metrics
            .registry
            .register_collector(Box::new(mallbots_wire::process_metrics::ProcessCollector));
        metrics
    }

    fn counter_family(&self, name: &'static str) -> Option<&Family<Labels, Counter>> {
        let family = self.counters.get(name);
        debug_assert!(family.is_some(), "counter {name} is not in FAMILIES");
        family
    }

    /// Adds `n` to a counter.
    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], n: u64) {
        if let Some(counter) = self.plain_counters.get(name) {
            counter.inc_by(n);
        } else if let Some(family) = self.counter_family(name) {
            family.get_or_create(&owned(labels)).inc_by(n);
        }
    }

    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1);
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: &[(&'static str, &str)], value: i64) {
        if let Some(gauge) = self.plain_gauges.get(name) {
            gauge.set(value);
            return;
        }
        let family = self.gauges.get(name);
        debug_assert!(family.is_some(), "gauge {name} is not in FAMILIES");
        if let Some(family) = family {
            family.get_or_create(&owned(labels)).set(value);
        }
    }

    /// Records one latency observation.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], took: Duration) {
        let family = self.histograms.get(name);
        debug_assert!(family.is_some(), "histogram {name} is not in FAMILIES");
        if let Some(family) = family {
            family
                .get_or_create(&owned(labels))
                .observe(took.as_secs_f64());
        }
    }

    /// A counter's value (0 if never touched).
    pub fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> u64 {
        if let Some(counter) = self.plain_counters.get(name) {
            return counter.get();
        }
        self.counter_family(name)
            .map_or(0, |family| family.get_or_create(&owned(labels)).get())
    }

    /// Sum of a counter over all its label sets (read from the rendered text: for tests and
    /// benchmarks, not the message path).
    pub fn counter_total(&self, name: &'static str) -> u64 {
        self.render()
            .lines()
            .filter(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// A finished saga, by outcome.
    pub fn saga_outcome(&self, outcome: &str) {
        self.inc(SAGA_OUTCOMES, &[("outcome", outcome)]);
    }

    /// Number of bots in `status`.
    pub fn set_bots(&self, status: &str, count: i64) {
        self.set(BOTS, &[("status", status)], count);
    }

    /// Every family and the process figures in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// The content type of [`Metrics::render`].
    pub const CONTENT_TYPE: &'static str =
        "application/openmetrics-text; version=1.0.0; charset=utf-8";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_openmetrics_text_with_help_and_types() {
        let m = Metrics::new();
        m.inc(RECEIVED, &[("consumer", "c"), ("type", "t")]);
        m.inc(RECEIVED, &[("consumer", "c"), ("type", "t")]);
        m.inc(RECEIVED, &[("consumer", "d"), ("type", "t")]);
        m.set_bots("idle", 3);
        m.observe(LATENCY, &[("consumer", "c")], Duration::from_millis(2));
        let text = m.render();
        assert!(text.contains("# HELP mallbots_messages_received Messages received"));
        assert!(text.contains("# TYPE mallbots_messages_received counter"));
        assert!(text.contains("mallbots_messages_received_total{consumer=\"c\",type=\"t\"} 2"));
        assert!(text.contains("mallbots_bots{status=\"idle\"} 3"));
        assert!(
            text.contains("mallbots_message_handle_seconds_bucket{le=\"0.0025\",consumer=\"c\"} 1")
        );
        assert!(text.contains("mallbots_message_handle_seconds_count{consumer=\"c\"} 1"));
        assert!(text.contains("# TYPE process_cpu_seconds counter"));
        assert!(text.contains("process_resident_memory_bytes "));
        assert!(text.ends_with("# EOF\n"));
        m.set(DISPATCH_DEPTH, &[], 4);
        m.inc(PUBLISH_IN_PROCESS, &[]);
        let text = m.render();
        assert!(
            text.contains("\nmallbots_dispatch_queue_depth 4\n"),
            "{text}"
        );
        assert!(
            text.contains("\nmallbots_publish_in_process_total 1\n"),
            "{text}"
        );
        assert_eq!(m.counter_total(PUBLISH_IN_PROCESS), 1);
        assert_eq!(m.counter_total(RECEIVED), 3);
        assert_eq!(m.counter(RECEIVED, &[("consumer", "c"), ("type", "t")]), 2);
    }

    #[test]
    fn every_family_has_help_and_a_fitting_name() {
        for (name, kind, help) in FAMILIES {
            assert!(!help.is_empty() && !help.ends_with('.'), "{name}");
            assert_eq!(name.ends_with("_total"), *kind == Kind::Counter, "{name}");
        }
    }
}
