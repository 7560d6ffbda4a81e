//! Order lines and their history in memory, for a rebuild: rows merge as
//! [`Row::merge`] does live (newest state wins, earliest times stay), the first status recorded
//! at a sequence stays.

use super::super::order_lines::{insert_history, load, store, Row};
use super::super::Key;
use crate::calendar::Calendar;
use mallbots_domain::ordering::OrderLineEvent;
use mallbots_sync::store::StoreError;
use rusqlite::Transaction;
use std::collections::hash_map::{Entry, HashMap};

/// The order-line rows a rebuild holds, by (order, store); the history by (order, store,
/// sequence).
pub(super) struct LineFold {
    rows: HashMap<(Key, Key), Row>,
    history: HashMap<(Key, Key, i64), (&'static str, i64)>,
    calendar: Calendar,
    spilled: bool,
}

impl LineFold {
    pub fn new(calendar: Calendar) -> Self {
        Self {
            rows: HashMap::new(),
            history: HashMap::new(),
            calendar,
            spilled: false,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows.len() + self.history.len()
    }

    /// Folds one order line in; after a spill, a row not held merges with the database's.
    pub fn apply(
        &mut self,
        tx: &Transaction<'_>,
        event: &OrderLineEvent,
    ) -> Result<(), StoreError> {
        let OrderLineEvent::OrderLineUpdated {
            order_id,
            store_id,
            status,
            at,
            ..
        } = event;
        let (order, store_id) = (Key::of(order_id.0), Key::of(store_id.0));
        let row = Row::of(event)?;
        self.history
            .entry((order, store_id, row.order_seq()))
            .or_insert((status.as_str(), at.0));
        match self.rows.entry((order, store_id)) {
            Entry::Occupied(held) => {
                let (key, old) = held.remove_entry();
                self.rows.insert(key, old.merge(row));
            }
            Entry::Vacant(slot) => {
                let stored = match self.spilled {
                    true => load(tx, order.as_str(), store_id.as_str())?,
                    false => None,
                };
                slot.insert(match stored {
                    Some(stored) => stored.merge(row),
                    None => row,
                });
            }
        }
        Ok(())
    }

    /// Writes the rows held, in key order, and empties the fold.
    pub fn write(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        let mut rows: Vec<_> = self.rows.drain().collect();
        rows.sort_unstable_by_key(|(key, _)| *key);
        for ((order, store_id), row) in rows {
            store(tx, &self.calendar, order.as_str(), store_id.as_str(), &row)?;
        }
        let mut history: Vec<_> = self.history.drain().collect();
        history.sort_unstable_by_key(|(key, _)| *key);
        for ((order, store_id, seq), (status, at)) in history {
            insert_history(tx, order.as_str(), store_id.as_str(), seq, status, at)?;
        }
        self.spilled = true;
        Ok(())
    }
}
