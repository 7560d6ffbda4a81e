//! The `payments` role: `<root>.cmd.payments.*` (consumer `cmd-payments`) with the
//! `domain::payments` aggregates stored as events on `<root>.ev.payments.payment.<id>` and
//! `…invoice.<id>`, and a [`gateway::PaymentGateway`] (the fake by default).
//!
//! | name | payload | effect |
//! |---|---|---|
//! | `authorize_payment` | `SagaCommand` | gateway authorize → PaymentAuthorized / PaymentDeclined; reply |
//! | `void_payment` | `SagaCommand` or [`crate::platform::commands::VoidPayment`] | gateway void → PaymentVoided (a tombstone if never authorized); reply if a saga's |
//! | `create_invoice` | [`crate::platform::commands::CreateInvoice`] | InvoiceCreated (order ready) |
//! | `capture` | [`crate::platform::commands::Capture`] | gateway capture → PaymentCaptured, InvoicePaid, then `cmd.ordering.record_pickup` |
//!
//! Everything is idempotent by command id: it is the gateway's idempotency key and the seed of
//! the event ids, and each aggregate's state decides what is left to do. A capture is keyed by
//! its payment instead ([`pickup::capture_key`]): two pickup requests send two capture commands,
//! and run at once by two replicas both would otherwise charge.

mod execute;
pub mod gateway;
#[cfg(test)]
mod gateway_tests;
pub mod handler;
pub mod io;
mod pickup;
pub mod store;

use mallbots_domain::{InvoiceId, PaymentId};
use mallbots_wire::subjects::{EventSubject, PaymentsKind};

use crate::platform::service::Runtime;
use crate::platform::topology::Topology;
use crate::platform::HandlerRegistry;

/// `<root>.ev.payments.payment.<id>`.
pub fn payment_subject(topology: &Topology, id: PaymentId) -> String {
    topology.event_subject(EventSubject::Payments {
        kind: PaymentsKind::Payment,
        id: id.to_string(),
    })
}

/// `<root>.ev.payments.invoice.<id>`.
pub fn invoice_subject(topology: &Topology, id: InvoiceId) -> String {
    topology.event_subject(EventSubject::Payments {
        kind: PaymentsKind::Invoice,
        id: id.to_string(),
    })
}

/// Registers `cmd-payments` (role payments) with the gateway of the `payments` settings.
pub fn register(rt: &Runtime, registry: &mut HandlerRegistry) {
    registry.register(
        "cmd-payments",
        handler::PaymentsHandler::new(rt.clone(), gateway::from_settings(&rt.settings.payments)),
    );
}
