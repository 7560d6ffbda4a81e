//! The process's own figures for a `prometheus-client` registry (central's `/metrics`, the
//! edge's `sync --watch --metrics`), read from `/proc/self` at each scrape (Linux; elsewhere
//! nothing is reported): CPU seconds, resident and virtual memory, open file descriptors and their
//! limit, threads, start time. The names are the ones Prometheus client libraries use.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;
/// Page size of `/proc/<pid>/statm` (4 KiB on x86-64 and most arm64 kernels).
const PAGE_SIZE: f64 = 4096.0;

/// Reads `/proc/self` at each scrape.
#[derive(Debug)]
pub struct ProcessCollector;

/// What one read of `/proc/self` found.
#[derive(Debug, Default, PartialEq)]
struct Sample {
    cpu_seconds: f64,
    threads: i64,
    start_time_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    open_fds: i64,
    max_fds: i64,
}

/// The fields of `/proc/self/stat` after the command name (which may hold spaces).
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default()
}

fn read_sample() -> Option<Sample> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the name: state is field 3, so field N is index N - 3.
    let fields = stat_fields(&stat);
    let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
    let boot_time = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse::<f64>().ok())?;
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut pages = statm.split_whitespace().map(|v| v.parse::<f64>().ok());
    let (virtual_pages, resident_pages) = (pages.next()??, pages.next()??);
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as i64;
    let max_fds = std::fs::read_to_string("/proc/self/limits")
        .ok()?
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse::<i64>().ok())
        .unwrap_or(-1);
    Some(Sample {
        cpu_seconds: (field(14)? + field(15)?) / TICKS_PER_SECOND,
        threads: field(20)? as i64,
        start_time_seconds: boot_time + field(22)? / TICKS_PER_SECOND,
        resident_bytes: resident_pages * PAGE_SIZE,
        virtual_bytes: virtual_pages * PAGE_SIZE,
        open_fds,
        max_fds,
    })
}

/// Encodes one metric family of a collector: `metric` under `name` with its `help`.
pub fn describe<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric: M,
) -> Result<(), std::fmt::Error> {
    let metric_encoder = encoder.encode_descriptor(name, help, None, metric.metric_type())?;
    metric.encode(metric_encoder)
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(s) = read_sample() else {
            return Ok(());
        };
        describe(
            &mut encoder,
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            ConstCounter::new(s.cpu_seconds),
        )?;
        describe(
            &mut encoder,
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            ConstGauge::new(s.resident_bytes),
        )?;
        describe(
            &mut encoder,
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            ConstGauge::new(s.virtual_bytes),
        )?;
        describe(
            &mut encoder,
            "process_open_fds",
            "Number of open file descriptors",
            ConstGauge::new(s.open_fds),
        )?;
        describe(
            &mut encoder,
            "process_max_fds",
            "Maximum number of open file descriptors",
            ConstGauge::new(s.max_fds),
        )?;
        describe(
            &mut encoder,
            "process_threads",
            "Number of OS threads in the process",
            ConstGauge::new(s.threads),
        )?;
        describe(
            &mut encoder,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            ConstGauge::new(s.start_time_seconds),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let s = read_sample().expect("/proc/self is readable");
        assert!(s.resident_bytes > 0.0 && s.virtual_bytes >= s.resident_bytes);
        assert!(s.threads >= 1 && s.open_fds >= 3);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(s.start_time_seconds <= now + 1.0 && s.start_time_seconds > now - 86_400.0 * 365.0);
    }

    #[test]
    fn a_command_name_with_spaces_and_parentheses_is_skipped() {
        let fields = stat_fields("42 (my (odd) name) S 1 2 3");
        assert_eq!(fields, ["S", "1", "2", "3"]);
    }
}
