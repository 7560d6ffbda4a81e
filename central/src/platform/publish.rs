//! Publishing to JetStream the way docs/architecture.md §5 requires: every message carries `Nats-Msg-Id`; every
//! event additionally carries `Nats-Expected-Last-Subject-Sequence` (0 for a new aggregate), which
//! is what makes events exactly-once, and repeats that value as `Mallbots-Prev-Subject-Seq`
//! ([`mallbots_wire::headers::H_PREV_SUBJECT_SEQ`]); saga timers use server message scheduling.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::stream::LastRawMessageErrorKind;
use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage};
use async_nats::HeaderMap;
use bytes::Bytes;

use mallbots_wire::service_subjects::message_type;

use crate::platform::error::PublishError;
use crate::platform::inflight::{self, Landed};
use crate::platform::metrics::{self, Metrics};
use crate::platform::topology::{StreamKind, Topology};
use mallbots_wire::headers::H_PREV_SUBJECT_SEQ;

/// A stored publish: its stream sequence and whether the server saw its msg-id already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Stream sequence of the (possibly earlier) stored message.
    pub sequence: u64,
    /// True if the msg-id was a duplicate within the dedup window.
    pub duplicate: bool,
}

/// Whether a JetStream error (its text, sources included) says an expected last sequence or KV
/// revision was stale: error 10071, which async-nats reports as `WrongLastSequence` /
/// `WrongLastRevision`, or 10164, which a clustered stream answers for a conflict with a write
/// still in flight and async-nats reports as `Other`.
pub fn is_wrong_last_sequence(error_text: &str) -> bool {
    error_text.contains("wrong last sequence")
}

/// Publishes with the headers the design requires and counts what it sends.
#[derive(Clone)]
pub struct Publisher {
    js: jetstream::Context,
    topology: Topology,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("topology", &self.topology)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher over `js` for subjects of `topology`.
    pub fn new(js: jetstream::Context, topology: Topology, metrics: Arc<Metrics>) -> Self {
        Self {
            js,
            topology,
            metrics,
        }
    }

    /// The topology whose subjects this publisher writes.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The largest message (headers and payload) the server accepts.
    pub fn max_payload(&self) -> usize {
        self.js.client().max_payload()
    }

    /// Appends an event to its aggregate subject with `Nats-Msg-Id = event_id` and
    /// `Nats-Expected-Last-Subject-Sequence = expected_last_subject_sequence` (0 = subject must be
    /// empty). A stale expectation fails with [`PublishError::WrongLastSequence`]. The same value
    /// goes into the header [`H_PREV_SUBJECT_SEQ`] (`Mallbots-Prev-Subject-Seq`), so readers can
    /// tell they received a subject's events out of order.
    pub async fn publish_event(
        &self,
        subject: &str,
        event_id: &str,
        expected_last_subject_sequence: u64,
        mut headers: HeaderMap,
        payload: Bytes,
    ) -> Result<Published, PublishError> {
        headers.insert(
            H_PREV_SUBJECT_SEQ,
            expected_last_subject_sequence.to_string().as_str(),
        );
        super::trace::stamp(&mut headers, event_id);
        let message = PublishMessage::build()
            .headers(headers)
            .payload(payload)
            .message_id(event_id)
            .expected_last_subject_sequence(expected_last_subject_sequence);
        self.send(
            subject,
            event_id,
            message,
            Some(expected_last_subject_sequence),
        )
        .await
    }

    /// Publishes a command, reply or other non-event message with `Nats-Msg-Id = msg_id`.
    /// Event subjects are refused: they need [`publish_event`](Self::publish_event).
    pub async fn publish(
        &self,
        subject: &str,
        msg_id: &str,
        mut headers: HeaderMap,
        payload: Bytes,
    ) -> Result<Published, PublishError> {
        if self.topology.is_event_subject(subject) {
            return Err(PublishError::EventNeedsExpectedSequence(
                subject.to_string(),
            ));
        }
        super::trace::stamp(&mut headers, msg_id);
        let message = PublishMessage::build()
            .headers(headers)
            .payload(payload)
            .message_id(msg_id);
        self.send(subject, msg_id, message, None).await
    }

    /// The stream sequence of the last event on `subject` (0 if none): what to pass as the
    /// expected last subject sequence when appending to an aggregate central writes. Read from
    /// the stream leader, so it is current even on a cluster.
    pub async fn last_subject_sequence(&self, subject: &str) -> Result<u64, PublishError> {
        let other = |reason: String| PublishError::Other {
            subject: subject.to_string(),
            reason,
        };
        let stream = self
            .js
            .get_stream_no_info(self.topology.stream_name(StreamKind::Events))
            .await
            .map_err(|e| other(e.to_string()))?;
        // The leader answers `STREAM.MSG.GET`; a direct get may be served by a follower that has
        // not yet applied the last write, and a stale expectation only fails the append.
        match stream.get_last_raw_message_by_subject(subject).await {
            Ok(m) => Ok(m.sequence),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(0),
            Err(e) => Err(other(e.to_string())),
        }
    }

