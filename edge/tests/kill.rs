//! Crash safety: SIGKILL a `mallbots loadgen` process again and again while it takes orders,
//! then check that every order it reported as committed is there with all its events, that
//! events, outbox rows, commands and read models agree, and that a rebuild equals the
//! incremental read models.

use mallbots_edge::{Edge, EdgeConfig, NewProduct};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn killed_loops_leave_consistent_orders() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("edge.db");
    let config = EdgeConfig {
        device_id: "kiosk-9".into(),
        ..EdgeConfig::default()
    };
    let (product, customer) = {
        let edge = Edge::open(&db, config.clone()).unwrap();
        let store = edge.create_store("Deli", "L1").unwrap();
        edge.set_participation(store.store_id, true).unwrap();
        let p = edge
            .add_product(NewProduct {
                store_id: store.store_id,
                sku: "A".into(),
                name: "Apple".into(),
                description: String::new(),
                price_cents: 250,
            })
            .unwrap();
        let c = edge.register_customer("Ada", "+15550100").unwrap();
        (p.product_id.to_string(), c.customer_id.to_string())
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("kill test seed {seed}");
    let mut committed = Vec::new();
    let mut state = seed | 1;
    for round in 0..8 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let wanted = 1 + (state % 25) as usize;
        let mut child = Command::new(env!("CARGO_BIN_EXE_mallbots"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "--device",
                "kiosk-9",
                "loadgen",
            ])
            .args([
                "--product",
                &product,
                "--customer",
                &customer,
                "--orders",
                "100000",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = 0;
        while seen < wanted && Instant::now() < deadline {
            let Some(line) = lines.next() else { break };
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            committed.push(v["order_id"].as_str().unwrap().to_owned());
            seen += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(seen, wanted, "round {round}: the loop stopped early");
    }
    let edge = Edge::open(&db, config).unwrap();
    for id in &committed {
        let order = edge.order(id.parse().unwrap()).unwrap();
        assert_eq!((order.status.as_str(), order.total_cents), ("pending", 500));
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert!(count(&conn, "SELECT count(*) FROM rm_orders") >= committed.len() as i64);
    assert_eq!(count(&conn, "SELECT count(*) FROM events e LEFT JOIN outbox o USING (global_pos) WHERE o.global_pos IS NULL"), 0);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM rm_orders"),
        count(
            &conn,
            "SELECT count(*) FROM events WHERE event_type = 'OrderCreated'"
        )
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM events o WHERE o.event_type = 'OrderCreated' AND NOT EXISTS
              (SELECT 1 FROM events b WHERE b.stream_type = 'basket' AND b.stream_id = o.stream_id
               AND b.event_type = 'BasketCheckedOut')"
        ),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM rm_carts WHERE status = 'checked_out'"
        ),
        count(&conn, "SELECT count(*) FROM rm_orders")
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM commands"),
        count(&conn, "SELECT count(DISTINCT command_id) FROM events")
    );
    let incremental = edge.dump_read_models().unwrap();
    edge.rebuild_read_models().unwrap();
    assert_eq!(edge.dump_read_models().unwrap(), incremental);
}
