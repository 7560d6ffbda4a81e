//! Audit trails, built from the event log only (never from read models, so a rebuild gives the
//! same trail): every event of an order (its cart, the order, central's status changes and
//! order lines, the robot's shopping list, the desk's hand-over), of a product (added,
//! renamed, repriced, removed) or of a robot since a time (its lists of the day), oldest first, each with its time, the device that wrote it, the
//! signed-in user for desk actions, and one line in plain words.
//!
//! A device's trail holds what that device has seen: a kiosk its cart, its order and central's
//! answers; a desk the order lines, the depot's list and its own requests.

use crate::error::EdgeError;
use crate::views::TrailEntry;
use crate::Edge;
use mallbots_domain::baskets::{BasketCancelReason, BasketEvent};
use mallbots_domain::bots::BotEvent;
use mallbots_domain::depot::ListEvent;
use mallbots_domain::desk::DeskEvent;
use mallbots_domain::ordering::{CancelledBy, OrderEvent, OrderLineEvent};
use mallbots_domain::products::ProductEvent;
use mallbots_domain::saga::list_id_for;
use mallbots_domain::{BotId, OrderId, ProductId, SagaId, ShoppingListId};
use mallbots_sync::store::sqlite::read;
use mallbots_sync::store::{StoredEvent, Upcasters};
use rusqlite::{Connection, OptionalExtension};
use serde::de::DeserializeOwned;

/// Names the trail's lines use instead of ids, where this device knows them.
struct Names<'c> {
    conn: &'c Connection,
}

impl Names<'_> {
    fn lookup(&self, sql: &str, id: &str) -> Option<String> {
        self.conn
            .query_row(sql, [id], |r| r.get::<_, String>(0))
            .optional()
            .ok()
            .flatten()
            .filter(|n| !n.is_empty())
    }

    fn store(&self, id: impl ToString) -> String {
        let id = id.to_string();
        self.lookup("SELECT name FROM rm_stores WHERE store_id = ?1", &id)
            .unwrap_or(id)
    }

    /// `order 0192ab…` for a list this desk has seen, else the list id.
    fn list(&self, id: ShoppingListId) -> String {
        let id = id.to_string();
        match self.lookup(
            "SELECT order_id FROM rm_depot_lists WHERE list_id = ?1",
            &id,
        ) {
            Some(order) => format!("order {}", &order[..order.len().min(8)]),
            None => format!("list {id}"),
        }
    }

    fn bot(&self, id: impl ToString) -> String {
        let id = id.to_string();
        self.lookup("SELECT name FROM rm_depot_bots WHERE bot_id = ?1", &id)
            .unwrap_or(id)
    }
}

fn decode<E: DeserializeOwned>(event: &StoredEvent) -> Option<E> {
    E::deserialize(&event.payload).ok()
}

fn items(n: usize) -> String {
    if n == 1 {
        "1 item".to_owned()
    } else {
        format!("{n} items")
    }
}

/// The device that wrote the event (kiosk actions: customers are not signed in).
fn device(event: &StoredEvent) -> String {
    event
        .metadata
        .device_id
        .clone()
        .unwrap_or_else(|| "this device".to_owned())
}

/// The user and device of a desk or manager action.
fn by(event: &StoredEvent) -> String {
    let device = event.metadata.device_id.as_deref().unwrap_or("this device");
    match &event.metadata.user {
        Some(user) => format!("{user} at {device}"),
        None => device.to_owned(),
    }
}

fn basket_line(event: &StoredEvent, e: BasketEvent) -> String {
    match e {
        BasketEvent::BasketStarted { .. } => format!("cart started at {}", device(event)),
        BasketEvent::BasketItemAdded {
            product_name,
            store_name,
            quantity,
            price,
            ..
        } => format!("added {quantity} x {product_name} ({store_name}) at {price}"),
        BasketEvent::BasketItemRemoved { quantity, .. } => format!("removed {quantity} from cart"),
        BasketEvent::BasketCanceled { reason, .. } => match reason {
            BasketCancelReason::Customer => "cart canceled by the customer".to_owned(),
            BasketCancelReason::Abandoned => "cart abandoned (idle too long)".to_owned(),
        },
        BasketEvent::BasketCheckedOut {
            items: lines,
            total,
            ..
        } => format!(
            "checked out at {}: {}, {total}",
            device(event),
            items(lines.len())
        ),
    }
}

