//! Queries over the read models, on the read-only connection: [`catalog`] (stores, products,
//! search), [`carts`] (carts, customers), [`orders`] (orders, sales per day), [`depot`] (bots,
//! shopping lists) and [`maintenance`] (rebuild, export / import of events, status counts);
//! [`delivery`] receives one message of central's stream through the inbox.

pub mod carts;
pub mod catalog;
pub mod delivery;
pub mod depot;
pub mod maintenance;
pub mod orders;

#[cfg(test)]
mod depot_tests;
