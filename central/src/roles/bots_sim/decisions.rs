//! What a bot driver does with its dispatch message, decided without I/O: after its claim
//! ([`after_claim`]), after each step ([`stop_of`]) and when shopping stops early
//! ([`after_stop`]), and the order of its steps ([`route`]). Production's driver
//! ([`super::driver`]) acts on these with NATS and timers; the deterministic simulator's bots act
//! on the same decisions over its simulated bus and clock, so the two cannot drift apart.

use std::time::Duration;

use mallbots_domain::depot::{ListCommand, Stop as ListStop};
use mallbots_domain::ids::{OrderId, StoreId};
use mallbots_domain::Timestamp;

use crate::roles::depot::holding::{Claim, Step};

/// How long a message given back waits before it is offered again (a list not ready, a step
/// that failed, a publish that failed): no tight redelivery loop.
pub const LATER: Duration = Duration::from_millis(500);

/// After this many deliveries, a message whose list never became available is dropped as bogus.
pub const NOT_YET_DELIVERIES: i64 = 40;

/// What to do with a dispatch message once its claim is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimAction {
    /// The list is this bot's: assign the bot, send `start_shopping`, then shop `stops`.
    Shop {
        /// The order.
        order_id: OrderId,
        /// The stops still to pick, in the order the list gives them.
        stops: Vec<ListStop>,
    },
    /// Completed earlier, maybe by a driver that died before `ready_order`: send it again
    /// (idempotent by its command id), and only then ack.
    ReadyAgain {
        /// The order.
        order_id: OrderId,
    },
    /// Ack and forget the message (why, for the log).
    Drop(String),
    /// Give the message back for later (why, for the log): the list is not available yet.
    Later(String),
    /// A newer delivery of the message holds the list: leave this one alone (no ack, no nak).
    Leave,
}

/// What the claim of the `delivered`-th delivery means for its message.
pub fn after_claim(claim: Claim, delivered: i64) -> ClaimAction {
    match claim {
        Claim::Assigned {
            order_id, stops, ..
        } => ClaimAction::Shop { order_id, stops },
        Claim::Completed { order_id } => ClaimAction::ReadyAgain { order_id },
        Claim::Skip(reason) => ClaimAction::Drop(reason.to_owned()),
        Claim::NotYet(reason) if delivered < NOT_YET_DELIVERIES => {
            ClaimAction::Later(reason.to_owned())
        }
        Claim::NotYet(reason) => ClaimAction::Drop(format!(
            "{reason}: never became available in {delivered} deliveries"
        )),
        Claim::Stale => ClaimAction::Leave,
    }
}

/// Why shopping stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The list was canceled while the bot shopped.
    Canceled,
    /// The list was taken from the bot (it went offline: its lease lapsed).
    Released,
    /// A newer delivery holds the list.
    Stale,
    /// The replica is stopping.
    Shutdown,
    /// A step was refused or failed (the reason).
    Failed(String),
}

/// `None` when the step was done, else why shopping stops.
pub fn stop_of(step: Step) -> Option<Stop> {
    match step {
        Step::Done => None,
        Step::Canceled => Some(Stop::Canceled),
        Step::Released => Some(Stop::Released),
        Step::Stale => Some(Stop::Stale),
        Step::Refused(code) => Some(Stop::Failed(code.to_string())),
    }
}

/// What happens to the dispatch message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Done with it.
    Ack,
    /// Redelivered at once (to another bot).
    Nak,
    /// Redelivered after a pause (no tight retry loop).
    NakLater,
    /// Untouched: the delivery that holds the list settles it.
    Leave,
}

/// What a driver does when shopping stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopAction {
    /// The message.
    pub settle: Settle,
    /// Give the list back first (it is still this bot's, but this delivery cannot finish it).
    pub release_list: bool,
    /// The bot goes back to the depot and idles; otherwise it is offline.
    pub bot_home: bool,
}

/// What to do when shopping stopped for `stop`.
pub fn after_stop(stop: &Stop) -> StopAction {
    let (settle, release_list, bot_home) = match stop {
        Stop::Canceled => (Settle::Ack, false, true),
        Stop::Released | Stop::Shutdown => (Settle::Nak, false, false),
        Stop::Stale => (Settle::Leave, false, true),
        Stop::Failed(_) => (Settle::NakLater, true, true),
    };
    StopAction {
        settle,
        release_list,
        bot_home,
    }
}

/// One step of a held list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// Arrive at a store's stop.
    Arrive(StoreId),
    /// Pick up the stop's items.
    PickUp(StoreId),
    /// Back at the depot: complete the list.
    Complete,
}

impl Leg {
    /// The step's name (its event id derives from it) and the list command it sends.
    pub fn command(self, at: Timestamp) -> (String, ListCommand) {
        match self {
            Leg::Arrive(store_id) => (
                format!("arrive/{store_id}"),
                ListCommand::ArriveAtStop { store_id, at },
            ),
            Leg::PickUp(store_id) => (
                format!("pick/{store_id}"),
                ListCommand::PickUpItems { store_id, at },
            ),
            Leg::Complete => ("complete".to_owned(), ListCommand::CompleteList { at }),
        }
    }
}

/// The steps of shopping `stores` (those ready to enter, in this order): arrive and pick up at
/// each, then complete.
pub fn route(stores: &[StoreId]) -> Vec<Leg> {
    let mut legs: Vec<Leg> = stores
        .iter()
        .flat_map(|s| [Leg::Arrive(*s), Leg::PickUp(*s)])
        .collect();
    legs.push(Leg::Complete);
    legs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> OrderId {
        OrderId(uuid::Uuid::from_u128(7))
    }

    #[test]
    fn a_list_not_yet_available_is_given_back_until_it_is_bogus() {
        let not_yet = || Claim::NotYet("list.not_available");
        assert_eq!(
            after_claim(not_yet(), 1),
            ClaimAction::Later("list.not_available".into())
        );
        assert!(matches!(
            after_claim(not_yet(), NOT_YET_DELIVERIES),
            ClaimAction::Drop(_)
        ));
        assert_eq!(after_claim(Claim::Stale, 3), ClaimAction::Leave);
        assert_eq!(
            after_claim(Claim::Completed { order_id: order() }, 2),
            ClaimAction::ReadyAgain { order_id: order() }
        );
    }

    #[test]
    fn a_refused_step_releases_the_list_and_retries_later_a_canceled_one_acks() {
        let refused = stop_of(Step::Refused("list.stop_already_picked")).unwrap();
        assert_eq!(
            after_stop(&refused),
            StopAction {
                settle: Settle::NakLater,
                release_list: true,
                bot_home: true
            }
        );
        assert_eq!(after_stop(&Stop::Canceled).settle, Settle::Ack);
        assert!(!after_stop(&Stop::Released).bot_home);
        assert_eq!(after_stop(&Stop::Stale).settle, Settle::Leave);
        assert_eq!(stop_of(Step::Done), None);
    }

    #[test]
    fn the_route_visits_each_store_then_completes() {
        let (a, b) = (
            StoreId(uuid::Uuid::from_u128(1)),
            StoreId(uuid::Uuid::from_u128(2)),
        );
        assert_eq!(
            route(&[a, b]),
            [
                Leg::Arrive(a),
                Leg::PickUp(a),
                Leg::Arrive(b),
                Leg::PickUp(b),
                Leg::Complete
            ]
        );
        let (name, _) = Leg::PickUp(a).command(Timestamp::from_millis(1));
        assert_eq!(name, format!("pick/{a}"));
    }
}
