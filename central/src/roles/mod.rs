//! One module per responsibility a replica runs, each registering its handlers with the
//! platform's [`crate::platform::HandlerRegistry`]: the order saga with its catalog and customer
//! views ([`saga`], [`catalog`], [`customers`]), ordering ([`ordering`]), payments and invoices
//! ([`payments`]), shopping lists, bots and dispatch ([`depot`]), the simulated bots
//! ([`bots_sim`]), SMS ([`notifications`]) and the desks' pickup and stop requests ([`desk`]).
//!
//! Roles depend on the platform and on roles below them, never in a circle: `saga` → `ordering`
//! → `customers`, `catalog`; `bots_sim`, `notifications`, `desk` → `depot`; `desk` → `ordering`.
//! A role answers the saga through [`crate::platform::saga_reply`], not through the saga module.

pub mod bots_sim;
pub mod catalog;
pub mod customers;
pub mod depot;
pub mod desk;
pub mod notifications;
pub mod ordering;
pub mod payments;
pub mod saga;
