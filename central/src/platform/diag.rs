//! The diagnostics command handler (`<root>.cmd.diag.ping`, consumer `cmd-diag`), run by every
//! replica: answers a ping on core NATS `<root>.diag.pong.<id>`. It exercises the whole consumer
//! path (decode → handle → ack, dead-lettering, in-progress acks) without any domain logic, so
//! operators and tests can check a replica end to end.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::platform::handler::{Delivery, Handler, Outcome};

/// A ping command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    /// Correlation id; the pong goes to `<root>.diag.pong.<id>`.
    pub id: String,
    /// Simulated slow work in milliseconds (exercises `+WPI`).
    #[serde(default)]
    pub work_ms: u64,
    /// If set, the handler terminates the message with this reason (exercises the DLQ).
    #[serde(default)]
    pub fail: Option<String>,
    /// Nak (retry in 10 ms) while the delivery count is below this (exercises MaxDeliver).
    #[serde(default)]
    pub nak_until_delivery: i64,
}

/// The answer published on `<root>.diag.pong.<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    /// The ping's id.
    pub id: String,
    /// Stream sequence of the ping.
    pub stream_sequence: u64,
    /// Delivery count of the ping.
    pub delivered: i64,
    /// Connection name of the replica that answered.
    pub replica: String,
}

/// Handles pings.
#[derive(Debug, Clone)]
pub struct PingHandler {
    client: async_nats::Client,
    root: String,
    replica: String,
}

impl PingHandler {
    /// A handler answering on `<root>.diag.pong.<id>` as `replica`.
    pub fn new(client: async_nats::Client, root: &str, replica: &str) -> Self {
        Self {
            client,
            root: root.to_string(),
            replica: replica.to_string(),
        }
    }
}

impl Handler for PingHandler {
    type Message = Ping;

    async fn handle(&self, delivery: &Delivery, ping: Ping) -> Outcome {
        if let Some(reason) = ping.fail {
            return Outcome::Term { reason };
        }
        if delivery.delivered() < ping.nak_until_delivery {
            return Outcome::Nak {
                delay: Some(Duration::from_millis(10)),
            };
        }
        if ping.work_ms > 0 {
            tokio::time::sleep(Duration::from_millis(ping.work_ms)).await;
        }
        if ping.id.is_empty() || ping.id.contains(['.', '*', '>', ' ']) {
            return Outcome::Term {
                reason: format!("invalid ping id {:?}", ping.id),
            };
        }
        let pong = Pong {
            id: ping.id.clone(),
            stream_sequence: delivery.stream_sequence(),
            delivered: delivery.delivered(),
            replica: self.replica.clone(),
        };
        let Ok(body) = serde_json::to_vec(&pong) else {
            return Outcome::Nak { delay: None };
        };
        let subject = format!("{}.diag.pong.{}", self.root, ping.id);
        match self.client.publish(subject, body.into()).await {
            Ok(()) => Outcome::Ack,
            Err(_) => Outcome::Nak {
                delay: Some(Duration::from_millis(200)),
            },
        }
    }
}
