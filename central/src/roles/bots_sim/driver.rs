//! One simulated bot shopping one list: claim the offered delivery, walk the stops, return,
//! complete, ack. Each walk starts with `BotDeparted` (from, to, eta) and lasts as long as the
//! map distance between the two places takes at [`UNITS_PER_STEP`] per step. Every step goes through [`Depot`], fenced by the delivery; the message is kept
//! with progress acks while walking.

use std::sync::Arc;
use std::time::Duration;

use mallbots_domain::bots::{BotCommand, BotError};
use mallbots_domain::depot::ListStatus;
use mallbots_domain::ids::{BotId, OrderId, ShoppingListId};
use mallbots_domain::mall_map::{self, Place};
use mallbots_domain::Timestamp;
use tokio::sync::watch;

use super::decisions::{self, ClaimAction, Leg, Settle, Stop, LATER};
use super::fleet::Fleet;
use crate::roles::catalog::Catalog;
use crate::roles::depot::dispatch::Offer;

use crate::roles::depot::journal::now_ms;
use crate::roles::depot::ops::Depot;
use crate::roles::depot::store::Fence;
use crate::roles::depot::DepotError;

/// Map distance (plan units, [`mall_map`]) a bot walks in one simulation step.
const UNITS_PER_STEP: f64 = 250.0;

/// What a driver shares with the fleet.
pub struct Ctx {
    /// Depot operations.
    pub depot: Depot,
    /// Central's catalog view (which stores have automated shopping off).
    pub catalog: Catalog,
    /// The fleet (to report a bot idle again).
    pub fleet: Arc<Fleet>,
    /// Time per walk or pick.
    pub step: Duration,
    /// How often a held message gets `+WPI`.
    pub progress_every: Duration,
    /// The replica's shutdown signal.
    pub shutdown: watch::Receiver<bool>,
}

/// How the bot ends up after a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Back at the depot, ready for the next list.
    Idle,
    /// Offline (taken offline, or the replica is stopping).
    Offline,
}

/// A depot failure stops shopping as a failed step.
fn failed(e: DepotError) -> Stop {
    Stop::Failed(e.to_string())
}

fn now() -> Timestamp {
    Timestamp::from_millis(now_ms())
}

fn key(list: ShoppingListId, fence: &Fence) -> String {
    format!("{list}/{}/{}", fence.stream_seq, fence.delivered)
}

/// Drives `bot_id` through the offered list; returns the bot's state afterwards. What to do with
/// the message at each turn is [`decisions`]'s.
pub async fn drive(ctx: &Ctx, bot_id: BotId, offer: Offer) -> After {
    let list_id = offer.entry.list_id;
    let fence = offer.fence(bot_id);
    let claim = match ctx.depot.claim(list_id, fence).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(%list_id, error = %e, "claim failed; list given back");
            offer.nak_after(LATER).await;
            return After::Idle;
        }
    };
    let (order_id, stops) = match decisions::after_claim(claim, offer.delivered) {
        ClaimAction::Drop(reason) => {
            tracing::info!(%list_id, reason, delivered = offer.delivered, "dispatch message dropped");
            let _ = offer.ack().await;
            return After::Idle;
        }
        ClaimAction::Later(reason) => {
            tracing::info!(%list_id, reason, delivered = offer.delivered, "list not ready; later");
            offer.nak_after(LATER).await;
            return After::Idle;
        }
        ClaimAction::Leave => return After::Idle,
        ClaimAction::ReadyAgain { order_id } => {
            match ctx.depot.send_ready_order(order_id, list_id).await {
                Ok(()) => {
                    tracing::info!(%list_id, %order_id, "completed list: ready_order re-sent");
                    let _ = offer.ack().await;
                }
                Err(e) => {
                    tracing::warn!(%list_id, error = %e, "ready_order not re-sent; list given back");
                    offer.nak_after(LATER).await;
                }
            }
            return After::Idle;
        }
        ClaimAction::Shop { order_id, stops } => (order_id, stops),
    };
    let cause = key(list_id, &fence);
    let assign = BotCommand::AssignList { list_id, at: now() };
    match ctx
        .depot
        .bot(
            bot_id,
            &format!("{cause}/assign"),
            assign,
            &order_id.to_string(),
        )
        .await
    {
        Ok(Err(BotError::Offline | BotError::NotFound)) => {
            tracing::info!(%bot_id, %list_id, "bot is offline; list given back");
            let _ = ctx.depot.release_list(list_id, bot_id, &cause).await;
            offer.nak().await;
            return After::Offline;
        }
        Ok(Err(e)) => tracing::warn!(%bot_id, error = %e, "bot assignment refused"),
        Ok(Ok(())) | Err(_) => {}
    }
    tracing::info!(%bot_id, %list_id, %order_id, delivered = fence.delivered, "bot assigned");
    if let Err(e) = ctx
        .depot
        .send_start_shopping(order_id, list_id, fence)
        .await
    {
        // Ordering takes the order's ready_order only once shopping started: without it the
        // order would stay approved for good. Don't shop; give the list back for a retry.
        tracing::warn!(%list_id, error = %e, "start_shopping not sent; list given back");
        let _ = ctx.depot.release_list(list_id, bot_id, &cause).await;
        offer.nak_after(LATER).await;
        bot_home(ctx, bot_id, &cause).await;
        return After::Idle;
    }
    let stores: Vec<_> = stops.iter().map(|s| s.store_id).collect();
    let stop = match shop(ctx, &offer, bot_id, list_id, order_id, fence, &stores).await {
        Ok(()) => {
            if let Err(e) = ctx.depot.send_ready_order(order_id, list_id).await {
                tracing::warn!(%list_id, error = %e, "ready_order not sent; list given back");
                offer.nak_after(LATER).await;
            } else if let Err(e) = offer.ack().await {
                tracing::warn!(%list_id, error = %e, "dispatch ack failed");
            }
            tracing::info!(%bot_id, %list_id, "list completed");
            bot_home(ctx, bot_id, &cause).await;
            return After::Idle;
        }
        Err(stop) => stop,
    };
    tracing::info!(%bot_id, %list_id, ?stop, "shopping stopped");
    let action = decisions::after_stop(&stop);
    if action.release_list {
        let _ = ctx.depot.release_list(list_id, bot_id, &cause).await;
    }
    if stop == Stop::Shutdown {
        let _ = ctx
            .depot
            .bot_offline(bot_id, &format!("{cause}/shutdown"))
            .await;
    }
    match action.settle {
        Settle::Ack => {
            let _ = offer.ack().await;
        }
        Settle::Nak => offer.nak().await,
        Settle::NakLater => offer.nak_after(LATER).await,
        Settle::Leave => {}
    }
    if action.bot_home {
        bot_home(ctx, bot_id, &cause).await;
        After::Idle
    } else {
        After::Offline
    }
}

