//! Central's events on one subject are applied in stream order even when JetStream hands them
//! over out of order (an unacknowledged message redelivered after later ones): a message whose
//! `Mallbots-Prev-Subject-Seq` has not been handled waits parked, and applying its predecessor
//! applies it, in the same transaction. Real SQLite file.

use async_nats::HeaderMap;
use mallbots_sync::engine::envelope;
use mallbots_sync::engine::in_order::H_PREV_SUBJECT_SEQ;
use mallbots_sync::engine::local::{self, RawMessage, Received};
use mallbots_sync::engine::{InboxApplier, IncomingEvent};
use mallbots_sync::store::sqlite::read;
use mallbots_sync::store::{Durability, InboxStatus, SqliteStore, StoreError};
use rusqlite::Transaction;
use std::sync::Mutex;
use uuid::Uuid;

const SUBJECT: &str = "mallbots.ev.order.kiosk-1.o1";

/// Accepts everything and remembers the order it applied sequences in.
#[derive(Default)]
struct Recording(Mutex<Vec<u64>>);

impl InboxApplier for Recording {
    fn can_apply(&self, _event: &IncomingEvent) -> bool {
        true
    }
    fn apply(&self, _tx: &Transaction<'_>, event: &IncomingEvent) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(event.stream_seq);
        Ok(())
    }
}

/// A central order event at `seq`, appended after `prev` on the subject (`None`: no header).
fn message(seq: u64, prev: Option<u64>) -> RawMessage {
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, &seq.to_be_bytes()).to_string();
    let mut h = HeaderMap::new();
    for (k, v) in [
        (envelope::H_MSG_ID, id.as_str()),
        (envelope::H_EVENT_TYPE, "OrderApproved"),
        (envelope::H_SCHEMA_VERSION, "1"),
        (envelope::H_STREAM_TYPE, "order"),
        (envelope::H_STREAM_ID, "o1"),
        (envelope::H_OCCURRED_AT, "1700000000000"),
        (envelope::H_CORRELATION_ID, id.as_str()),
    ] {
        h.insert(k, v);
    }
    if let Some(prev) = prev {
        h.insert(H_PREV_SUBJECT_SEQ, prev.to_string().as_str());
    }
    RawMessage {
        subject: SUBJECT.into(),
        seq,
        headers: Some(h),
        payload: br#"{"order_id":"o1"}"#.to_vec(),
    }
}

fn receive(store: &mut SqliteStore, applier: &Recording, msg: &RawMessage) -> Received {
    store
        .transaction(Durability::Normal, |tx| local::receive(tx, applier, msg))
        .expect("receive")
        .0
}

/// No message is left waiting in the inbox.
fn assert_nothing_parked(store: &mut SqliteStore) {
    let parked = store
        .transaction(Durability::Normal, |tx| read::parked_inbox(tx))
        .unwrap();
    assert!(parked.is_empty(), "nothing left waiting: {parked:?}");
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("edge.db"), &[]).unwrap();
    (dir, store)
}

#[test]
fn a_successor_that_arrives_first_waits_for_its_predecessor() {
    let (_dir, mut store) = store();
    let applier = Recording::default();
    assert_eq!(
        receive(&mut store, &applier, &message(3, Some(0))),
        Received::Applied
    );
    // 9 (after 5) and 12 (after 9) arrive before 5, as after a killed sync's redelivery.
    assert!(
        matches!(receive(&mut store, &applier, &message(9, Some(5))), Received::Parked(why) if why.contains("waiting"))
    );
    assert!(matches!(
        receive(&mut store, &applier, &message(12, Some(9))),
        Received::Parked(_)
    ));
    assert_eq!(*applier.0.lock().unwrap(), vec![3]);

    assert_eq!(
        receive(&mut store, &applier, &message(5, Some(3))),
        Received::Applied
    );
    assert_eq!(
        *applier.0.lock().unwrap(),
        vec![3, 5, 9, 12],
        "the chain applied in order"
    );
    assert_nothing_parked(&mut store);

    // A redelivery of a successor that already applied is a duplicate.
    let again = message(9, Some(5));
    let key = IncomingEvent::inbox_key(&again.subject, again.seq, again.headers.as_ref());
    let status = store
        .transaction(Durability::Normal, |tx| read::inbox_entry(tx, key))
        .unwrap();
    assert!(status.is_none() || status.unwrap().record.status != InboxStatus::Parked);
}

#[test]
fn messages_without_the_header_apply_as_they_come() {
    let (_dir, mut store) = store();
    let applier = Recording::default();
    assert_eq!(
        receive(&mut store, &applier, &message(9, None)),
        Received::Applied
    );
    assert_eq!(
        receive(&mut store, &applier, &message(4, None)),
        Received::Applied
    );
    assert_eq!(*applier.0.lock().unwrap(), vec![9, 4]);
}

