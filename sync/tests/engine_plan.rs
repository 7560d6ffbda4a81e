//! The pure sync planner as a case table (docs/architecture.md §6; atuin's `SyncEngine::operations` style).

use mallbots_sync::engine::plan::{after_publish, plan, plan_subject};
use mallbots_sync::engine::{
    Operation, PublishOutcome, ReadBack, RemoteMessage, StreamKey, SubjectView,
};
use uuid::Uuid;

const SUBJECT: &str = "m.ev.catalog.s1.product.p1";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn stream() -> StreamKey {
    StreamKey {
        stream_type: "product".into(),
        stream_id: "p1".into(),
    }
}

fn view(known: u64, pending: &[u128], read_back: Option<&[(u64, Option<u128>)]>) -> SubjectView {
    SubjectView {
        subject: SUBJECT.into(),
        stream: stream(),
        known_seq: known,
        pending: pending.iter().map(|n| id(*n)).collect(),
        in_flight: false,
        read_back: read_back.map(|msgs| {
            ReadBack::All(
                msgs.iter()
                    .map(|(seq, msg)| RemoteMessage {
                        seq: *seq,
                        msg_id: msg.map(id),
                    })
                    .collect(),
            )
        }),
    }
}

/// A view after a last-per-subject read-back (`None`: the subject is empty).
fn view_last(known: u64, pending: &[u128], last: Option<(u64, Option<u128>)>) -> SubjectView {
    SubjectView {
        read_back: Some(ReadBack::Last(last.map(|(seq, msg)| RemoteMessage {
            seq,
            msg_id: msg.map(id),
        }))),
        ..view(known, pending, None)
    }
}

fn accepted(event: u128, by_seq: u64) -> Operation {
    Operation::MarkAccepted {
        subject: SUBJECT.into(),
        event_id: id(event),
        by_seq,
    }
}

fn publish(event: u128, expected: u64) -> Operation {
    Operation::Publish {
        subject: SUBJECT.into(),
        event_id: id(event),
        expected_seq: expected,
    }
}

fn mark(event: u128, seq: u64) -> Operation {
    Operation::MarkPublished {
        subject: SUBJECT.into(),
        event_id: id(event),
        seq,
    }
}

fn rebase(foreign: &[u64], last: u64) -> Operation {
    Operation::Rebase {
        subject: SUBJECT.into(),
        stream: stream(),
        foreign_seqs: foreign.to_vec(),
        last_seq: last,
    }
}