/// Walks the stops and completes the list.
async fn shop(
    ctx: &Ctx,
    offer: &Offer,
    bot_id: BotId,
    list_id: ShoppingListId,
    order_id: OrderId,
    fence: Fence,
    stores: &[mallbots_domain::ids::StoreId],
) -> Result<(), Stop> {
    let cause = key(list_id, &fence);
    let corr = order_id.to_string();
    let step = |leg: Leg| async move {
        let (name, cmd) = leg.command(now());
        let done = ctx.depot.step(list_id, fence, &name, cmd).await;
        match decisions::stop_of(done.map_err(failed)?) {
            None => Ok(()),
            Some(stop) => Err(stop),
        }
    };
    let bot = |name: String, cmd: BotCommand| {
        let corr = corr.clone();
        async move {
            if let Ok(Err(e)) = ctx.depot.bot(bot_id, &name, cmd, &corr).await {
                tracing::debug!(%bot_id, error = %e, "bot step refused");
            }
        }
    };
    // Automated shopping off: a store's stop waits until its manager prepared it at the
    // counter; the bot does the other stops first, then waits, then collects it.
    let mut pending: Vec<_> = stores.to_vec();
    let mut order: Vec<mallbots_domain::ids::StoreId> = Vec::new();
    let mut here: Option<Place> = Some(mall_map::DEPOT);
    while !pending.is_empty() {
        let mut ready = Vec::new();
        for store_id in &pending {
            if enterable(ctx, bot_id, list_id, *store_id).await? {
                ready.push(*store_id);
            }
        }
        if ready.is_empty() {
            pause(ctx, offer).await?;
            continue;
        }
        pending.retain(|s| !ready.contains(s));
        order.extend(ready.iter().copied());
        for store_id in &ready {
            let there = place_of(ctx, *store_id).await;
            let walk = walk_time(ctx, here, there);
            depart(Some(*store_id), walk, &bot, &cause).await;
            pause_for(ctx, offer, walk).await?;
            visit(ctx, offer, *store_id, &step, &bot, &cause).await?;
            here = there;
        }
    }
    tracing::debug!(%list_id, stops = order.len(), "all stops collected");
    let walk = walk_time(ctx, here, Some(mall_map::DEPOT));
    depart(None, walk, &bot, &cause).await;
    let cmd = BotCommand::ReturnToDepot { at: now() };
    bot(format!("{cause}/return"), cmd).await;
    pause_for(ctx, offer, walk).await?;
    step(Leg::Complete).await
}

/// Whether the bot may enter `store` now: its stop was prepared at the counter, or the store has
/// automated shopping on (a store the catalog view does not know keeps the old behaviour). Stops
/// early when the list was canceled or taken from this bot meanwhile.
async fn enterable(
    ctx: &Ctx,
    bot_id: BotId,
    list_id: ShoppingListId,
    store: mallbots_domain::ids::StoreId,
) -> Result<bool, Stop> {
    let loaded = ctx
        .depot
        .lists
        .load(&list_id.to_string())
        .await
        .map_err(failed)?;
    let list = &loaded.state;
    match list.status {
        Some(ListStatus::Canceled) => return Err(Stop::Canceled),
        Some(ListStatus::Assigned | ListStatus::InProgress) if list.bot_id == Some(bot_id) => {}
        _ => return Err(Stop::Released),
    }
    if list
        .stops
        .iter()
        .any(|s| s.store_id == store && (s.prepared || s.picked))
    {
        return Ok(true);
    }
    match ctx.catalog.store(store).await {
        Ok(s) => Ok(!s.exists() || s.automated_shopping()),
        Err(e) => {
            tracing::warn!(%store, error = %e, "catalog view unavailable; stop treated as automated");
            Ok(true)
        }
    }
}

