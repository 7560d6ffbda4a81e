//! Load → decide → append for the depot's aggregates (shopping lists and bots).
//!
//! The event subject `<root>.ev.depot.<type>.<id>` is the source of truth; KV (`lists` /
//! `bots`, key `<type>.<id>`) mirrors it as a [`Record`]: the events with their ids and stream
//! sequences, the dispatch [`Fence`] and the replies already given to saga commands (a finished
//! list's record is purged a grace period after it finished, if so configured). A write
//! appends the new events with the expected last subject sequence, then compare-and-sets the
//! record on its revision. A load catches up events the mirror lacks (a writer that died between
//! the two steps), so the mirror never stays behind. Conflicts reload and decide again.

use mallbots_wire::subjects::EventSubject;
use std::marker::PhantomData;

use async_nats::jetstream::kv::{self, Operation};
use bytes::Bytes;
use mallbots_domain::bots::Bot;
use mallbots_domain::depot::{ListEvent, ShoppingList};
use mallbots_domain::DomainEvent;

use super::error::DepotError;
use super::journal::Journal;
pub use super::record::{Fence, Loaded, Mirrored, Plan, Record, Stored};
use crate::platform::error::PublishError;
use crate::platform::forget::{purge_after, Forgetting};
use crate::platform::topology::Topology;

/// How often a write is retried after a concurrency conflict.
const MAX_ATTEMPTS: u32 = 16;

/// The KV + event-log store of one aggregate type.
#[derive(Clone, Debug)]
pub struct Store<A> {
    kv: kv::Store,
    journal: Journal,
    topology: Topology,
    forgetting: Option<Forgetting>,
    _a: PhantomData<fn() -> A>,
}