#[test]
fn a_waiting_message_survives_until_its_predecessor_arrives_later() {
    let (dir, mut store) = store();
    let applier = Recording::default();
    assert!(matches!(
        receive(&mut store, &applier, &message(20, Some(10))),
        Received::Parked(_)
    ));
    drop(store);
    // The process restarts: the waiting message is in the database, not in memory.
    let mut store = SqliteStore::open(dir.path().join("edge.db"), &[]).unwrap();
    assert_eq!(
        receive(&mut store, &applier, &message(10, None)),
        Received::Applied
    );
    assert_eq!(*applier.0.lock().unwrap(), vec![10, 20]);
}

/// The message at `seq` carrying the same event (msg-id) as `original`: a publish central
/// repeated after JetStream's duplicate window, stored again at another sequence.
fn repeat_of(original: &RawMessage, seq: u64, prev: u64) -> RawMessage {
    let mut repeat = original.clone();
    repeat.seq = seq;
    if let Some(h) = repeat.headers.as_mut() {
        h.insert(H_PREV_SUBJECT_SEQ, prev.to_string().as_str());
    }
    repeat
}

#[test]
fn an_event_stored_again_at_a_later_sequence_does_not_hold_up_its_successor() {
    let (_dir, mut store) = store();
    let applier = Recording::default();
    let first = message(5, Some(0));
    assert_eq!(receive(&mut store, &applier, &first), Received::Applied);
    // The same event again at 7 (appended after 5): not applied twice...
    assert_eq!(
        receive(&mut store, &applier, &repeat_of(&first, 7, 5)),
        Received::Duplicate
    );
    // ...but handled at 7, so central's next event, appended after 7, applies.
    assert_eq!(
        receive(&mut store, &applier, &message(9, Some(7))),
        Received::Applied
    );
    assert_eq!(*applier.0.lock().unwrap(), vec![5, 9]);
}

#[test]
fn a_successor_waiting_for_a_repeat_applies_when_the_repeat_arrives() {
    let (_dir, mut store) = store();
    let applier = Recording::default();
    let first = message(5, Some(0));
    assert_eq!(receive(&mut store, &applier, &first), Received::Applied);
    assert!(matches!(
        receive(&mut store, &applier, &message(9, Some(7))),
        Received::Parked(_)
    ));
    let repeat = repeat_of(&first, 7, 5);
    assert_eq!(receive(&mut store, &applier, &repeat), Received::Duplicate);
    assert_eq!(*applier.0.lock().unwrap(), vec![5, 9], "9 applied, 5 once");
    assert_nothing_parked(&mut store);
    // Redelivered again, the repeat changes nothing.
    assert_eq!(receive(&mut store, &applier, &repeat), Received::Duplicate);
    assert_eq!(*applier.0.lock().unwrap(), vec![5, 9]);
}

#[test]
fn an_event_waiting_at_two_sequences_is_applied_once_and_both_are_handled() {
    let (_dir, mut store) = store();
    let applier = Recording::default();
    assert_eq!(
        receive(&mut store, &applier, &message(3, Some(0))),
        Received::Applied
    );
    // 6 (after 5) arrives before 5; its repeat at 8 (after 6) waits too.
    let line = message(6, Some(5));
    assert!(matches!(
        receive(&mut store, &applier, &line),
        Received::Parked(_)
    ));
    assert!(matches!(
        receive(&mut store, &applier, &repeat_of(&line, 8, 6)),
        Received::Parked(_)
    ));
    // Central's next event names the repeat as its predecessor.
    assert!(matches!(
        receive(&mut store, &applier, &message(10, Some(8))),
        Received::Parked(_)
    ));
    assert_eq!(
        receive(&mut store, &applier, &message(5, Some(3))),
        Received::Applied
    );
    assert_eq!(
        *applier.0.lock().unwrap(),
        vec![3, 5, 6, 10],
        "6 once, then 10"
    );
    assert_nothing_parked(&mut store);
}

#[test]
fn a_repeat_received_before_its_original_applies_the_event_once() {
    let (_dir, mut store) = store();
    let applier = Recording::default();
    let line = message(6, Some(0));
    // The later copy first (its predecessor, 6, not in yet), then the original.
    assert!(matches!(
        receive(&mut store, &applier, &repeat_of(&line, 8, 6)),
        Received::Parked(_)
    ));
    assert_eq!(receive(&mut store, &applier, &line), Received::Applied);
    assert_eq!(
        receive(&mut store, &applier, &message(10, Some(8))),
        Received::Applied
    );
    assert_eq!(*applier.0.lock().unwrap(), vec![6, 10]);
    assert_nothing_parked(&mut store);
}