/// Where `store` is on the floor plan, if its manager placed it (and the catalog view is up).
async fn place_of(ctx: &Ctx, store: mallbots_domain::ids::StoreId) -> Option<Place> {
    ctx.catalog.store(store).await.ok().and_then(|s| s.place())
}

/// How long a walk between two places takes: one step per [`UNITS_PER_STEP`] of map distance
/// (at least a tenth of a step); one step when either place is unknown (a store not placed).
fn walk_time(ctx: &Ctx, from: Option<Place>, to: Option<Place>) -> Duration {
    match (from, to) {
        (Some(from), Some(to)) => {
            let steps = mall_map::walking_distance(from, to) / UNITS_PER_STEP;
            ctx.step.mul_f64(steps.max(0.1))
        }
        _ => ctx.step,
    }
}

/// The bot sets off for `to` (`None` = the depot), expected after `walk`.
async fn depart<B, BF>(
    to: Option<mallbots_domain::ids::StoreId>,
    walk: Duration,
    bot: &B,
    cause: &str,
) where
    B: Fn(String, BotCommand) -> BF,
    BF: std::future::Future<Output = ()>,
{
    let at = now();
    let eta = Timestamp::from_millis(at.0 + walk.as_millis() as i64);
    let leg = to.map_or("depot".to_owned(), |s| s.to_string());
    bot(
        format!("{cause}/depart/{leg}"),
        BotCommand::Depart { to, eta, at },
    )
    .await;
}

/// Walks to one stop and collects it.
async fn visit<S, SF, B, BF>(
    ctx: &Ctx,
    offer: &Offer,
    store_id: mallbots_domain::ids::StoreId,
    step: &S,
    bot: &B,
    cause: &str,
) -> Result<(), Stop>
where
    S: Fn(Leg) -> SF,
    SF: std::future::Future<Output = Result<(), Stop>>,
    B: Fn(String, BotCommand) -> BF,
    BF: std::future::Future<Output = ()>,
{
    step(Leg::Arrive(store_id)).await?;
    let cmd = BotCommand::ArriveAtStore {
        store_id,
        at: now(),
    };
    bot(format!("{cause}/arrive/{store_id}"), cmd).await;
    pause(ctx, offer).await?;
    step(Leg::PickUp(store_id)).await?;
    let cmd = BotCommand::PickUpItems { at: now() };
    bot(format!("{cause}/pick/{store_id}"), cmd).await;
    Ok(())
}

/// Waits one step, sending progress for the held message; stops early at shutdown.
async fn pause(ctx: &Ctx, offer: &Offer) -> Result<(), Stop> {
    pause_for(ctx, offer, ctx.step).await
}

/// Waits `duration`, sending progress for the held message; stops early at shutdown.
async fn pause_for(ctx: &Ctx, offer: &Offer, duration: Duration) -> Result<(), Stop> {
    let mut left = duration;
    let mut shutdown = ctx.shutdown.clone();
    while !left.is_zero() {
        let chunk = left.min(ctx.progress_every);
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return Err(Stop::Shutdown),
            _ = tokio::time::sleep(chunk) => {}
        }
        left -= chunk;
        offer.progress().await;
    }
    Ok(())
}

/// Brings the bot back to idle at the depot, whatever state the list left it in.
async fn bot_home(ctx: &Ctx, bot_id: BotId, cause: &str) {
    let d = &ctx.depot;
    let _ = d
        .bot(
            bot_id,
            &format!("{cause}/return"),
            BotCommand::ReturnToDepot { at: now() },
            "",
        )
        .await;
    match d
        .bot(
            bot_id,
            &format!("{cause}/idle"),
            BotCommand::Idle { at: now() },
            "",
        )
        .await
    {
        Ok(Ok(())) => {}
        _ => {
            // Assigned without a store (or offline): the domain's way back is offline → online.
            let _ = d
                .bot(
                    bot_id,
                    &format!("{cause}/reset-off"),
                    BotCommand::TakeOffline { at: now() },
                    "",
                )
                .await;
            let name = match d.bots.load(&bot_id.to_string()).await {
                Ok(l) if !l.state.name.is_empty() => l.state.name,
                _ => format!("bot-{bot_id}"),
            };
            let online = BotCommand::BringOnline {
                bot_id,
                name,
                at: now(),
            };
            let _ = d
                .bot(bot_id, &format!("{cause}/reset-on"), online, "")
                .await;
        }
    }
}
