//! The world outside the protocol, as the invariants see it: the card gateway (idempotent by
//! key, as real gateways are), the SMS provider, the bots' physical work, and counters.

use std::collections::{BTreeMap, BTreeSet};

/// One gateway call's result, remembered by idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayResult {
    /// Done.
    Done,
    /// The card was declined.
    Declined,
}

/// What happened outside.
#[derive(Debug, Default)]
pub struct Effects {
    /// Gateway calls by idempotency key.
    gateway_keys: BTreeMap<String, GatewayResult>,
    /// Authorizations per payment.
    pub authorized: BTreeMap<String, u32>,
    /// Captures per payment.
    pub captured: BTreeMap<String, u32>,
    /// Voids per payment.
    pub voided: BTreeMap<String, u32>,
    /// Texts delivered per order and kind (`<order> <kind>`; the gateway drops a repeat of an
    /// idempotency key it has seen).
    pub sms: BTreeMap<String, u32>,
    /// Idempotency keys of the SMS the gateway took.
    sms_keys: BTreeSet<String>,
    /// Violations seen as they happened (the invariants report them).
    pub violations: Vec<String>,
    /// Finished saga keys to purge: (due ms, key, revision).
    pub forgets: Vec<(i64, String, u64)>,
    /// Counters (saga results, handler outcomes), for the run's summary.
    pub counts: BTreeMap<&'static str, u64>,
}

impl Effects {
    fn call(
        &mut self,
        key: &str,
        result: impl FnOnce(&mut Self) -> GatewayResult,
    ) -> GatewayResult {
        if let Some(r) = self.gateway_keys.get(key) {
            return r.clone();
        }
        let r = result(self);
        self.gateway_keys.insert(key.to_owned(), r.clone());
        r
    }

    /// Authorizes `payment` (idempotent by `key`); false if the card is declined.
    pub fn authorize(&mut self, key: &str, payment: &str, declined: bool) -> bool {
        let payment = payment.to_owned();
        let result = self.call(key, move |e| {
            if declined {
                return GatewayResult::Declined;
            }
            *e.authorized.entry(payment).or_default() += 1;
            GatewayResult::Done
        });
        result == GatewayResult::Done
    }

    /// Captures `payment` (idempotent by `key`).
    pub fn capture(&mut self, key: &str, payment: &str) {
        let payment = payment.to_owned();
        self.call(key, move |e| {
            *e.captured.entry(payment).or_default() += 1;
            GatewayResult::Done
        });
    }

    /// Releases what the gateway holds for `payment` (idempotent by `key`; nothing happens
    /// if it holds nothing).
    pub fn void(&mut self, key: &str, payment: &str) {
        let payment = payment.to_owned();
        self.call(key, move |e| {
            let held = e.authorized.get(&payment).copied().unwrap_or(0)
                > e.voided.get(&payment).copied().unwrap_or(0);
            if held {
                *e.voided.entry(payment).or_default() += 1;
            }
            GatewayResult::Done
        });
    }

    /// The SMS gateway takes a text (`<order> <kind>`) with idempotency key `key` (a repeat of a
    /// key is dropped, as real gateways do; it is counted as `sms repeat dropped`).
    pub fn send_sms(&mut self, key: &str, text: &str) {
        if self.sms_keys.insert(key.to_owned()) {
            *self.sms.entry(text.to_owned()).or_default() += 1;
        } else {
            self.count("sms repeat dropped");
        }
    }

    /// Purges `key` at `due` if it is still at `revision`.
    pub fn forget(&mut self, due: i64, key: &str, revision: u64) {
        self.forgets.push((due, key.to_owned(), revision));
    }

    /// Counts `what`.
    pub fn count(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }
}
