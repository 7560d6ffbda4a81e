//! The one contract every event store implementation passes: each test is a generic function
//! run against `SqliteStore` (a real file) and `MemoryStore`.

mod common;

use common::*;
use mallbots_domain::Aggregate;
use mallbots_sync::store::*;
use serde_json::json;
use uuid::Uuid;

fn append_and_load<S: EventStore>(s: &mut S) {
    let request = basket_append("b1", 0, 2);
    let ids: Vec<Uuid> = request.events.iter().map(|e| e.event_id).collect();
    let stored = s.append(request).unwrap();
    assert_eq!(stored.iter().map(|e| e.version).collect::<Vec<_>>(), [1, 2]);
    let loaded = s.load_stream("basket", "b1", 1).unwrap();
    assert_eq!(loaded, stored);
    assert_eq!(loaded[1].event_id, ids[1]);
    assert_eq!(
        loaded[1].payload,
        json!({"type": "BasketItemAdded", "n": 1})
    );
    assert_eq!(
        loaded[0].metadata.schema_version, 1,
        "store stamps the written version"
    );
    assert_eq!(loaded[0].metadata.device_id.as_deref(), Some("kiosk-1"));
    assert_eq!(s.stream_version("basket", "b1").unwrap(), 2);
    assert_eq!(s.stream_version("basket", "nope").unwrap(), 0);
    assert_eq!(s.load_stream("basket", "b1", 2).unwrap(), stored[1..]);
    assert_eq!(s.event(ids[0]).unwrap().unwrap(), stored[0]);
    assert_eq!(s.read_all(stored[0].global_pos, 10).unwrap(), stored[1..]);
    assert!(s.append(basket_append("b1", 2, 0)).unwrap().is_empty());
    let too_many = basket_append("b1", 2, MAX_APPEND_EVENTS + 1);
    assert!(matches!(
        s.append(too_many),
        Err(StoreError::BatchTooLarge { .. })
    ));
    assert_eq!(s.stream_version("basket", "b1").unwrap(), 2);
}

fn concurrency_conflict_is_typed<S: EventStore>(s: &mut S) {
    s.append(basket_append("b1", 0, 2)).unwrap();
    let err = s.append(basket_append("b1", 0, 1)).unwrap_err();
    match &err {
        StoreError::Concurrency {
            stream,
            expected,
            actual,
        } => {
            assert_eq!((stream.as_str(), *expected, *actual), ("basket/b1", 0, 2));
        }
        other => panic!("expected Concurrency, got {other:?}"),
    }
    assert!(err.is_concurrency());
    assert_eq!(mallbots_domain::ErrorCode::code(&err), "store.concurrency");
    assert!(s
        .append(basket_append("b1", 1, 1))
        .unwrap_err()
        .is_concurrency());
    assert!(s
        .append(basket_append("b1", 3, 1))
        .unwrap_err()
        .is_concurrency());
    assert_eq!(
        s.load_stream("basket", "b1", 1).unwrap().len(),
        2,
        "nothing written"
    );
    assert_eq!(s.pending_outbox_count().unwrap(), 2);
}

fn versions_are_contiguous<S: EventStore>(s: &mut S) {
    let mut expected = 0;
    for n in [1, 3, 2, 1] {
        s.append(basket_append("b1", expected, n)).unwrap();
        s.append(basket_append("other", expected, n)).unwrap();
        expected += n as u64;
    }
    let events = s.load_stream("basket", "b1", 1).unwrap();
    let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=7).collect::<Vec<_>>());
    assert!(events.windows(2).all(|w| w[0].global_pos < w[1].global_pos));
}

fn outbox_rows_commit_with_events<S: EventStore>(s: &mut S) {
    let mut events = basket_events("b1", 2);
    events.push(event("LocalNote", json!({}), None));
    let stored = s
        .append(AppendRequest::new("basket", "b1", 0, events))
        .unwrap();
    assert_eq!(
        s.pending_outbox_count().unwrap(),
        2,
        "one row per relayed event"
    );
    let entry = s.outbox_entry(stored[0].event_id).unwrap().unwrap();
    assert_eq!(entry.subject, "mallbots.ev.kiosk.k1.basket.b1");
    assert_eq!((entry.attempts, entry.published_seq), (0, None));
    assert_eq!(entry.event, stored[0]);
    assert!(
        s.outbox_entry(stored[2].event_id).unwrap().is_none(),
        "local-only"
    );

    // A failing append (duplicate id in second place) writes neither events nor outbox rows.
    let mut events = basket_events("b2", 2);
    events[1].event_id = stored[0].event_id;
    let err = s
        .append(AppendRequest::new("basket", "b2", 0, events))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateEvent { event_id } if event_id == stored[0].event_id)
    );
    assert_eq!(s.stream_version("basket", "b2").unwrap(), 0);
    assert_eq!(s.pending_outbox_count().unwrap(), 2);
}

