//! Load → decide → append for the depot's aggregates (shopping lists and bots).
//!
//! The event subject `<root>.ev.depot.<type>.<id>` is the source of truth; KV (`lists` /
//! `bots`, key `<type>.<id>`) mirrors it as a [`Record`]: the events with their ids and stream
//! sequences, the dispatch [`Fence`] and the replies already given to saga commands. A write
//! appends the new events with the expected last subject sequence, then compare-and-sets the
//! record on its revision. A load catches up events the mirror lacks (a writer that died between
//! the two steps), so the mirror never stays behind. Conflicts reload and decide again.

use std::marker::PhantomData;

use async_nats::jetstream::kv::{self, Operation};
use bytes::Bytes;
use mallbots_domain::bots::{Bot, BotEvent};
use mallbots_domain::depot::{ListEvent, ShoppingList};
use mallbots_domain::ids::BotId;
use mallbots_domain::saga::ReplyOutcome;
use mallbots_domain::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::error::DepotError;
use super::journal::{Cause, Journal};
use crate::error::PublishError;
use crate::topology::Topology;

/// How often a write is retried after a concurrency conflict.
const MAX_ATTEMPTS: u32 = 16;

/// Which dispatch delivery holds a list: a newer delivery of the same message fences the older.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fence {
    /// DISPATCH stream sequence of the list's message.
    pub stream_seq: u64,
    /// Delivery count of the holding delivery.
    pub delivered: i64,
    /// The bot holding it.
    pub bot_id: BotId,
}

/// A stored event: id, stream sequence, event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored<E> {
    /// Event id (`Nats-Msg-Id`).
    pub id: String,
    /// Stream sequence.
    pub seq: u64,
    /// The event.
    pub event: E,
}

/// The KV mirror of one aggregate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    deserialize = "E: serde::de::DeserializeOwned",
    serialize = "E: Serialize"
))]
pub struct Record<E> {
    /// Events (bots keep a compacted tail), oldest first.
    pub events: Vec<Stored<E>>,
    /// The subject's last sequence the mirror has seen.
    pub last_seq: u64,
    /// The dispatch delivery holding the list (lists only).
    #[serde(default)]
    pub fence: Option<Fence>,
    /// Replies given to saga commands, by command id.
    #[serde(default)]
    pub replies: Vec<(String, ReplyOutcome)>,
}

impl<E> Default for Record<E> {
    fn default() -> Self {
        Self {
            events: Vec::new(),
            last_seq: 0,
            fence: None,
            replies: Vec::new(),
        }
    }
}

impl<E> Record<E> {
    /// Whether an event with this id is recorded.
    pub fn has_event(&self, id: &str) -> bool {
        self.events.iter().any(|e| e.id == id)
    }

    /// The reply already given to command `id`.
    pub fn reply(&self, id: &str) -> Option<&ReplyOutcome> {
        self.replies.iter().find(|(c, _)| c == id).map(|(_, r)| r)
    }
}

/// An aggregate the depot mirrors in KV.
pub trait Mirrored: Aggregate {
    /// `list` or `bot`: subject token and KV key prefix.
    const KIND: &'static str;

    /// Drops events no longer needed to fold the state (bots: everything before the last
    /// `BotCameOnline` and all but a tail after it).
    fn compact(_events: &mut Vec<Stored<Self::Event>>) {}
}

impl Mirrored for ShoppingList {
    const KIND: &'static str = "list";
}

impl Mirrored for Bot {
    const KIND: &'static str = "bot";

    fn compact(events: &mut Vec<Stored<BotEvent>>) {
        // Every bot event after BotCameOnline sets status, list, store and time in full, so the
        // last BotCameOnline plus the newest events fold to the same state.
        const KEEP: usize = 16;
        if let Some(pos) = events
            .iter()
            .rposition(|e| matches!(e.event, BotEvent::BotCameOnline { .. }))
        {
            events.drain(..pos);
        }
        if events.len() > KEEP + 1 {
            let cut = events.len() - KEEP;
            events.drain(1..cut);
        }
    }
}

