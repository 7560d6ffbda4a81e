//! Per-subject order of incoming central events.
//!
//! JetStream redelivers a message that was delivered but never acknowledged (the syncing process
//! was killed mid-apply) only after the consumer's ack wait, by which time later messages on the
//! same subject have arrived: applied as they come, an order would fold `OrderShoppingStarted`
//! after `OrderReadied` and show `in_progress` for ever.
//!
//! Central stamps every event with [`H_PREV_SUBJECT_SEQ`], the subject's sequence it was appended
//! after (the expected last subject sequence of its publish; 0 for the first). An event whose
//! predecessor has not been handled here waits, parked with its raw message (and acknowledged, so
//! it is never lost); once the predecessor is applied the waiting successors on that subject are
//! applied in stream order, in the same transaction. Messages without the header (other edges'
//! events) are applied as they come. An event the stream holds twice (a publish repeated past
//! the msg-id window) is recorded at both sequences ([`inbox_row`]) and applied once.

use super::envelope::IncomingEvent;
use super::local::{subject_checkpoint, RawMessage};
use crate::store::sqlite::read;
use crate::store::{InboxStatus, StoreError};
use async_nats::HeaderMap;
use rusqlite::{params, Connection};
use uuid::Uuid;

/// Header central sets on every event: the subject's sequence this event was appended after.
pub const H_PREV_SUBJECT_SEQ: &str = "Mallbots-Prev-Subject-Seq";

/// The predecessor's sequence named by `headers`, if any (0 or absent: no predecessor).
pub fn prev_subject_seq(headers: Option<&HeaderMap>) -> Option<u64> {
    let value = headers?
        .get(H_PREV_SUBJECT_SEQ)?
        .as_str()
        .trim()
        .parse()
        .ok()?;
    (value > 0).then_some(value)
}

/// Whether the message at sequence `prev` on `subject` has not been handled here yet: not
/// applied or echoed, not below the inbox floor (handled, row since pruned), and not covered by
/// the subject's known sequence (the edge's own acknowledged publishes, a rebase's read-back).
pub fn predecessor_missing(
    conn: &Connection,
    subject: &str,
    prev: u64,
    inbox_floor: u64,
) -> Result<bool, StoreError> {
    if prev <= inbox_floor {
        return Ok(false);
    }
    if read::checkpoint(conn, &subject_checkpoint(subject))?.unwrap_or(0) >= prev {
        return Ok(false);
    }
    let handled: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM inbox WHERE stream_seq = ?1 AND subject = ?2
                 AND status IN ('applied', 'echo'))",
        )?
        .query_row(params![prev, subject], |row| row.get(0))?;
    Ok(!handled)
}

/// The inbox row a message is recorded under: its event's id, or, for an event this inbox holds
/// at another sequence (a publish repeated past JetStream's duplicate window, stored again), a
/// key of the message's own, so that every sequence of the subject is recorded as handled or
/// waiting (central's next event names the repeat as its predecessor).
pub struct InboxRow {
    /// The key the message is recorded under.
    pub key: Uuid,
    /// The status of the message's own row, if it has one.
    pub existing: Option<InboxStatus>,
    /// The status of the same event's row at another sequence, when that one was handled.
    pub handled_at_other_seq: Option<InboxStatus>,
    /// The key of the same event's row at another sequence, when that one waits parked (applied
    /// through this message, it is handled too: not applied a second time when it comes up).
    pub parked_at_other_seq: Option<Uuid>,
}

pub fn inbox_row(tx: &Connection, msg: &RawMessage) -> Result<InboxRow, StoreError> {
    let id_key = IncomingEvent::inbox_key(&msg.subject, msg.seq, msg.headers.as_ref());
    let seq_key = IncomingEvent::inbox_key(&msg.subject, msg.seq, None);
    let by_id = read::inbox_entry(tx, id_key)?.map(|r| r.record);
    let row = |key, existing| InboxRow {
        key,
        existing,
        handled_at_other_seq: None,
        parked_at_other_seq: None,
    };
    Ok(match by_id {
        Some(r) if r.stream_seq == msg.seq => row(id_key, Some(r.status)),
        Some(r) => {
            let own = read::inbox_entry(tx, seq_key)?.map(|o| o.record.status);
            let parked = r.status == InboxStatus::Parked;
            InboxRow {
                handled_at_other_seq: (!parked).then_some(r.status),
                parked_at_other_seq: parked.then_some(id_key),
                ..row(seq_key, own)
            }
        }
        // The event's row may have been pruned while this repeat waited under its own key.
        None if seq_key != id_key => match read::inbox_entry(tx, seq_key)? {
            Some(own) => row(seq_key, Some(own.record.status)),
            None => row(id_key, None),
        },
        None => row(id_key, None),
    })
}

/// Raw texts of the parked messages on `subject` after sequence `seq`, oldest first: the
/// successors that may have been waiting for it (the `inbox_seq` index keeps this a short range
/// scan: messages after `seq` exist here only when they arrived out of order).
pub fn waiting_after(
    conn: &Connection,
    subject: &str,
    seq: u64,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT raw FROM inbox WHERE stream_seq > ?1 AND subject = ?2 AND status = 'parked'
             AND raw IS NOT NULL ORDER BY stream_seq",
    )?;
    let rows = stmt.query_map(params![seq, subject], |row| row.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_a_positive_predecessor_only() {
        let mut h = HeaderMap::new();
        assert_eq!(prev_subject_seq(Some(&h)), None);
        h.insert(H_PREV_SUBJECT_SEQ, "0");
        assert_eq!(prev_subject_seq(Some(&h)), None);
        h.insert(H_PREV_SUBJECT_SEQ, "42");
        assert_eq!(prev_subject_seq(Some(&h)), Some(42));
        h.insert(H_PREV_SUBJECT_SEQ, "forty-two");
        assert_eq!(prev_subject_seq(Some(&h)), None);
        assert_eq!(prev_subject_seq(None), None);
    }
}
