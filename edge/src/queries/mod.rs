//! Queries over the read models, on the read-only connection: [`catalog`] (stores, products,
//! search), [`carts`] (carts, customers), [`orders`] (orders, sales per day),
//! [`sales`] (the sales chart's days), [`manager_orders`] (the mall's orders and sales a desk sees in central's order lines), [`depot`] (bots,
//! shopping lists) and [`maintenance`] (rebuild, export / import of events, status counts);
//! [`delivery`] receives one message of central's stream through the inbox.

pub mod carts;
pub mod catalog;
pub mod delivery;
pub mod depot;
pub mod maintenance;
pub mod manager_orders;
pub mod orders;
pub mod sales;
pub mod trail;

#[cfg(test)]
mod depot_tests;
#[cfg(test)]
mod manager_orders_tests;
#[cfg(test)]
mod map_tests;
#[cfg(test)]
mod trail_tests;
