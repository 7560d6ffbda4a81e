//! The event subjects (docs/architecture.md §5), typed: every `<root>.ev.…` subject the edge and central write
//! is an [`EventSubject`] under a root, built with [`Subject`]'s `Display` and read back with
//! [`Subject::parse`] (the two round-trip: property-tested). One writer per subject, and the
//! subject says who it is:
//!
//! | subject (under `R.ev.`) | written by |
//! |---|---|
//! | `kiosk.<device>.{basket,customer,order,orderreq}.<id>` | that kiosk (any device's own events) |
//! | `desk.<device>.{pickupreq,stopreq}.<id>` | that manager or depot desk |
//! | `catalog.<store>.{store,product}.<id>` | the store's managers |
//! | `order.<device>.<order>` | central: an order's status, for the kiosk that took it |
//! | `store.<store>.orderline.<order>` | central: an order's line of one store, for its desks |
//! | `deskans.<device>.<id>` | central: its answer to a desk's request |
//! | `depot.{bot,list}.<id>` | central: robots and shopping lists |
//! | `payments.{payment,invoice}.<id>` | central: payments and invoices |
//!
//! A field may be `*` (or the tail `>`) to make a filter pattern of the same shape.

use std::fmt;

/// What a device writes under its own `kiosk.<device>` subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KioskKind {
    /// A cart.
    Basket,
    /// A customer.
    Customer,
    /// An order (its `OrderCreated`).
    Order,
    /// A request about an order (cancellation).
    OrderRequest,
}

/// What a desk writes under `desk.<device>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeskKind {
    /// A pickup (hand-over) request of an order.
    PickupRequest,
    /// A stop prepared at the counter.
    StopRequest,
}

/// What a catalog subject holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CatalogKind {
    /// The store itself.
    Store,
    /// One of its products.
    Product,
}

/// What a depot subject holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepotKind {
    /// A robot.
    Bot,
    /// A shopping list.
    List,
}

/// What a payments subject holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentsKind {
    /// A payment.
    Payment,
    /// An invoice.
    Invoice,
}

macro_rules! tokens {
    ($kind:ident { $($variant:ident => $token:literal),+ $(,)? }) => {
        impl $kind {
            /// The subject token.
            pub const fn token(self) -> &'static str {
                match self { $($kind::$variant => $token),+ }
            }

            /// The kind a subject token names.
            pub fn from_token(token: &str) -> Option<Self> {
                match token { $($token => Some($kind::$variant),)+ _ => None }
            }
        }
    };
}

tokens!(KioskKind { Basket => "basket", Customer => "customer", Order => "order", OrderRequest => "orderreq" });
tokens!(DeskKind { PickupRequest => "pickupreq", StopRequest => "stopreq" });
tokens!(CatalogKind { Store => "store", Product => "product" });
tokens!(DepotKind { Bot => "bot", List => "list" });
tokens!(PaymentsKind { Payment => "payment", Invoice => "invoice" });

/// An event subject without its root (the part after `R.ev.`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventSubject {
    /// `kiosk.<device>.<kind>.<id>`: a device's own events.
    Kiosk {
        /// The writing device.
        device: String,
        /// What it is about.
        kind: KioskKind,
        /// The aggregate id.
        id: String,
    },
    /// `desk.<device>.<kind>.<id>`: a desk's requests.
    Desk {
        /// The writing desk.
        device: String,
        /// Which request.
        kind: DeskKind,
        /// The order (pickup) or request id (stop).
        id: String,
    },
    /// `catalog.<store>.<kind>.<id>`: a store's catalog.
    Catalog {
        /// The store.
        store: String,
        /// The store itself or a product.
        kind: CatalogKind,
        /// The aggregate id.
        id: String,
    },
    /// `order.<device>.<order>`: central's order events for the kiosk that took the order.
    Order {
        /// The kiosk.
        device: String,
        /// The order.
        order: String,
    },
    /// `store.<store>.orderline.<order>`: central's order line of one store.
    OrderLine {
        /// The store.
        store: String,
        /// The order.
        order: String,
    },
    /// `deskans.<device>.<id>`: central's answer to a desk's request.
    DeskAnswer {
        /// The desk.
        device: String,
        /// The request's key (the order of a pickup).
        id: String,
    },
    /// `depot.<kind>.<id>`: robots and shopping lists.
    Depot {
        /// Robot or list.
        kind: DepotKind,
        /// Its id.
        id: String,
    },
    /// `payments.<kind>.<id>`: payments and invoices.
    Payments {
        /// Payment or invoice.
        kind: PaymentsKind,
        /// Its id.
        id: String,
    },
}