    /// Schedules `payload` to appear on `<root>.timer.<saga>` at `at` (server message scheduling);
    /// a later schedule for the same saga replaces an earlier one that has not fired.
    pub async fn schedule_timer(
        &self,
        saga: &str,
        at: SystemTime,
        msg_id: &str,
        payload: Bytes,
    ) -> Result<Published, PublishError> {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Schedule", format!("@at {}", rfc3339(at)).as_str());
        headers.insert(
            "Nats-Schedule-Target",
            self.topology.timer_subject(saga).as_str(),
        );
        let subject = self.topology.schedule_subject(saga);
        self.publish(&subject, msg_id, headers, payload).await
    }

    /// Sends `message`. A publish of the same msg-id still in process (error 10158: two
    /// replicas, a retry, or a proposal a leader change left behind) is not resent blindly: after
    /// a jittered pause the subject's last message says whether it landed (a success, as a
    /// duplicate), was overtaken (an event conflict) or not yet (send again), within
    /// [`inflight::BUDGET`]. A duplicate answer (the msg-id already stored) is a success.
    async fn send(
        &self,
        subject: &str,
        msg_id: &str,
        message: PublishMessage,
        expected: Option<u64>,
    ) -> Result<Published, PublishError> {
        let started = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            match self.send_once(subject, message.clone(), expected).await {
                Err(PublishError::Other { reason, .. }) if inflight::is_in_process(&reason) => {}
                Err(PublishError::WrongLastSequence { subject, expected }) => {
                    // The server checks the expectation before the msg-id: our own event,
                    // stored by an attempt whose answer was lost, is a success.
                    return match inflight::last_on_subject(&self.js, &subject).await {
                        Ok(Some((sequence, Some(id)))) if id == msg_id => Ok(Published {
                            sequence,
                            duplicate: true,
                        }),
                        _ => Err(PublishError::WrongLastSequence { subject, expected }),
                    };
                }
                other => return other,
            }
            self.metrics.inc(metrics::PUBLISH_IN_PROCESS, &[]);
            let pause = inflight::pause(attempt, inflight::jitter());
            attempt += 1;
            if started.elapsed() + pause > inflight::BUDGET {
                tracing::warn!(
                    subject,
                    msg_id,
                    attempt,
                    "publish still in process; giving up"
                );
                return Err(PublishError::InProcess(subject.to_string()));
            }
            tokio::time::sleep(pause).await;
            let landed = match inflight::last_on_subject(&self.js, subject).await {
                Ok(last) => {
                    let last = last.as_ref().map(|(seq, id)| (*seq, id.as_deref()));
                    inflight::judge(last, msg_id, expected)
                }
                Err(e) => {
                    tracing::debug!(subject, error = %e, "in-process check failed");
                    Landed::NotYet
                }
            };
            match (landed, expected) {
                (Landed::Stored(sequence), _) => {
                    tracing::debug!(subject, msg_id, sequence, "in-process publish landed");
                    return Ok(Published {
                        sequence,
                        duplicate: true,
                    });
                }
                (Landed::Overtaken, Some(expected)) => {
                    return Err(PublishError::WrongLastSequence {
                        subject: subject.to_string(),
                        expected,
                    })
                }
                // Not visible yet: send again (a msg-id stored meanwhile is answered as a
                // duplicate, i.e. a success; one still staged, "in process" once more).
                _ => {}
            }
        }
    }

    async fn send_once(
        &self,
        subject: &str,
        message: PublishMessage,
        expected: Option<u64>,
    ) -> Result<Published, PublishError> {
        let map = |kind: PublishErrorKind, reason: String| match (kind, expected) {
            (PublishErrorKind::WrongLastSequence, Some(expected)) => {
                PublishError::WrongLastSequence {
                    subject: subject.to_string(),
                    expected,
                }
            }
            (_, Some(expected)) if is_wrong_last_sequence(&reason) => {
                PublishError::WrongLastSequence {
                    subject: subject.to_string(),
                    expected,
                }
            }
            (PublishErrorKind::TimedOut, _) => PublishError::TimedOut(subject.to_string()),
            _ => PublishError::Other {
                subject: subject.to_string(),
                reason,
            },
        };
        let ack_future = self
            .js
            .send_publish(subject.to_string(), message)
            .await
            .map_err(|e| map(e.kind(), e.to_string()))?;
        let ack = ack_future.await.map_err(|e| map(e.kind(), e.to_string()))?;
        self.metrics.inc(
            metrics::SENT,
            &[("type", &message_type(self.topology.root(), subject))],
        );
        Ok(Published {
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    }
}

/// `at` as RFC 3339 UTC with millisecond precision (`2026-11-23T09:42:19.250Z`), as
/// `Nats-Schedule: @at …` takes it.
pub fn rfc3339(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs() as i64;
    let millis = since.subsec_millis();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_426_939_250);
        assert_eq!(rfc3339(t), "2026-11-23T09:42:19.250Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
