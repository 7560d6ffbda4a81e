//! Maintenance: full read-model rebuild, a canonical dump of the read models (to compare a
//! rebuild with the incremental state), export / import of events as JSON lines, and counts for
//! a status line.

use crate::error::EdgeError;
use crate::projections::depot::DEPOT_TABLES;
use crate::projections::desk::DESK_TABLES;
use crate::projections::{self, READ_MODEL_TABLES};
use crate::Edge;
use mallbots_sync::store::sqlite::write;
use mallbots_sync::store::{now_ms, AppendRequest, Durability, EventReader, NewEvent, StoredEvent};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::sync::Arc;

/// Told `(done, total)` as long work advances (a rebuild, an import): the CLI draws a bar.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Every read model, the depot's and desk's included, re-projected from the log inside `tx`.
pub(crate) fn rebuild_everything(
    tx: &rusqlite::Transaction<'_>,
    upcasters: &mallbots_sync::store::upcast::Upcasters,
    progress: &Progress,
) -> Result<u64, mallbots_sync::store::StoreError> {
    let total: i64 = tx.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    let total = u64::try_from(total).unwrap_or(0);
    progress(0, total);
    for table in DEPOT_TABLES.iter().chain(DESK_TABLES) {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    projections::rebuild_in_reporting(tx, upcasters, &|done| progress(done, total))
}

/// The outcome of [`Edge::import_events`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventImportReport {
    /// Events appended and projected.
    pub imported: u64,
    /// Events already stored (same event id).
    pub skipped: u64,
    /// Events whose version does not follow their stream's head here (not imported).
    pub out_of_order: u64,
}

/// Local counts for a status line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalCounts {
    /// Events in the log (not superseded).
    pub events: u64,
    /// Outbox rows not yet acknowledged by central.
    pub outbox_pending: u64,
}

impl Edge {
    /// Takes this device's quarantined outbox rows out of quarantine so the next sync publishes
    /// them (and what waits behind them) again: for after their cause is fixed (the device
    /// re-enrolled with the right role or stores, the server's `max_payload` raised). Returns how
    /// many rows were released (`mallbots sync --retry-quarantined`).
    pub fn release_quarantined(&self) -> Result<u64, EdgeError> {
        let released = self.writer().call(|store| {
            store.transaction(mallbots_sync::store::Durability::Normal, |tx| {
                mallbots_sync::engine::local::release_quarantined(tx)
            })
        })?;
        Ok(released as u64)
    }

    /// Truncates every read model and re-projects the whole log (one transaction); returns the
    /// number of events projected.
    pub fn rebuild_read_models(&self) -> Result<u64, EdgeError> {
        self.rebuild_read_models_reporting(Arc::new(|_, _| {}))
    }

    /// [`Edge::rebuild_read_models`], telling `progress` (events re-projected, events in the
    /// log) after each page of the scan.
    pub fn rebuild_read_models_reporting(&self, progress: Progress) -> Result<u64, EdgeError> {
        self.with_writer(move |store, _| {
            let upcasters = store.upcasters_arc();
            Ok(store.transaction(Durability::Normal, |tx| {
                rebuild_everything(tx, &upcasters, &progress)
            })?)
        })
    }

    /// Every read-model table as sorted lines of text: equal dumps mean equal read models.
    pub fn dump_read_models(&self) -> Result<Vec<(String, Vec<String>)>, EdgeError> {
        self.read(|r| {
            let conn = r.connection();
            let mut out = Vec::new();
            for table in READ_MODEL_TABLES
                .iter()
                .chain(DEPOT_TABLES)
                .chain(DESK_TABLES)
            {
                let mut stmt = conn.prepare(&format!("SELECT * FROM {table}"))?;
                let columns = stmt.column_count();
                let mut rows: Vec<String> = stmt
                    .query_map([], |row| {
                        let mut cells = Vec::with_capacity(columns);
                        for i in 0..columns {
                            let value: rusqlite::types::Value = row.get(i)?;
                            cells.push(format!("{value:?}"));
                        }
                        Ok(cells.join("|"))
                    })?
                    .collect::<Result<_, _>>()?;
                rows.sort();
                out.push(((*table).to_owned(), rows));
            }
            Ok(out)
        })
    }

