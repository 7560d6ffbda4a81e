//! Read models: catalog (stores, products), customers, carts with lines and totals, orders with
//! items and store ids, sales per day per store.
//!
//! [`project`] updates them for one stored event inside the caller's transaction: the use cases
//! call it in the same transaction as the append, the inbox calls it for central's events.
//! [`rebuild`] truncates them and re-projects the whole log. Tables come from [`MIGRATIONS`]
//! (set `edge_read_models`), passed to `SqliteStore::open` by [`crate::Edge::open`].

mod carts;
mod catalog;
pub mod depot;
mod orders;
mod rebuild;

pub use rebuild::{rebuild, rebuild_in, READ_MODEL_TABLES};

use mallbots_domain::baskets::BasketEvent;
use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::ordering::OrderEvent;
use mallbots_domain::products::ProductEvent;
use mallbots_domain::stores::StoreEvent;
use mallbots_sync::store::{Migration, RawEvent, StoreError, StoredEvent};
use rusqlite::Transaction;
use serde::de::DeserializeOwned;

/// The read models' migrations.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        set: "edge_read_models",
        version: 1,
        name: "read_models",
        sql: include_str!("migrations/0001_read_models.sql"),
    },
    depot::MIGRATION,
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

impl DecodeAny for &RawEvent<'_> {
    fn get<E: DeserializeOwned>(&self) -> Result<E, StoreError> {
        self.decode()
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

/// [`project`] for a borrowed row of a log scan.
pub(crate) fn project_raw(tx: &Transaction<'_>, event: &RawEvent<'_>) -> Result<(), StoreError> {
    let decoded = Decoded::decode(event.stream_type, event.event_type, event)?;
    apply(tx, &decoded)
}

fn apply(tx: &Transaction<'_>, decoded: &Decoded) -> Result<(), StoreError> {
    match decoded {
        Decoded::Store(e) => catalog::store(tx, e),
        Decoded::Product(e) => catalog::product(tx, e),
        Decoded::Customer(e) => catalog::customer(tx, e),
        Decoded::Basket(e) => carts::basket(tx, e),
        Decoded::Order(e) => orders::order(tx, e),
        Decoded::Depot(e) => depot::apply(tx, e),
        Decoded::Other => Ok(()),
    }
}