impl fmt::Display for EventSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventSubject::Kiosk { device, kind, id } => {
                write!(f, "ev.kiosk.{device}.{}.{id}", kind.token())
            }
            EventSubject::Desk { device, kind, id } => {
                write!(f, "ev.desk.{device}.{}.{id}", kind.token())
            }
            EventSubject::Catalog { store, kind, id } => {
                write!(f, "ev.catalog.{store}.{}.{id}", kind.token())
            }
            EventSubject::Order { device, order } => write!(f, "ev.order.{device}.{order}"),
            EventSubject::OrderLine { store, order } => {
                write!(f, "ev.store.{store}.orderline.{order}")
            }
            EventSubject::DeskAnswer { device, id } => write!(f, "ev.deskans.{device}.{id}"),
            EventSubject::Depot { kind, id } => write!(f, "ev.depot.{}.{id}", kind.token()),
            EventSubject::Payments { kind, id } => {
                write!(f, "ev.payments.{}.{id}", kind.token())
            }
        }
    }
}

impl EventSubject {
    /// Reads `ev.…` tokens (the root already taken off). `None` if they are not an event
    /// subject of the shapes above.
    pub fn from_tokens(tokens: &[&str]) -> Option<Self> {
        let owned = |s: &str| s.to_owned();
        Some(match tokens {
            ["ev", "kiosk", device, kind, id] => EventSubject::Kiosk {
                device: owned(device),
                kind: KioskKind::from_token(kind)?,
                id: owned(id),
            },
            ["ev", "desk", device, kind, id] => EventSubject::Desk {
                device: owned(device),
                kind: DeskKind::from_token(kind)?,
                id: owned(id),
            },
            ["ev", "catalog", store, kind, id] => EventSubject::Catalog {
                store: owned(store),
                kind: CatalogKind::from_token(kind)?,
                id: owned(id),
            },
            ["ev", "order", device, order] => EventSubject::Order {
                device: owned(device),
                order: owned(order),
            },
            ["ev", "store", store, "orderline", order] => EventSubject::OrderLine {
                store: owned(store),
                order: owned(order),
            },
            ["ev", "deskans", device, id] => EventSubject::DeskAnswer {
                device: owned(device),
                id: owned(id),
            },
            ["ev", "depot", kind, id] => EventSubject::Depot {
                kind: DepotKind::from_token(kind)?,
                id: owned(id),
            },
            ["ev", "payments", kind, id] => EventSubject::Payments {
                kind: PaymentsKind::from_token(kind)?,
                id: owned(id),
            },
            _ => return None,
        })
    }

    /// The device whose own subject this is (kiosk and desk subjects), if any.
    pub fn writer_device(&self) -> Option<&str> {
        match self {
            EventSubject::Kiosk { device, .. } | EventSubject::Desk { device, .. } => Some(device),
            _ => None,
        }
    }
}

/// A whole event subject: a root (one or more tokens, e.g. `mallbots` or `t1.mallbots`) and
/// the [`EventSubject`] under it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    /// The subject root.
    pub root: String,
    /// What follows it.
    pub event: EventSubject,
}

impl Subject {
    /// `event` under `root`.
    pub fn new(root: impl Into<String>, event: EventSubject) -> Self {
        Self {
            root: root.into(),
            event,
        }
    }

