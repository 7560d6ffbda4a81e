//! Central over the simulated bus: its consumers, the real saga runner ([`drive`] over
//! [`SimSagaIo`]), and the command, desk and dispatch roles, which decide with the domain's
//! aggregates (`Order`, `Payment`, `ShoppingList`) and keep their state where production keeps
//! it: events on the subjects, state in KV buckets with compare-and-set. A handler may crash
//! part way through ([`Cx`]): its effects so far stay, it is not acknowledged, and the
//! redelivery must cope.

pub mod bots;
mod commands;
mod cx;
pub mod depot;
mod desk;
mod notifications;
mod ordering;
pub mod orders;
mod payments;
mod saga_io;
mod sim_io;
mod views;

pub use sim_io::DECLINED_CARD;

pub use cx::{Crash, Cx};
pub use saga_io::SAGAS as SAGAS_BUCKET;

use crate::bus::{Bus, Delivery, StreamName};
use crate::effects::Effects;
use crate::faults::{Faults, Planted};
use crate::rng::Rng;
use futures::future::LocalBoxFuture;
use mallbots_central::platform::worker::Redelivery;
use sim_io::SharedCx;
use std::collections::BTreeSet;
use std::time::Duration;

/// Central's durable consumers: `(name, filters)`.
pub fn consumers(root: &str) -> Vec<(&'static str, Vec<String>)> {
    vec![
        (
            "saga-orders",
            vec![
                format!("{root}.ev.kiosk.*.order.*"),
                format!("{root}.ev.kiosk.*.orderreq.*"),
            ],
        ),
        (
            "saga-replies",
            vec![format!("{root}.reply.*"), format!("{root}.timer.*")],
        ),
        ("commands", vec![format!("{root}.cmd.>")]),
        ("desk", vec![format!("{root}.ev.desk.*.pickupreq.*")]),
        (
            "notifications",
            vec![
                format!("{root}.ev.kiosk.*.order.*"),
                format!("{root}.ev.order.*.*"),
            ],
        ),
    ]
}

/// Consumers two replicas take messages from at once, their handlers interleaving.
const REPLICATED: [&str; 3] = ["saga-orders", "saga-replies", "commands"];

/// The consumer bots pull shopping lists from.
pub const DISPATCH: &str = "dispatch";
/// How long a handler may hold a message unacknowledged (ms).
pub const ACK_WAIT_MS: i64 = 2_000;
/// How long a bot may hold a list without an in-progress ack (ms).
pub const DISPATCH_ACK_WAIT_MS: i64 = 3_000;

/// Creates central's consumers (what `ensure_topology` does in production).
pub fn provision(bus: &mut Bus) {
    let root = bus.root().to_owned();
    for (name, filters) in consumers(&root) {
        // Kiosk and desk events live in the events stream, the rest in the commands stream.
        let stream = match name {
            "saga-orders" | "desk" | "notifications" => StreamName::Events,
            _ => StreamName::Commands,
        };
        bus.add_consumer(name, stream, &filters, ACK_WAIT_MS, MAX_DELIVER);
    }
    bus.add_consumer(
        DISPATCH,
        StreamName::Dispatch,
        &[format!("{root}.dispatch.list.*")],
        DISPATCH_ACK_WAIT_MS,
        1_000,
    );
}

/// Runs `deliveries` at once, one per replica, over one shared context (their reads and writes
/// interleave at every I/O).
fn on_replicas<'c, 'a>(
    cx: &'c mut Cx<'a>,
    deliveries: &[Delivery],
    runtime: &tokio::runtime::Runtime,
    run: for<'s> fn(
        &'s SharedCx<'c, 'a>,
        &'s Delivery,
        usize,
    ) -> LocalBoxFuture<'s, Result<Outcome, Crash>>,
) -> Vec<Result<Outcome, Crash>> {
    let shared = SharedCx::new(cx);
    let runs = deliveries
        .iter()
        .enumerate()
        .map(|(replica, d)| run(&shared, d, replica));
    runtime.block_on(futures::future::join_all(runs))
}

/// Deliveries a central consumer allows (production's `max_deliver`).
pub const MAX_DELIVER: u32 = 50;
/// The consumers' back-off step for a nak without a delay.
const BACKOFF: [Duration; 1] = [Duration::from_millis(500)];

/// What production's worker makes of a handler's `outcome` on delivery number `delivered`
/// ([`Redelivery::settle`]): a nak on the last allowed delivery is dead-lettered.
fn settle(outcome: Outcome, delivered: u32) -> Outcome {
    let limits = Redelivery {
        max_deliver: i64::from(MAX_DELIVER),
        backoff: &BACKOFF,
    };
    let production = match outcome {
        Outcome::Ack => mallbots_central::Outcome::Ack,
        Outcome::Nak(ms) => mallbots_central::Outcome::Nak {
            delay: Some(Duration::from_millis(ms.max(0) as u64)),
        },
        Outcome::Term(reason) => mallbots_central::Outcome::Term { reason },
    };
    limits.settle(Ok(production), i64::from(delivered)).0.into()
}

