//! Outbox subjects (docs/architecture.md §5, docs/central-messages.md) under a configurable root.
//!
//! A kiosk writes its baskets, customers, orders (OrderCreated only) and order requests under
//! `R.ev.kiosk.<device>.…`; managers write catalog events under `R.ev.catalog.<store>.…`.

use mallbots_wire::subjects::{CatalogKind, DeskKind, EventSubject, KioskKind, Subject};
use std::fmt::Display;

/// Builds the subjects this device publishes to ([`mallbots_wire::subjects`], the one grammar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    root: String,
    device: String,
}

impl Subjects {
    /// Subjects under `root` for `device`.
    pub fn new(root: impl Into<String>, device: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            device: device.into(),
        }
    }

    fn under_root(&self, event: EventSubject) -> String {
        Subject::new(self.root.as_str(), event).to_string()
    }

    fn kiosk(&self, kind: KioskKind, id: impl Display) -> String {
        self.under_root(EventSubject::Kiosk {
            device: self.device.clone(),
            kind,
            id: id.to_string(),
        })
    }

    fn desk(&self, kind: DeskKind, id: impl Display) -> String {
        self.under_root(EventSubject::Desk {
            device: self.device.clone(),
            kind,
            id: id.to_string(),
        })
    }

    /// `R.ev.kiosk.<device>.basket.<id>`.
    pub fn basket(&self, id: impl Display) -> String {
        self.kiosk(KioskKind::Basket, id)
    }

    /// `R.ev.kiosk.<device>.customer.<id>`.
    pub fn customer(&self, id: impl Display) -> String {
        self.kiosk(KioskKind::Customer, id)
    }

    /// `R.ev.kiosk.<device>.order.<id>` (OrderCreated only).
    pub fn order(&self, id: impl Display) -> String {
        self.kiosk(KioskKind::Order, id)
    }

    /// `R.ev.kiosk.<device>.orderreq.<id>` (cancellation and pickup requests).
    pub fn order_request(&self, id: impl Display) -> String {
        self.kiosk(KioskKind::OrderRequest, id)
    }

    /// `R.ev.desk.<device>.pickupreq.<order-id>` (a desk's pickup requests of one order).
    pub fn pickup_request(&self, order: impl Display) -> String {
        self.desk(DeskKind::PickupRequest, order)
    }

    /// `R.ev.desk.<device>.stopreq.<request-id>` (a stop prepared at the counter).
    pub fn stop_request(&self, request: impl Display) -> String {
        self.desk(DeskKind::StopRequest, request)
    }

    /// `R.ev.catalog.<store>.store.<store>`.
    pub fn store(&self, store: impl Display) -> String {
        let store = store.to_string();
        self.under_root(EventSubject::Catalog {
            id: store.clone(),
            store,
            kind: CatalogKind::Store,
        })
    }

    /// `R.ev.catalog.<store>.product.<id>`.
    pub fn product(&self, store: impl Display, id: impl Display) -> String {
        self.under_root(EventSubject::Catalog {
            store: store.to_string(),
            kind: CatalogKind::Product,
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_design_section_5() {
        let s = Subjects::new("t1.mallbots", "k1");
        assert_eq!(s.basket("b"), "t1.mallbots.ev.kiosk.k1.basket.b");
        assert_eq!(s.order_request("o"), "t1.mallbots.ev.kiosk.k1.orderreq.o");
        assert_eq!(s.store("s"), "t1.mallbots.ev.catalog.s.store.s");
        assert_eq!(s.pickup_request("o"), "t1.mallbots.ev.desk.k1.pickupreq.o");
        assert_eq!(s.stop_request("r"), "t1.mallbots.ev.desk.k1.stopreq.r");
        assert_eq!(s.product("s", "p"), "t1.mallbots.ev.catalog.s.product.p");
    }
}
