//! The `notifications` role: texts the customer when an order is created, ready for pickup, or
//! canceled / rejected.
//!
//! The durable consumer `notifications` reads `<root>.ev.kiosk.*.order.*` (OrderCreated) and
//! `<root>.ev.order.>` (OrderReadied, OrderCanceled, OrderRejected). For each it builds a
//! [`NotificationTrigger`] (customer and number via [`lookup::Directory`]), renders it with
//! [`sms_for`], and sends it once ([`send_once`] over the [`dedupe::Ledger`]) through the [`sink::Sink`]: the HTTP
//! gateway or the JSON-lines log file. A customer not known yet (its events not synced) is
//! retried later; a message the gateway refuses is dead-lettered.

pub mod dedupe;
pub mod lookup;
pub mod sink;

use std::time::Duration;

use mallbots_domain::ids::{CustomerId, OrderId};
use mallbots_domain::notifications::{sms_for, NotificationTrigger};
use mallbots_domain::ordering::OrderEvent;
use mallbots_domain::Money;
use tokio::sync::OnceCell;

use crate::platform::handler::{Delivery, Handler, Outcome};
use crate::platform::service::Runtime;
use crate::platform::HandlerRegistry;
use crate::roles::depot::journal::Journal;
use crate::roles::depot::DepotError;
use dedupe::{Claim, Ledger, LedgerStore};
use lookup::Directory;
use sink::{SendSms, Sink, SinkError, SinkSettings, Sms};

/// The notifications consumer's name.
pub const CONSUMER: &str = "notifications";

/// Opened on first use: the directory and the dedupe ledger.
#[derive(Debug)]
struct Parts {
    directory: Directory,
    ledger: Ledger,
}

/// Handles the `notifications` consumer.
pub struct Notifier {
    runtime: Runtime,
    sink: Sink,
    parts: OnceCell<Parts>,
}

impl Notifier {
    /// A notifier sending through `sink`.
    pub fn new(runtime: Runtime, sink: Sink) -> Self {
        Self {
            runtime,
            sink,
            parts: OnceCell::new(),
        }
    }

    async fn parts(&self) -> Result<&Parts, DepotError> {
        self.parts
            .get_or_try_init(|| async {
                let rt = &self.runtime;
                let journal = Journal::open(&rt.js, &rt.publisher).await?;
                let name = format!("{}notifications", rt.settings.topology.stream_prefix);
                let ledger = Ledger::open(&rt.js, &name, rt.settings.topology.replicas).await?;
                Ok(Parts {
                    directory: Directory::new(journal, rt.topology.clone()),
                    ledger,
                })
            })
            .await
    }

    /// The trigger for `event`, `None` if it texts nobody.
    async fn trigger(&self, event: &OrderEvent) -> Result<Option<NotificationTrigger>, Wait> {
        let directory = &self.parts().await?.directory;
        let created = match created_facts(event) {
            Some(facts) => facts,
            None if texts(event) => directory
                .order(event.order_id())
                .await?
                .ok_or(Wait::Unknown("order"))?,
            None => return Ok(None),
        };
        let sms_number = directory
            .sms_number(created.0)
            .await?
            .ok_or(Wait::Unknown("customer"))?;
        Ok(trigger_of(event, created, sms_number))
    }

    async fn notify(&self, trigger: &NotificationTrigger) -> Result<bool, Wait> {
        let ledger = &self.parts().await?.ledger;
        send_once(ledger, &self.sink, trigger, dedupe::STALE_CLAIM).await
    }
}

/// The facts of an order's `OrderCreated` a text needs: its customer, total and pickup code.
pub type CreatedFacts = (CustomerId, Money, Option<String>);

/// Whether `event` texts the customer: an order placed, ready, canceled or rejected.
pub fn texts(event: &OrderEvent) -> bool {
    matches!(
        event,
        OrderEvent::OrderCreated { .. }
            | OrderEvent::OrderReadied { .. }
            | OrderEvent::OrderCanceled { .. }
            | OrderEvent::OrderRejected { .. }
    )
}

/// The [`CreatedFacts`] `event` carries itself (an `OrderCreated`); the others are looked up.
pub fn created_facts(event: &OrderEvent) -> Option<CreatedFacts> {
    match event {
        OrderEvent::OrderCreated {
            customer_id,
            total,
            pickup_code,
            ..
        } => Some((*customer_id, *total, pickup_code.clone())),
        _ => None,
    }
}