/// What a handler says to do with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Ack,
    /// Again after `delay` ms.
    Nak(i64),
    /// Never: dead-letter.
    Term(String),
}

impl From<mallbots_central::Outcome> for Outcome {
    /// Production's outcome (a nak without a delay waits the consumer's back-off, 500 ms here).
    fn from(outcome: mallbots_central::Outcome) -> Self {
        match outcome {
            mallbots_central::Outcome::Ack => Outcome::Ack,
            mallbots_central::Outcome::Nak { delay } => {
                Outcome::Nak(delay.map_or(500, |d| d.as_millis() as i64))
            }
            mallbots_central::Outcome::Term { reason } => Outcome::Term(reason),
        }
    }
}

/// What a step runs under: the time, the faults, the planted bugs, central's async runtime.
pub struct Env<'a> {
    /// Now (ms).
    pub now: i64,
    /// Fault rates in force.
    pub faults: &'a Faults,
    /// Bugs planted on purpose.
    pub planted: &'a BTreeSet<Planted>,
    /// Runs central's async handlers (one thread, time paused).
    pub runtime: &'a tokio::runtime::Runtime,
}

/// One central handler step on `consumer`: fetch a message, handle it, settle it. `None` if
/// the consumer had nothing.
pub fn step(
    bus: &mut Bus,
    effects: &mut Effects,
    rng: &mut Rng,
    env: &Env<'_>,
    consumer: &str,
) -> Option<String> {
    let (now, faults, planted, runtime) = (env.now, env.faults, env.planted, env.runtime);
    let first = bus.fetch(consumer, now)?;
    let mut deliveries = vec![first];
    if REPLICATED.contains(&consumer) {
        // Two replicas take a message each and run at once; now and then the second one gets
        // the first one's message again (its ack wait ran out while the first was slow).
        if rng.chance(200) {
            let mut again = deliveries[0].clone();
            again.delivered += 1;
            deliveries.push(again);
        } else {
            deliveries.extend(bus.fetch(consumer, now));
        }
    }
    let mut notes = Vec::new();
    deliveries.retain(|d| {
        let lost = rng.chance(faults.delivery_lost);
        if lost {
            notes.push(format!(
                "{consumer}: {} #{} lost on the way",
                d.message.subject, d.message.seq
            ));
        }
        !lost
    });
    if deliveries.is_empty() {
        return Some(notes.join(" | "));
    }
    let crash_after = rng
        .chance(faults.handler_crash)
        .then(|| rng.below(4) as u32);
    let mut cx = Cx::new(bus, effects, now, planted, crash_after);
    let outcomes: Vec<Result<Outcome, Crash>> = match consumer {
        "saga-replies" => orders::handle_replies(&mut cx, &deliveries),
        "commands" => on_replicas(&mut cx, &deliveries, runtime, |s, d, r| {
            Box::pin(commands::run(s, d, r))
        }),
        "saga-orders" => on_replicas(&mut cx, &deliveries, runtime, |s, d, r| {
            Box::pin(orders::run(s, d, r))
        }),
        _ => {
            let d = &deliveries[0];
            vec![match consumer {
                "desk" => desk::handle(&mut cx, d, runtime),
                "notifications" => notifications::handle(&mut cx, d, runtime),
                other => Ok(Outcome::Term(format!("no handler for {other}"))),
            }]
        }
    };
    for (delivery, outcome) in deliveries.iter().zip(outcomes) {
        let (subject, seq) = (&delivery.message.subject, delivery.message.seq);
        let outcome = outcome.map(|o| settle(o, delivery.delivered));
        let note = match outcome {
            Err(Crash) => "replica crashed".to_owned(),
            Ok(Outcome::Ack) => {
                if !rng.chance(faults.consumer_ack_lost) {
                    bus.ack(consumer, seq);
                }
                "ack".to_owned()
            }
            Ok(Outcome::Nak(delay)) => {
                bus.nak(consumer, seq, delay, now);
                format!("nak {delay}ms")
            }
            Ok(Outcome::Term(reason)) => {
                bus.term(consumer, seq, subject, &reason);
                format!("term: {reason}")
            }
        };
        notes.push(format!(
            "{consumer}: {subject} #{seq} (delivery {}) {note}",
            delivery.delivered
        ));
    }
    Some(notes.join(" | "))
}
