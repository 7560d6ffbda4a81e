//! Pruning (docs/architecture.md §4 "outbox and inbox rows are pruned once safe", §8 P7): the running
//! engine deletes rows that no longer protect anything, in transactions of at most
//! [`PRUNE_BATCH`] rows, so the database stays flat over a long run. The event log itself is
//! never pruned.
//!
//! * **Outbox**: a row goes once JetStream acknowledged it (`published_seq` recorded) more than
//!   the retention ago; its sequence is copied onto the event row as it goes (the relay
//!   records acks on the outbox row alone, [`read::EVENT_SEQ`]). Only pending rows are ever
//!   relayed or read back, so nothing else needs a published row.
//! * **Inbox**: a row exists so that a redelivery is a no-op. It may go once
//!   1. its sequence is at or below the **inbox floor**: every sequence up to it has been
//!      acknowledged by every one of the device's consumers ([`floor_from`], from the
//!      server's ack floors). JetStream never redelivers an acknowledged message, and
//!      [`super::local::receive`] treats an unknown message at or below the floor as a
//!      duplicate, so even a consumer replayed from the start cannot apply it twice;
//!   2. its sequence is at or below its subject's known sequence (a conflict read-back
//!      starts after that, so a rebase never needs it);
//!   3. it is not parked (parked rows wait for an upgrade) and is older than the retention.
//! * **Commands**: a command row exists so that a rebase can re-run it while its events are
//!   pending. Once it is `published` (every event of it acknowledged) and older than the retention,
//!   nothing reads it: it goes. Rejected ones stay (they explain a conflict).

use super::error::SyncError;
use super::local::subject_checkpoint;
use super::Shared;
use crate::store::sqlite::read;
use crate::store::{now_ms, Durability, StoreError};
use async_nats::jetstream::consumer::{Info, PullConsumer};
use rusqlite::{params, Connection};

/// Rows deleted per transaction at most (docs/architecture.md §4: transactions stay small).
pub const PRUNE_BATCH: usize = 256;

/// Checkpoint holding the inbox floor (see the module doc); never lowered.
pub const INBOX_FLOOR_CHECKPOINT: &str = "inbox:floor";

/// What one pruning pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Outbox rows deleted.
    pub outbox: u64,
    /// Inbox rows deleted.
    pub inbox: u64,
    /// Published command rows deleted.
    pub commands: u64,
    /// The inbox floor after the pass.
    pub floor: u64,
}

/// The inbox floor recorded so far (0 = none).
pub fn inbox_floor(conn: &Connection) -> Result<u64, StoreError> {
    Ok(read::checkpoint(conn, INBOX_FLOOR_CHECKPOINT)?.unwrap_or(0))
}

/// Raises the inbox floor to `floor` (never lowers it).
pub fn raise_inbox_floor(conn: &Connection, floor: u64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (name, position, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position),
             updated_at = excluded.updated_at",
    )?
    .execute(params![INBOX_FLOOR_CHECKPOINT, floor, now_ms()])?;
    Ok(())
}

/// Deletes up to `limit` acknowledged outbox rows published before `before_ms` (the first in
/// log order), copying each one's sequence onto its event row first, in the same transaction
/// (until then the event's sequence is read from the outbox row: [`read::EVENT_SEQ`]).
pub fn prune_outbox_batch(
    conn: &Connection,
    before_ms: i64,
    limit: usize,
) -> Result<usize, StoreError> {
    // The batch is every such row up to the `limit`-th one's position.
    let last: Option<i64> = conn
        .prepare_cached(
            "SELECT max(global_pos) FROM (SELECT global_pos FROM outbox
             WHERE published_seq IS NOT NULL AND published_at < ?1
             ORDER BY global_pos LIMIT ?2)",
        )?
        .query_row(params![before_ms, limit as i64], |r| r.get(0))?;
    let Some(last) = last else {
        return Ok(0);
    };
    conn.prepare_cached(
        "UPDATE events SET stream_seq = o.published_seq FROM outbox o
         WHERE o.global_pos = events.global_pos AND o.global_pos <= ?2
           AND o.published_seq IS NOT NULL AND o.published_at < ?1
           AND events.stream_seq IS NULL",
    )?
    .execute(params![before_ms, last])?;
    Ok(conn
        .prepare_cached(
            "DELETE FROM outbox WHERE global_pos <= ?2
             AND published_seq IS NOT NULL AND published_at < ?1",
        )?
        .execute(params![before_ms, last])?)
}

/// Deletes up to `limit` published command rows created before `before_ms`.
pub fn prune_commands_batch(
    conn: &Connection,
    before_ms: i64,
    limit: usize,
) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM commands WHERE id IN (
                 SELECT id FROM commands WHERE status = 'published' AND created_at < ?1
                 LIMIT ?2)",
        )?
        .execute(params![before_ms, limit as i64])?)
}