fn order_line(event: &StoredEvent, e: OrderEvent, names: &Names<'_>) -> String {
    match e {
        OrderEvent::OrderCreated {
            items: lines,
            total,
            device_id,
            ..
        } => {
            let kiosk = device_id.unwrap_or_else(|| device(event));
            format!(
                "order placed at kiosk {kiosk}: {}, {total}",
                items(lines.len())
            )
        }
        OrderEvent::OrderRejected { reason, .. } => format!("rejected: {reason}"),
        OrderEvent::OrderApproved { .. } => "approved (payment authorized)".to_owned(),
        OrderEvent::OrderShoppingStarted { bot_id, .. } => {
            format!("robot {} took the shopping list", names.bot(bot_id))
        }
        OrderEvent::OrderReadied { total, .. } => format!("ready at the depot ({total})"),
        OrderEvent::OrderCompleted { .. } => "picked up: payment captured, invoice paid".to_owned(),
        OrderEvent::OrderCanceled {
            reason, by: who, ..
        } => match who {
            CancelledBy::Customer => format!("canceled at the customer's request: {reason}"),
            CancelledBy::Admin => format!("canceled by the mall: {reason}"),
        },
        OrderEvent::OrderCancellationRequested { .. } => {
            format!("cancellation asked at {}", device(event))
        }
        OrderEvent::OrderCancelRefused { reason, .. } => {
            format!("cancellation refused: {reason}")
        }
    }
}

fn list_line(e: ListEvent, names: &Names<'_>) -> String {
    match e {
        ListEvent::ShoppingListCreated { stops, .. } => {
            let stores: Vec<String> = stops.iter().map(|s| names.store(s.store_id)).collect();
            format!("shopping list made: {}", stores.join(", "))
        }
        ListEvent::ShoppingListAvailable { .. } => "waiting for a robot".to_owned(),
        ListEvent::ShoppingListAssigned { bot_id, .. } => {
            format!("robot {} took the list", names.bot(bot_id))
        }
        ListEvent::BotArrivedAtStop {
            bot_id, store_id, ..
        } => format!(
            "robot {} arrived at {}",
            names.bot(bot_id),
            names.store(store_id)
        ),
        ListEvent::StopItemsPickedUp {
            bot_id, store_id, ..
        } => format!(
            "robot {} picked the items at {}",
            names.bot(bot_id),
            names.store(store_id)
        ),
        ListEvent::ShoppingListCompleted { bot_id, .. } => {
            format!("robot {} brought the order to the depot", names.bot(bot_id))
        }
        ListEvent::ShoppingListCanceled { .. } => "shopping list withdrawn".to_owned(),
        ListEvent::ShoppingListReleased { bot_id, .. } => {
            format!("robot {} gave the list back", names.bot(bot_id))
        }
        ListEvent::StopPreparedAtCounter { store_id, .. } => {
            format!("prepared at the counter of {}", names.store(store_id))
        }
    }
}

fn bot_line(e: BotEvent, names: &Names<'_>) -> String {
    match e {
        BotEvent::BotCameOnline { name, .. } => format!("came online as {name}"),
        BotEvent::BotWentOffline { list_id, .. } => match list_id {
            Some(list) => format!("went offline holding the list of {}", names.list(list)),
            None => "went offline".to_owned(),
        },
        BotEvent::BotAssigned { list_id, .. } => {
            format!("took the list of {}", names.list(list_id))
        }
        BotEvent::BotDeparted {
            from, to, eta, at, ..
        } => {
            let place = |s: Option<_>| s.map_or("the depot".to_owned(), |s| names.store(s));
            let secs = (eta.0 - at.0).max(0) as f64 / 1000.0;
            format!("left {} for {} ({secs:.1} s walk)", place(from), place(to))
        }
        BotEvent::BotArrivedAtStore { store_id, .. } => {
            format!("arrived at {}", names.store(store_id))
        }
        BotEvent::ItemsPickedUp { store_id, .. } => {
            format!("picked the items at {}", names.store(store_id))
        }
        BotEvent::BotReturned { list_id, .. } => {
            format!("back at the depot with {}", names.list(list_id))
        }
        BotEvent::BotIdled { .. } => "idle, waiting for a list".to_owned(),
    }
}

fn desk_line(event: &StoredEvent, e: DeskEvent, names: &Names<'_>) -> String {
    let desk = event.metadata.device_id.as_deref().unwrap_or("this desk");
    match e {
        DeskEvent::OrderPickupRequested { user, .. } => {
            format!("hand-over asked by {user} at desk {desk}")
        }
        DeskEvent::OrderPickupRefused { code, reason, .. } => {
            format!("hand-over refused ({code}): {reason}")
        }
        DeskEvent::StopPrepared { store_id, user, .. } => format!(
            "{user} prepared the items of {} at desk {desk}",
            names.store(store_id)
        ),
        DeskEvent::StopPrepareRefused { code, .. } => {
            format!("counter preparation refused ({code})")
        }
    }
}

