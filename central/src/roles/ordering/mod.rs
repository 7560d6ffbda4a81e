//! The ordering context in central (role saga): the Order aggregate folded from the kiosk's and
//! central's subjects ([`store`]), decided with `domain::ordering`, appended on
//! `<root>.ev.order.<device>.<id>` with the expected last subject sequence, plus order lines for
//! the stores involved ([`lines`]).
//!
//! Inputs: `<root>.cmd.ordering.*` ([`handler`]) and the kiosk's cancellation requests on
//! `…orderreq.<id>` (routed here by `saga-orders`). Every change is idempotent by its cause (a
//! command id or the request's event id): the event id derives from it, so a retried command
//! finds its event already stored and only repeats the follow-ups (which are idempotent too).

pub mod handler;
pub mod io;
pub mod lines;
pub mod store;

use bytes::Bytes;
use mallbots_domain::error::ErrorCode;
use mallbots_domain::ordering::{
    CancelledBy, Order, OrderCommand, OrderError, OrderEvent, MAX_REASON_CHARS,
};
use mallbots_domain::saga::{list_id_for, payment_id_for, CommandMeta, ReplyOutcome};
use mallbots_domain::{Aggregate, DomainEvent, OrderId, SagaId, Timestamp};
use mallbots_wire::service_subjects::CommandContext;
use serde::Serialize;

use crate::platform::commands::{invoice_id_for, Capture};
use crate::platform::commands::{CancelList, VoidPayment};
use crate::platform::envelope::{self, EventMeta};
use crate::platform::error::PublishError;
use crate::platform::handler::Outcome;
use crate::platform::service::Runtime;
use crate::platform::topology::Topology;
use crate::platform::HandlerRegistry;
use io::OrderingIo;
use std::sync::Arc;

pub use store::{LoadedOrder, OrderStore, OrderingError};

/// What became of an order command.
#[derive(Debug, Clone)]
pub enum Executed {
    /// A new event was appended.
    Applied {
        /// The order after it.
        order: Order,
        /// The event.
        event: OrderEvent,
    },
    /// The cause's event is already stored (a retry).
    AlreadyDone {
        /// The order as loaded.
        order: Order,
    },
    /// A rule of the order refused it.
    Refused {
        /// The order as loaded.
        order: Order,
        /// The rule.
        error: OrderError,
    },
}

/// Loads, decides and appends orders, over an I/O edge ([`io::OrderingIo`]: JetStream in
/// production, the simulator's bus in `mallbots-sim`).
#[derive(Clone)]
pub struct Ordering<'io> {
    topology: Topology,
    io: Arc<dyn OrderingIo + 'io>,
    store: OrderStore<'io>,
}

impl std::fmt::Debug for Ordering<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ordering").finish_non_exhaustive()
    }
}

impl Ordering<'static> {
    /// Ordering over the runtime's streams and buckets.
    pub fn new(rt: Runtime) -> Self {
        Self::over(Arc::new(io::NatsOrderingIo::new(rt)))
    }
}

impl<'io> Ordering<'io> {
    /// Ordering over `io`.
    pub fn over(io: Arc<dyn OrderingIo + 'io>) -> Self {
        Self {
            store: OrderStore::new(io.topology().clone(), io.clone()),
            topology: io.topology().clone(),
            io,
        }
    }

    /// The last four digits of the order's customer's SMS number, from central's customers view;
    /// `None` when unknown or unreadable (the lines go out without them).
    async fn phone_last4(&self, order: &Order) -> Option<String> {
        let number = self.io.customer_phone(order.customer_id()).await?;
        mallbots_domain::ordering::phone_last4(&number)
    }

    /// The order as stored now.
    pub async fn store_load(&self, order_id: OrderId) -> Result<LoadedOrder, OrderingError> {
        self.store.load(order_id).await
    }

    /// Replies to the saga on `<root>.reply.<saga>` (msg-id `reply/<command id>`), as a handler
    /// outcome.
    pub async fn reply(&self, meta: &CommandMeta, outcome: ReplyOutcome) -> Outcome {
        let mut input = crate::platform::saga_reply::reply_input(meta, outcome);
        input.at = Timestamp::from_millis(self.io.now_ms());
        let subject = self.topology.reply_subject(&meta.saga_id.to_string());
        let sent = match serde_json::to_vec(&input) {
            Ok(payload) => {
                self.io
                    .publish(&subject, &input.input_id, Bytes::from(payload))
                    .await
            }
            Err(e) => Err(PublishError::Other {
                subject: subject.clone(),
                reason: e.to_string(),
            }),
        };
        match sent {
            Ok(()) => Outcome::Ack,
            Err(e) => {
                tracing::warn!(error = %e, saga = %meta.saga_id, "reply not sent");
                Outcome::Nak { delay: None }
            }
        }
    }

