//! The bots, driven as production's bot driver drives them, on its decisions
//! ([`mallbots_central::roles::bots_sim::decisions`]: what a claim, a step and an early stop mean
//! for the message, the route of a list): an idle bot pulls the oldest list
//! from the dispatch work queue and claims it with its delivery's [`Fence`] (production's
//! [`decide_claim`](mallbots_central::roles::depot::holding::decide_claim)), holds the message
//! with in-progress acks while it shops stop by stop (each step through production's
//! `decide_step`, which refuses a stale fence), and acks when it hands the list over (order
//! ready, SMS once). A bot that goes offline stops renewing: its message is redelivered to
//! another bot after the ack wait, whose newer fence takes the list over; when the first bot
//! comes back its next step is stale.
//!
//! [`Holders`] records who the depot gave each list to last; a bot acting on a list given since
//! to another bot is a violation.

use super::commands::send;
use super::cx::{Crash, Cx};
use super::depot;
use super::DISPATCH;
use crate::bus::Bus;
use crate::effects::Effects;
use crate::faults::{Faults, Planted};
use crate::rng::Rng;
use mallbots_central::platform::commands::{ReadyOrder, StartShopping};
use mallbots_central::roles::bots_sim::decisions::{self, ClaimAction, Leg, Settle, LATER};
use mallbots_central::roles::depot::journal::derived_id;
use mallbots_central::roles::depot::record::Fence;
use mallbots_domain::{BotId, OrderId, ShoppingListId, StoreId, Timestamp};
use mallbots_wire::service_subjects::CommandContext;
use std::collections::{BTreeMap, BTreeSet};

/// List → (bot, dispatch sequence, delivery count) of its latest assignment.
pub type Holders = BTreeMap<ShoppingListId, (BotId, u64, u32)>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Idle,
    Holding {
        list: ShoppingListId,
        order: OrderId,
        fence: Fence,
        plan: Vec<Leg>,
        next_at: i64,
    },
}

/// A bot.
#[derive(Debug, Clone)]
pub struct Bot {
    /// Its id.
    pub id: BotId,
    state: State,
    /// Offline (no renewals, no work) until then (ms).
    pub offline_until_ms: i64,
    /// When it went offline (its lease lapses [`LEASE_MS`] later), until the depot reaped it.
    offline_since_ms: Option<i64>,
}

/// A bot's lease: a bot silent this long is taken offline by the depot and its list released
/// (production's `depot.bot_lease_ms`, shortened).
pub const LEASE_MS: i64 = 3_000;

/// What a step did, for the trace.
type Note = Option<String>;

impl Bot {
    /// An idle bot.
    pub fn new(id: BotId) -> Self {
        Self {
            id,
            state: State::Idle,
            offline_until_ms: 0,
            offline_since_ms: None,
        }
    }

    /// The depot's reaper (production's `lease::reap`): once the bot's lease lapsed, every list
    /// the depot's records give it is released (production's `decide_release`); the bot, when
    /// back, finds its next step `Released` and gives the message back.
    pub fn reap(
        &mut self,
        bus: &mut Bus,
        effects: &mut Effects,
        planted: &BTreeSet<Planted>,
        now: i64,
    ) -> Note {
        let since = self.offline_since_ms?;
        if now < since + LEASE_MS {
            return None;
        }
        self.offline_since_ms = None;
        let mut cx = Cx::new(bus, effects, now, planted, None);
        let cause = format!("reap/{}/{since}", self.id);
        let released = depot::release_all(&mut cx, self.id, &cause).ok()?;
        Some(format!(
            "depot: bot {}'s lease lapsed; {released} list(s) released",
            self.id
        ))
    }

    /// The list it believes it holds.
    pub fn holding(&self) -> Option<ShoppingListId> {
        match self.state {
            State::Holding { list, .. } => Some(list),
            State::Idle => None,
        }
    }