    /// Writes every (non-superseded) event as one JSON line; returns how many.
    pub fn export_events(&self, mut out: impl Write) -> Result<u64, EdgeError> {
        self.read(|r| {
            let (mut after, mut count) = (0, 0u64);
            loop {
                let page = r.read_all(after, 1000)?;
                let Some(last) = page.last() else {
                    return Ok(count);
                };
                after = last.global_pos;
                for event in &page {
                    let line = serde_json::to_string(event)
                        .map_err(|e| EdgeError::invalid("event", e.to_string()))?;
                    writeln!(out, "{line}").map_err(|e| EdgeError::io("write export", e))?;
                    count += 1;
                }
            }
        })
    }

    /// Imports events exported by [`Edge::export_events`] (JSON lines): each is appended with
    /// no outbox row (it is someone else's event), keeps its stream sequence, and is projected.
    /// Known event ids are skipped; events that do not follow their stream's head are counted
    /// as out of order and left out.
    pub fn import_events(&self, input: impl BufRead) -> Result<EventImportReport, EdgeError> {
        self.import_events_reporting(input, Arc::new(|_, _| {}))
    }

    /// [`Edge::import_events`], telling `progress` (lines handled, lines in the file) after
    /// each transaction of 128.
    pub fn import_events_reporting(
        &self,
        input: impl BufRead,
        progress: Progress,
    ) -> Result<EventImportReport, EdgeError> {
        let mut events = Vec::new();
        for (index, line) in input.lines().enumerate() {
            let line = line.map_err(|e| EdgeError::io("read import", e))?;
            if line.trim().is_empty() {
                continue;
            }
            let event: StoredEvent = serde_json::from_str(&line)
                .map_err(|e| EdgeError::invalid(format!("line {}", index + 1), e.to_string()))?;
            events.push(event);
        }
        self.with_writer(move |store, cache| {
            cache.clear();
            let mut report = EventImportReport::default();
            let total = events.len() as u64;
            let mut done = 0u64;
            progress(0, total);
            for chunk in events.chunks(128) {
                store.transaction(Durability::Normal, |tx| {
                    for event in chunk {
                        if mallbots_sync::store::sqlite::read::event(tx, event.event_id)?.is_some()
                        {
                            report.skipped += 1;
                            continue;
                        }
                        let head = mallbots_sync::store::sqlite::read::stream_version(
                            tx,
                            &event.stream_type,
                            &event.stream_id,
                        )?;
                        if head + 1 != event.version {
                            report.out_of_order += 1;
                            continue;
                        }
                        let request = AppendRequest::new(
                            &event.stream_type,
                            &event.stream_id,
                            head,
                            vec![NewEvent {
                                event_id: event.event_id,
                                event_type: event.event_type.clone(),
                                schema_version: event.schema_version,
                                payload: event.payload.clone(),
                                metadata: event.metadata.clone(),
                                occurred_at: event.occurred_at,
                                subject: None,
                            }],
                        );
                        for stored in write::append(tx, &request, now_ms())? {
                            if let Some(seq) = event.stream_seq {
                                write::set_stream_seq(tx, stored.event_id, seq)?;
                            }
                            projections::project(tx, &stored)?;
                        }
                        report.imported += 1;
                    }
                    Ok(())
                })?;
                done += chunk.len() as u64;
                progress(done, total);
            }
            Ok(report)
        })
    }

    /// Event and pending-outbox counts.
    pub fn local_counts(&self) -> Result<LocalCounts, EdgeError> {
        self.read(|r| {
            let events: u64 = r.connection().query_row(
                "SELECT count(*) FROM events WHERE superseded = 0",
                [],
                |row| row.get(0),
            )?;
            Ok(LocalCounts {
                events,
                outbox_pending: r.pending_outbox_count()?,
            })
        })
    }
}
