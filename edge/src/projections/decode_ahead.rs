//! Decoding ahead of the writer, for a rebuild: each scanned row's types and payload are
//! copied into a batch, a thread of its own decodes the batch with the domain's decoders (the
//! one authority on an event's shape), and the writer projects the decoded batches while the
//! next ones are decoded. Decoding is about half of a rebuild's work per event; on two cores it
//! now overlaps the other half. Batches come back in the order they went, one decoder, so
//! events are projected in log order.

use super::{Decoded, Payload};
use mallbots_sync::store::sqlite::RawEvent;
use mallbots_sync::store::{StoreError, Upcasters};
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

/// Rows per batch.
const BATCH: usize = 256;
/// Batches in flight each way.
const DEPTH: usize = 4;

/// Decoded events of one batch, in log order.
type Events = Vec<Decoded>;

/// Copied rows: one text buffer and each row's spans in it.
#[derive(Default)]
struct Batch {
    text: String,
    rows: Vec<Row>,
}

struct Row {
    stream_type: Range<usize>,
    event_type: Range<usize>,
    payload: Range<usize>,
    schema_version: u32,
}

impl Batch {
    fn push(&mut self, event: &RawEvent<'_>) {
        let mut copy = |s: &str| {
            let start = self.text.len();
            self.text.push_str(s);
            start..self.text.len()
        };
        let row = Row {
            stream_type: copy(event.stream_type),
            event_type: copy(event.event_type),
            payload: copy(event.payload),
            schema_version: event.schema_version,
        };
        self.rows.push(row);
    }

    fn decode(&self, upcasters: &Upcasters) -> Result<Events, StoreError> {
        self.rows
            .iter()
            .map(|row| {
                let text = |r: &Range<usize>| &self.text[r.clone()];
                let payload = Payload {
                    upcasters,
                    event_type: text(&row.event_type),
                    schema_version: row.schema_version,
                    payload: text(&row.payload),
                };
                Decoded::decode(text(&row.stream_type), payload.event_type, &payload)
            })
            .collect()
    }
}

/// A batch for the decoder, with the writer's spent events for it to free (memory goes back
/// to the thread that allocated it, the cheap way for the allocator).
struct Work {
    batch: Batch,
    spent: Vec<Events>,
}

/// A decoded batch, with its emptied buffer for the writer to fill again.
struct Done {
    events: Result<Events, StoreError>,
    buffer: Batch,
}

/// The writer's end: rows go in, decoded batches come out to `project`.
pub(super) struct Ahead {
    to_decoder: SyncSender<Work>,
    decoded: Receiver<Done>,
    batch: Batch,
    buffers: Vec<Batch>,
    spent: Vec<Events>,
}

/// What the writer does with each decoded batch.
pub(super) type Project<'p> = dyn FnMut(&[Decoded]) -> Result<(), StoreError> + 'p;

fn decoder_gone() -> StoreError {
    StoreError::Projection {
        code: "projection.decoder_gone",
        message: "the rebuild's decoder thread stopped".to_owned(),
    }
}

impl Ahead {
    /// Copies `event` into the current batch; a full batch goes to the decoder, and every
    /// batch decoded by now is projected.
    pub fn push(
        &mut self,
        event: &RawEvent<'_>,
        project: &mut Project<'_>,
    ) -> Result<(), StoreError> {
        self.batch.push(event);
        if self.batch.rows.len() >= BATCH {
            self.send(project)?;
        }
        while let Ok(done) = self.decoded.try_recv() {
            self.project(done, project)?;
        }
        Ok(())
    }

    fn project(&mut self, done: Done, project: &mut Project<'_>) -> Result<(), StoreError> {
        self.buffers.push(done.buffer);
        let events = done.events?;
        project(&events)?;
        self.spent.push(events);
        Ok(())
    }

    /// Sends the current batch; while the decoder is `DEPTH` batches behind, projects the
    /// batches it finishes meanwhile (it never waits on a writer that waits on it).
    fn send(&mut self, project: &mut Project<'_>) -> Result<(), StoreError> {
        let next = self.buffers.pop().unwrap_or_default();
        let mut work = Work {
            batch: std::mem::replace(&mut self.batch, next),
            spent: std::mem::take(&mut self.spent),
        };
        loop {
            match self.to_decoder.try_send(work) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    work = back;
                    let done = self.decoded.recv().map_err(|_| decoder_gone())?;
                    self.project(done, project)?;
                }
                Err(TrySendError::Disconnected(_)) => return Err(decoder_gone()),
            }
        }
    }

    /// Sends the last batch and projects every batch still out, in order.
    pub fn finish(mut self, project: &mut Project<'_>) -> Result<(), StoreError> {
        if !self.batch.rows.is_empty() {
            self.send(project)?;
        }
        let Ahead {
            to_decoder,
            decoded,
            ..
        } = self;
        drop(to_decoder);
        for done in decoded {
            project(&done.events?)?;
        }
        Ok(())
    }
}

/// Runs `body` with a decoder thread behind the [`Ahead`] it gets; the thread ends with it.
pub(super) fn with_decoder<R>(
    upcasters: &Upcasters,
    body: impl FnOnce(Ahead) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    std::thread::scope(|scope| {
        let (to_decoder, work) = sync_channel::<Work>(DEPTH);
        let (done, decoded) = sync_channel(DEPTH);
        scope.spawn(move || {
            for Work { mut batch, spent } in work {
                drop(spent);
                let events = batch.decode(upcasters);
                batch.text.clear();
                batch.rows.clear();
                if done
                    .send(Done {
                        events,
                        buffer: batch,
                    })
                    .is_err()
                {
                    break;
                }
            }
        });
        body(Ahead {
            to_decoder,
            decoded,
            batch: Batch::default(),
            buffers: Vec::new(),
            spent: Vec::new(),
        })
    })
}
