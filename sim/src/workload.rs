//! The workload the seed draws: the mall's opening (stores, products, the catalog on every
//! device), customers ordering and asking to cancel at the kiosks, managers repricing, customers
//! picking orders up at the depot desk. Each goes through the edge's API, as the apps do.

use crate::central::DECLINED_CARD;
use crate::faults::Faults;
use crate::invariants;
use crate::world::{Placed, World, DEPOT, MANAGER};
use mallbots_domain::OrderId;
use mallbots_edge::NewProduct;

impl World {
    /// The mall opens with its catalog on every device (synced before the faults start).
    pub(crate) fn publish_catalog(&mut self) {
        for _ in 0..100 {
            let settled = self.devices.iter().all(|d| {
                d.pending_outbox() == 0
                    && d.edge().products(None, None).map(|p| p.len()).unwrap_or(0)
                        == self.products.len()
            });
            if settled {
                return;
            }
            for i in 0..self.devices.len() {
                let _ = self.devices[i].relay(&mut self.bus, &mut self.rng, &Faults::NONE);
                let _ = self.devices[i].pull(&mut self.bus, &mut self.rng, &Faults::NONE);
            }
        }
    }

    /// The manager opens two participating stores with a few products each.
    pub(crate) fn open_stores(&mut self) {
        let edge = self.devices[MANAGER].edge();
        for (s, name) in ["Tea House", "Book Nook"].iter().enumerate() {
            let store = edge
                .create_store(name, &format!("Level {}", s + 1))
                .expect("store");
            edge.set_participation(store.store_id, true)
                .expect("participation");
            edge.set_automated_shopping(store.store_id, true)
                .expect("automated");
            for p in 0..3 {
                let product = edge
                    .add_product(NewProduct {
                        store_id: store.store_id,
                        sku: format!("SKU-{s}-{p}"),
                        name: format!("Item {s}-{p}"),
                        description: String::new(),
                        price_cents: 150 + 100 * p,
                    })
                    .expect("product");
                self.products.push((product.product_id, store.store_id));
            }
        }
    }

    /// A customer at kiosk `i`: places an order (sometimes with a card that is declined), or
    /// asks to cancel one placed here.
    pub(crate) fn kiosk_acts(&mut self, i: usize) {
        let roll = self.rng.below(100);
        if roll < 5 {
            let mine: Vec<OrderId> = self
                .placed
                .iter()
                .filter(|p| p.kiosk == i)
                .map(|p| p.order)
                .collect();
            if let Some(j) = self.rng.index(mine.len()) {
                let r = self.devices[i]
                    .edge()
                    .request_order_cancellation(mine[j], "changed my mind");
                let id = self.devices[i].id.clone();
                self.note(format!(
                    "{id} cancel {}: {}",
                    mine[j],
                    r.map(|o| o.status).unwrap_or_else(|e| e.code().to_owned())
                ));
            }
            return;
        }
        if roll > 45 {
            return;
        }
        let edge = self.devices[i].edge();
        let known = edge.products(None, None).unwrap_or_default();
        if known.is_empty() {
            return;
        }
        let phone = format!("555{:07}", self.rng.below(10_000_000));
        let Ok(customer) = edge.register_customer("Ana", &phone) else {
            return;
        };
        let Ok(cart) = edge.start_cart(Some(customer.customer_id)) else {
            return;
        };
        let lines = self.rng.between(1, 3);
        for _ in 0..lines {
            let p = &known[self.rng.below(known.len() as u64) as usize];
            let qty = self.rng.between(1, 3) as i64;
            let _ = edge.add_item(cart.cart_id, p.product_id, qty);
        }
        let card = if self.rng.chance(100) {
            DECLINED_CARD
        } else {
            "tok_visa"
        };
        let id = self.devices[i].id.clone();
        match self.devices[i]
            .edge()
            .checkout(cart.cart_id, card, Some(customer.customer_id))
        {
            Ok(order) => {
                self.placed.push(Placed {
                    kiosk: i,
                    order: order.order_id,
                    code: order.pickup_code.clone().unwrap_or_default(),
                    mistyped: false,
                });
                self.note(format!("{id} order {} placed ({card})", order.order_id));
            }
            Err(e) => self.note(format!("{id} checkout refused: {}", e.code())),
        }
    }

    /// A store manager at desk `i` changes a price (offline, too: two desks may change one
    /// product meanwhile, and the second to sync rebases).
    pub(crate) fn manager_acts(&mut self, i: usize) {
        if !self.rng.chance(300) {
            return;
        }
        let Some(j) = self.rng.index(self.products.len()) else {
            return;
        };
        let (product, _) = self.products[j];
        let price = 100 + 50 * self.rng.below(16) as i64;
        let r = self.devices[i].edge().reprice_product(product, price);
        let id = self.devices[i].id.clone();
        self.note(format!(
            "{id} reprices {product} to {price}: {}",
            r.map(|p| p.price_cents.to_string())
                .unwrap_or_else(|e| e.code().to_owned())
        ));
    }

    /// A customer at the depot desk picks up a ready order (a wrong code now and then).
    pub(crate) fn pickup(&mut self) {
        let ready: Vec<Placed> = self
            .placed
            .iter()
            .filter(|p| invariants::central_status(self, p) == Some("ready"))
            .cloned()
            .collect();
        let Some(j) = self.rng.index(ready.len()) else {
            return;
        };
        let p = &ready[j];
        // Now and then the customer shows a wrong code (once per order): central refuses it
        // with a coded answer, and the next try with the right code hands the order over.
        let code = if !p.mistyped && self.rng.chance(80) {
            if let Some(placed) = self.placed.iter_mut().find(|q| q.order == p.order) {
                placed.mistyped = true;
            }
            let typed: u32 = p.code.parse().unwrap_or(0);
            format!("{:06}", (typed + 1) % 1_000_000)
        } else {
            p.code.clone()
        };
        let r = self.devices[DEPOT].edge().request_pickup(p.order, &code);
        let line = format!(
            "depot-1 pickup {} (code {code}): {}",
            p.order,
            r.map(|_| "requested".to_owned())
                .unwrap_or_else(|e| e.code().to_owned())
        );
        self.note(line);
    }
}
