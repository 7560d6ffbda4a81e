//! What goes wrong in a run (drawn from the seed), and the bugs a test can plant.

/// Per-mille rates of the injected faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Faults {
    /// A device's publish never reaches the server.
    pub publish_lost: u32,
    /// The server stored a publish but its ack never came back.
    pub ack_lost: u32,
    /// A publish reaches the server twice.
    pub duplicate: u32,
    /// A delivered message never reaches its handler (redelivered after the ack wait).
    pub delivery_lost: u32,
    /// A handler's ack never reaches the server (redelivered: the handler sees it again).
    pub consumer_ack_lost: u32,
    /// A central handler crashes part way through (its effects so far stay, no ack).
    pub handler_crash: u32,
    /// Per step: a device is cut off from the server (for a while).
    pub partition: u32,
    /// Per step: a device process is killed and restarted from its database.
    pub device_crash: u32,
    /// Per step: a bot goes offline while holding a list (back later).
    pub bot_offline: u32,
    /// The server refuses a publish for now (a transient refusal).
    pub refusal: u32,
    /// Per step: every central replica is cut off from the server (for a while).
    pub central_outage: u32,
    /// Per step: the server's `max_payload` for devices is lowered below some of their events
    /// (for a while): those are refused and quarantined (`sync.too_large`) until the operator
    /// restores it and retries them (`sync --retry-quarantined`).
    pub size_limit: u32,
    /// Per step: a manager desk is re-enrolled for the wrong stores (for a while): its catalog
    /// events are forbidden and quarantined (`sync.forbidden_subject`) until it is enrolled
    /// again for its stores and retries them.
    pub wrong_enrollment: u32,
}

impl Faults {
    /// No faults at all.
    pub const NONE: Faults = Faults {
        publish_lost: 0,
        ack_lost: 0,
        duplicate: 0,
        delivery_lost: 0,
        consumer_ack_lost: 0,
        handler_crash: 0,
        partition: 0,
        device_crash: 0,
        bot_offline: 0,
        refusal: 0,
        central_outage: 0,
        size_limit: 0,
        wrong_enrollment: 0,
    };

    /// The default mix: every kind of fault often enough to matter in a short run.
    pub const DEFAULT: Faults = Faults {
        publish_lost: 40,
        ack_lost: 60,
        duplicate: 40,
        delivery_lost: 100,
        consumer_ack_lost: 60,
        handler_crash: 100,
        partition: 4,
        device_crash: 3,
        bot_offline: 10,
        refusal: 20,
        central_outage: 2,
        size_limit: 1,
        wrong_enrollment: 1,
    };
}

/// A bug planted on purpose, to show the simulator finds it (only tests and `--plant` set one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Planted {
    /// Payments call the gateway with a fresh idempotency key on every delivery, so a
    /// redelivered `AuthorizePayment` (a saga step) is applied twice.
    PaymentStepTwice,
    /// A bot acts on a list without checking the dispatch fence (the delivery count stored
    /// by compare-and-set), so a stale bot delivers a list another bot now holds.
    UnfencedDispatch,
    /// Central stamps no predecessor sequence on its events, so a kiosk's inbox applies them
    /// in arrival order instead of subject order.
    InboxOutOfOrder,
    /// The saga's state is written without compare-and-set, so of two replicas driving one
    /// saga at once the later write wins over a transition it never saw.
    BlindSagaWrite,
}

impl Planted {
    /// Every planted bug.
    pub const ALL: [Planted; 4] = [
        Planted::PaymentStepTwice,
        Planted::UnfencedDispatch,
        Planted::InboxOutOfOrder,
        Planted::BlindSagaWrite,
    ];

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Planted::PaymentStepTwice => "payment-step-twice",
            Planted::UnfencedDispatch => "unfenced-dispatch",
            Planted::InboxOutOfOrder => "inbox-out-of-order",
            Planted::BlindSagaWrite => "blind-saga-write",
        }
    }

    /// The bug named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}
