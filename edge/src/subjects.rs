//! Outbox subjects (DESIGN §5, docs/central-messages.md) under a configurable root.
//!
//! A kiosk writes its baskets, customers, orders (OrderCreated only) and order requests under
//! `R.ev.kiosk.<device>.…`; managers write catalog events under `R.ev.catalog.<store>.…`.

/// Builds the subjects this device publishes to.
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

    fn kiosk(&self, context: &str, id: impl std::fmt::Display) -> String {
        format!("{}.ev.kiosk.{}.{context}.{id}", self.root, self.device)
    }

    /// `R.ev.kiosk.<device>.basket.<id>`.
    pub fn basket(&self, id: impl std::fmt::Display) -> String {
        self.kiosk("basket", id)
    }

    /// `R.ev.kiosk.<device>.customer.<id>`.
    pub fn customer(&self, id: impl std::fmt::Display) -> String {
        self.kiosk("customer", id)
    }

    /// `R.ev.kiosk.<device>.order.<id>` (OrderCreated only).
    pub fn order(&self, id: impl std::fmt::Display) -> String {
        self.kiosk("order", id)
    }

    /// `R.ev.kiosk.<device>.orderreq.<id>` (cancellation and pickup requests).
    pub fn order_request(&self, id: impl std::fmt::Display) -> String {
        self.kiosk("orderreq", id)
    }

    /// `R.ev.desk.<device>.pickupreq.<order-id>` (a desk's pickup requests of one order).
    pub fn pickup_request(&self, order: impl std::fmt::Display) -> String {
        format!("{}.ev.desk.{}.pickupreq.{order}", self.root, self.device)
    }

    /// `R.ev.desk.<device>.stopreq.<request-id>` (a stop prepared at the counter).
    pub fn stop_request(&self, request: impl std::fmt::Display) -> String {
        format!("{}.ev.desk.{}.stopreq.{request}", self.root, self.device)
    }

    /// `R.ev.catalog.<store>.store.<store>`.
    pub fn store(&self, store: impl std::fmt::Display) -> String {
        format!("{}.ev.catalog.{store}.store.{store}", self.root)
    }

    /// `R.ev.catalog.<store>.product.<id>`.
    pub fn product(&self, store: impl std::fmt::Display, id: impl std::fmt::Display) -> String {
        format!("{}.ev.catalog.{store}.product.{id}", self.root)
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
