//! The bots: an idle bot pulls the oldest list from the dispatch work queue, takes it with a
//! compare-and-set on the fence key (`list.<id>` → the delivery count), holds it with
//! in-progress acks while shopping stop by stop, and acks when it hands the list over (order
//! ready, SMS once). A bot that goes offline stops renewing: its list is redelivered to another
//! bot after the ack wait, and when it comes back the fence tells it the list is no longer its.
//!
//! The run's ground truth of who holds a list is the dispatch's latest delivery ([`Holders`]);
//! a bot acting on a list delivered since to another bot is a violation.

use super::commands::{load, run, LISTS};
use super::cx::{Crash, Cx};
use super::orders::{self, device_of};
use super::DISPATCH;
use crate::bus::Bus;
use crate::effects::Effects;
use crate::faults::{Faults, Planted};
use crate::rng::Rng;
use mallbots_domain::depot::{ListCommand, ListStatus, ShoppingList};
use mallbots_domain::ordering::{OrderCommand, OrderStatus};
use mallbots_domain::{BotId, ShoppingListId, StoreId, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// KV bucket of dispatch fences.
pub const FENCES: &str = "fences";
/// KV bucket of sent "order ready" SMS.
pub const SMS_SENT: &str = "sms";

/// List → (bot, dispatch sequence, delivery count) of its latest dispatch delivery.
pub type Holders = BTreeMap<ShoppingListId, (BotId, u64, u32)>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Idle,
    Holding {
        list: ShoppingListId,
        seq: u64,
        delivered: u32,
        stops: Vec<StoreId>,
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
}

impl Bot {
    /// An idle bot.
    pub fn new(id: BotId) -> Self {
        Self {
            id,
            state: State::Idle,
            offline_until_ms: 0,
        }
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
    ) -> Option<String> {
        if now < self.offline_until_ms {
            return None;
        }
        if self.holding().is_some() && rng.chance(faults.bot_offline) {
            self.offline_until_ms = now + rng.between(1_000, 8_000) as i64;
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
                seq,
                delivered,
                stops,
                next_at,
            } => self.shop(&mut cx, holders, rng, list, seq, delivered, stops, next_at),
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
    ) -> Result<Option<String>, Crash> {
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
        let latest = holders.get(&list).map(|(_, s, n)| (*s, *n));
        if latest.is_none_or(|l| (seq, d.delivered) > l) {
            holders.insert(list, (self.id, seq, d.delivered));
        }
        // The fence: `<dispatch seq>/<delivery count>` of the latest delivery that took the
        // list, written by compare-and-set only over an older one (a later delivery of the
        // message, or a later message for the list, which a redelivered InitiateShopping past
        // the de-duplication window publishes).
        let key = list.to_string();
        let fence = cx.bus.kv_get(FENCES, &key);
        let stored = fence
            .as_ref()
            .and_then(|e| e.value.as_deref())
            .and_then(parse_fence)
            .unwrap_or((0, 0));
        if (seq, d.delivered) <= stored {
            // Superseded by a newer message for the list: drop this one.
            cx.bus.ack(DISPATCH, seq);
            return Ok(Some(format!(
                "bot {}: superseded dispatch of list {list} dropped",
                self.id
            )));
        }
        cx.io()?;
        let revision = fence.map(|e| e.revision).unwrap_or(0);
        let value = format!("{seq}/{}", d.delivered).into_bytes();
        if cx
            .bus
            .kv_swap(FENCES, &key, Some(value), revision)
            .is_none()
        {
            return Ok(Some(format!(
                "bot {}: lost the race for list {list}",
                self.id
            )));
        }
        let (state, ..) = load::<ShoppingList>(cx, LISTS, &key);
        if state.status == Some(ListStatus::Completed) {
            // Completed by a bot whose driver died before the order was readied: ready it
            // now (idempotent), as production's driver does, then drop the message.
            ready(cx, list, state.order_id)?;
            cx.bus.ack(DISPATCH, seq);
            return Ok(Some(format!(
                "bot {}: list {list} was completed, order readied",
                self.id
            )));
        }
        if matches!(state.status, Some(ListStatus::Canceled) | None) {
            cx.bus.ack(DISPATCH, seq);
            return Ok(Some(format!("bot {}: list {list} closed, acked", self.id)));
        }
        let Some(device) = device_of(cx, state.order_id) else {
            cx.bus.nak(DISPATCH, seq, 500, cx.now);
            return Ok(None);
        };
        let order = orders::load(cx, &device, state.order_id);
        let at = Timestamp::from_millis(cx.now);
        match order.status() {
            OrderStatus::Pending => {
                cx.bus.nak(DISPATCH, seq, 500, cx.now);
                return Ok(Some(format!(
                    "bot {}: order of list {list} not approved yet",
                    self.id
                )));
            }
            OrderStatus::Approved => {
                let start = OrderCommand::StartShopping {
                    list_id: list,
                    bot_id: self.id,
                    at,
                };
                let cause = format!("{list}/{seq}/{}", d.delivered);
                orders::execute(cx, &device, state.order_id, start, &cause)?.ok();
            }
            OrderStatus::InProgress => {}
            _ => {
                cx.bus.ack(DISPATCH, seq);
                return Ok(Some(format!(
                    "bot {}: order of list {list} closed",
                    self.id
                )));
            }
        }
        if state.bot_id.is_some() {
            run::<ShoppingList>(cx, LISTS, &key, &ListCommand::ReleaseList { at })?.ok();
        }
        let assign = ListCommand::AssignBot {
            bot_id: self.id,
            at,
        };
        run::<ShoppingList>(cx, LISTS, &key, &assign)?.ok();
        self.state = State::Holding {
            list,
            seq,
            delivered: d.delivered,
            stops: state.stops.iter().map(|s| s.store_id).collect(),
            next_at: cx.now + rng.between(300, 1_500) as i64,
        };
        Ok(Some(format!(
            "bot {} took list {list} (delivery {})",
            self.id, d.delivered
        )))
    }

    #[allow(clippy::too_many_arguments)]
    fn shop(
        &mut self,
        cx: &mut Cx<'_>,
        holders: &Holders,
        rng: &mut Rng,
        list: ShoppingListId,
        seq: u64,
        delivered: u32,
        mut stops: Vec<StoreId>,
        next_at: i64,
    ) -> Result<Option<String>, Crash> {
        cx.bus.in_progress(DISPATCH, seq, cx.now);
        if cx.now < next_at {
            return Ok(None);
        }
        let key = list.to_string();
        if !cx.planted(Planted::UnfencedDispatch) {
            let fence = cx
                .bus
                .kv_get(FENCES, &key)
                .and_then(|e| e.value)
                .and_then(|v| parse_fence(&v));
            if fence != Some((seq, delivered)) {
                self.state = State::Idle;
                return Ok(Some(format!("bot {}: fenced off list {list}", self.id)));
            }
        }
        if holders.get(&list).map(|(bot, ..)| *bot) != Some(self.id) {
            let holder = holders
                .get(&list)
                .map(|(b, ..)| b.to_string())
                .unwrap_or_default();
            cx.effects.violations.push(format!(
                "no list held twice: bot {} acted on list {list}, which dispatch gave to bot {holder}",
                self.id
            ));
        }
        let (state, ..) = load::<ShoppingList>(cx, LISTS, &key);
        let at = Timestamp::from_millis(cx.now);
        if state.status == Some(ListStatus::Canceled) {
            cx.bus.ack(DISPATCH, seq);
            self.state = State::Idle;
            return Ok(Some(format!(
                "bot {}: list {list} canceled, dropped",
                self.id
            )));
        }
        if let Some(store) = stops.pop() {
            run::<ShoppingList>(
                cx,
                LISTS,
                &key,
                &ListCommand::ArriveAtStop {
                    store_id: store,
                    at,
                },
            )?
            .ok();
            run::<ShoppingList>(
                cx,
                LISTS,
                &key,
                &ListCommand::PickUpItems {
                    store_id: store,
                    at,
                },
            )?
            .ok();
            self.state = State::Holding {
                list,
                seq,
                delivered,
                stops,
                next_at: cx.now + rng.between(300, 1_500) as i64,
            };
            return Ok(Some(format!(
                "bot {} picked up at {store} for list {list}",
                self.id
            )));
        }
        run::<ShoppingList>(cx, LISTS, &key, &ListCommand::CompleteList { at })?.ok();
        ready(cx, list, state.order_id)?;
        cx.io()?;
        cx.bus.ack(DISPATCH, seq);
        self.state = State::Idle;
        Ok(Some(format!("bot {} handed list {list} over", self.id)))
    }
}

/// A fence value `<seq>/<delivered>`.
fn parse_fence(value: &[u8]) -> Option<(u64, u32)> {
    let text = std::str::from_utf8(value).ok()?;
    let (seq, delivered) = text.split_once('/')?;
    Some((seq.parse().ok()?, delivered.parse().ok()?))
}

/// The order of a completed list is ready: readied once (its event id comes from the list),
/// the customer told by SMS once (a KV create guards it).
fn ready(
    cx: &mut Cx<'_>,
    list: ShoppingListId,
    order_id: mallbots_domain::OrderId,
) -> Result<(), Crash> {
    let Some(device) = device_of(cx, order_id) else {
        return Ok(());
    };
    let order = orders::load(cx, &device, order_id);
    let at = Timestamp::from_millis(cx.now);
    let ready = OrderCommand::ReadyOrder {
        total: order.total(),
        at,
    };
    let cause = format!("{list}/ready");
    let readied = orders::execute(cx, &device, order_id, ready, &cause)?.is_ok();
    if readied || order.status() == OrderStatus::Ready {
        let sms_key = order_id.to_string();
        cx.io()?;
        if cx
            .bus
            .kv_swap(SMS_SENT, &sms_key, Some(b"sent".to_vec()), 0)
            .is_some()
        {
            cx.effects.send_sms(&sms_key);
        }
    }
    Ok(())
}
