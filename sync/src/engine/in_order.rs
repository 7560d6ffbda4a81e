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
//! events) are applied as they come.

use super::local::subject_checkpoint;
use crate::store::sqlite::read;
use crate::store::StoreError;
use async_nats::HeaderMap;
use rusqlite::{params, Connection};

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
