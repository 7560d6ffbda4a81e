//! A publish whose msg-id the server says is "in process" (error 10158, `duplicate message id is
//! in process`): a clustered stream staged the same msg-id for a proposal not yet applied (a
//! racing replica, our own earlier attempt, or a proposal a leader change left behind). Resending
//! blindly gets the same answer until the server settles, so the publisher instead waits a
//! jittered, growing pause, then reads the subject's last message from the stream leader: carrying
//! our msg-id it landed (a success, as a duplicate); for an event whose subject moved past the
//! expected sequence someone else appended (a concurrency conflict); otherwise it resends. The
//! whole wait is bounded by [`BUDGET`], after which [`crate::platform::error::PublishError::InProcess`].

use std::time::Duration;

use async_nats::jetstream::{self, stream::LastRawMessageErrorKind};

/// The server's answer while a publish with the same msg-id is still being stored.
pub const IN_PROCESS: &str = "duplicate message id is in process";
/// How long a publish keeps checking and resending after "in process" answers.
pub const BUDGET: Duration = Duration::from_secs(5);
/// The first pause.
const FIRST: Duration = Duration::from_millis(40);
/// The longest pause.
const LONGEST: Duration = Duration::from_millis(800);

/// Whether a publish error text is the "in process" answer.
pub fn is_in_process(error_text: &str) -> bool {
    error_text.contains(IN_PROCESS) || error_text.contains("10158")
}

/// The pause before check `attempt` (0-based): doubling from [`FIRST`] up to [`LONGEST`], of
/// which a random half (`jitter` in `0..=u64::MAX`) is kept, so racing replicas spread out.
pub fn pause(attempt: u32, jitter: u64) -> Duration {
    let full = FIRST.saturating_mul(1u32 << attempt.min(16)).min(LONGEST);
    let half = full / 2;
    let extra = (half.as_nanos() as u64)
        .checked_mul(jitter >> 32)
        .unwrap_or(0)
        >> 32;
    half + Duration::from_nanos(extra)
}

/// Random bits for [`pause`] (the random part of a UUIDv7).
pub fn jitter() -> u64 {
    uuid::Uuid::now_v7().as_u128() as u64
}

/// What the subject's last message says about a publish that was "in process".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    /// Stored at this stream sequence.
    Stored(u64),
    /// An event subject moved past the expected sequence with another message.
    Overtaken,
    /// Not visible yet: send again.
    NotYet,
}

/// Judges the subject's last message (`sequence`, `Nats-Msg-Id`), if any, for a publish of
/// `msg_id` (with `expected` last subject sequence for an event).
pub fn judge(last: Option<(u64, Option<&str>)>, msg_id: &str, expected: Option<u64>) -> Landed {
    match last {
        Some((seq, Some(id))) if id == msg_id => Landed::Stored(seq),
        Some((seq, _)) if expected.is_some_and(|e| seq > e) => Landed::Overtaken,
        _ => Landed::NotYet,
    }
}

/// Reads the last message on `subject` from the leader of the stream that holds it: its
/// sequence and `Nats-Msg-Id`; `None` if the subject is empty (or was consumed).
pub async fn last_on_subject(
    js: &jetstream::Context,
    subject: &str,
) -> Result<Option<(u64, Option<String>)>, String> {
    let name = js
        .stream_by_subject(subject)
        .await
        .map_err(|e| e.to_string())?;
    let stream = js
        .get_stream_no_info(&name)
        .await
        .map_err(|e| e.to_string())?;
    match stream.get_last_raw_message_by_subject(subject).await {
        Ok(m) => {
            let id = m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_string());
            Ok(Some((m.sequence, id)))
        }
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_are_bounded_and_jittered() {
        assert_eq!(pause(0, 0), FIRST / 2);
        assert!(pause(0, u64::MAX) <= FIRST && pause(0, u64::MAX) > FIRST * 9 / 10);
        assert!(pause(3, 0) > pause(1, 0));
        for attempt in [5, 10, 31, u32::MAX] {
            assert!(pause(attempt, u64::MAX) <= LONGEST);
            assert!(pause(attempt, 0) >= LONGEST / 2);
        }
        // Within the budget there are several checks, not one long sleep.
        let mut spent = Duration::ZERO;
        let mut checks = 0;
        while spent + pause(checks, u64::MAX) <= BUDGET {
            spent += pause(checks, u64::MAX);
            checks += 1;
        }
        assert!(checks >= 6, "{checks}");
        let a = pause(2, jitter());
        assert!(a >= pause(2, 0) && a <= pause(2, u64::MAX));
    }

    #[test]
    fn the_last_message_says_whether_it_landed() {
        assert_eq!(judge(Some((9, Some("m"))), "m", Some(4)), Landed::Stored(9));
        assert_eq!(judge(Some((9, Some("m"))), "m", None), Landed::Stored(9));
        assert_eq!(judge(Some((9, Some("x"))), "m", Some(4)), Landed::Overtaken);
        assert_eq!(judge(Some((4, Some("x"))), "m", Some(4)), Landed::NotYet);
        assert_eq!(judge(Some((9, None)), "m", None), Landed::NotYet);
        assert_eq!(judge(None, "m", Some(0)), Landed::NotYet);
        assert!(is_in_process(
            "publish to a.b: duplicate message id is in process (409, 10158)"
        ));
        assert!(!is_in_process("wrong last sequence: 4"));
    }
}