    /// One step of the bot; a line for the trace if it did something.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        bus: &mut Bus,
        effects: &mut Effects,
        holders: &mut Holders,
        rng: &mut Rng,
        faults: &Faults,
        planted: &BTreeSet<Planted>,
        now: i64,
    ) -> Note {
        if now < self.offline_until_ms {
            return None;
        }
        if self.holding().is_some() && rng.chance(faults.bot_offline) {
            self.offline_until_ms = now + rng.between(1_000, 8_000) as i64;
            self.offline_since_ms = Some(now);
            return Some(format!(
                "bot {} offline until {}",
                self.id, self.offline_until_ms
            ));
        }
        let crash_after = rng
            .chance(faults.handler_crash)
            .then(|| rng.below(4) as u32);
        let mut cx = Cx::new(bus, effects, now, planted, crash_after);
        let result = match self.state.clone() {
            State::Idle => self.take(&mut cx, holders, rng),
            State::Holding {
                list,
                order,
                fence,
                plan,
                next_at,
            } => {
                cx.bus.in_progress(DISPATCH, fence.stream_seq, cx.now);
                if cx.now < next_at {
                    return None;
                }
                self.shop(&mut cx, holders, rng, list, order, fence, plan)
            }
        };
        match result {
            Ok(note) => note,
            Err(Crash) => {
                self.state = State::Idle;
                Some(format!("bot {} driver crashed", self.id))
            }
        }
    }

    fn take(
        &mut self,
        cx: &mut Cx<'_>,
        holders: &mut Holders,
        rng: &mut Rng,
    ) -> Result<Note, Crash> {
        let Some(d) = cx.bus.fetch(DISPATCH, cx.now) else {
            return Ok(None);
        };
        let seq = d.message.seq;
        let Some(list) = String::from_utf8(d.message.payload.clone())
            .ok()
            .and_then(|s| s.parse().ok())
            .map(ShoppingListId)
        else {
            cx.bus
                .term(DISPATCH, seq, &d.message.subject, "not a list id");
            return Ok(None);
        };
        let fence = Fence {
            stream_seq: seq,
            delivered: i64::from(d.delivered),
            bot_id: self.id,
        };
        let note = |what: &str| Some(format!("bot {}: list {list} {what}", self.id));
        let claim = depot::claim(cx, list, fence)?;
        match decisions::after_claim(claim, i64::from(d.delivered)) {
            ClaimAction::Shop { order_id, stops } => {
                holders.insert(list, (self.id, seq, d.delivered));
                // Ordering records the start (it waits, nak'ing, for the order's approval).
                let start = StartShopping {
                    command_id: derived_id(&format!(
                        "start_shopping/{list}/{}/{}",
                        fence.stream_seq, fence.delivered
                    )),
                    order_id,
                    list_id: list,
                    bot_id: self.id,
                    at: Timestamp::from_millis(cx.now),
                };
                let id = start.command_id.clone();
                send(cx, CommandContext::Ordering, "start_shopping", &id, &start)?;
                let stores: Vec<StoreId> = stops.iter().map(|s| s.store_id).collect();
                let mut plan = decisions::route(&stores);
                plan.reverse();
                self.state = State::Holding {
                    list,
                    order: order_id,
                    fence,
                    plan,
                    next_at: cx.now + rng.between(300, 1_500) as i64,
                };
                Ok(note(&format!("taken (delivery {})", d.delivered)))
            }
            ClaimAction::ReadyAgain { order_id } => {
                // Completed by a driver that died before readying the order: ready it now.
                ready(cx, list, order_id)?;
                cx.bus.ack(DISPATCH, seq);
                Ok(note("was completed; order readied"))
            }
            ClaimAction::Drop(why) => {
                cx.bus.ack(DISPATCH, seq);
                Ok(note(&format!("dropped ({why})")))
            }
            ClaimAction::Later(why) => {
                cx.bus.nak(DISPATCH, seq, LATER.as_millis() as i64, cx.now);
                Ok(note(&format!("not yet ({why})")))
            }
            ClaimAction::Leave => Ok(note("stale delivery")),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn shop(
        &mut self,
        cx: &mut Cx<'_>,
        holders: &Holders,
        rng: &mut Rng,
        list: ShoppingListId,
        order: OrderId,
        fence: Fence,
        mut plan: Vec<Leg>,
    ) -> Result<Note, Crash> {
        let Some(next) = plan.last().cloned() else {
            self.state = State::Idle;
            return Ok(None);
        };
        // The planted bug: act under whatever fence the list's record holds now, as if the
        // driver never checked that it is its own.
        let acting = if cx.planted(Planted::UnfencedDispatch) {
            depot::current_fence(cx, list).unwrap_or(fence)
        } else {
            fence
        };
        let (name, command) = next.command(Timestamp::from_millis(cx.now));
        let note = |what: &str| Some(format!("bot {}: list {list} {what}", self.id));
        let done = depot::step(cx, list, acting, &name, &command)?;
        if let Some(stop) = decisions::stop_of(done) {
            // As production's driver: settle the message (and give a list it cannot finish
            // back) as the decision says; the bot is idle again.
            let action = decisions::after_stop(&stop);
            if action.release_list {
                let cause = format!("{list}/{}/{}", fence.stream_seq, fence.delivered);
                depot::release(cx, list, self.id, &cause)?;
            }
            match action.settle {
                Settle::Ack => cx.bus.ack(DISPATCH, fence.stream_seq),
                Settle::Nak => cx.bus.nak(DISPATCH, fence.stream_seq, 0, cx.now),
                Settle::NakLater => {
                    cx.bus
                        .nak(DISPATCH, fence.stream_seq, LATER.as_millis() as i64, cx.now)
                }
                Settle::Leave => {}
            }
            self.state = State::Idle;
            return Ok(note(&format!(
                "{name}: stopped ({stop:?}), {:?}",
                action.settle
            )));
        }
        if holders.get(&list).map(|(bot, ..)| *bot) != Some(self.id) {
            let holder = holders
                .get(&list)
                .map(|(b, ..)| b.to_string())
                .unwrap_or_default();
            cx.effects.violations.push(format!(
                "no list held twice: bot {} acted ({name}) on list {list}, which the depot gave to bot {holder} since",
                self.id
            ));
        }
        plan.pop();
        if next != Leg::Complete {
            self.state = State::Holding {
                list,
                order,
                fence,
                plan,
                next_at: cx.now + rng.between(300, 1_500) as i64,
            };
            return Ok(note(&name));
        }
        ready(cx, list, order)?;
        cx.io()?;
        cx.bus.ack(DISPATCH, fence.stream_seq);
        self.state = State::Idle;
        Ok(note("handed over"))
    }
}

/// The list is completed: ordering readies the order (idempotent by the command id
/// `ready_order/<list>`, as production's driver sends it).
fn ready(cx: &mut Cx<'_>, list: ShoppingListId, order_id: OrderId) -> Result<(), Crash> {
    let body = ReadyOrder {
        command_id: derived_id(&format!("ready_order/{list}")),
        order_id,
        list_id: list,
        at: Timestamp::from_millis(cx.now),
    };
    let id = body.command_id.clone();
    send(cx, CommandContext::Ordering, "ready_order", &id, &body)
}
