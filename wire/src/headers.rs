//! The headers every event message carries on the wire (docs/architecture.md §5), the one list the edge's
//! relay, its inbox and central's envelope use.

/// JetStream's de-duplication id: the event id.
pub const H_MSG_ID: &str = "Nats-Msg-Id";
/// The event's stable type name.
pub const H_EVENT_TYPE: &str = "Mallbots-Event-Type";
/// The payload's schema version.
pub const H_SCHEMA_VERSION: &str = "Mallbots-Schema-Version";
/// The aggregate type.
pub const H_STREAM_TYPE: &str = "Mallbots-Stream-Type";
/// The aggregate id.
pub const H_STREAM_ID: &str = "Mallbots-Stream-Id";
/// When it happened, Unix milliseconds.
pub const H_OCCURRED_AT: &str = "Mallbots-Occurred-At";
/// The correlation id (the flow it belongs to).
pub const H_CORRELATION_ID: &str = "Mallbots-Correlation-Id";
/// The causation id (the message that caused it).
pub const H_CAUSATION_ID: &str = "Mallbots-Causation-Id";
/// The device that wrote it (`central` for central).
pub const H_DEVICE: &str = "Mallbots-Device";
/// The signed-in user whose action it records (a manager's catalog edit, a desk's hand-over),
/// absent for other events. Only a header-safe name travels ([`header_safe_user`]).
pub const H_USER: &str = "Mallbots-User";
/// The expected last subject sequence an event was appended with (0 for a subject's first
/// event): the stream sequence of the previous event on the same subject. A reader that folded a
/// different last sequence for the subject received its events out of order. Central sets it on
/// every event it appends.
pub const H_PREV_SUBJECT_SEQ: &str = "Mallbots-Prev-Subject-Seq";

/// `user` if it can travel as a header value: 1 to 64 printable ASCII characters (no control
/// characters, which would break the header block), else `None`.
pub fn header_safe_user(user: &str) -> Option<&str> {
    let ok = !user.is_empty()
        && user.len() <= 64
        && user.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    ok.then_some(user)
}
