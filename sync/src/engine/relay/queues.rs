//! A relay pass's rows: one queue per subject, numbered within the pass (the hot path clones
//! and hashes no subject strings), each with the planner's view of its subject kept up to date
//! as acks arrive. A pass reads its rows in chunks of `SyncConfig::relay_batch`: the next
//! chunk is read while the current one is still being published, and joins the same queues,
//! so the publish window never drains between chunks.

use super::super::local::{self, Blocked};
use super::super::plan::{StreamKey, SubjectView};
use super::super::Shared;
use super::Refusal;
use crate::store::{OutboxEntry, StoreError};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;

/// One subject's pending rows in a pass, with the planner's view of it. The view's `pending`
/// holds only the queue's head (all `plan::next_publish` reads), so taking the head is O(1)
/// however long the queue.
pub(super) struct SubjectQueue {
    pub view: SubjectView,
    pub entries: VecDeque<OutboxEntry>,
    /// Why the device may not publish to the subject (checked once per subject and pass).
    pub refused: Option<Refusal>,
    /// The in-flight publish's abort handle (a permissions violation naming the subject).
    pub waiting: Option<futures::future::AbortHandle>,
}

impl SubjectQueue {
    fn new(shared: &Shared, entry: &OutboxEntry, known_seq: u64) -> Self {
        SubjectQueue {
            view: SubjectView {
                subject: entry.subject.clone(),
                stream: StreamKey {
                    stream_type: entry.event.stream_type.clone(),
                    stream_id: entry.event.stream_id.clone(),
                },
                known_seq,
                pending: Vec::new(),
                in_flight: false,
                read_back: None,
            },
            entries: VecDeque::new(),
            refused: super::refusal(shared, entry),
            waiting: None,
        }
    }

    fn push(&mut self, entry: OutboxEntry) {
        if self.entries.is_empty() {
            self.view.pending.push(entry.event.event_id);
        }
        self.entries.push_back(entry);
    }

    /// The head's log position (the row published next, or awaiting its ack).
    fn head_pos(&self) -> Option<u64> {
        self.entries.front().map(|e| e.event.global_pos)
    }
}

/// Rows read for a pass, with the last known sequence of each of their subjects.
pub(super) struct Chunk {
    pub entries: Vec<OutboxEntry>,
    known: HashMap<String, u64>,
}

pub(super) type ChunkFuture = Pin<Box<dyn Future<Output = Result<Chunk, StoreError>> + Send>>;

/// Reads up to `limit` pending rows from log position `from`, and their subjects' last known
/// sequences, in one writer job.
pub(super) fn read_chunk(shared: &Shared, from: u64, limit: usize) -> ChunkFuture {
    let writer = shared.writer.clone();
    Box::pin(async move {
        writer
            .call_async(move |s| {
                let conn = s.connection();
                let entries = crate::store::sqlite::read::pending_outbox_from(conn, from, limit)?;
                let mut subjects: Vec<String> = entries.iter().map(|e| e.subject.clone()).collect();
                subjects.sort_unstable();
                subjects.dedup();
                let known = local::known_seqs(conn, &subjects)?;
                Ok(Chunk { entries, known })
            })
            .await
    })
}

/// The pass's queues.
#[derive(Default)]
pub(super) struct Queues {
    numbers: HashMap<String, usize>,
    pub list: Vec<SubjectQueue>,
    /// Rows in the queues (in flight or not yet sent).
    queued: usize,
}

impl Queues {
    /// Adds a chunk's rows behind those already queued. A row a quarantined row holds (its
    /// subject or aggregate) is left out: it waits. A queue that had run dry becomes ready
    /// again; a subject new to the pass starts from its last known sequence.
    pub fn admit(
        &mut self,
        shared: &Shared,
        chunk: Chunk,
        blocked: &Blocked,
        ready: &mut VecDeque<usize>,
    ) {
        let Chunk { entries, known } = chunk;
        for entry in entries {
            let e = &entry.event;
            if blocked.holds(&entry.subject, &e.stream_type, &e.stream_id) {
                continue;
            }
            let i = match self.numbers.get(&entry.subject) {
                Some(&i) => i,
                None => {
                    let known_seq = known.get(&entry.subject).copied().unwrap_or(0);
                    self.list.push(SubjectQueue::new(shared, &entry, known_seq));
                    self.numbers
                        .insert(entry.subject.clone(), self.list.len() - 1);
                    self.list.len() - 1
                }
            };
            let queue = &mut self.list[i];
            // Idle (nothing queued, nothing in flight): ready again. A queue with rows is
            // in flight, ready already, or waiting for a read-back at the end of the pass.
            if queue.entries.is_empty() && queue.waiting.is_none() {
                ready.push_back(i);
            }
            queue.push(entry);
            self.queued += 1;
        }
    }

    /// Takes queue `i`'s head (acknowledged or set aside); the next row becomes the head.
    pub fn pop_front(&mut self, i: usize) -> Option<OutboxEntry> {
        let queue = &mut self.list[i];
        let entry = queue.entries.pop_front()?;
        self.queued -= 1;
        queue.view.pending.clear();
        if let Some(next) = queue.entries.front() {
            queue.view.pending.push(next.event.event_id);
        }
        Some(entry)
    }

    /// Nothing more of queue `i` goes out in this pass.
    pub fn clear(&mut self, i: usize) {
        let queue = &mut self.list[i];
        self.queued -= queue.entries.len();
        queue.entries.clear();
        queue.view.pending.clear();
    }

    /// Rows queued and not yet sent (`in_flight` of the queued rows await their ack).
    pub fn unsent(&self, in_flight: usize) -> usize {
        self.queued.saturating_sub(in_flight)
    }

    /// The lowest log position still queued: every row the pass read below it is published
    /// (its ack recorded or about to be) or set aside.
    pub fn lowest_queued(&self) -> Option<u64> {
        self.list.iter().filter_map(SubjectQueue::head_pos).min()
    }
}
