//! The KV mirror's value ([`Record`]): an aggregate's events with ids and sequences, the dispatch
//! [`Fence`] and the replies given, plus the [`Plan`] a decision returns and the [`Loaded`] state it
//! decides on. [`Mirrored`] says how each aggregate is keyed and compacted.

use mallbots_domain::bots::{Bot, BotEvent};
use mallbots_domain::depot::{ListStatus, ShoppingList};
use mallbots_domain::ids::BotId;
use mallbots_domain::saga::ReplyOutcome;
use mallbots_domain::Aggregate;
use mallbots_wire::subjects::DepotKind;
use serde::{Deserialize, Serialize};

use super::journal::Cause;

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
    /// Its subject kind (`depot.<kind>.<id>`).
    const SUBJECT: DepotKind;
    /// `list` or `bot`: the subject token, also the KV key prefix.
    const KIND: &'static str = Self::SUBJECT.token();

    /// Drops events no longer needed to fold the state (bots: everything before the last
    /// `BotCameOnline` and all but a tail after it).
    fn compact(_events: &mut Vec<Stored<Self::Event>>) {}

    /// Whether nothing can change the state any more, so its KV mirror may be forgotten (a
    /// later load folds it again from the event subject, the source of truth).
    fn finished(&self) -> bool {
        false
    }
}

impl Mirrored for ShoppingList {
    const SUBJECT: DepotKind = DepotKind::List;

    fn finished(&self) -> bool {
        matches!(
            self.status,
            Some(ListStatus::Completed | ListStatus::Canceled)
        )
    }
}

impl Mirrored for Bot {
    const SUBJECT: DepotKind = DepotKind::Bot;

    fn compact(events: &mut Vec<Stored<BotEvent>>) {
        // Every bot event after BotCameOnline sets status, list, store and time in full (a
        // departure its last store), so the last BotCameOnline plus the newest events fold to
        // the same state.
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

    pub(crate) fn is_empty(&self) -> bool {
        self.events.is_empty() && self.fence.is_none() && self.reply.is_none()
    }
}

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
