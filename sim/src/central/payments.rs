//! `cmd.payments.*` through production's payments logic ([`Payments`]) over the simulated bus
//! ([`PaymentsIo`]) and a simulated card gateway ([`PaymentGateway`]: the outside world's
//! ledger in [`crate::effects::Effects`], idempotent by key as real gateways are).

use super::cx::{Crash, Cx};
use super::Outcome;
use crate::bus::{Delivery, PublishError as BusError};
use crate::faults::Planted;
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::future::BoxFuture;
use mallbots_central::platform::envelope::StoredEvent;
use mallbots_central::platform::error::PublishError;
use mallbots_central::platform::handler::Outcome as CentralOutcome;
use mallbots_central::platform::topology::Topology;
use mallbots_central::roles::payments::gateway::{Authorization, GatewayError, PaymentGateway};
use mallbots_central::roles::payments::handler::{Payments, PaymentsCommand};
use mallbots_central::roles::payments::io::PaymentsIo;
use mallbots_domain::saga::SagaCommand;
use mallbots_domain::{Money, PaymentId};
use mallbots_sync::engine::in_order::H_PREV_SUBJECT_SEQ;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The card token the gateway declines (as production's fake gateway).
pub const DECLINED_CARD: &str = "tok_decline";

/// One delivery's I/O: the handler context, the message, and whether the replica crashed.
struct SimPayments<'c, 'a> {
    cx: Mutex<&'c mut Cx<'a>>,
    topology: Topology,
    consumer: String,
    seq: u64,
    delivered: u32,
    /// The payment an AuthorizePayment is about (the gateway call names no payment).
    authorizing: Option<PaymentId>,
    crashed: AtomicBool,
}

impl SimPayments<'_, '_> {
    fn with<R>(&self, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
        let mut guard = self.cx.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Counts a write; after the crash point every write fails and the delivery is not settled.
    fn io(&self, subject: &str) -> Result<(), PublishError> {
        if self.with(|cx| cx.io()).is_err() {
            self.crashed.store(true, Ordering::SeqCst);
            return Err(PublishError::Other {
                subject: subject.to_owned(),
                reason: "replica crashed".into(),
            });
        }
        Ok(())
    }

    fn gateway_io(&self) -> Result<(), GatewayError> {
        self.io("gateway")
            .map_err(|_| GatewayError::Unavailable("replica crashed".into()))
    }
}

impl PaymentsIo for SimPayments<'_, '_> {
    fn topology(&self) -> &Topology {
        &self.topology
    }

    async fn history(&self, subject: &str) -> Result<Vec<StoredEvent>, PublishError> {
        Ok(self.with(|cx| {
            cx.bus
                .history(subject)
                .into_iter()
                .map(|m| StoredEvent {
                    subject: m.subject.clone(),
                    sequence: m.seq,
                    msg_id: m.msg_id.clone().unwrap_or_default(),
                    payload: Bytes::from(m.payload.clone()),
                })
                .collect()
        }))
    }

    async fn append(
        &self,
        subject: &str,
        expected: u64,
        event_id: &str,
        mut headers: HeaderMap,
        payload: Bytes,
    ) -> Result<u64, PublishError> {
        self.io(subject)?;
        headers.insert(H_PREV_SUBJECT_SEQ, expected.to_string().as_str());
        let stored = self.with(|cx| {
            cx.bus.publish(
                subject,
                Some(event_id),
                Some(expected),
                headers,
                payload.to_vec(),
                cx.now,
            )
        });
        stored.map_err(|e| match e {
            BusError::WrongLastSequence(_) => PublishError::WrongLastSequence {
                subject: subject.to_owned(),
                expected,
            },
            BusError::NoStream => PublishError::Other {
                subject: subject.to_owned(),
                reason: "no stream".into(),
            },
        })
    }

    async fn publish(
        &self,
        subject: &str,
        msg_id: &str,
        payload: Bytes,
    ) -> Result<(), PublishError> {
        self.io(subject)?;
        self.with(|cx| {
            cx.bus.publish(
                subject,
                Some(msg_id),
                None,
                HeaderMap::new(),
                payload.to_vec(),
                cx.now,
            )
        })
        .map(|_| ())
        .map_err(|e| PublishError::Other {
            subject: subject.to_owned(),
            reason: format!("{e:?}"),
        })
    }

    async fn in_progress(&self) {
        self.with(|cx| cx.bus.in_progress(&self.consumer, self.seq, cx.now));
    }

    fn now_ms(&self) -> i64 {
        self.with(|cx| cx.now)
    }
}

impl PaymentGateway for SimPayments<'_, '_> {
    fn authorize<'a>(
        &'a self,
        key: &'a str,
        card_token: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<Authorization, GatewayError>> {
        Box::pin(async move {
            self.gateway_io()?;
            let payment = self.authorizing.map(|p| p.to_string()).unwrap_or_default();
            let result = self.with(|cx| {
                // The planted bug: a key per delivery, so a redelivery authorizes again.
                let key = if cx.planted(Planted::PaymentStepTwice) {
                    format!("{key}/{}", self.delivered)
                } else {
                    key.to_owned()
                };
                cx.effects
                    .authorize(&key, &payment, card_token.trim() == DECLINED_CARD)
            });
            Ok(if result {
                Authorization::Approved
            } else {
                Authorization::Declined {
                    reason: "card_declined".into(),
                }
            })
        })
    }

    fn capture<'a>(
        &'a self,
        key: &'a str,
        payment: PaymentId,
        _amount: Money,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            self.gateway_io()?;
            self.with(|cx| cx.effects.capture(key, &payment.to_string()));
            Ok(())
        })
    }

    fn void<'a>(
        &'a self,
        key: &'a str,
        payment: PaymentId,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            self.gateway_io()?;
            self.with(|cx| cx.effects.void(key, &payment.to_string()));
            Ok(())
        })
    }
}

/// A message on `<root>.cmd.payments.<name>`, handled by production's payments logic.
pub fn handle(
    cx: &mut Cx<'_>,
    d: &Delivery,
    runtime: &tokio::runtime::Runtime,
) -> Result<Outcome, Crash> {
    let m = &d.message;
    let command = match PaymentsCommand::decode(&m.subject, &m.payload) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Term(e.to_string())),
    };
    let authorizing = match &command {
        PaymentsCommand::Authorize(SagaCommand::AuthorizePayment { payment_id, .. }) => {
            Some(*payment_id)
        }
        _ => None,
    };
    let topology = Topology::new(cx.root(), "");
    let io = SimPayments {
        cx: Mutex::new(cx),
        topology,
        consumer: d.consumer.clone(),
        seq: m.seq,
        delivered: d.delivered,
        authorizing,
        crashed: AtomicBool::new(false),
    };
    let outcome = runtime.block_on(Payments::new(&io, &io).handle(command));
    if io.crashed.load(Ordering::SeqCst) {
        return Err(Crash);
    }
    Ok(match outcome {
        CentralOutcome::Ack => Outcome::Ack,
        CentralOutcome::Nak { delay } => Outcome::Nak(delay.map_or(500, |d| d.as_millis() as i64)),
        CentralOutcome::Term { reason } => Outcome::Term(reason),
    })
}
