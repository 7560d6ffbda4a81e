//! `mallbots sync --watch --metrics ADDR`: the device's sync figures for Prometheus, served on
//! `GET /metrics` (OpenMetrics text) while the watch runs.
//!
//! Read at each scrape from the engine's status (one read on the writer thread): outbox rows
//! waiting, quarantined and blocked, the sync lag (age of the oldest change still to send),
//! conflicts, parked messages, whether the device is online, when it last synced, plus the
//! process figures ([`mallbots_wire::process_metrics`]). The server answers one request per
//! connection (`Connection: close`); anything but `GET /metrics` gets 404.

use mallbots_sync::engine::{SyncEngine, SyncStatus};
use mallbots_wire::process_metrics::{describe, ProcessCollector};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The OpenMetrics content type.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The most of a request head read before answering.
const MAX_HEAD: usize = 8 * 1024;

/// One status, as metric families.
#[derive(Debug)]
struct StatusFamilies {
    status: SyncStatus,
    device: String,
    now_ms: i64,
}

impl Collector for StatusFamilies {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let s = &self.status;
        let e = &mut encoder;
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let lag_seconds = s
            .oldest_waiting_at
            .map_or(0.0, |at| (self.now_ms - at).max(0) as f64 / 1000.0);
        {
            let info = e.encode_descriptor(
                "mallbots_edge_device",
                "The device these figures are of",
                None,
                prometheus_client::metrics::MetricType::Info,
            )?;
            prometheus_client::metrics::info::Info::new(vec![
                ("device", self.device.clone()),
                ("state", s.state.clone()),
            ])
            .encode(info)?;
        }
        describe(
            e,
            "mallbots_edge_online",
            "1 while connected to NATS",
            ConstGauge::new(i64::from(s.online)),
        )?;
        describe(
            e,
            "mallbots_edge_outbox_waiting",
            "Outbox rows not yet acknowledged by JetStream (quarantined and blocked included)",
            ConstGauge::new(as_i64(s.waiting)),
        )?;
        describe(
            e,
            "mallbots_edge_outbox_quarantined",
            "Outbox rows the server refused, held until released",
            ConstGauge::new(as_i64(s.quarantined)),
        )?;
        describe(
            e,
            "mallbots_edge_outbox_blocked",
            "Outbox rows waiting behind a quarantined row",
            ConstGauge::new(as_i64(s.blocked)),
        )?;
        describe(
            e,
            "mallbots_edge_sync_lag_seconds",
            "Age of the oldest change still to send (0 when nothing waits)",
            ConstGauge::new(lag_seconds),
        )?;
        describe(
            e,
            "mallbots_edge_last_sync_timestamp_seconds",
            "When the last sync completed, Unix seconds (0: never)",
            ConstGauge::new(s.last_sync_at.unwrap_or(0) as f64 / 1000.0),
        )?;
        describe(
            e,
            "mallbots_edge_conflicts",
            "Conflicts recorded (commands rejected by a rebase)",
            ConstCounter::new(s.conflicts),
        )?;
        describe(
            e,
            "mallbots_edge_parked_messages",
            "Incoming messages kept raw until an upgrade",
            ConstGauge::new(as_i64(s.parked)),
        )
    }
}

/// The OpenMetrics text for `status` of `device`.
pub fn render(status: SyncStatus, device: &str, now_ms: i64) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(StatusFamilies {
        status,
        device: device.to_owned(),
        now_ms,
    }));
    registry.register_collector(Box::new(ProcessCollector));
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}

/// Answers scrapes on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, engine: SyncEngine, device: String) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (engine, device) = (engine.clone(), device.clone());
        tokio::spawn(async move {
            if let Err(err) = answer(stream, &engine, &device).await {
                tracing::debug!("metrics request: {err}");
            }
        });
    }
}

async fn answer(mut stream: TcpStream, engine: &SyncEngine, device: &str) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.split_whitespace().take(2).collect::<Vec<_>>();
    let (status, kind, body) = if target.as_slice() == ["GET", "/metrics"] {
        match engine.status().await {
            Ok(s) => ("200 OK", CONTENT_TYPE, render(s, device, now_ms())),
            Err(e) => ("503 Service Unavailable", "text/plain", format!("{e}\n")),
        }
    } else {
        (
            "404 Not Found",
            "text/plain",
            "only GET /metrics is served\n".to_owned(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_status_as_families() {
        let status = SyncStatus {
            online: false,
            state: "offline".into(),
            problem: None,
            waiting: 3,
            oldest_waiting_at: Some(10_000),
            quarantined: 1,
            blocked: 0,
            quarantine: Vec::new(),
            last_sync_at: None,
            conflicts: 2,
            parked: 0,
            recent_conflicts: Vec::new(),
        };
        let text = render(status, "k1", 70_000);
        for line in [
            "mallbots_edge_device_info{device=\"k1\",state=\"offline\"} 1",
            "mallbots_edge_online 0",
            "mallbots_edge_outbox_waiting 3",
            "mallbots_edge_outbox_quarantined 1",
            "mallbots_edge_sync_lag_seconds 60.0",
            "mallbots_edge_conflicts_total 2",
            "# HELP mallbots_edge_sync_lag_seconds Age of the oldest change still to send (0 when nothing waits)",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
