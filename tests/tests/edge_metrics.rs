//! The edge's own figures on `mallbots sync --watch --metrics ADDR`, as an operator scrapes them:
//! a kiosk enrolled with `mallbots-central enroll` under the generated authorization takes an
//! order while its watcher cannot reach NATS (the endpoint shows the order's events waiting,
//! the sync lag growing, the device offline), then watches with its enrollment's URL and central
//! running (the outbox drains to 0, online, a last-sync time). Every answer passes the
//! reference OpenMetrics parser.

use mallbots_tests::cli_mall::{start_central, CliMall};
use mallbots_tests::nats::{free_port, NatsServer};
use mallbots_tests::procs::{Proc, EDGE_CLI};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const ROOT: &str = "em";
const PREFIX: &str = "em_";

/// `GET path` on `port` over plain HTTP/1.1: the status code and the body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_owned()))
}

/// `GET /metrics` on `port`: the samples without labels, by name (None while not answering).
fn scrape(port: u16) -> Option<(String, HashMap<String, f64>)> {
    let (code, text) = get(port, "/metrics")?;
    assert_eq!(code, 200, "{text}");
    let samples = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect();
    Some((text, samples))
}

fn watch(mall: &CliMall, extra: &[&str], port: u16) -> Proc {
    let db = mall.db("k1").display().to_string();
    let stream = format!("{PREFIX}EVENTS");
    let metrics = format!("127.0.0.1:{port}");
    let mut args = vec!["--db", &db, "sync", "--watch", "--stream", &stream];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--metrics", &metrics]);
    Proc::builder(EDGE_CLI).args(args).spawn().unwrap()
}

fn until(
    proc: &mut Proc,
    port: u16,
    what: &str,
    check: impl Fn(&HashMap<String, f64>) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(proc.is_running(), "sync --watch exited: {}", proc.logs());
        if let Some((text, samples)) = scrape(port) {
            if check(&samples) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}:\n{text}"
            );
        }
        assert!(
            Instant::now() < deadline,
            "no answer on :{port}: {}",
            proc.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn valid(text: &str) {
    mallbots_tests::openmetrics::validate(text)
        .unwrap_or_else(|e| panic!("not valid OpenMetrics: {e}\n{text}"));
}

#[test]
fn the_watchers_endpoint_shows_the_outbox_lag_and_its_draining() {
    let server = NatsServer::start_with_auth("").unwrap();
    let _central = start_central(&server, ROOT, PREFIX, &[]);
    let dir = tempfile::tempdir().unwrap();
    let mall = CliMall::new(server, dir.path().to_path_buf(), ROOT, PREFIX);
    let (store, tea) = mall.store("m1", "Grocer", "TEA", true);
    mall.device("m1", "manager", Some(&store));
    mall.device("k1", "kiosk", None);
    mall.sync("m1");
    mall.catalog_reaches("k1", &[&tea]);
    let customer = mall.customer("k1", "Ada", "+15550104477");
    let order = mall.order("k1", &customer, &tea);

    // Offline: a URL nothing listens on.
    let port = free_port().unwrap();
    let nowhere = format!("nats://127.0.0.1:{}", free_port().unwrap());
    let mut offline = watch(&mall, &["--nats", &nowhere], port);
    let text = until(&mut offline, port, "the order's events waiting", |s| {
        s.get("mallbots_edge_outbox_waiting")
            .copied()
            .unwrap_or(0.0)
            >= 1.0
            && s.get("mallbots_edge_sync_lag_seconds")
                .copied()
                .unwrap_or(0.0)
                > 0.0
    });
    valid(&text);
    assert!(text.contains("mallbots_edge_online 0\n"), "{text}");
    assert!(
        text.contains("mallbots_edge_device_info{device=\"k1\""),
        "{text}"
    );
    assert!(
        text.contains("# HELP mallbots_edge_sync_lag_seconds "),
        "{text}"
    );
    assert!(text.contains("process_resident_memory_bytes "), "{text}");
    offline.terminate(Duration::from_secs(10)).unwrap();

    // Online with the enrollment's URL: the outbox drains and the order comes back ready.
    let port = free_port().unwrap();
    let mut online = watch(&mall, &[], port);
    let text = until(&mut online, port, "the outbox drained and online", |s| {
        s.get("mallbots_edge_outbox_waiting") == Some(&0.0)
            && s.get("mallbots_edge_online") == Some(&1.0)
            && s.get("mallbots_edge_last_sync_timestamp_seconds")
                .copied()
                .unwrap_or(0.0)
                > 0.0
    });
    valid(&text);
    assert!(
        text.contains("mallbots_edge_sync_lag_seconds 0.0\n"),
        "{text}"
    );
    // Anything but GET /metrics is a 404.
    assert_eq!(get(port, "/").map(|(code, _)| code), Some(404));
    online.terminate(Duration::from_secs(10)).unwrap();
    mall.until("k1", 60, "the order ready", |m| {
        m.order_status("k1", &order) == "ready"
    });
}