#[test]
fn subject_cases() {
    type Case = (&'static str, SubjectView, Vec<Operation>);
    let cases: Vec<Case> = vec![
        ("nothing pending", view(7, &[], None), vec![]),
        (
            "new aggregate expects 0",
            view(0, &[1, 2], None),
            vec![publish(1, 0)],
        ),
        (
            "known aggregate expects its last seq",
            view(41, &[3], None),
            vec![publish(3, 41)],
        ),
        (
            "in flight: wait for the ack",
            SubjectView {
                in_flight: true,
                ..view(4, &[1], None)
            },
            vec![],
        ),
        (
            "read back, nothing new: publish again",
            view(5, &[1], Some(&[])),
            vec![publish(1, 5)],
        ),
        (
            "lost ack found: mark, publish the next",
            view(5, &[1, 2], Some(&[(9, Some(1))])),
            vec![mark(1, 9), publish(2, 9)],
        ),
        (
            "lost ack of the last pending: mark only",
            view(5, &[1], Some(&[(9, Some(1))])),
            vec![mark(1, 9)],
        ),
        (
            "another writer: rebase",
            view(5, &[1], Some(&[(6, Some(77))])),
            vec![rebase(&[6], 6)],
        ),
        (
            "lost ack then another writer: mark, rebase",
            view(5, &[1, 2], Some(&[(6, Some(1)), (8, Some(77))])),
            vec![mark(1, 6), rebase(&[8], 8)],
        ),
        (
            "another writer then our id: all foreign (never skip a rebase)",
            view(5, &[1], Some(&[(6, Some(77)), (7, Some(1))])),
            vec![rebase(&[6, 7], 7)],
        ),
        (
            "our later event out of order counts as foreign",
            view(5, &[1, 2], Some(&[(6, Some(2))])),
            vec![rebase(&[6], 6)],
        ),
        (
            "message without msg-id is foreign",
            view(0, &[1], Some(&[(3, None)])),
            vec![rebase(&[3], 3)],
        ),
        (
            "read-back messages at or below known are ignored",
            view(5, &[1], Some(&[(5, Some(77))])),
            vec![publish(1, 5)],
        ),
    ];
    for (name, v, expected) in cases {
        assert_eq!(plan_subject(&v), expected, "case: {name}");
    }
}

/// Recovery on the device's own single-writer subjects with the last message only (the one
/// read a kiosk's permissions allow, `$JS.API.DIRECT.GET.<stream>.<subject>`). Why the earlier
/// pending events are marked accepted at the last message's sequence: each publish expected the
/// previous event's sequence and went out only after its ack, so what lies on the subject after
/// `known` is a prefix of the pending events, in order; the last message being pending event
/// `j` proves `0..=j` are all there and nothing else is. The next publish then expects the last
/// message's sequence, which is exact.
#[test]
fn last_per_subject_cases() {
    type Case = (&'static str, SubjectView, Vec<Operation>);
    let cases: Vec<Case> = vec![
        (
            "subject empty: publish again (nothing was stored)",
            view_last(0, &[1, 2], None),
            vec![publish(1, 0)],
        ),
        (
            "last at or below known: nothing new, publish again",
            view_last(5, &[1], Some((5, Some(70)))),
            vec![publish(1, 5)],
        ),
        (
            "last is our next pending event: the lost ack of one event",
            view_last(5, &[1, 2], Some((9, Some(1)))),
            vec![mark(1, 9), publish(2, 9)],
        ),
        (
            "kill -9 after three publishes whose marks were lost: all accepted up to the last",
            view_last(5, &[1, 2, 3, 4], Some((12, Some(3)))),
            vec![
                accepted(1, 12),
                accepted(2, 12),
                mark(3, 12),
                publish(4, 12),
            ],
        ),
        (
            "every pending event accepted: marks only, no publish",
            view_last(0, &[1, 2], Some((7, Some(2)))),
            vec![accepted(1, 7), mark(2, 7)],
        ),
        (
            "not ours on our own subject (diverged log): rebase on the last message",
            view_last(5, &[1], Some((9, Some(77)))),
            vec![rebase(&[9], 9)],
        ),
        (
            "no msg-id: rebase on the last message",
            view_last(5, &[1], Some((9, None))),
            vec![rebase(&[9], 9)],
        ),
        (
            "nothing pending: nothing to do",
            view_last(5, &[], Some((9, Some(1)))),
            vec![],
        ),
    ];
    for (name, v, expected) in cases {
        assert_eq!(plan_subject(&v), expected, "case: {name}");
    }
}

#[test]
fn publish_outcome_cases() {
    let cases = [
        (PublishOutcome::Acked(12), mark(1, 12)),
        (
            PublishOutcome::WrongLastSequence,
            Operation::ReadBack {
                subject: SUBJECT.into(),
                from_seq: 5,
            },
        ),
        (
            PublishOutcome::AckLost,
            Operation::ReadBack {
                subject: SUBJECT.into(),
                from_seq: 5,
            },
        ),
        (
            PublishOutcome::Refused,
            Operation::RecordFailure {
                subject: SUBJECT.into(),
                event_id: id(1),
            },
        ),
    ];
    for (outcome, expected) in cases {
        assert_eq!(
            after_publish(SUBJECT, id(1), 4, outcome),
            expected,
            "{outcome:?}"
        );
    }
}

#[test]
fn whole_pass_cases() {
    let fetch = |c: &str| Operation::Fetch { consumer: c.into() };
    let consumers = |list: &[(&str, Option<u64>)]| -> Vec<(String, Option<u64>)> {
        list.iter().map(|(n, p)| (n.to_string(), *p)).collect()
    };
    assert_eq!(plan(&[], &[]), vec![Operation::Idle], "nothing at all");
    assert_eq!(
        plan(
            &[],
            &consumers(&[("k1-orders", Some(0)), ("k1-catalog", None)])
        ),
        vec![fetch("k1-catalog")],
        "a known-empty consumer is not fetched"
    );
    assert_eq!(
        plan(
            &[view(0, &[1], None)],
            &consumers(&[("k1-orders", Some(3))])
        ),
        vec![publish(1, 0), fetch("k1-orders")],
        "publish and fetch in one pass"
    );
}

#[test]
fn next_publish_is_what_the_plan_publishes_without_a_read_back() {
    use mallbots_sync::engine::plan::next_publish;
    for (known, pending) in [
        (0, &[][..]),
        (0, &[1][..]),
        (7, &[3, 4, 5][..]),
        (42, &[9][..]),
    ] {
        let mut v = view(known, pending, None);
        let planned: Vec<(Uuid, u64)> = plan_subject(&v)
            .into_iter()
            .filter_map(|op| match op {
                Operation::Publish {
                    event_id,
                    expected_seq,
                    ..
                } => Some((event_id, expected_seq)),
                _ => None,
            })
            .collect();
        assert_eq!(next_publish(&v).into_iter().collect::<Vec<_>>(), planned);
        v.in_flight = true;
        assert_eq!(next_publish(&v), None, "one publish in flight per subject");
    }
    // With a read-back the full plan decides (marks, rebases): no shortcut.
    assert_eq!(next_publish(&view(1, &[2], Some(&[(2, Some(2))]))), None);
}
