//! Dispatch: idle bots pull available lists from the `DISPATCH` work queue through the shared
//! durable pull consumer `dispatch` (redeliveries before newer messages, so oldest first), and
//! [`mallbots_domain::dispatch::dispatch`] pairs the lists of one pull with the idle bots.
//!
//! A bot holds its list's message while shopping ([`Offer::progress`] every third of the ack
//! wait), acks it when the list is done, naks it when the bot goes offline (another bot gets it at
//! once); a driver that dies stops sending progress and the message returns after the ack wait.
//! The delivery count goes into the list's fence ([`super::store::Fence`]), so the older delivery
//! of a message that was redelivered can no longer act on the list.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer, AckKind};
use async_nats::HeaderMap;
use futures::StreamExt;
use mallbots_domain::dispatch::{dispatch, AvailableList, IdleBot};
use mallbots_domain::ids::BotId;

use super::error::DepotError;
use super::ops::DispatchEntry;
use super::store::Fence;
use crate::platform::dlq;
use crate::platform::metrics::{self, Metrics};
use crate::platform::publish::Publisher;
use crate::platform::service::Runtime;
use crate::platform::topology::StreamKind;

/// The durable consumer's name.
pub const CONSUMER: &str = "dispatch";

/// One delivery of a list's dispatch message, offered to a bot.
#[derive(Debug)]
pub struct Offer {
    message: jetstream::Message,
    /// What the message says.
    pub entry: DispatchEntry,
    /// DISPATCH stream sequence.
    pub stream_seq: u64,
    /// Delivery count (1 on the first delivery).
    pub delivered: i64,
}

impl Offer {
    /// The fence of this delivery held by `bot_id`.
    pub fn fence(&self, bot_id: BotId) -> Fence {
        Fence {
            stream_seq: self.stream_seq,
            delivered: self.delivered,
            bot_id,
        }
    }

    /// Still working on it (`+WPI`): resets the ack wait.
    pub async fn progress(&self) {
        let _ = self.message.ack_with(AckKind::Progress).await;
    }

    /// Done with it (completed, canceled or nothing to do): removes it from the work queue.
    pub async fn ack(&self) -> Result<(), DepotError> {
        self.message
            .double_ack()
            .await
            .map_err(|e| DepotError::Dispatch(e.to_string()))
    }

    /// Gives it back (the bot went offline): redelivered at once to another bot.
    pub async fn nak(&self) {
        let _ = self.message.ack_with(AckKind::Nak(None)).await;
    }

    /// Gives it back to be redelivered after `delay` (the list is not ready for it yet).
    pub async fn nak_after(&self, delay: Duration) {
        let _ = self.message.ack_with(AckKind::Nak(Some(delay))).await;
    }
}

/// Pulls from the `dispatch` consumer.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    consumer: PullConsumer,
    publisher: Publisher,
    metrics: Arc<Metrics>,
    stream: String,
}

impl Dispatcher {
    /// Binds to the durable consumer of `rt`'s topology.
    pub async fn open(rt: &Runtime) -> Result<Self, DepotError> {
        let stream = rt.topology.stream_name(StreamKind::Dispatch);
        let consumer = rt
            .js
            .get_consumer_from_stream(CONSUMER, &stream)
            .await
            .map_err(|e| DepotError::Dispatch(format!("{stream}/{CONSUMER}: {e}")))?;
        Ok(Self {
            consumer,
            publisher: rt.publisher.clone(),
            metrics: rt.metrics.clone(),
            stream,
        })
    }

