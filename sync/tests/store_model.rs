//! Model-based check: random operation sequences give identical results on `SqliteStore` (a real
//! file) and `MemoryStore`, so either can stand in for the other behind `EventStore`.

use mallbots_domain::ErrorCode;
use mallbots_sync::store::*;
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Op {
    Append {
        stream: u8,
        skew: i8,
        n: u8,
        relayed: bool,
        command: bool,
    },
    MarkPublished {
        pick: u8,
    },
    Fail {
        pick: u8,
    },
    Supersede {
        stream: u8,
    },
    Inbox {
        id: u8,
        seq: u8,
        parked: bool,
    },
    PruneInbox {
        before: u8,
    },
    PruneOutbox,
    Checkpoint {
        name: u8,
        position: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3u8, -1..=1i8, 0..4u8, any::<bool>(), any::<bool>())
            .prop_map(|(stream, skew, n, relayed, command)| Op::Append { stream, skew, n, relayed, command }),
        2 => any::<u8>().prop_map(|pick| Op::MarkPublished { pick }),
        1 => any::<u8>().prop_map(|pick| Op::Fail { pick }),
        1 => (0..3u8).prop_map(|stream| Op::Supersede { stream }),
        2 => (0..6u8, 0..8u8, any::<bool>()).prop_map(|(id, seq, parked)| Op::Inbox { id, seq, parked }),
        1 => (0..9u8).prop_map(|before| Op::PruneInbox { before }),
        1 => Just(Op::PruneOutbox),
        1 => (0..2u8, any::<u8>()).prop_map(|(name, position)| Op::Checkpoint { name, position }),
    ]
}

/// What an operation returned, minus wall-clock columns.
type Outcome = Result<String, &'static str>;

fn run<S: EventStore>(s: &mut S, op: &Op, next_id: &mut u128) -> Outcome {
    let code = |e: StoreError| e.code();
    match op {
        Op::Append {
            stream,
            skew,
            n,
            relayed,
            command,
        } => {
            let id = format!("s{stream}");
            let head = s.stream_version("t", &id).map_err(code)?;
            let expected = (head as i64 + *skew as i64).max(0) as u64;
            let events = (0..*n)
                .map(|i| {
                    *next_id += 1;
                    NewEvent {
                        event_id: Uuid::from_u128(*next_id),
                        event_type: "E".into(),
                        schema_version: 1,
                        payload: json!({ "i": i }),
                        metadata: EventMetadata::default(),
                        occurred_at: 5,
                        subject: relayed.then(|| format!("subj.{id}")),
                    }
                })
                .collect();
            let mut request = AppendRequest::new("t", id, expected, events);
            if *command {
                *next_id += 1;
                request.command = Some(CommandRecord {
                    id: Uuid::from_u128(*next_id),
                    payload: json!(1),
                    base_seq: None,
                });
            }
            s.append(request).map(|e| format!("{e:?}")).map_err(code)
        }
        Op::MarkPublished { pick } | Op::Fail { pick } => {
            let pending = s.pending_outbox(1000).map_err(code)?;
            let Some(entry) = pending.get(*pick as usize % pending.len().max(1)) else {
                return Ok("empty".into());
            };
            let id = entry.event.event_id;
            match op {
                Op::Fail { .. } => s.record_outbox_failure(id, "x"),
                _ => s.mark_published(id, 1000 + entry.event.global_pos),
            }
            .map(|_| String::new())
            .map_err(code)
        }
        Op::Supersede { stream } => s
            .supersede_pending("t", &format!("s{stream}"))
            .map(|ids| format!("{ids:?}"))
            .map_err(code),
        Op::Inbox { id, seq, parked } => s
            .inbox_record(&InboxRecord {
                event_id: Uuid::from_u128(u128::MAX - *id as u128),
                stream_seq: *seq as u64,
                subject: "in".into(),
                status: if *parked {
                    InboxStatus::Parked
                } else {
                    InboxStatus::Applied
                },
                raw: None,
            })
            .map(|new| new.to_string())
            .map_err(code),
        Op::PruneInbox { before } => s
            .prune_inbox(*before as u64)
            .map(|n| n.to_string())
            .map_err(code),
        Op::PruneOutbox => s
            .prune_outbox(i64::MAX)
            .map(|n| n.to_string())
            .map_err(code),
        Op::Checkpoint { name, position } => s
            .set_checkpoint(&format!("c{name}"), *position as u64)
            .map(|_| String::new())
            .map_err(code),
    }
}

/// The observable state, minus wall-clock columns.
fn observe<S: EventReader>(s: &S) -> String {
    let mut out = String::new();
    for stream in 0..3 {
        let id = format!("s{stream}");
        let events = s.load_stream("t", &id, 1).unwrap();
        let commands: Vec<_> = s
            .pending_commands("t", &id)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        out += &format!(
            "{id}@{} {events:?} {commands:?}\n",
            s.stream_version("t", &id).unwrap()
        );
    }
    for entry in s.pending_outbox(1000).unwrap() {
        out += &format!(
            "{} {} {:?} {:?}\n",
            entry.event.event_id, entry.attempts, entry.last_error, entry.published_seq
        );
    }
    for id in 0..6u128 {
        let row = s.inbox_entry(Uuid::from_u128(u128::MAX - id)).unwrap();
        out += &format!("{:?}\n", row.map(|r| r.record));
    }
    out += &format!(
        "{:?} {:?}",
        s.checkpoint("c0").unwrap(),
        s.checkpoint("c1").unwrap()
    );
    out += &format!("{:?}", s.read_all(0, 1000).unwrap());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn sqlite_behaves_like_memory(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut sqlite = SqliteStore::open(dir.path().join("model.db"), &[]).unwrap();
        let mut memory = MemoryStore::new();
        let (mut id_a, mut id_b) = (0u128, 0u128);
        for op in &ops {
            let a = run(&mut sqlite, op, &mut id_a);
            let b = run(&mut memory, op, &mut id_b);
            prop_assert_eq!(a, b, "op {:?}", op);
        }
        prop_assert_eq!(observe(&sqlite), observe(&memory));
    }
}
