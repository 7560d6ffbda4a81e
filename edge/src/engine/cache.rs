//! The writer thread's aggregate cache: folded states keyed by stream, validated against the
//! stream's head version on every load, so deciding on a 100-item cart costs what deciding on a
//! 1-item cart does (no replay, no snapshot decode).
//!
//! A cached state is reused only when the stored head version equals the cached one; otherwise
//! the stream is replayed. A rebase that supersedes events without appending must call
//! [`crate::Edge::clear_cache`] (the head version does not move then).

use mallbots_domain::Aggregate;
use mallbots_sync::store::{decode_event, EventReader, StoreError};
use std::any::Any;
use std::collections::HashMap;

/// Entries kept before the cache is emptied (closed carts are never loaded again).
const MAX_ENTRIES: usize = 4096;

/// An aggregate state with the head version and the highest JetStream sequence it includes.
#[derive(Debug, Clone)]
pub struct Cached<A> {
    /// The folded state.
    pub state: A,
    /// The stream's head version (the expected version of the next append).
    pub version: u64,
    /// The highest stream sequence among the folded events (`None` if none was synced).
    pub base_seq: Option<u64>,
}

struct Entry {
    state: Box<dyn Any + Send>,
    version: u64,
    base_seq: Option<u64>,
}

/// See the module docs.
#[derive(Default)]
pub struct AggregateCache {
    entries: HashMap<(&'static str, String), Entry>,
}

impl std::fmt::Debug for AggregateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregateCache")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl AggregateCache {
    /// Takes `A` with id `stream_id` out of the cache if still current (no clone), else
    /// replays it. Put it back with [`AggregateCache::put`] once decided and committed.
    pub fn take<A, S>(&mut self, store: &S, stream_id: &str) -> Result<Cached<A>, StoreError>
    where
        A: Aggregate + Send + 'static,
        S: EventReader + ?Sized,
    {
        let version = store.stream_version(A::STREAM_TYPE, stream_id)?;
        let key = (A::STREAM_TYPE, stream_id.to_owned());
        if let Some(entry) = self.entries.remove(&key) {
            if entry.version == version {
                if let Ok(state) = entry.state.downcast::<A>() {
                    return Ok(Cached {
                        state: *state,
                        version,
                        base_seq: entry.base_seq,
                    });
                }
            }
        }
        let mut state = A::default();
        let mut base_seq = None;
        for stored in store.load_stream(A::STREAM_TYPE, stream_id, 1)? {
            state.apply(&decode_event::<A::Event>(&stored)?);
            base_seq = base_seq.max(stored.stream_seq);
        }
        Ok(Cached {
            state,
            version,
            base_seq,
        })
    }

    /// Stores a state (after a successful append, or unchanged after a refused command).
    pub fn put<A: Aggregate + Send + 'static>(&mut self, stream_id: &str, cached: Cached<A>) {
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(
            (A::STREAM_TYPE, stream_id.to_owned()),
            Entry {
                state: Box::new(cached.state),
                version: cached.version,
                base_seq: cached.base_seq,
            },
        );
    }

    /// Forgets one stream.
    pub fn forget(&mut self, stream_type: &str, stream_id: &str) {
        self.entries
            .retain(|(t, id), _| !(*t == stream_type && id == stream_id));
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