    /// Copies an undecodable message to `<root>.dlq.dispatch` (the headers `crate::platform::dlq` uses),
    /// then terminates it; if the copy fails it is nak'ed instead, so nothing is lost.
    async fn dead_letter(
        &self,
        message: jetstream::Message,
        seq: u64,
        delivered: i64,
        error: &str,
    ) {
        let mut h = HeaderMap::new();
        h.insert(dlq::H_SUBJECT, message.subject.as_str());
        h.insert(dlq::H_STREAM, self.stream.as_str());
        h.insert(dlq::H_SEQUENCE, seq.to_string().as_str());
        h.insert(dlq::H_CONSUMER, CONSUMER);
        h.insert(dlq::H_ERROR, error);
        h.insert(dlq::H_DELIVERIES, delivered.to_string().as_str());
        let subject = self.publisher.topology().dlq_subject(CONSUMER);
        let msg_id = format!("dlq:{}:{seq}", self.stream);
        let copied = self
            .publisher
            .publish(&subject, &msg_id, h, message.payload.clone())
            .await;
        let kind = match copied {
            Ok(_) => {
                self.metrics
                    .inc(metrics::DEAD_LETTERS, &[("consumer", CONSUMER)]);
                tracing::warn!(seq, %error, "undecodable dispatch message dead-lettered");
                AckKind::Term
            }
            Err(e) => {
                tracing::warn!(seq, error = %e, "dead-lettering failed; nak");
                AckKind::Nak(Some(Duration::from_secs(1)))
            }
        };
        let _ = message.ack_with(kind).await;
    }

    /// Pulls at most one list per idle bot (waiting up to `wait`) and pairs them: the oldest
    /// available list with the longest-idle bot. Undecodable messages are dead-lettered.
    pub async fn offers(
        &self,
        idle: &[IdleBot],
        wait: Duration,
    ) -> Result<Vec<(BotId, Offer)>, DepotError> {
        if idle.is_empty() {
            return Ok(Vec::new());
        }
        // Wait (up to `wait`) for the first list only, then take whatever else is there at
        // once: a pull for `idle.len()` messages would hold the first list until that many
        // arrived or `wait` passed (P4: most of checkout → shopping at 100 orders/s).
        let first = self
            .consumer
            .batch()
            .max_messages(1)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| DepotError::Dispatch(e.to_string()))?;
        let mut messages: Vec<_> = first.collect().await;
        if idle.len() > 1 && messages.iter().any(Result::is_ok) {
            // The rest is a bonus: if that pull fails, the list already in hand is still
            // offered (dropping it would leave it pending until its ack wait ran out).
            match self
                .consumer
                .fetch()
                .max_messages(idle.len() - 1)
                .messages()
                .await
            {
                Ok(rest) => messages.extend(rest.collect::<Vec<_>>().await),
                Err(e) => tracing::debug!(error = %e, "dispatch pull of the rest failed"),
            }
        }
        let mut offers = Vec::new();
        for next in messages {
            let message = match next {
                Ok(m) => m,
                Err(e) => {
                    tracing::debug!(error = %e, "dispatch pull");
                    continue;
                }
            };
            let (stream_seq, delivered) = message
                .info()
                .map(|i| (i.stream_sequence, i.delivered))
                .unwrap_or((0, 1));
            match serde_json::from_slice::<DispatchEntry>(&message.payload) {
                Ok(entry) => offers.push(Offer {
                    message,
                    entry,
                    stream_seq,
                    delivered,
                }),
                Err(e) => {
                    let error = format!("decode: {e}");
                    self.dead_letter(message, stream_seq, delivered, &error)
                        .await;
                }
            }
        }
        let lists: Vec<AvailableList> = offers
            .iter()
            .map(|o| AvailableList {
                list_id: o.entry.list_id,
                available_since: o.entry.available_since,
            })
            .collect();
        let mut paired = Vec::new();
        for assignment in dispatch(idle, &lists) {
            if let Some(pos) = offers
                .iter()
                .position(|o| o.entry.list_id == assignment.list_id)
            {
                paired.push((assignment.bot_id, offers.swap_remove(pos)));
            }
        }
        // A list repeated within one pull (duplicate message) gets no bot: give it back.
        for rest in offers {
            rest.nak().await;
        }
        Ok(paired)
    }
}