fn order_line_line(e: OrderLineEvent, names: &Names<'_>) -> String {
    let OrderLineEvent::OrderLineUpdated {
        store_id, status, ..
    } = e;
    format!(
        "{}: {}",
        names.store(store_id),
        status.as_str().replace('_', " ")
    )
}

fn product_line(event: &StoredEvent, e: ProductEvent) -> String {
    let who = by(event);
    match e {
        ProductEvent::ProductAdded {
            name, sku, price, ..
        } => format!("added as {name} ({sku}) at {price} by {who}"),
        ProductEvent::ProductRebranded { name, .. } => format!("renamed {name} by {who}"),
        ProductEvent::ProductPriceIncreased { price, delta, .. } => {
            format!("price up {delta} to {price} by {who}")
        }
        ProductEvent::ProductPriceDecreased { price, delta, .. } => {
            format!("price down {delta} to {price} by {who}")
        }
        ProductEvent::ProductRemoved { .. } => format!("removed by {who}"),
    }
}

/// The line for one event, or a neutral one for an event this build cannot read.
fn summary(event: &StoredEvent, names: &Names<'_>) -> String {
    let line = match event.stream_type.as_str() {
        "basket" => decode(event).map(|e| basket_line(event, e)),
        "order" => decode(event).map(|e| order_line(event, e, names)),
        "list" => decode(event).map(|e| list_line(e, names)),
        "bot" => decode(event).map(|e| bot_line(e, names)),
        "pickupreq" | "stopreq" | "deskans" => decode(event).map(|e| desk_line(event, e, names)),
        "orderline" => decode(event).map(|e| order_line_line(e, names)),
        "product" => decode(event).map(|e| product_line(event, e)),
        _ => None,
    };
    line.unwrap_or_else(|| format!("{} ({})", event.event_type, event.stream_type))
}

fn entry(event: &StoredEvent, names: &Names<'_>) -> TrailEntry {
    TrailEntry {
        at: event.occurred_at,
        event_type: event.event_type.clone(),
        stream: event.stream_type.clone(),
        device: event.metadata.device_id.clone(),
        user: event.metadata.user.clone(),
        summary: summary(event, names),
    }
}

fn trail(conn: &Connection, streams: &[(&str, String)]) -> Result<Vec<TrailEntry>, EdgeError> {
    let upcasters = Upcasters::new();
    let mut events = Vec::new();
    for (stream_type, stream_id) in streams {
        events.extend(read::load_stream(
            conn,
            &upcasters,
            stream_type,
            stream_id,
            1,
        )?);
    }
    events.sort_by_key(|e| (e.occurred_at, e.global_pos));
    let names = Names { conn };
    Ok(events.iter().map(|e| entry(e, &names)).collect())
}

impl Edge {
    /// The story of one order as this device has seen it, oldest first; `not_found` when the
    /// log holds nothing of it.
    pub fn order_trail(&self, order: OrderId) -> Result<Vec<TrailEntry>, EdgeError> {
        let id = order.to_string();
        let list = list_id_for(SagaId::from(order)).to_string();
        let streams = [
            ("basket", id.clone()),
            ("order", id.clone()),
            ("orderline", id.clone()),
            ("pickupreq", id.clone()),
            ("deskans", id.clone()),
            ("list", list),
        ];
        let entries = self.read(|r| trail(r.connection(), &streams))?;
        if entries.is_empty() {
            return Err(EdgeError::not_found("order", order));
        }
        Ok(entries)
    }

    /// A robot's events since `since_ms` (its lists of the day: each list taken, each store
    /// visited, back at the depot), oldest first; empty when it did nothing since.
    pub fn bot_trail(&self, bot: BotId, since_ms: i64) -> Result<Vec<TrailEntry>, EdgeError> {
        let streams = [("bot", bot.to_string())];
        let mut entries = self.read(|r| trail(r.connection(), &streams))?;
        entries.retain(|e| e.at >= since_ms);
        Ok(entries)
    }

    /// A product's history (added, renamed, repriced, removed: who, where, when), oldest
    /// first; `not_found` when the log holds nothing of it.
    pub fn product_trail(&self, product: ProductId) -> Result<Vec<TrailEntry>, EdgeError> {
        let streams = [("product", product.to_string())];
        let entries = self.read(|r| trail(r.connection(), &streams))?;
        if entries.is_empty() {
            return Err(EdgeError::not_found("product", product));
        }
        Ok(entries)
    }
}
