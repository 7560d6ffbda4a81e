//! Read models: catalog (stores, products), customers, carts with lines and totals, orders with
//! items and store ids, sales per day per store, central's order lines for a desk
//! ([`order_lines`]) and the depot ([`depot`]).
//!
//! [`project`] updates them for one stored event inside the caller's transaction: the use cases
//! call it in the same transaction as the append, the inbox calls it for central's events.
//! [`rebuild`] truncates them and re-projects the whole log. Tables come from [`MIGRATIONS`]
//! (set `edge_read_models`), passed to `SqliteStore::open` by [`crate::Edge::open`].

mod carts;
mod catalog;
mod decode_ahead;
pub mod depot;
pub mod desk;
mod fold;
pub mod order_lines;
mod orders;
mod rebuild;

pub use rebuild::{rebuild, rebuild_in, rebuild_in_reporting, refold_stream, READ_MODEL_TABLES};

use mallbots_domain::baskets::BasketEvent;
use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::desk::DeskEvent;
use mallbots_domain::ordering::OrderEvent;
use mallbots_domain::products::ProductEvent;
use mallbots_domain::stores::StoreEvent;
use mallbots_sync::store::sqlite::scan::decode_payload;
use mallbots_sync::store::{Migration, StoreError, StoredEvent, Upcasters};
use rusqlite::Transaction;
use serde::de::DeserializeOwned;

/// An id's hyphenated text on the stack: the key the read models store, without allocating
/// (a rebuild forms a few per event, and keys its in-memory rows by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key([u8; uuid::fmt::Hyphenated::LENGTH]);

impl Key {
    pub(crate) fn of(id: uuid::Uuid) -> Self {
        let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
        id.hyphenated().encode_lower(&mut text);
        Self(text)
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a hyphenated uuid is ASCII")
    }
}

/// A key read back from a read-model row (an id the projections wrote).
impl rusqlite::types::FromSql for Key {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        uuid::Uuid::parse_str(value.as_str()?)
            .map(Self::of)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// The read models' migrations.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        set: "edge_read_models",
        version: 1,
        name: "read_models",
        sql: include_str!("migrations/0001_read_models.sql"),
    },
    depot::MIGRATION,
    order_lines::MIGRATION,
    desk::MIGRATION,
    Migration {
        set: "edge_map",
        version: 1,
        name: "mall_map",
        sql: include_str!("migrations/map_0001.sql"),
    },
    Migration {
        set: "edge_pickup",
        version: 1,
        name: "pickup_code",
        sql: include_str!("migrations/pickup_0001.sql"),
    },
    Migration {
        set: "edge_mall",
        version: 1,
        name: "mall_settings",
        sql: include_str!("migrations/mall_0001.sql"),
    },
];

/// An event decoded by stream type.
#[derive(Debug)]
pub(crate) enum Decoded {
    Store(StoreEvent),
    Product(ProductEvent),
    Customer(CustomerEvent),
    Basket(BasketEvent),
    Order(OrderEvent),
    Depot(depot::DepotEvent),
    OrderLine(mallbots_domain::ordering::OrderLineEvent),
    Desk(DeskEvent),
    /// A stream type the edge keeps no read model of (depot, payments...).
    Other,
}

fn undecodable(stream_type: &str, event_type: &str, err: StoreError) -> StoreError {
    StoreError::Projection {
        code: "projection.undecodable",
        message: format!("{stream_type} event {event_type}: {err}"),
    }
}

impl Decoded {
    fn decode(
        stream_type: &str,
        event_type: &str,
        decode: impl DecodeAny,
    ) -> Result<Self, StoreError> {
        let decoded = match stream_type {
            "store" => decode.get().map(Decoded::Store),
            "product" => decode.get().map(Decoded::Product),
            "customer" => decode.get().map(Decoded::Customer),
            "basket" => decode.get().map(Decoded::Basket),
            "order" => decode.get().map(Decoded::Order),
            "bot" | "list" => depot::decode(stream_type, decode).map(Decoded::Depot),
            "orderline" => decode.get().map(Decoded::OrderLine),
            "pickupreq" | "stopreq" | "deskans" => decode.get().map(Decoded::Desk),
            _ => Ok(Decoded::Other),
        };
        decoded.map_err(|err| undecodable(stream_type, event_type, err))
    }
}

/// Decodes a payload into any event type.
trait DecodeAny {
    fn get<E: DeserializeOwned>(&self) -> Result<E, StoreError>;
}

impl DecodeAny for &StoredEvent {
    fn get<E: DeserializeOwned>(&self) -> Result<E, StoreError> {
        E::deserialize(&self.payload).map_err(|e| StoreError::codec("decode", e))
    }
}

/// A payload copied out of its log row, with what decoding it needs (a rebuild decodes on a
/// thread of its own).
struct Payload<'a> {
    upcasters: &'a Upcasters,
    event_type: &'a str,
    schema_version: u32,
    payload: &'a str,
}

impl DecodeAny for &Payload<'_> {
    fn get<E: DeserializeOwned>(&self) -> Result<E, StoreError> {
        decode_payload(
            self.upcasters,
            self.event_type,
            self.schema_version,
            self.payload,
        )
    }
}

/// Updates the read models for one event, inside the caller's transaction. Events of stream
/// types without a read model are ignored; an undecodable payload of a known stream type is
/// [`StoreError::Projection`] with code `projection.undecodable` (the inbox parks it).
pub fn project(tx: &Transaction<'_>, event: &StoredEvent) -> Result<(), StoreError> {
    if event.superseded {
        return Ok(());
    }
    let decoded = Decoded::decode(&event.stream_type, &event.event_type, event)?;
    apply(tx, &decoded)
}

/// A domain event type with a read model: the command path projects the events it just decided
/// straight from their typed form (no JSON round trip through the stored payload).
pub trait Projectable {
    /// Updates the read models for this event inside the caller's transaction.
    fn project_typed(&self, tx: &Transaction<'_>) -> Result<(), StoreError>;
}

macro_rules! projectable {
    ($($event:ty => $f:path),* $(,)?) => {$(
        impl Projectable for $event {
            fn project_typed(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
                $f(tx, self)
            }
        }
    )*};
}

projectable! {
    StoreEvent => catalog::store,
    ProductEvent => catalog::product,
    CustomerEvent => catalog::customer,
    BasketEvent => carts::basket,
    OrderEvent => orders::order,
    DeskEvent => desk::apply,
}

/// Updates the read models for one decoded event (a rebuild's too).
fn apply(tx: &Transaction<'_>, decoded: &Decoded) -> Result<(), StoreError> {
    match decoded {
        Decoded::Store(e) => catalog::store(tx, e),
        Decoded::Product(e) => catalog::product(tx, e),
        Decoded::Customer(e) => catalog::customer(tx, e),
        Decoded::Basket(e) => carts::basket(tx, e),
        Decoded::Order(e) => orders::order(tx, e),
        Decoded::Depot(e) => depot::apply(tx, e),
        Decoded::OrderLine(e) => order_lines::apply(tx, e),
        Decoded::Desk(e) => desk::apply(tx, e),
        Decoded::Other => Ok(()),
    }
}
