//! One central delivery's I/O over the simulated bus: production's [`PaymentsIo`] and
//! [`OrderingIo`] (subjects read back, events appended with the expected last subject sequence
//! and the predecessor header, commands and replies published, in-progress acks) and a simulated
//! card gateway ([`PaymentGateway`]: the outside world's ledger in
//! [`crate::effects::Effects`], idempotent by key as real gateways are). Every write counts
//! towards the handler's crash point; after it every write fails and the delivery is left
//! unsettled ([`SimIo::crashed`]).

use super::cx::{interleave, Cx};
use crate::bus::PublishError as BusError;
use crate::faults::Planted;
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::future::BoxFuture;
use mallbots_central::platform::envelope::StoredEvent;
use mallbots_central::platform::error::PublishError;
use mallbots_central::platform::topology::Topology;
use mallbots_central::roles::ordering::io::OrderingIo;
use mallbots_central::roles::payments::gateway::{Authorization, GatewayError, PaymentGateway};
use mallbots_central::roles::payments::io::PaymentsIo;
use mallbots_domain::{CustomerId, Money, PaymentId};
use mallbots_sync::engine::in_order::H_PREV_SUBJECT_SEQ;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The card token the gateway declines (as production's fake gateway).
pub const DECLINED_CARD: &str = "tok_decline";

/// The handler context the replicas of one step share (each takes it for one I/O at a time).
pub type SharedCx<'c, 'a> = Mutex<&'c mut Cx<'a>>;

/// One delivery's I/O: the handler context, the message, and whether the replica crashed.
pub struct SimIo<'m, 'c, 'a> {
    cx: &'m SharedCx<'c, 'a>,
    topology: Topology,
    consumer: String,
    seq: u64,
    delivered: u32,
    /// The payment an AuthorizePayment is about (the gateway call names no payment).
    pub authorizing: Option<PaymentId>,
    /// Which of the step's replicas handles the delivery (only replica 0 may crash).
    replica: usize,
    crashed: AtomicBool,
}

impl<'m, 'c, 'a> SimIo<'m, 'c, 'a> {
    /// The I/O of the delivery of `seq` (its `delivered`-th) on `consumer`.
    pub fn new(cx: &'m SharedCx<'c, 'a>, consumer: &str, seq: u64, delivered: u32) -> Self {
        let root = cx.lock().unwrap_or_else(|p| p.into_inner()).root();
        let topology = Topology::new(&root, "");
        Self {
            cx,
            topology,
            consumer: consumer.to_owned(),
            seq,
            delivered,
            authorizing: None,
            replica: 0,
            crashed: AtomicBool::new(false),
        }
    }

    /// The same I/O, run by the step's `replica`-th replica.
    pub fn on_replica(mut self, replica: usize) -> Self {
        self.replica = replica;
        self
    }

    /// Now (ms).
    pub fn now(&self) -> i64 {
        self.with(|cx| cx.now)
    }

    /// What to do with the delivery after production's handler said `outcome`: nothing at all
    /// if the replica crashed on the way (it stays unsettled and comes back).
    pub fn settle(
        &self,
        outcome: mallbots_central::Outcome,
    ) -> Result<super::Outcome, super::Crash> {
        if self.crashed() {
            return Err(super::Crash);
        }
        Ok(super::Outcome::from(outcome))
    }

    /// Whether the replica crashed during the delivery (leave it unsettled).
    pub fn crashed(&self) -> bool {
        self.crashed.load(Ordering::SeqCst)
    }

    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
        let mut guard = self.cx.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Counts a write; after the crash point every write fails and the delivery is not settled.
    pub(super) fn io(&self, subject: &str) -> Result<(), PublishError> {
        let replica = self.replica;
        if self
            .with(|cx| {
                cx.replica = replica;
                cx.io()
            })
            .is_err()
        {
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

impl SimIo<'_, '_, '_> {
    fn history_of(&self, subject: &str) -> Vec<StoredEvent> {
        self.with(|cx| {
            let matching: Vec<_> = if subject.contains('*') {
                cx.bus.first_matching(subject).into_iter().collect()
            } else {
                cx.bus.history(subject)
            };
            matching
                .into_iter()
                .map(|m| StoredEvent {
                    subject: m.subject.clone(),
                    sequence: m.seq,
                    msg_id: m.msg_id.clone().unwrap_or_default(),
                    payload: Bytes::from(m.payload.clone()),
                })
                .collect()
        })
    }

    fn append_event(
        &self,
        subject: &str,
        expected: u64,
        event_id: &str,
        mut headers: HeaderMap,
        payload: Bytes,
    ) -> Result<u64, PublishError> {
        self.io(subject)?;
        // Production's publisher stamps the predecessor; the planted bug leaves it out.
        if !self.with(|cx| cx.planted(Planted::InboxOutOfOrder)) {
            headers.insert(H_PREV_SUBJECT_SEQ, expected.to_string().as_str());
        }
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
            // Central's own publishes are never limited or refused by rights (`publish`).
            other => PublishError::Other {
                subject: subject.to_owned(),
                reason: format!("{other:?}"),
            },
        })
    }