impl<A> Store<A>
where
    A: Mirrored,
    A::Event: DomainEvent,
{
    /// A store over bucket `kv`.
    pub fn new(kv: kv::Store, journal: Journal, topology: Topology) -> Self {
        Self {
            kv,
            journal,
            topology,
            forgetting: None,
            _a: PhantomData,
        }
    }

    /// Purges a record whose state is [`Mirrored::finished`] `forgetting.grace` after the write
    /// that finished it (its events stay in the log; a later load folds them again).
    pub fn forgetting_finished(mut self, forgetting: Forgetting) -> Self {
        self.forgetting = Some(forgetting);
        self
    }

    /// The journal (publisher and reader).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Subject and bucket names.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// `<root>.ev.depot.<kind>.<id>`.
    pub fn subject(&self, id: &str) -> String {
        self.topology.event_subject(EventSubject::Depot {
            kind: A::SUBJECT,
            id: id.to_owned(),
        })
    }

    fn key(id: &str) -> String {
        format!("{}.{id}", A::KIND)
    }

    /// Loads the record, catching up events the mirror lacks.
    pub async fn load(&self, id: &str) -> Result<Loaded<A>, DepotError> {
        let key = Self::key(id);
        let entry = self
            .kv
            .entry(&key)
            .await
            .map_err(|e| DepotError::kv(&key, e))?;
        let (mut record, revision) = match entry {
            Some(e) if e.operation == Operation::Put => {
                let r: Record<A::Event> = serde_json::from_slice(&e.value)
                    .map_err(|err| DepotError::decode(key.clone(), err))?;
                (r, Some(e.revision))
            }
            Some(e) => (Record::default(), Some(e.revision)),
            None => (Record::default(), None),
        };
        let missing = self
            .journal
            .read_after::<A::Event>(&self.subject(id), record.last_seq)
            .await?;
        for m in missing {
            record.last_seq = m.seq;
            record.events.push(Stored {
                id: m.id,
                seq: m.seq,
                event: m.event,
            });
        }
        let state = A::from_events(record.events.iter().map(|e| &e.event));
        Ok(Loaded {
            record,
            revision,
            state,
        })
    }

    /// Runs `decide` against the current record until its plan is written without a conflict;
    /// returns the decision's result and the record as written.
    pub async fn execute<T, F>(
        &self,
        id: &str,
        mut decide: F,
    ) -> Result<(T, Record<A::Event>), DepotError>
    where
        F: FnMut(&Loaded<A>) -> (Plan<A::Event>, T),
    {
        for _ in 0..MAX_ATTEMPTS {
            let loaded = self.load(id).await?;
            let (plan, result) = decide(&loaded);
            if plan.is_empty() {
                return Ok((result, loaded.record));
            }
            match self.write(id, loaded, plan).await {
                Ok(record) => return Ok((result, record)),
                Err(Conflict::Retry) => continue,
                Err(Conflict::Fatal(e)) => return Err(e),
            }
        }
        Err(DepotError::Concurrency {
            key: Self::key(id),
            attempts: MAX_ATTEMPTS,
        })
    }

    async fn write(
        &self,
        id: &str,
        loaded: Loaded<A>,
        plan: Plan<A::Event>,
    ) -> Result<Record<A::Event>, Conflict> {
        let subject = self.subject(id);
        let mut record = loaded.record;
        for (event_id, event) in &plan.events {
            let seq = self
                .journal
                .append(
                    &subject,
                    A::KIND,
                    id,
                    event_id,
                    record.last_seq,
                    event,
                    plan.at,
                    &plan.cause,
                )
                .await
                .map_err(Conflict::from_depot)?;
            record.last_seq = seq;
            record.events.push(Stored {
                id: event_id.clone(),
                seq,
                event: event.clone(),
            });
        }
        A::compact(&mut record.events);
        if let Some(fence) = plan.fence {
            record.fence = fence;
        }
        if let Some(reply) = plan.reply {
            record.replies.push(reply);
        }
        let key = Self::key(id);
        let value = Bytes::from(
            serde_json::to_vec(&record)
                .map_err(|e| Conflict::Fatal(DepotError::decode(&key, e)))?,
        );
        let written = match loaded.revision {
            None => self.kv.create(&key, value).await.map_err(|e| {
                if e.kind() == kv::CreateErrorKind::AlreadyExists
                    || crate::platform::publish::is_wrong_last_sequence(&e.to_string())
                {
                    Conflict::Retry
                } else {
                    Conflict::Fatal(DepotError::kv(&key, e))
                }
            }),
            Some(rev) => self.kv.update(&key, value, rev).await.map_err(|e| {
                if e.kind() == kv::UpdateErrorKind::WrongLastRevision
                    || crate::platform::publish::is_wrong_last_sequence(&e.to_string())
                {
                    Conflict::Retry
                } else {
                    Conflict::Fatal(DepotError::kv(&key, e))
                }
            }),
        };
        let revision = written?;
        self.forget_if_finished(key, revision, &record);
        Ok(record)
    }

    /// Schedules the purge of a record that reached a finished state.
    fn forget_if_finished(&self, key: String, revision: u64, record: &Record<A::Event>) {
        let Some(forgetting) = self.forgetting else {
            return;
        };
        if !A::from_events(record.events.iter().map(|e| &e.event)).finished() {
            return;
        }
        let kv = self.kv.clone();
        tokio::spawn(async move {
            if let Err(e) = purge_after(&kv, &key, revision, forgetting).await {
                tracing::debug!(key, error = %e, "finished record kept (written since)");
            }
        });
    }

    /// Every id with a key in the bucket.
    pub async fn ids(&self) -> Result<Vec<String>, DepotError> {
        use futures::TryStreamExt;
        let keys = self
            .kv
            .keys()
            .await
            .map_err(|e| DepotError::kv(A::KIND, e))?;
        let keys: Vec<String> = keys
            .try_collect()
            .await
            .map_err(|e| DepotError::kv(A::KIND, e))?;
        let prefix = format!("{}.", A::KIND);
        Ok(keys
            .into_iter()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect())
    }
}

/// Why a write did not land.
enum Conflict {
    /// Someone else wrote first: reload and decide again.
    Retry,
    /// Give up with this error.
    Fatal(DepotError),
}

impl Conflict {
    fn from_depot(e: DepotError) -> Self {
        match e {
            DepotError::Publish(PublishError::WrongLastSequence { .. }) => Conflict::Retry,
            other => Conflict::Fatal(other),
        }
    }
}

/// The list store.
pub type ListStore = Store<ShoppingList>;
/// The bot store.
pub type BotStore = Store<Bot>;

/// Keeps `ListEvent` in scope for the type aliases' users.
pub type ListRecord = Record<ListEvent>;