    /// Decides `decide(order)` for `order_id`, caused by `cause`, appending the event (reloading
    /// on a concurrent write) and the order lines. Returns the result and the kiosk device.
    pub async fn execute(
        &self,
        order_id: OrderId,
        cause: &str,
        decide: impl Fn(&Order) -> OrderCommand,
    ) -> Result<(Executed, String), OrderingError> {
        let event_id = envelope::event_id_for(cause, 0);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let loaded = self.store.load(order_id).await?;
            if loaded.event_ids.contains(&event_id) {
                // A retry: the event is stored, but its lines may not be (the publish that
                // failed is why the command came back): those not on their subjects yet.
                let phone = self.phone_last4(&loaded.order).await;
                lines::publish_lines(
                    self.io.as_ref(),
                    &loaded.order,
                    &loaded.device,
                    &event_id,
                    loaded.last_seq,
                    loaded.order.updated_at(),
                    phone.as_deref(),
                    lines::Publishing::Again,
                )
                .await?;
                return Ok((
                    Executed::AlreadyDone {
                        order: loaded.order,
                    },
                    loaded.device,
                ));
            }
            let command = decide(&loaded.order);
            let event = match loaded.order.decide(&command) {
                Ok(mut events) if !events.is_empty() => events.remove(0),
                Ok(_) => {
                    return Ok((
                        Executed::AlreadyDone {
                            order: loaded.order,
                        },
                        loaded.device,
                    ))
                }
                Err(error) => {
                    let order = loaded.order;
                    return Ok((Executed::Refused { order, error }, loaded.device));
                }
            };
            let meta = EventMeta {
                event_id: event_id.clone(),
                stream_type: Order::STREAM_TYPE,
                stream_id: order_id.to_string(),
                occurred_at: event.at().millis(),
                correlation_id: order_id.to_string(),
                causation_id: cause.to_string(),
            };
            let published = match append(
                self.io.as_ref(),
                &loaded.subject,
                loaded.last_seq,
                &event,
                &meta,
            )
            .await
            {
                Ok(p) => p,
                Err(PublishError::WrongLastSequence { .. }) if attempt < 20 => continue,
                Err(e) => return Err(e.into()),
            };
            let mut order = loaded.order;
            order.apply(&event);
            tracing::info!(order = %order_id, event = event.event_type(), "order event appended");
            let phone = self.phone_last4(&order).await;
            lines::publish_lines(
                self.io.as_ref(),
                &order,
                &loaded.device,
                &event_id,
                published,
                event.at(),
                phone.as_deref(),
                lines::Publishing::First,
            )
            .await?;
            return Ok((Executed::Applied { order, event }, loaded.device));
        }
    }

    /// Publishes a follow-up command `<root>.cmd.<context>.<name>` with msg-id `command_id`.
    pub async fn send<T: Serialize>(
        &self,
        context: CommandContext,
        name: &str,
        command_id: &str,
        payload: &T,
    ) -> Result<(), PublishError> {
        let subject = self.topology.command_subject(context, name);
        let bytes = serde_json::to_vec(payload).map_err(|e| PublishError::Other {
            subject: subject.clone(),
            reason: e.to_string(),
        })?;
        self.io
            .publish(&subject, command_id, Bytes::from(bytes))
            .await
    }

    /// Asks payments to capture the order's payment and pay its invoice (a hand-over), with
    /// msg-id `command_id`; payments then records the pickup with ordering.
    pub async fn send_capture(
        &self,
        order_id: OrderId,
        command_id: String,
        at: Timestamp,
    ) -> Result<(), PublishError> {
        let capture = Capture {
            command_id,
            order_id,
            payment_id: payment_id_for(SagaId::from(order_id)),
            invoice_id: invoice_id_for(order_id),
            at,
        };
        self.send(
            CommandContext::Payments,
            "capture",
            &capture.command_id,
            &capture,
        )
        .await
    }

    /// After a cancellation: withdraw the list (depot) and void the payment (payments).
    pub async fn after_cancel(
        &self,
        order_id: OrderId,
        cause: &str,
        at: Timestamp,
    ) -> Result<(), PublishError> {
        let saga = SagaId::from(order_id);
        let cancel = CancelList {
            command_id: envelope::derived_id(cause, "cancel_list").to_string(),
            order_id,
            list_id: list_id_for(saga),
            at,
        };
        self.send(
            CommandContext::Depot,
            "cancel_list",
            &cancel.command_id,
            &cancel,
        )
        .await?;
        let void = VoidPayment {
            command_id: envelope::derived_id(cause, "void_payment").to_string(),
            order_id,
            payment_id: payment_id_for(saga),
            at,
        };
        self.send(
            CommandContext::Payments,
            "void_payment",
            &void.command_id,
            &void,
        )
        .await
    }

    /// A kiosk's request on `…kiosk.<device>.orderreq.<id>`: a cancellation request is granted
    /// (`OrderCanceled` by customer, then list canceled and payment voided) or refused
    /// (`OrderCancelRefused`) once shopping has finished.
    ///
    /// Authorized by the device in the subject (docs/architecture.md §5): only the kiosk on whose subject the
    /// order was created may ask. Another kiosk's request, an over-long reason or anything but a
    /// cancellation request is dead-lettered with the reason and changes nothing.
    pub async fn on_request(&self, device: &str, event: &OrderEvent, event_id: &str) -> Outcome {
        let OrderEvent::OrderCancellationRequested {
            order_id, reason, ..
        } = event
        else {
            return Outcome::Term {
                reason: format!(
                    "order request {} from {device}: only OrderCancellationRequested is a request",
                    event.event_type()
                ),
            };
        };
        if reason.chars().take(MAX_REASON_CHARS + 1).count() > MAX_REASON_CHARS {
            return Outcome::Term {
                reason: format!(
                    "{}: cancellation reason of order {order_id} from {device} is longer than \
                     {MAX_REASON_CHARS} characters",
                    OrderError::ReasonInvalid.code()
                ),
            };
        }
        match self.store.load(*order_id).await {
            Ok(loaded) if loaded.device != device => {
                tracing::warn!(order = %order_id, device, owner = %loaded.device,
                    "cancellation request from another kiosk refused");
                return Outcome::Term {
                    reason: format!(
                        "order.not_your_order: kiosk {device} asked to cancel order {order_id} \
                         created on kiosk {}",
                        loaded.device
                    ),
                };
            }
            Ok(_) => {}
            Err(OrderingError::NotFound(_)) => {
                return Outcome::Nak {
                    delay: Some(std::time::Duration::from_secs(1)),
                }
            }
            Err(e) => {
                tracing::warn!(order = %order_id, error = %e, "order not loadable; retrying");
                return Outcome::Nak { delay: None };
            }
        }
        let at = Timestamp::from_millis(self.io.now_ms());
        let reason = if reason.trim().is_empty() {
            "customer_request".to_string()
        } else {
            reason.clone()
        };
        let result = self
            .execute(*order_id, event_id, |order| {
                let status = order.status();
                if status.shopping_finished() {
                    OrderCommand::RefuseCancellation {
                        reason: OrderError::CancelAfterShoppingFinished.code().to_string(),
                        at,
                    }
                } else if status.is_closed() {
                    OrderCommand::RefuseCancellation {
                        reason: OrderError::AlreadyClosed { status }.code().to_string(),
                        at,
                    }
                } else {
                    OrderCommand::CancelOrder {
                        reason: reason.clone(),
                        by: CancelledBy::Customer,
                        at,
                    }
                }
            })
            .await;
        self.finish_cancel(*order_id, event_id, at, result).await
    }

    /// Follow-ups of a cancel decision, as a handler outcome.
    pub async fn finish_cancel(
        &self,
        order_id: OrderId,
        cause: &str,
        at: Timestamp,
        result: Result<(Executed, String), OrderingError>,
    ) -> Outcome {
        let canceled = match result {
            Ok((Executed::Applied { order, .. }, _)) | Ok((Executed::AlreadyDone { order }, _)) => {
                order.status() == mallbots_domain::ordering::OrderStatus::Canceled
            }
            Ok((Executed::Refused { error, .. }, _)) => {
                tracing::info!(order = %order_id, code = error.code(), "cancel refused by the order");
                false
            }
            Err(OrderingError::NotFound(_)) => {
                return Outcome::Nak {
                    delay: Some(std::time::Duration::from_secs(1)),
                }
            }
            Err(e) => {
                tracing::warn!(order = %order_id, error = %e, "cancel not recorded; retrying");
                return Outcome::Nak { delay: None };
            }
        };
        if canceled {
            if let Err(e) = self.after_cancel(order_id, cause, at).await {
                tracing::warn!(order = %order_id, error = %e, "cancel follow-ups not sent; retrying");
                return Outcome::Nak { delay: None };
            }
        }
        Outcome::Ack
    }
}

/// Registers `cmd-ordering` (role saga).
pub fn register(rt: &Runtime, registry: &mut HandlerRegistry) {
    registry.register(
        "cmd-ordering",
        handler::OrderingHandler::new(Ordering::new(rt.clone())),
    );
}

/// Appends `event` to `subject` expecting `expected` (its headers from `meta`); its sequence.
pub async fn append<E: DomainEvent>(
    io: &(dyn OrderingIo + '_),
    subject: &str,
    expected: u64,
    event: &E,
    meta: &EventMeta,
) -> Result<u64, PublishError> {
    let payload = serde_json::to_vec(event).map_err(|e| PublishError::Other {
        subject: subject.to_string(),
        reason: e.to_string(),
    })?;
    io.append(
        subject,
        expected,
        &meta.event_id,
        envelope::headers(event, meta),
        Bytes::from(payload),
    )
    .await
}