/// Deletes up to `limit` applied or echo inbox rows at or below the recorded inbox floor and
/// their subject's known sequence, received before `before_ms`.
pub fn prune_inbox_batch(
    conn: &Connection,
    before_ms: i64,
    limit: usize,
) -> Result<usize, StoreError> {
    let floor = inbox_floor(conn)?;
    Ok(conn
        .prepare_cached(
            "DELETE FROM inbox WHERE rowid IN (
                 SELECT i.rowid FROM inbox i JOIN checkpoints c ON c.name = ?1 || i.subject
                 WHERE i.stream_seq <= ?2 AND i.stream_seq <= c.position
                   AND i.status != 'parked' AND i.received_at < ?3
                 LIMIT ?4)",
        )?
        .execute(params![
            subject_checkpoint(""),
            floor,
            before_ms,
            limit as i64
        ])?)
}

fn idle(info: &Info) -> bool {
    info.num_pending == 0 && info.num_ack_pending == 0
}

/// The inbox floor the consumers' state allows. `first[i]` is consumer i's info; `second[i]`
/// its info read again after ALL of `first` (only for consumers idle in `first`).
///
/// Every bound comes from `first`: a consumer's ack floor holds forever (everything up to it
/// is acknowledged). A consumer idle in both reads does not bound the floor: it had
/// acknowledged everything that existed at its second read, and a message arriving later gets
/// a higher sequence than any bound read before. If no consumer bounds it, the floor is the
/// highest ack floor of the first read.
pub fn floor_from(first: &[Info], second: &[Option<Info>]) -> u64 {
    let bounds = first.iter().enumerate().filter(|(i, info)| {
        let idle_twice = idle(info) && second.get(*i).and_then(Option::as_ref).is_some_and(idle);
        !idle_twice
    });
    let bound = bounds.map(|(_, info)| info.ack_floor.stream_sequence).min();
    bound.unwrap_or_else(|| {
        first
            .iter()
            .map(|i| i.ack_floor.stream_sequence)
            .max()
            .unwrap_or(0)
    })
}

/// Reads the consumers' state from the server and returns the floor it allows (`None`
/// without consumers).
pub(crate) async fn server_floor(
    consumers: &[(String, PullConsumer)],
) -> Result<Option<u64>, SyncError> {
    if consumers.is_empty() {
        return Ok(None);
    }
    let info = |name: &str, c: &PullConsumer| {
        let name = name.to_owned();
        let c = c.clone();
        async move {
            c.get_info().await.map_err(|e| SyncError::Consumer {
                consumer: name,
                reason: e.to_string(),
            })
        }
    };
    let mut first = Vec::with_capacity(consumers.len());
    for (name, c) in consumers {
        first.push(info(name, c).await?);
    }
    let mut second = Vec::with_capacity(consumers.len());
    for ((name, c), seen) in consumers.iter().zip(&first) {
        second.push(match idle(seen) {
            true => Some(info(name, c).await?),
            false => None,
        });
    }
    Ok(Some(floor_from(&first, &second)))
}

/// The tables a pass prunes, in order.
#[derive(Debug, Clone, Copy)]
enum Table {
    Inbox,
    Outbox,
    Commands,
}

/// Raises the floor (if `floor` is given) and deletes what is safe, a batch per transaction.
pub(crate) async fn prune_local(
    shared: &Shared,
    floor: Option<u64>,
    retention: std::time::Duration,
) -> Result<PruneReport, SyncError> {
    let before = now_ms() - retention.as_millis() as i64;
    let floor = shared
        .writer
        .call_async(move |s| {
            s.transaction(Durability::Normal, |tx| {
                if let Some(floor) = floor {
                    raise_inbox_floor(tx, floor)?;
                }
                inbox_floor(tx)
            })
        })
        .await?;
    let mut report = PruneReport {
        floor,
        ..PruneReport::default()
    };
    for table in [Table::Inbox, Table::Outbox, Table::Commands] {
        loop {
            let n = shared
                .writer
                .call_async(move |s| {
                    s.transaction(Durability::Normal, |tx| match table {
                        Table::Outbox => prune_outbox_batch(tx, before, PRUNE_BATCH),
                        Table::Inbox => prune_inbox_batch(tx, before, PRUNE_BATCH),
                        Table::Commands => prune_commands_batch(tx, before, PRUNE_BATCH),
                    })
                })
                .await?;
            match table {
                Table::Outbox => report.outbox += n as u64,
                Table::Inbox => report.inbox += n as u64,
                Table::Commands => report.commands += n as u64,
            }
            if n < PRUNE_BATCH {
                break;
            }
        }
    }
    Ok(report)
}