fn outbox_keeps_order_per_aggregate<S: EventStore>(s: &mut S) {
    for round in 0..3 {
        for id in ["a", "b", "c"] {
            s.append(basket_append(id, round * 2, 2)).unwrap();
        }
    }
    let pending = s.pending_outbox(100).unwrap();
    assert_eq!(pending.len(), 18);
    assert!(pending
        .windows(2)
        .all(|w| w[0].event.global_pos < w[1].event.global_pos));
    for id in ["a", "b", "c"] {
        let versions: Vec<u64> = pending
            .iter()
            .filter(|p| p.event.stream_id == id)
            .map(|p| p.event.version)
            .collect();
        assert_eq!(versions, (1..=6).collect::<Vec<_>>());
    }
    assert_eq!(s.pending_outbox(4).unwrap(), pending[..4]);
}

fn mark_published_and_failures<S: EventStore>(s: &mut S) {
    let command = CommandRecord {
        id: Uuid::now_v7(),
        payload: json!({"add": 1}),
        base_seq: None,
    };
    let stored = s
        .append(basket_append("b1", 0, 2).with_command(command.clone()))
        .unwrap();
    assert_eq!(stored[0].command_id, Some(command.id));
    let pending = s.pending_commands("basket", "b1").unwrap();
    assert_eq!(
        (pending.len(), pending[0].status),
        (1, CommandStatus::Pending)
    );

    let again = basket_append("b1", 2, 1).with_command(command.clone());
    assert!(matches!(
        s.append(again),
        Err(StoreError::DuplicateCommand { .. })
    ));
    assert_eq!(s.stream_version("basket", "b1").unwrap(), 2);

    s.record_outbox_failure(stored[0].event_id, "timeout")
        .unwrap();
    s.record_outbox_failure(stored[0].event_id, "no responders")
        .unwrap();
    let entry = s.outbox_entry(stored[0].event_id).unwrap().unwrap();
    assert_eq!(
        (entry.attempts, entry.last_error.as_deref()),
        (2, Some("no responders"))
    );

    s.mark_published(stored[0].event_id, 41).unwrap();
    assert_eq!(
        s.command(command.id).unwrap().unwrap().status,
        CommandStatus::Pending
    );
    s.mark_published(stored[1].event_id, 42).unwrap();
    assert_eq!(
        s.command(command.id).unwrap().unwrap().status,
        CommandStatus::Published
    );
    assert!(s.pending_commands("basket", "b1").unwrap().is_empty());
    assert_eq!(s.pending_outbox_count().unwrap(), 0);
    assert_eq!(
        s.event(stored[1].event_id).unwrap().unwrap().stream_seq,
        Some(42)
    );
    assert_eq!(
        s.outbox_entry(stored[0].event_id)
            .unwrap()
            .unwrap()
            .published_seq,
        Some(41)
    );
    let unknown = Uuid::now_v7();
    assert!(matches!(
        s.mark_published(unknown, 1),
        Err(StoreError::NotInOutbox { .. })
    ));
    assert!(matches!(
        s.set_command_status(unknown, CommandStatus::Rejected),
        Err(StoreError::UnknownCommand { .. })
    ));

    assert_eq!(
        s.prune_outbox(0).unwrap(),
        0,
        "nothing published before the epoch"
    );
    assert_eq!(s.prune_outbox(now_ms() + 1_000).unwrap(), 2);
    assert!(s.outbox_entry(stored[0].event_id).unwrap().is_none());
    assert_eq!(
        s.load_stream("basket", "b1", 1).unwrap().len(),
        2,
        "events stay"
    );
}

