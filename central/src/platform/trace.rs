//! One trace per flow across processes ([`mallbots_wire::trace`]): the worker runs each
//! message's handling inside that message's trace ([`within`]), and every message the handling
//! publishes carries the trace on (`traceparent`, [`stamp`]), so an order's saga steps, payment,
//! dispatch and notifications share the trace id the kiosk's checkout started.

use async_nats::HeaderMap;
use mallbots_wire::headers::H_CORRELATION_ID;
use mallbots_wire::trace::{TraceContext, H_TRACEPARENT};
use std::future::Future;

tokio::task_local! {
    static CURRENT: TraceContext;
}

/// Runs `f` inside trace `ctx` (as is, without one).
pub async fn within<F: Future>(ctx: Option<TraceContext>, f: F) -> F::Output {
    match ctx {
        Some(ctx) => CURRENT.scope(ctx, f).await,
        None => f.await,
    }
}

/// The trace of the message being handled on this task, if any.
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(|ctx| *ctx).ok()
}

/// The trace a received message belongs to: its `traceparent`, else its correlation id
/// (messages from before trace headers).
pub fn of_message(headers: Option<&HeaderMap>, msg_id: &str) -> Option<TraceContext> {
    let headers = headers?;
    if let Some(ctx) = headers
        .get(H_TRACEPARENT)
        .and_then(|v| TraceContext::parse(v.as_str()))
    {
        return Some(ctx);
    }
    let correlation = headers.get(H_CORRELATION_ID)?.as_str().parse().ok()?;
    Some(TraceContext::for_message(correlation, msg_id))
}

/// Adds `traceparent` for the message `msg_id` unless it has one: a child of the trace being
/// handled, else the trace of its own correlation id.
pub fn stamp(headers: &mut HeaderMap, msg_id: &str) {
    if headers.get(H_TRACEPARENT).is_some() {
        return;
    }
    let ctx = current().map(|ctx| ctx.child(msg_id)).or_else(|| {
        let correlation = headers.get(H_CORRELATION_ID)?.as_str().parse().ok()?;
        Some(TraceContext::for_message(correlation, msg_id))
    });
    if let Some(ctx) = ctx {
        headers.insert(H_TRACEPARENT, ctx.header_value().as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_sent_while_handling_one_carry_its_trace() {
        let incoming = TraceContext::for_message(uuid::Uuid::from_u128(7), "order-created");
        let mut sent = HeaderMap::new();
        within(Some(incoming), async {
            stamp(&mut sent, "authorize-payment")
        })
        .await;
        let ctx = TraceContext::parse(sent.get(H_TRACEPARENT).unwrap().as_str()).unwrap();
        assert_eq!(ctx.trace_id, incoming.trace_id);
        assert_eq!(ctx, incoming.child("authorize-payment"));

        // Outside any handling: the correlation header's trace; nothing without one.
        let mut alone = HeaderMap::new();
        alone.insert(
            H_CORRELATION_ID,
            uuid::Uuid::from_u128(9).to_string().as_str(),
        );
        stamp(&mut alone, "m");
        assert!(alone.get(H_TRACEPARENT).is_some());
        let mut bare = HeaderMap::new();
        stamp(&mut bare, "m");
        assert!(bare.get(H_TRACEPARENT).is_none());
        assert_eq!(of_message(Some(&alone), "m").map(|c| c.trace_id), Some(9));
    }
}
