//! Depot context: the shopping list a bot walks through the mall for one order.
//!
//! A [`ShoppingList`] is created by the order saga (step 2) with its items grouped into one
//! [`Stop`] per store, becomes available to dispatch (step 4), is assigned to a bot, picked stop by
//! stop and completed. A bot going offline releases it back to available; a canceled order
//! cancels it. `CancelList` on a list that was never created leaves a tombstone, so a late
//! `CreateShoppingList` (after the saga timed out and compensated) is refused.

mod list;
mod model;

pub use list::ShoppingList;
pub use model::{ListCommand, ListError, ListEvent, ListItem, ListStatus, Stop};
