//! Queries over the read models, on the read-only connection: [`catalog`] (stores, products,
//! search), [`carts`] (carts, customers), [`orders`] (orders, sales per day), [`depot`] (bots,
//! shopping lists) and [`maintenance`] (rebuild, export / import of events, status counts).

pub mod carts;
pub mod catalog;
pub mod depot;
pub mod maintenance;
pub mod orders;

#[cfg(test)]
mod depot_tests;