fn inbox_dedupes_and_prunes<S: EventStore>(s: &mut S) {
    let record = |seq: u64, status: InboxStatus| InboxRecord {
        event_id: Uuid::now_v7(),
        stream_seq: seq,
        subject: "mallbots.ev.order.k1.o1".to_owned(),
        status,
        raw: (status == InboxStatus::Parked).then(|| "{\"raw\":true}".to_owned()),
    };
    let first = record(10, InboxStatus::Applied);
    assert!(s.inbox_record(&first).unwrap());
    assert!(!s.inbox_record(&first).unwrap(), "a redelivery is not new");
    assert!(!s
        .inbox_record(&InboxRecord {
            stream_seq: 99,
            ..first.clone()
        })
        .unwrap());
    assert_eq!(
        s.inbox_entry(first.event_id).unwrap().unwrap().record,
        first
    );
    let parked = record(5, InboxStatus::Parked);
    let echo = record(11, InboxStatus::Echo);
    s.inbox_record(&parked).unwrap();
    s.inbox_record(&echo).unwrap();
    let parked_rows = s.parked_inbox().unwrap();
    assert_eq!(parked_rows.len(), 1);
    assert_eq!(parked_rows[0].record.raw.as_deref(), Some("{\"raw\":true}"));
    assert_eq!(s.prune_inbox(11).unwrap(), 1, "seq 10 goes, parked 5 stays");
    assert!(s.inbox_entry(first.event_id).unwrap().is_none());
    assert!(s.inbox_entry(parked.event_id).unwrap().is_some());
    assert!(s.inbox_entry(echo.event_id).unwrap().is_some());
}

fn checkpoints_and_snapshots<S: EventStore>(s: &mut S) {
    assert_eq!(s.checkpoint("orders").unwrap(), None);
    s.set_checkpoint("orders", 7).unwrap();
    s.set_checkpoint("orders", 9).unwrap();
    s.set_checkpoint("catalog", 1).unwrap();
    assert_eq!(s.checkpoint("orders").unwrap(), Some(9));
    assert_eq!(s.checkpoint("catalog").unwrap(), Some(1));

    assert_eq!(s.snapshot("counter", "c1").unwrap(), None);
    let snap = |version| Snapshot {
        stream_type: "counter".into(),
        stream_id: "c1".into(),
        version,
        state: json!({"total": version}),
    };
    s.put_snapshot(&snap(3)).unwrap();
    s.put_snapshot(&snap(6)).unwrap();
    assert_eq!(s.snapshot("counter", "c1").unwrap(), Some(snap(6)));
    assert_eq!(s.snapshot("counter", "c2").unwrap(), None);
}

fn superseding_retracts_pending_events<S: EventStore>(s: &mut S) {
    let published = s.append(basket_append("b1", 0, 1)).unwrap();
    s.mark_published(published[0].event_id, 1).unwrap();
    let pending = s.append(basket_append("b1", 1, 2)).unwrap();
    s.append(basket_append("b2", 0, 1)).unwrap();
    s.put_snapshot(&Snapshot {
        stream_type: "basket".into(),
        stream_id: "b1".into(),
        version: 3,
        state: json!({}),
    })
    .unwrap();

    let ids = s.supersede_pending("basket", "b1").unwrap();
    assert_eq!(ids, pending.iter().map(|e| e.event_id).collect::<Vec<_>>());
    let loaded = s.load_stream("basket", "b1", 1).unwrap();
    assert_eq!(loaded.len(), 1, "only the published event is folded");
    assert!(
        s.event(ids[0]).unwrap().unwrap().superseded,
        "kept, never deleted"
    );
    assert_eq!(s.pending_outbox_count().unwrap(), 1, "b2's row only");
    assert_eq!(
        s.snapshot("basket", "b1").unwrap(),
        None,
        "covering snapshot dropped"
    );
    assert_eq!(
        s.stream_version("basket", "b1").unwrap(),
        3,
        "head keeps superseded rows"
    );
    let rebased = s.append(basket_append("b1", 3, 1)).unwrap();
    assert_eq!(rebased[0].version, 4);
    assert!(s.read_all(0, 100).unwrap().iter().all(|e| !e.superseded));
    assert!(s.supersede_pending("basket", "b9").unwrap().is_empty());

    let id = s.record_conflict(&NewConflict {
        stream_type: "basket".into(),
        stream_id: "b1".into(),
        code: "product.removed".into(),
        message: "price change rejected: product removed".into(),
    });
    let conflicts = s.conflicts(10).unwrap();
    assert_eq!((conflicts.len(), conflicts[0].id), (1, id.unwrap()));
    assert_eq!(conflicts[0].conflict.code, "product.removed");
}

