//! `notifications`: the kiosks' and central's order events; an order placed, ready, canceled or
//! rejected texts its customer (production's [`texts`], [`trigger_of`], the number folded by
//! production's [`sms_of`]) once through production's [`send_once`] (claim the dedupe key in the ledger's KV bucket, send, mark it
//! sent; a claim left by a replica that died mid-send is taken over once stale), and the message
//! is settled as production's [`outcome_of`] says. The ledger is the simulated KV bucket
//! [`SMS_SENT`]; the gateway is [`crate::effects::Effects::send_sms`], which drops a repeated
//! idempotency key as real gateways do.

use super::cx::{interleave, Crash, Cx};
use super::sim_io::{SharedCx, SimIo};
use super::{orders, Outcome};
use crate::bus::Delivery;
use mallbots_central::roles::depot::DepotError;
use mallbots_central::roles::notifications::dedupe::{LedgerEntry, LedgerStore};
use mallbots_central::roles::notifications::lookup::sms_of;
use mallbots_central::roles::notifications::sink::{SendSms, SinkError, Sms};
use mallbots_central::roles::notifications::{
    created_facts, outcome_of, send_once, texts, trigger_of,
};
use mallbots_domain::ordering::OrderEvent;
use std::time::Duration;

/// KV bucket of the SMS dedupe ledger.
pub const SMS_SENT: &str = "sms";

/// A `sending` claim older than this is taken over (production's `STALE_CLAIM`, shortened as the
/// bots' lease is).
const STALE_CLAIM: Duration = Duration::from_secs(5);

/// A message on `notifications`.
pub fn handle(
    cx: &mut Cx<'_>,
    d: &Delivery,
    runtime: &tokio::runtime::Runtime,
) -> Result<Outcome, Crash> {
    let Ok(event) = serde_json::from_slice::<OrderEvent>(&d.message.payload) else {
        return Ok(Outcome::Ack);
    };
    let order_id = event.order_id();
    let created = match created_facts(&event) {
        Some(facts) => Some(facts),
        None if texts(&event) => orders::created(cx.bus, order_id),
        None => return Ok(Outcome::Ack),
    };
    let sms_number = created
        .as_ref()
        .and_then(|(customer, ..)| sms_of(super::views::customer_events(cx.bus, *customer)));
    let (Some(created), Some(sms_number)) = (created, sms_number) else {
        // Production's `Wait::Unknown`: the order's or the customer's event is not in yet.
        return Ok(Outcome::Nak(500));
    };
    let Some(trigger) = trigger_of(&event, created, sms_number) else {
        return Ok(Outcome::Ack);
    };
    let shared = SharedCx::new(cx);
    let io = SimIo::new(&shared, &d.consumer, d.message.seq, d.delivered);
    let sent = runtime.block_on(send_once(&io, &io, &trigger, STALE_CLAIM));
    io.settle(outcome_of(order_id, sent.map(|sent| Some((trigger, sent)))))
}

fn crashed(key: &str) -> DepotError {
    DepotError::Kv {
        key: key.to_owned(),
        reason: "replica crashed".into(),
    }
}

impl LedgerStore for SimIo<'_, '_, '_> {
    async fn create(&self, key: &str, value: &'static [u8]) -> Result<Option<u64>, DepotError> {
        interleave().await;
        self.io(key).map_err(|_| crashed(key))?;
        Ok(self.with(|cx| {
            let now = cx.now;
            cx.bus.kv_swap(SMS_SENT, key, Some(value.to_vec()), 0, now)
        }))
    }

    async fn entry(&self, key: &str) -> Result<Option<LedgerEntry>, DepotError> {
        interleave().await;
        Ok(self.with(|cx| {
            let entry = cx.bus.kv_get(SMS_SENT, key)?;
            Some(LedgerEntry {
                value: entry.value?,
                revision: entry.revision,
                age: Duration::from_millis((cx.now - entry.written_ms).max(0) as u64),
            })
        }))
    }

    async fn update(
        &self,
        key: &str,
        value: &'static [u8],
        revision: u64,
    ) -> Result<u64, DepotError> {
        interleave().await;
        self.io(key).map_err(|_| crashed(key))?;
        self.with(|cx| {
            let now = cx.now;
            cx.bus
                .kv_swap(SMS_SENT, key, Some(value.to_vec()), revision, now)
        })
        .ok_or_else(|| DepotError::Kv {
            key: key.to_owned(),
            reason: "wrong last revision".into(),
        })
    }

    async fn delete(&self, key: &str, revision: u64) {
        interleave().await;
        if self.io(key).is_ok() {
            self.with(|cx| {
                let now = cx.now;
                cx.bus.kv_swap(SMS_SENT, key, None, revision, now)
            });
        }
    }
}

impl SendSms for SimIo<'_, '_, '_> {
    async fn send_sms(&self, sms: &Sms) -> Result<(), SinkError> {
        interleave().await;
        self.io("sms")
            .map_err(|_| SinkError::Gateway("replica crashed".into()))?;
        let text = format!("{} {}", sms.order, sms.kind);
        self.with(|cx| cx.effects.send_sms(&sms.dedupe_key, &text));
        Ok(())
    }
}
