//! Bot dispatch: which idle bot takes which available shopping list. A pure decision.
//!
//! The oldest available list (by the time it became available, then by id) goes to the bot that
//! has been idle longest (then by id). Each list and each bot appears in at most one assignment,
//! even if the inputs repeat one. Central makes the decision exactly-once with a work queue and a
//! compare-and-set on the list; this function only decides the pairing.

use crate::bots::{Bot, BotStatus};
use crate::depot::{ListStatus, ShoppingList};
use crate::ids::{BotId, ShoppingListId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A bot waiting at the depot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdleBot {
    pub bot_id: BotId,
    pub idle_since: Timestamp,
}

impl IdleBot {
    /// The bot as a dispatch candidate, if it is idle.
    pub fn from_bot(bot: &Bot) -> Option<Self> {
        (bot.registered && bot.status == BotStatus::Idle).then_some(IdleBot {
            bot_id: bot.id,
            idle_since: bot.since,
        })
    }
}

/// A shopping list waiting for a bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AvailableList {
    pub list_id: ShoppingListId,
    pub available_since: Timestamp,
}

impl AvailableList {
    /// The list as a dispatch candidate, if it is available.
    pub fn from_list(list: &ShoppingList) -> Option<Self> {
        match (list.status, list.available_since) {
            (Some(ListStatus::Available), Some(since)) => Some(AvailableList {
                list_id: list.id,
                available_since: since,
            }),
            _ => None,
        }
    }
}

/// One pairing decided by [`dispatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Assignment {
    pub list_id: ShoppingListId,
    pub bot_id: BotId,
}

/// Pairs the oldest available lists with the longest-idle bots.
///
/// Returns `min(distinct bots, distinct lists)` assignments, oldest list first. Inputs may be in
/// any order; a repeated id counts once, with its earliest timestamp.
pub fn dispatch(idle_bots: &[IdleBot], available: &[AvailableList]) -> Vec<Assignment> {
    let mut bots: Vec<(Timestamp, BotId)> =
        idle_bots.iter().map(|b| (b.idle_since, b.bot_id)).collect();
    let mut lists: Vec<(Timestamp, ShoppingListId)> = available
        .iter()
        .map(|l| (l.available_since, l.list_id))
        .collect();
    bots.sort_unstable();
    lists.sort_unstable();
    let mut seen_bots = HashSet::new();
    let mut seen_lists = HashSet::new();
    let bots = bots.into_iter().filter(|(_, id)| seen_bots.insert(*id));
    let lists = lists.into_iter().filter(|(_, id)| seen_lists.insert(*id));
    lists
        .zip(bots)
        .map(|((_, list_id), (_, bot_id))| Assignment { list_id, bot_id })
        .collect()
}
