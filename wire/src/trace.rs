//! Trace context on NATS messages: the W3C `traceparent` header
//! (`00-<trace id, 32 hex>-<span id, 16 hex>-01`), so one order is one trace from the kiosk's
//! checkout through every saga step central runs for it.
//!
//! The trace id of a flow is its correlation id (a UUID is 16 bytes, as a trace id is): the
//! edge's relay stamps each event with the trace of its command's correlation id, and central
//! stamps every message it sends while handling a message with that message's trace. Span ids
//! are derived from message ids (FNV-1a of the id), so a message re-sent after a crash carries
//! the same header. No exporter is needed to follow a trace: the id is in both sides' logs (a
//! `trace_id` field on central's per-message span) and on every message of the flow.

use uuid::Uuid;

/// The W3C trace context header.
pub const H_TRACEPARENT: &str = "traceparent";

/// A trace id and the span that produced a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace (a flow: one order, one catalog edit).
    pub trace_id: u128,
    /// The span that sent the message.
    pub span_id: u64,
}

/// FNV-1a, 64 bits: a stable span id for a message id (never 0, which W3C forbids).
fn span_of(msg_id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in msg_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash.max(1)
}

impl TraceContext {
    /// The trace of correlation id `correlation`, for the message `msg_id` (the trace id is
    /// the correlation id; a nil one takes the message's own span id bits, never 0).
    pub fn for_message(correlation: Uuid, msg_id: &str) -> Self {
        let span_id = span_of(msg_id);
        let trace_id = match correlation.as_u128() {
            0 => u128::from(span_id),
            id => id,
        };
        Self { trace_id, span_id }
    }

    /// The context of a message sent as part of this trace (`msg_id` its message id).
    pub fn child(&self, msg_id: &str) -> Self {
        Self {
            trace_id: self.trace_id,
            span_id: span_of(msg_id),
        }
    }

    /// The trace id as 32 lowercase hex digits.
    pub fn trace_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    /// The span id as 16 lowercase hex digits.
    pub fn span_hex(&self) -> String {
        format!("{:016x}", self.span_id)
    }

    /// The `traceparent` value (version 00, sampled).
    pub fn header_value(&self) -> String {
        format!("00-{}-{}-01", self.trace_hex(), self.span_hex())
    }

    /// Reads a `traceparent` value; `None` for anything W3C calls invalid.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !hex(version, 2)
            || version == "ff"
            || !hex(trace, 32)
            || !hex(span, 16)
            || !hex(flags, 2)
        {
            return None;
        }
        if version == "00" && parts.next().is_some() {
            return None;
        }
        let trace_id = u128::from_str_radix(trace, 16).ok()?;
        let span_id = u64::from_str_radix(span, 16).ok()?;
        (trace_id != 0 && span_id != 0).then_some(Self { trace_id, span_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_the_correlation_as_the_trace() {
        let correlation = Uuid::from_u128(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c);
        let ctx = TraceContext::for_message(correlation, "event-1");
        assert_eq!(ctx.trace_hex(), "0af7651916cd43dd8448eb211c80319c");
        let header = ctx.header_value();
        assert_eq!(TraceContext::parse(&header), Some(ctx));
        let child = ctx.child("command-2");
        assert_eq!(child.trace_id, ctx.trace_id);
        assert_ne!(child.span_id, ctx.span_id);
        assert_eq!(ctx.child("command-2"), child, "span ids are stable");
    }

    #[test]
    fn invalid_values_are_refused() {
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
        assert!(
            TraceContext::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .is_some()
        );
    }

    #[test]
    fn a_nil_correlation_still_gives_a_valid_trace() {
        let ctx = TraceContext::for_message(Uuid::nil(), "e");
        assert!(TraceContext::parse(&ctx.header_value()).is_some());
    }
}