    fn publish_message(
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
}

impl OrderingIo for SimIo<'_, '_, '_> {
    fn topology(&self) -> &Topology {
        &self.topology
    }

    fn first<'b>(
        &'b self,
        subject: &'b str,
    ) -> BoxFuture<'b, Result<Option<StoredEvent>, PublishError>> {
        Box::pin(async move {
            interleave().await;
            Ok(self.history_of(subject).into_iter().next())
        })
    }

    fn history<'b>(
        &'b self,
        subject: &'b str,
    ) -> BoxFuture<'b, Result<Vec<StoredEvent>, PublishError>> {
        Box::pin(async move {
            interleave().await;
            Ok(self.history_of(subject))
        })
    }

    fn last_sequence<'b>(&'b self, subject: &'b str) -> BoxFuture<'b, Result<u64, PublishError>> {
        Box::pin(async move {
            interleave().await;
            Ok(self.with(|cx| cx.bus.last_on_subject(subject)))
        })
    }

    fn append<'b>(
        &'b self,
        subject: &'b str,
        expected: u64,
        event_id: &'b str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> BoxFuture<'b, Result<u64, PublishError>> {
        Box::pin(async move {
            interleave().await;
            self.append_event(subject, expected, event_id, headers, payload)
        })
    }

    fn publish<'b>(
        &'b self,
        subject: &'b str,
        msg_id: &'b str,
        payload: Bytes,
    ) -> BoxFuture<'b, Result<(), PublishError>> {
        Box::pin(async move {
            interleave().await;
            self.publish_message(subject, msg_id, payload)
        })
    }

    fn customer_phone(&self, customer: CustomerId) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move {
            interleave().await;
            let customer = self.with(|cx| super::views::customer(cx.bus, customer));
            customer
                .is_registered()
                .then(|| customer.sms_number().to_owned())
        })
    }

    fn now_ms(&self) -> i64 {
        self.with(|cx| cx.now)
    }
}

impl PaymentsIo for SimIo<'_, '_, '_> {
    fn topology(&self) -> &Topology {
        &self.topology
    }

    async fn history(&self, subject: &str) -> Result<Vec<StoredEvent>, PublishError> {
        interleave().await;
        Ok(self.history_of(subject))
    }

    async fn append(
        &self,
        subject: &str,
        expected: u64,
        event_id: &str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<u64, PublishError> {
        interleave().await;
        self.append_event(subject, expected, event_id, headers, payload)
    }

    async fn publish(
        &self,
        subject: &str,
        msg_id: &str,
        payload: Bytes,
    ) -> Result<(), PublishError> {
        interleave().await;
        self.publish_message(subject, msg_id, payload)
    }

    async fn in_progress(&self) {
        self.with(|cx| cx.bus.in_progress(&self.consumer, self.seq, cx.now));
    }

    fn now_ms(&self) -> i64 {
        self.with(|cx| cx.now)
    }
}

impl PaymentGateway for SimIo<'_, '_, '_> {
    fn authorize<'a>(
        &'a self,
        key: &'a str,
        card_token: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<Authorization, GatewayError>> {
        Box::pin(async move {
            interleave().await;
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
            interleave().await;
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
            interleave().await;
            self.gateway_io()?;
            self.with(|cx| cx.effects.void(key, &payment.to_string()));
            Ok(())
        })
    }
}