/// A loaded aggregate: its mirror record, the KV revision (`None` = no key yet), folded state.
#[derive(Debug, Clone)]
pub struct Loaded<A: Aggregate> {
    /// The record.
    pub record: Record<A::Event>,
    /// KV revision for the compare-and-set.
    pub revision: Option<u64>,
    /// The folded state.
    pub state: A,
}

/// What a decision wants written.
#[derive(Debug, Clone)]
pub struct Plan<E> {
    /// New events with their ids.
    pub events: Vec<(String, E)>,
    /// Replace the fence (`Some(None)` clears it).
    pub fence: Option<Option<Fence>>,
    /// Remember a reply to a saga command.
    pub reply: Option<(String, ReplyOutcome)>,
    /// Event time (ms) and cause for the headers.
    pub at: i64,
    /// Correlation and causation.
    pub cause: Cause,
}

impl<E> Plan<E> {
    /// A plan that writes nothing.
    pub fn nothing() -> Self {
        Self {
            events: Vec::new(),
            fence: None,
            reply: None,
            at: 0,
            cause: Cause::default(),
        }
    }

    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.fence.is_none() && self.reply.is_none()
    }
}

/// The KV + event-log store of one aggregate type.
#[derive(Clone, Debug)]
pub struct Store<A> {
    kv: kv::Store,
    journal: Journal,
    topology: Topology,
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
            _a: PhantomData,
        }
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
        self.topology.subject(&format!("ev.depot.{}.{id}", A::KIND))
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
            None => self.kv.create(&key, value).await.map(|_| ()).map_err(|e| {
                if e.kind() == kv::CreateErrorKind::AlreadyExists {
                    Conflict::Retry
                } else {
                    Conflict::Fatal(DepotError::kv(&key, e))
                }
            }),
            Some(rev) => self
                .kv
                .update(&key, value, rev)
                .await
                .map(|_| ())
                .map_err(|e| {
                    if e.kind() == kv::UpdateErrorKind::WrongLastRevision {
                        Conflict::Retry
                    } else {
                        Conflict::Fatal(DepotError::kv(&key, e))
                    }
                }),
        };
        written.map(|()| record)
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

#[cfg(test)]
mod tests {
    use super::*;
    use mallbots_domain::bots::BotCommand;
    use mallbots_domain::ids::{ShoppingListId, StoreId};
    use mallbots_domain::Timestamp;

    #[test]
    fn compacting_a_bot_keeps_its_folded_state() {
        let bot_id = BotId::from_uuid(uuid::Uuid::from_u128(1));
        let mut state = Bot::default();
        let mut events = Vec::new();
        let mut push = |state: &mut Bot, cmd: BotCommand| {
            for e in state.decide(&cmd).expect("allowed") {
                state.apply(&e);
                let seq = events.len() as u64 + 1;
                events.push(Stored {
                    id: seq.to_string(),
                    seq,
                    event: e,
                });
            }
        };
        let at = Timestamp::from_millis;
        push(
            &mut state,
            BotCommand::BringOnline {
                bot_id,
                name: "b".into(),
                at: at(1),
            },
        );
        for i in 0..20u128 {
            let list_id = ShoppingListId::from_uuid(uuid::Uuid::from_u128(100 + i));
            let store_id = StoreId::from_uuid(uuid::Uuid::from_u128(200 + i));
            let t = 10 + i as i64 * 10;
            push(&mut state, BotCommand::AssignList { list_id, at: at(t) });
            push(
                &mut state,
                BotCommand::ArriveAtStore {
                    store_id,
                    at: at(t + 1),
                },
            );
            push(&mut state, BotCommand::PickUpItems { at: at(t + 2) });
            push(&mut state, BotCommand::ReturnToDepot { at: at(t + 3) });
            if i < 19 {
                push(&mut state, BotCommand::Idle { at: at(t + 4) });
            }
        }
        let before = events.len();
        Bot::compact(&mut events);
        assert!(
            events.len() < before && events.len() <= 17,
            "{}",
            events.len()
        );
        let folded = Bot::from_events(events.iter().map(|e| &e.event));
        assert_eq!(folded, state);
    }
}