/// The text `event` sends to `sms_number`, given its order's [`CreatedFacts`]; `None` if it
/// texts nobody. (Production's notifier and the simulator build their texts with this.)
pub fn trigger_of(
    event: &OrderEvent,
    (_, created_total, pickup_code): CreatedFacts,
    sms_number: String,
) -> Option<NotificationTrigger> {
    let order_id = event.order_id();
    Some(match event {
        OrderEvent::OrderCreated { .. } => NotificationTrigger::OrderCreated {
            order_id,
            sms_number,
            total: created_total,
        },
        OrderEvent::OrderReadied { total, .. } => NotificationTrigger::OrderReady {
            order_id,
            sms_number,
            total: *total,
            pickup_code,
        },
        OrderEvent::OrderCanceled { reason, .. } | OrderEvent::OrderRejected { reason, .. } => {
            NotificationTrigger::OrderCanceled {
                order_id,
                sms_number,
                reason: reason.clone(),
            }
        }
        _ => return None,
    })
}

/// Texts `trigger` once across redeliveries and replicas: claim its dedupe key in `ledger`, send
/// through `sink`, mark it sent (or give the claim up when sending failed). Whether it was sent
/// now (`false`: sent before). Production's notifier and the deterministic simulator run this.
pub async fn send_once(
    ledger: &impl LedgerStore,
    sink: &impl SendSms,
    trigger: &NotificationTrigger,
    stale_after: Duration,
) -> Result<bool, Wait> {
    let key = trigger.dedupe_key();
    let revision = match dedupe::claim(ledger, &key, stale_after).await? {
        Claim::Mine(rev) => rev,
        Claim::AlreadySent => return Ok(false),
        Claim::Busy => return Err(Wait::Unknown("claim")),
    };
    let message = sms_for(trigger);
    let sms = Sms {
        to: message.to,
        body: message.body,
        order: trigger.order_id().to_string(),
        kind: trigger.kind().to_string(),
        dedupe_key: key.clone(),
    };
    match sink.send_sms(&sms).await {
        Ok(()) => {
            dedupe::mark_sent(ledger, &key, revision).await?;
            Ok(true)
        }
        Err(e) => {
            dedupe::release(ledger, &key, revision).await;
            Err(Wait::Sink(e))
        }
    }
}

/// Why a message waits.
#[derive(Debug)]
pub enum Wait {
    /// Something is not known yet (or being sent elsewhere).
    Unknown(&'static str),
    /// Reading or the ledger failed.
    Depot(DepotError),
    /// Sending failed.
    Sink(SinkError),
}

impl From<DepotError> for Wait {
    fn from(e: DepotError) -> Self {
        Wait::Depot(e)
    }
}

impl Handler for Notifier {
    type Message = OrderEvent;

    async fn handle(&self, _delivery: &Delivery, event: OrderEvent) -> Outcome {
        let result = match self.trigger(&event).await {
            Ok(Some(trigger)) => self
                .notify(&trigger)
                .await
                .map(|sent| Some((trigger, sent))),
            Ok(None) => Ok(None),
            Err(w) => Err(w),
        };
        outcome_of(event.order_id(), result)
    }
}

/// What the message of `order`'s event becomes: acked once texted (or texting nobody), given
/// back while something is unknown or failing, dead-lettered when the gateway refuses it.
pub fn outcome_of(
    order: OrderId,
    result: Result<Option<(NotificationTrigger, bool)>, Wait>,
) -> Outcome {
    let later = |ms| Outcome::Nak {
        delay: Some(Duration::from_millis(ms)),
    };
    match result {
        Ok(Some((trigger, sent))) => {
            tracing::info!(kind = trigger.kind(), order = %trigger.order_id(), sent, "notification");
            Outcome::Ack
        }
        Ok(None) => Outcome::Ack,
        Err(Wait::Unknown(what)) => {
            tracing::info!(%order, what, "notification waits");
            later(1000)
        }
        Err(Wait::Sink(SinkError::Refused(status))) => Outcome::Term {
            reason: format!("sms gateway refused the message: status {status}"),
        },
        Err(Wait::Sink(e)) => {
            tracing::warn!(error = %e, "sms not sent; retrying");
            later(2000)
        }
        Err(Wait::Depot(e)) => {
            tracing::warn!(error = %e, "notification failed; retrying");
            later(1000)
        }
    }
}

/// Registers the `notifications` handler (run on replicas with the `notifications` role).
pub fn register(runtime: &Runtime, registry: &mut HandlerRegistry) {
    let settings = SinkSettings::from_config(&runtime.settings.sms);
    let sink = Sink::new(&settings);
    registry.register(CONSUMER, Notifier::new(runtime.clone(), sink));
}