fn upcasters_apply_on_load<S: EventStore>(s: &mut S) {
    let mut old = event("PriceSet", json!({"cents": 150}), None);
    old.schema_version = 1;
    let mut current = event(
        "PriceSet",
        json!({"price": {"cents": 9, "currency": "EUR"}}),
        None,
    );
    current.schema_version = 2;
    s.append(AppendRequest::new("product", "p1", 0, vec![old, current]))
        .unwrap();
    let loaded = s.load_stream("product", "p1", 1).unwrap();
    assert_eq!(loaded[0].schema_version, 2);
    assert_eq!(loaded[0].metadata.schema_version, 1, "as written");
    assert_eq!(
        loaded[0].payload,
        json!({"price": {"cents": 150, "currency": "EUR"}})
    );
    assert_eq!(
        loaded[1].payload,
        json!({"price": {"cents": 9, "currency": "EUR"}})
    );
    let raw = s.event(loaded[0].event_id).unwrap().unwrap();
    assert_eq!(
        raw.payload,
        json!({"cents": 150}),
        "payload never rewritten"
    );

    let mut newer = event("PriceSet", json!({}), None);
    newer.schema_version = 3;
    s.append(AppendRequest::new("product", "p2", 0, vec![newer]))
        .unwrap();
    let err = s.load_stream("product", "p2", 1).unwrap_err();
    assert!(matches!(
        err,
        StoreError::SchemaTooNew {
            schema_version: 3,
            known: 2,
            ..
        }
    ));
}

fn price_upcasters() -> Upcasters {
    Upcasters::new().register("PriceSet", 1, |mut v| {
        let cents = v.get("cents").cloned().ok_or("missing cents")?;
        v = json!({"price": {"cents": cents, "currency": "EUR"}});
        Ok(v)
    })
}

fn typed_helpers_snapshot_and_tail<S: EventStore>(s: &mut S) {
    let ctx = EventContext {
        subject: Some("mallbots.ev.test.counter.c1".into()),
        snapshots: SnapshotPolicy::every(3),
        ..EventContext::default()
    };
    let mut loaded: Loaded<Counter> = load_aggregate(s, "c1").unwrap();
    assert_eq!((loaded.version, loaded.state.total), (0, 0));
    for by in 1..=7 {
        let events = loaded.state.decide(&CounterCommand::Increment(by)).unwrap();
        let appended = append_events(s, "c1", &loaded, &events, &ctx).unwrap();
        assert_eq!(appended.stored[0].event_type, "Incremented");
        loaded = appended.loaded;
    }
    assert_eq!((loaded.version, loaded.state.total), (7, 28));
    let snapshot = s
        .snapshot("counter", "c1")
        .unwrap()
        .expect("taken at 3 and 6");
    assert_eq!(snapshot.version, 6);
    assert_eq!(snapshot.state, json!({"total": 21, "increments": 6}));
    assert_eq!(load_aggregate::<Counter, _>(s, "c1").unwrap(), loaded);
    assert_eq!(replay_aggregate::<Counter, _>(s, "c1").unwrap(), loaded);
    // A snapshot that no longer decodes falls back to a full replay.
    s.put_snapshot(&Snapshot {
        state: json!("garbage"),
        ..snapshot
    })
    .unwrap();
    assert_eq!(load_aggregate::<Counter, _>(s, "c1").unwrap(), loaded);
    // A stale decision is the typed conflict.
    let stale = Loaded {
        state: Counter::default(),
        version: 2,
    };
    let err = append_events(s, "c1", &stale, &[CounterEvent::Reset], &ctx).unwrap_err();
    assert!(err.is_concurrency());
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() {
                let (_dir, store) = super::sqlite_store();
                let mut store = store.with_upcasters(super::price_upcasters());
                super::$name(&mut store);
            })*
        }
        mod memory {
            $(#[test] fn $name() {
                let mut store = super::MemoryStore::new().with_upcasters(super::price_upcasters());
                super::$name(&mut store);
            })*
        }
    };
}

contract!(
    append_and_load,
    concurrency_conflict_is_typed,
    versions_are_contiguous,
    outbox_rows_commit_with_events,
    outbox_keeps_order_per_aggregate,
    mark_published_and_failures,
    inbox_dedupes_and_prunes,
    checkpoints_and_snapshots,
    superseding_retracts_pending_events,
    upcasters_apply_on_load,
    typed_helpers_snapshot_and_tail,
);