    /// Reads an event subject whose root is not known: the root is what precedes the first
    /// `ev` token after which the rest is an event subject.
    pub fn parse(subject: &str) -> Option<Self> {
        let tokens: Vec<&str> = subject.split('.').collect();
        (1..tokens.len()).find_map(|i| {
            let event = EventSubject::from_tokens(&tokens[i..])?;
            Some(Self::new(tokens[..i].join("."), event))
        })
    }

    /// Reads `subject` under a known `root` (`None` if it is under another root).
    pub fn parse_under(root: &str, subject: &str) -> Option<EventSubject> {
        let tail = subject.strip_prefix(root)?.strip_prefix('.')?;
        let tokens: Vec<&str> = tail.split('.').collect();
        EventSubject::from_tokens(&tokens)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.root, self.event)
    }
}

impl std::str::FromStr for Subject {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("`{s}` is not an event subject"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn token() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9_-]{1,12}"
    }

    fn event() -> impl Strategy<Value = EventSubject> {
        let kiosk = prop_oneof![
            Just(KioskKind::Basket),
            Just(KioskKind::Customer),
            Just(KioskKind::Order),
            Just(KioskKind::OrderRequest)
        ];
        let desk = prop_oneof![Just(DeskKind::PickupRequest), Just(DeskKind::StopRequest)];
        let catalog = prop_oneof![Just(CatalogKind::Store), Just(CatalogKind::Product)];
        let depot = prop_oneof![Just(DepotKind::Bot), Just(DepotKind::List)];
        let payments = prop_oneof![Just(PaymentsKind::Payment), Just(PaymentsKind::Invoice)];
        prop_oneof![
            (token(), kiosk, token()).prop_map(|(device, kind, id)| EventSubject::Kiosk {
                device,
                kind,
                id
            }),
            (token(), desk, token()).prop_map(|(device, kind, id)| EventSubject::Desk {
                device,
                kind,
                id
            }),
            (token(), catalog, token()).prop_map(|(store, kind, id)| EventSubject::Catalog {
                store,
                kind,
                id
            }),
            (token(), token()).prop_map(|(device, order)| EventSubject::Order { device, order }),
            (token(), token()).prop_map(|(store, order)| EventSubject::OrderLine { store, order }),
            (token(), token()).prop_map(|(device, id)| EventSubject::DeskAnswer { device, id }),
            (depot, token()).prop_map(|(kind, id)| EventSubject::Depot { kind, id }),
            (payments, token()).prop_map(|(kind, id)| EventSubject::Payments { kind, id }),
        ]
    }

    proptest! {
        #[test]
        fn subjects_round_trip_under_any_root(
            root in prop::collection::vec(token(), 1..3),
            event in event(),
        ) {
            // A root of `ev` tokens is ambiguous by design; the product's roots are not.
            prop_assume!(!root.iter().any(|t| t == "ev"));
            let subject = Subject::new(root.join("."), event);
            let text = subject.to_string();
            prop_assert_eq!(Subject::parse(&text), Some(subject.clone()));
            prop_assert_eq!(Subject::parse_under(&subject.root, &text), Some(subject.event));
        }
    }

    #[test]
    fn the_subjects_of_the_design() {
        let s = |e| Subject::new("t1.mallbots", e).to_string();
        assert_eq!(
            s(EventSubject::Kiosk {
                device: "k1".into(),
                kind: KioskKind::OrderRequest,
                id: "o".into()
            }),
            "t1.mallbots.ev.kiosk.k1.orderreq.o"
        );
        assert_eq!(
            s(EventSubject::OrderLine {
                store: "s".into(),
                order: "o".into()
            }),
            "t1.mallbots.ev.store.s.orderline.o"
        );
        let parsed: Subject = "mallbots.ev.kiosk.k1.order.42".parse().unwrap();
        assert_eq!(parsed.root, "mallbots");
        assert_eq!(parsed.event.writer_device(), Some("k1"));
        for bad in [
            "mallbots.ev.order.k1",
            "mallbots.ev.kiosk.k1.cart.1",
            "mallbots.cmd.depot.x",
            "ev",
            "",
        ] {
            assert_eq!(Subject::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Subject::parse_under("a", "b.ev.depot.bot.1"),
            None,
            "another root"
        );
    }
}
