//! Queries over the read models, on the read-only connection: [`catalog`] (stores, products,
//! search), [`carts`] (carts, customers), [`orders`] (orders, sales per day), and
//! [`maintenance`] (rebuild, export / import of events, status counts).

pub mod carts;
pub mod catalog;
pub mod maintenance;
pub mod orders;
