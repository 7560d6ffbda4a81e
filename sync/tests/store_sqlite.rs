//! SQLite-only behaviour: projections in the append transaction, inbox apply, migrations,
//! read-only connections, durability and reopening a file.

mod common;

use common::*;
use mallbots_domain::ErrorCode;
use mallbots_sync::store::*;
use rusqlite::params;
use serde_json::json;
use uuid::Uuid;

const READ_MODELS: &[Migration] = &[
    Migration {
        set: "test_read_models",
        version: 1,
        name: "basket_lines",
        sql: "CREATE TABLE basket_lines (event_id TEXT PRIMARY KEY, basket TEXT NOT NULL);",
    },
    Migration {
        set: "test_read_models",
        version: 2,
        name: "order_status",
        sql: "CREATE TABLE order_status (id TEXT PRIMARY KEY, status TEXT NOT NULL);",
    },
];

fn open_with_models() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("edge.db"), READ_MODELS).unwrap();
    (dir, store)
}

fn count(store: &SqliteStore, sql: &str) -> i64 {
    store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn append_with_runs_the_projection_in_the_same_transaction() {
    let (_dir, mut store) = open_with_models();
    let stored = store
        .append_with(basket_append("b1", 0, 2), |tx, events| {
            for e in events {
                tx.execute(
                    "INSERT INTO basket_lines (event_id, basket) VALUES (?1, ?2)",
                    params![e.event_id.to_string(), e.stream_id],
                )?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(count(&store, "SELECT count(*) FROM basket_lines"), 2);

    let err = store
        .append_with(basket_append("b1", 2, 1), |tx, _| {
            tx.execute(
                "INSERT INTO basket_lines (event_id, basket) VALUES ('x', 'b1')",
                [],
            )?;
            Err(StoreError::Projection {
                code: "basket.rejected",
                message: "no".into(),
            })
        })
        .unwrap_err();
    assert_eq!(err.code(), "basket.rejected");
    assert_eq!(
        store.stream_version("basket", "b1").unwrap(),
        2,
        "events rolled back"
    );
    assert_eq!(
        store.pending_outbox_count().unwrap(),
        2,
        "outbox rolled back"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM basket_lines"),
        2,
        "projection rolled back"
    );
}

#[test]
fn inbox_apply_is_idempotent_and_applies_parked_rows_later() {
    let (_dir, mut store) = open_with_models();
    let record = InboxRecord {
        event_id: Uuid::now_v7(),
        stream_seq: 7,
        subject: "mallbots.ev.order.k1.o1".into(),
        status: InboxStatus::Applied,
        raw: None,
    };
    let project = |tx: &rusqlite::Transaction<'_>| -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO order_status (id, status) VALUES ('o1', 'approved')
             ON CONFLICT (id) DO UPDATE SET status = 'approved-again'",
            [],
        )?;
        Ok(())
    };
    assert_eq!(
        store.inbox_apply(&record, project).unwrap(),
        InboxOutcome::Applied
    );
    assert_eq!(
        store.inbox_apply(&record, project).unwrap(),
        InboxOutcome::AlreadyApplied
    );
    let status: String = store
        .connection()
        .query_row("SELECT status FROM order_status WHERE id = 'o1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, "approved", "the repeat did not run the projection");

    // A failing projection records nothing, so the redelivery is applied.
    let failing = InboxRecord {
        event_id: Uuid::now_v7(),
        stream_seq: 8,
        ..record.clone()
    };
    store
        .inbox_apply(&failing, |_| Err(StoreError::InvalidData("boom".into())))
        .unwrap_err();
    assert!(store.inbox_entry(failing.event_id).unwrap().is_none());

    // Parked (newer schema), then applied after an upgrade.
    let parked = InboxRecord {
        event_id: Uuid::now_v7(),
        stream_seq: 9,
        status: InboxStatus::Parked,
        raw: Some("{\"v\":9}".into()),
        ..record.clone()
    };
    assert!(store.inbox_record(&parked).unwrap());
    assert_eq!(
        store.inbox_apply(&parked, |_| Ok(())).unwrap(),
        InboxOutcome::Applied
    );
    let row = store.inbox_entry(parked.event_id).unwrap().unwrap();
    assert_eq!(
        (row.record.status, row.record.raw),
        (InboxStatus::Applied, None)
    );
    assert!(store.parked_inbox().unwrap().is_empty());
}

#[test]
fn migrations_run_once_and_shipped_ones_never_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge.db");
    drop(SqliteStore::open(&path, READ_MODELS).unwrap());
    let store = SqliteStore::open(&path, READ_MODELS).unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM schema_migrations"), 5);
    drop(store);

    let mut edited = READ_MODELS.to_vec();
    edited[0].sql = "CREATE TABLE basket_lines (event_id TEXT PRIMARY KEY);";
    let err = SqliteStore::open(&path, &edited).unwrap_err();
    assert!(
        matches!(err, StoreError::MigrationChanged { ref set, version: 1 } if set == "test_read_models")
    );

    let err = SqliteStore::open(&path, &READ_MODELS[..1]).unwrap_err();
    assert_eq!(
        err.code(),
        "store.migration_invalid",
        "database is newer than the build"
    );

    let gap = [READ_MODELS[1]];
    let err = SqliteStore::open(dir.path().join("other.db"), &gap).unwrap_err();
    assert_eq!(
        err.code(),
        "store.migration_invalid",
        "numbering must start at 1"
    );
}

#[test]
fn pragmas_are_set_and_durability_applies_per_transaction() {
    let (_dir, mut store) = sqlite_store();
    let pragma = |store: &SqliteStore, name: &str| -> String {
        store
            .connection()
            .query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| format!("{v:?}"))
            .unwrap()
    };
    assert_eq!(pragma(&store, "journal_mode"), "Text(\"wal\")");
    assert_eq!(pragma(&store, "foreign_keys"), "Integer(1)");
    assert_eq!(pragma(&store, "synchronous"), "Integer(1)", "NORMAL");
    assert_eq!(pragma(&store, "busy_timeout"), "Integer(5000)");
    store
        .append(basket_append("b1", 0, 1).with_durability(Durability::Full))
        .unwrap();
    assert_eq!(
        pragma(&store, "synchronous"),
        "Integer(2)",
        "FULL for that commit"
    );
    store.append(basket_append("b1", 1, 1)).unwrap();
    assert_eq!(pragma(&store, "synchronous"), "Integer(1)");
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn readers_see_commits_and_cannot_write() {
    let (_dir, mut store) = sqlite_store();
    let reader = store.reader().unwrap();
    assert_eq!(reader.stream_version("basket", "b1").unwrap(), 0);
    let stored = store.append(basket_append("b1", 0, 3)).unwrap();
    assert_eq!(reader.load_stream("basket", "b1", 1).unwrap(), stored);
    assert_eq!(reader.pending_outbox(10).unwrap().len(), 3);
    let err = reader
        .connection()
        .execute("DELETE FROM events", [])
        .unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
    let memory = SqliteStore::open_in_memory(&[]).unwrap();
    assert_eq!(memory.reader().unwrap_err().code(), "store.in_memory");
}

#[test]
fn a_reopened_file_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/edge.db");
    let stored = {
        let mut store = SqliteStore::open(&path, &[]).unwrap();
        store.set_checkpoint("orders", 12).unwrap();
        store.append(basket_append("b1", 0, 2)).unwrap()
    };
    let store = SqliteStore::open(&path, &[]).unwrap();
    assert_eq!(store.load_stream("basket", "b1", 1).unwrap(), stored);
    assert_eq!(store.checkpoint("orders").unwrap(), Some(12));
    assert_eq!(store.pending_outbox_count().unwrap(), 2);
}

#[test]
fn outbox_rows_require_their_event() {
    let (_dir, store) = sqlite_store();
    let err = store
        .connection()
        .execute(
            "INSERT INTO outbox (event_id, global_pos, stream_type, stream_id, subject, created_at)
             VALUES (?1, 1, 'basket', 'b1', 's', 0)",
            [Uuid::now_v7().to_string()],
        )
        .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

#[test]
fn upcaster_classification_drives_parking() {
    let upcasters = Upcasters::new()
        .current("OrderApproved", 1)
        .register("ProductAdded", 1, Ok)
        .register("ProductAdded", 2, Ok);
    assert_eq!(upcasters.current_version("ProductAdded"), Some(3));
    assert_eq!(
        upcasters.classify("ProductAdded", 1),
        Compatibility::Upcastable
    );
    assert_eq!(
        upcasters.classify("ProductAdded", 3),
        Compatibility::Current
    );
    assert_eq!(
        upcasters.classify("ProductAdded", 4),
        Compatibility::NewerSchema
    );
    assert_eq!(upcasters.classify("Mystery", 1), Compatibility::Current);
    assert_eq!(
        upcasters.classify_strict("Mystery", 1),
        Compatibility::Unknown
    );
    let gappy = Upcasters::new().current("X", 3).register("X", 2, Ok);
    assert_eq!(gappy.classify("X", 1), Compatibility::Unknown);
    let err = gappy.upcast("X", 1, json!({})).unwrap_err();
    assert_eq!(err.code(), "store.upcast_failed");
    let failing = Upcasters::new().register("Y", 1, |_| Err("bad payload".into()));
    let err = failing.upcast("Y", 1, json!({})).unwrap_err();
    assert!(err.to_string().contains("bad payload"));
}

#[test]
fn scan_streams_the_log_zero_copy_with_upcasting() {
    let (_dir, store) = sqlite_store();
    let mut store = store.with_upcasters(
        Upcasters::new().register("Old", 1, |v| Ok(json!({ "renamed": v["name"] }))),
    );
    let mut old = event("Old", json!({"name": "n"}), None);
    old.schema_version = 1;
    store
        .append(AppendRequest::new("x", "1", 0, vec![old]))
        .unwrap();
    for (seq, e) in store
        .append(basket_append("b1", 0, 3))
        .unwrap()
        .iter()
        .enumerate()
    {
        store.mark_published(e.event_id, seq as u64 + 1).unwrap();
    }
    let superseded = store.append(basket_append("b1", 3, 1)).unwrap();
    store.supersede_pending("basket", "b1").unwrap();

    let mut seen = Vec::new();
    let last = store.scan(0, 2, |raw| {
        seen.push(raw.to_stored()?);
        Ok(())
    });
    assert_eq!(last.unwrap(), 2);
    let last = store.scan(2, 100, |raw| {
        seen.push(raw.to_stored()?);
        Ok(())
    });
    assert_eq!(last.unwrap(), 4, "the superseded event at 5 is skipped");
    assert_eq!(seen, store.read_all(0, 100).unwrap());
    assert!(seen.iter().all(|e| e.event_id != superseded[0].event_id));
    assert_eq!(
        store.scan(4, 100, |_| Ok(())).unwrap(),
        4,
        "nothing after: same position"
    );

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Renamed {
        renamed: String,
    }
    store
        .scan(0, 1, |raw| {
            assert_eq!(
                raw.decode::<Renamed>()?,
                Renamed {
                    renamed: "n".into()
                }
            );
            assert_eq!(raw.metadata()?.device_id.as_deref(), Some("kiosk-1"));
            Ok(())
        })
        .unwrap();
    let err = store
        .scan(1, 1, |raw| raw.decode::<Renamed>().map(|_| ()))
        .unwrap_err();
    assert_eq!(err.code(), "store.codec");
}

#[test]
fn an_incoming_event_joins_its_stream_through_the_inbox_atomically() {
    // The sync engine's path for a central event (e.g. OrderApproved on an order the kiosk
    // created): one transaction records the inbox row, appends the event to the local stream
    // with its JetStream sequence and no outbox row, and updates a read model.
    let (_dir, mut store) = open_with_models();
    let created = store
        .append(AppendRequest::new(
            "order",
            "o1",
            0,
            vec![event(
                "OrderCreated",
                json!({}),
                Some("mallbots.ev.kiosk.k1.order.o1"),
            )],
        ))
        .unwrap();
    store.mark_published(created[0].event_id, 1).unwrap();

    let incoming = event("OrderApproved", json!({"type": "OrderApproved"}), None);
    let record = InboxRecord {
        event_id: incoming.event_id,
        stream_seq: 2,
        subject: "mallbots.ev.order.k1.o1".into(),
        status: InboxStatus::Applied,
        raw: None,
    };
    let apply = |incoming: NewEvent| {
        move |tx: &rusqlite::Transaction<'_>| -> Result<(), StoreError> {
            use mallbots_sync::store::sqlite::{read, write};
            let head = read::stream_version(tx, "order", "o1")?;
            let id = incoming.event_id;
            let request = AppendRequest::new("order", "o1", head, vec![incoming]);
            write::append(tx, &request, now_ms())?;
            write::set_stream_seq(tx, id, 2)?;
            tx.execute(
                "INSERT INTO order_status (id, status) VALUES ('o1', 'approved')",
                [],
            )?;
            Ok(())
        }
    };
    let outcome = store.inbox_apply(&record, apply(incoming.clone())).unwrap();
    assert_eq!(outcome, InboxOutcome::Applied);
    // Redelivery: nothing runs (the projection's plain INSERT would fail on a second run).
    let outcome = store.inbox_apply(&record, apply(incoming.clone())).unwrap();
    assert_eq!(outcome, InboxOutcome::AlreadyApplied);

    let stream = store.load_stream("order", "o1", 1).unwrap();
    assert_eq!(stream.len(), 2);
    assert_eq!((stream[1].version, stream[1].stream_seq), (2, Some(2)));
    assert_eq!(
        store.pending_outbox_count().unwrap(),
        0,
        "received events are not relayed"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM order_status"), 1);
}
