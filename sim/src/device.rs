//! A kiosk or desk: the real edge ([`Edge`]: command decisions, SQLite event store, outbox,
//! inbox, read models) with the real sync planner ([`plan_subject`], [`after_publish`]) and the
//! sync engine's transactions ([`local`]), over the simulated bus instead of NATS. Only the
//! async glue of the production relay (pipelining, timers) is not run. As the relay does, it
//! checks its enrollment's publish rights before a publish, sets a refused row aside
//! ([`local::quarantine`]: forbidden subject, too large) and holds the rows behind it
//! ([`local::blocked`]) until they are released ([`local::release_quarantined`]).

use crate::bus::{Bus, PublishError};
use crate::clock::SimClock;
use crate::faults::Faults;
use crate::rng::Rng;
use mallbots_domain::desk::ALL_STORES;
use mallbots_edge::sync::{EdgeApplier, EdgeRebaser};
use mallbots_edge::{Edge, EdgeConfig, Role};
use mallbots_sync::engine::local::{self, codes, Mark, RawMessage, Received};
use mallbots_sync::engine::outgoing_headers_after;
use mallbots_sync::engine::plan::{
    after_publish, plan_subject, Operation, PublishOutcome, ReadBack, RemoteMessage, StreamKey,
    SubjectView,
};
use mallbots_sync::store::sqlite::read;
use mallbots_sync::store::{Durability, OutboxEntry};
use mallbots_wire::devices::{publish_patterns, subject_matches, DeviceRole};
use std::path::PathBuf;
use std::sync::Arc;

/// Publishes one relay pass may make (the rest waits for the next pass).
const PUBLISHES_PER_PASS: usize = 12;
/// Messages one pull may apply.
const MESSAGES_PER_PULL: usize = 8;

/// A device.
pub struct Device {
    /// Its id (a subject token).
    pub id: String,
    /// Kiosk, manager or depot desk.
    pub role: Role,
    path: PathBuf,
    clock: SimClock,
    /// Its subject root.
    pub root: String,
    edge: Option<Edge>,
    /// Cut off from the server until then (ms).
    pub offline_until_ms: i64,
    /// Its durable consumers.
    pub consumers: Vec<String>,
    /// The subjects its enrollment lets it publish (`publish_patterns` of its role).
    rights: Vec<String>,
}

/// The rights an enrollment of `role` (a manager: of every store) gives device `id`.
pub fn enrolled_rights(root: &str, id: &str, role: Role) -> Vec<String> {
    publish_patterns(root, id, &wire_role(role, &[ALL_STORES]))
}

/// The wire's role for the edge's `role` (a manager of `stores`).
pub fn wire_role(role: Role, stores: &[&str]) -> DeviceRole {
    match role {
        Role::Kiosk => DeviceRole::Kiosk,
        Role::Manager => DeviceRole::Manager {
            stores: stores.iter().map(|s| (*s).to_owned()).collect(),
        },
        Role::Depot => DeviceRole::Depot,
    }
}

/// The process was killed part way (the world restarts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Killed;

/// What a sync step did, for the trace.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncStep {
    /// Events acknowledged and recorded.
    pub published: usize,
    /// Lost acks recovered by reading the subject back.
    pub recovered: usize,
    /// Messages applied through the inbox.
    pub received: usize,
    /// Messages the inbox parked, with why.
    pub parked: Vec<String>,
    /// Rows set aside (quarantined), with the code.
    pub quarantined: Vec<String>,
}

/// Why a row cannot be published: `(code, reason)`.
type Refusal = (&'static str, String);

impl Device {
    /// Opens (creating) the device's database under `dir`.
    pub fn open(dir: &std::path::Path, id: &str, role: Role, root: &str, clock: SimClock) -> Self {
        let mut device = Self {
            id: id.to_owned(),
            role,
            path: dir.join(format!("{id}.db")),
            clock,
            root: root.to_owned(),
            edge: None,
            offline_until_ms: 0,
            consumers: Vec::new(),
            rights: enrolled_rights(root, id, role),
        };
        device.start();
        device
    }

    fn start(&mut self) {
        let config = EdgeConfig {
            device_id: self.id.clone(),
            subject_root: self.root.clone(),
            role: self.role,
            ..EdgeConfig::default()
        };
        let edge = Edge::open_with_clock(&self.path, config, Arc::new(self.clock.clone()))
            .unwrap_or_else(|e| panic!("device {} does not open: {e}", self.id));
        self.edge = Some(edge);
    }

    /// The running edge.
    pub fn edge(&self) -> &Edge {
        self.edge.as_ref().expect("the device is running")
    }

    /// Kills the process (whatever it had not committed is gone) and starts it again.
    pub fn restart(&mut self) {
        self.edge = None;
        self.start();
    }

    /// Its current publish rights.
    pub fn rights(&self) -> &[String] {
        &self.rights
    }

    /// Enrolled again with `rights` (it reads them from its new credentials file).
    pub fn enroll(&mut self, rights: Vec<String>) {
        self.rights = rights;
    }

    /// The operator's `sync --retry-quarantined`: every set-aside row goes out again.
    pub fn release_quarantined(&self) -> usize {
        self.edge()
            .writer()
            .call(|s| local::release_quarantined(s.connection()))
            .unwrap_or(0)
    }

    /// Rows set aside and not released.
    pub fn quarantined(&self) -> u64 {
        self.edge()
            .writer()
            .call(|s| {
                Ok(s.connection().query_row(
                    "SELECT COUNT(*) FROM outbox
                     WHERE quarantine_code IS NOT NULL AND published_seq IS NULL",
                    [],
                    |r| r.get::<_, u64>(0),
                )?)
            })
            .unwrap_or(u64::MAX)
    }

    /// Whether it can reach the server now.
    pub fn online(&self, now_ms: i64) -> bool {
        now_ms >= self.offline_until_ms
    }

    /// One relay pass: the pending outbox, subject by subject, through the planner.
    pub fn relay(&self, bus: &mut Bus, rng: &mut Rng, faults: &Faults) -> Result<SyncStep, Killed> {
        let (entries, mut blocked) = self
            .edge()
            .writer()
            .call(|s| {
                Ok((
                    read::pending_outbox_from(s.connection(), 0, 500)?,
                    local::blocked(s.connection())?,
                ))
            })
            .unwrap_or_default();
        let mut subjects: Vec<(String, StreamKey, Vec<OutboxEntry>)> = Vec::new();
        let mut step = SyncStep::default();
        for entry in entries {
            // A set-aside row holds its subject and aggregate: later rows wait behind it.
            let e = &entry.event;
            if blocked.holds(&entry.subject, &e.stream_type, &e.stream_id) {
                continue;
            }
            if !self
                .rights
                .iter()
                .any(|p| subject_matches(p, &entry.subject))
            {
                let reason = format!("{} may not publish to {}", self.id, entry.subject);
                self.quarantine(&entry, (codes::FORBIDDEN_SUBJECT, reason), &mut step);
                blocked.add(&entry.subject, &e.stream_type, &e.stream_id);
                continue;
            }
            match subjects.iter_mut().find(|(s, ..)| *s == entry.subject) {
                Some((.., rows)) => rows.push(entry),
                None => subjects.push((
                    entry.subject.clone(),
                    StreamKey {
                        stream_type: entry.event.stream_type.clone(),
                        stream_id: entry.event.stream_id.clone(),
                    },
                    vec![entry],
                )),
            }
        }
        let mut budget = PUBLISHES_PER_PASS;
        for (subject, stream, rows) in subjects {
            if budget == 0 {
                break;
            }
            self.relay_subject(
                bus,
                rng,
                faults,
                &subject,
                stream,
                &rows,
                &mut budget,
                &mut step,
            )?;
        }
        Ok(step)
    }

    #[allow(clippy::too_many_arguments)]
    fn relay_subject(
        &self,
        bus: &mut Bus,
        rng: &mut Rng,
        faults: &Faults,
        subject: &str,
        stream: StreamKey,
        rows: &[OutboxEntry],
        budget: &mut usize,
        step: &mut SyncStep,
    ) -> Result<(), Killed> {
        let known = self
            .edge()
            .writer()
            .call({
                let subject = subject.to_owned();
                move |s| local::known_seqs(s.connection(), &[subject])
            })
            .unwrap_or_default()
            .into_values()
            .next()
            .unwrap_or(0);
        let mut view = SubjectView {
            subject: subject.to_owned(),
            stream,
            known_seq: known,
            pending: rows.iter().map(|r| r.event.event_id).collect(),
            in_flight: false,
            read_back: None,
        };
        for _ in 0..rows.len() * 3 + 3 {
            let ops = plan_subject(&view);
            view.read_back = None;
            if ops.is_empty() {
                return Ok(());
            }
            for op in ops {
                match op {
                    Operation::Publish {
                        event_id,
                        expected_seq,
                        ..
                    } => {
                        if *budget == 0 {
                            return Ok(());
                        }
                        *budget -= 1;
                        let Some(row) = rows.iter().find(|r| r.event.event_id == event_id) else {
                            return Ok(());
                        };
                        let outcome = match self.publish(bus, rng, faults, row, expected_seq)? {
                            Ok(outcome) => outcome,
                            Err(refusal) => {
                                self.quarantine(row, refusal, step);
                                return Ok(());
                            }
                        };
                        match after_publish(subject, event_id, expected_seq, outcome) {
                            Operation::MarkPublished { seq, .. } => {
                                self.mark(subject, event_id, seq);
                                view.pending.retain(|p| *p != event_id);
                                view.known_seq = seq;
                                step.published += 1;
                            }
                            Operation::ReadBack { from_seq, .. } => {
                                view.read_back = Some(self.read_back(bus, subject, from_seq));
                            }
                            _ => return Ok(()),
                        }
                    }
                    Operation::MarkPublished { event_id, seq, .. } => {
                        self.mark(subject, event_id, seq);
                        view.pending.retain(|p| *p != event_id);
                        view.known_seq = view.known_seq.max(seq);
                        step.recovered += 1;
                    }
                    Operation::MarkAccepted {
                        event_id, by_seq, ..
                    } => {
                        self.mark(subject, event_id, by_seq);
                        view.pending.retain(|p| *p != event_id);
                        step.recovered += 1;
                    }
                    Operation::Rebase {
                        stream,
                        foreign_seqs,
                        last_seq,
                        ..
                    } => {
                        self.rebase(bus, subject, &stream, &foreign_seqs, last_seq);
                        return Ok(());
                    }
                    _ => return Ok(()),
                }
            }
        }
        Ok(())
    }

    /// What a read-back sees: the subject's last message on the device's own subjects (a
    /// direct get), every message after `from_seq` on the catalog's shared subjects.
    fn read_back(&self, bus: &Bus, subject: &str, from_seq: u64) -> ReadBack {
        let remote = |m: &crate::bus::Message| RemoteMessage {
            seq: m.seq,
            msg_id: m.msg_id.as_deref().and_then(|id| id.parse().ok()),
        };
        if subject.contains(".ev.catalog.") {
            ReadBack::All(
                bus.history(subject)
                    .into_iter()
                    .filter(|m| m.seq >= from_seq)
                    .map(remote)
                    .collect(),
            )
        } else {
            ReadBack::Last(bus.last_message(subject).map(remote))
        }
    }

    fn publish(
        &self,
        bus: &mut Bus,
        rng: &mut Rng,
        faults: &Faults,
        row: &OutboxEntry,
        expected: u64,
    ) -> Result<Result<PublishOutcome, Refusal>, Killed> {
        if rng.chance(faults.refusal) {
            return Ok(Ok(PublishOutcome::Refused));
        }
        if rng.chance(faults.publish_lost) {
            return Ok(Ok(PublishOutcome::AckLost));
        }
        let now = self.clock.now_ms();
        let headers = outgoing_headers_after(row, &self.id, expected);
        let id = row.event.event_id.to_string();
        let payload = row.payload_json.clone().into_bytes();
        let stored = bus.publish_from(
            &self.id,
            &row.subject,
            Some(&id),
            Some(expected),
            headers.clone(),
            payload.clone(),
            now,
        );
        if rng.chance(faults.duplicate) {
            let _ = bus.publish_from(
                &self.id,
                &row.subject,
                Some(&id),
                Some(expected),
                headers,
                payload,
                now,
            );
        }
        // Killed between the server's ack and recording it: the next start finds it.
        if stored.is_ok() && rng.chance(faults.device_crash * 4) {
            return Err(Killed);
        }
        Ok(match stored {
            Ok(_) if rng.chance(faults.ack_lost) => Ok(PublishOutcome::AckLost),
            Ok(seq) => Ok(PublishOutcome::Acked(seq)),
            Err(PublishError::WrongLastSequence(_)) => Ok(PublishOutcome::WrongLastSequence),
            Err(PublishError::NoStream) => Ok(PublishOutcome::Refused),
            Err(PublishError::TooLarge { size, max }) => Err((
                codes::TOO_LARGE,
                format!("the message is {size} bytes, over the server's max_payload of {max}"),
            )),
            // The server answers with a permissions error only (production: its `-ERR`).
            Err(PublishError::Forbidden) => Err((
                codes::FORBIDDEN_SUBJECT,
                format!("the server refused {} on {}", self.id, row.subject),
            )),
        })
    }

    fn quarantine(&self, row: &OutboxEntry, (code, reason): Refusal, step: &mut SyncStep) {
        let pos = row.event.global_pos;
        let set = self
            .edge()
            .writer()
            .call(move |s| local::quarantine(s.connection(), pos, code, &reason));
        if set.unwrap_or(false) {
            step.quarantined.push(format!("{code} {}", row.subject));
        }
    }

    fn mark(&self, subject: &str, event_id: uuid::Uuid, seq: u64) {
        let mark = Mark {
            subject: subject.to_owned(),
            event_id,
            seq,
            row: None,
        };
        let _ = self
            .edge()
            .writer()
            .call(move |s| local::mark_batch(s.connection(), &[mark]));
    }

    fn rebase(&self, bus: &Bus, subject: &str, stream: &StreamKey, foreign: &[u64], last: u64) {
        let messages: Vec<RawMessage> = bus
            .history(subject)
            .into_iter()
            .filter(|m| foreign.contains(&m.seq))
            .map(raw)
            .collect();
        let (subject, stream) = (subject.to_owned(), stream.clone());
        let rebaser = EdgeRebaser::new(None).with_clock(Arc::new(self.clock.clone()));
        let _ = self.edge().writer().call(move |s| {
            s.transaction(Durability::Normal, |tx| {
                local::rebase(
                    tx,
                    &EdgeApplier,
                    &rebaser,
                    (&stream.stream_type, &stream.stream_id),
                    &subject,
                    &messages,
                    last,
                )
            })
        });
        self.edge().clear_cache();
    }

    /// Pulls the device's consumers and applies what arrives through the inbox.
    pub fn pull(&self, bus: &mut Bus, rng: &mut Rng, faults: &Faults) -> Result<SyncStep, Killed> {
        let mut step = SyncStep::default();
        for consumer in &self.consumers {
            for _ in 0..MESSAGES_PER_PULL {
                let Some(d) = bus.fetch(consumer, self.clock.now_ms()) else {
                    break;
                };
                if rng.chance(faults.delivery_lost) {
                    continue;
                }
                let seq = d.message.seq;
                let received = self.edge().deliver(raw(&d.message)).unwrap_or_else(|e| {
                    panic!("{} cannot take {}: {e}", self.id, d.message.subject)
                });
                if let Received::Parked(why) = received {
                    step.parked
                        .push(format!("{} #{seq}: {why}", d.message.subject));
                }
                step.received += 1;
                if rng.chance(faults.device_crash * 4) {
                    // Killed after the commit, before the ack: redelivered, a duplicate.
                    return Err(Killed);
                }
                if !rng.chance(faults.consumer_ack_lost) {
                    bus.ack(consumer, seq);
                }
            }
        }
        Ok(step)
    }

    /// Outbox rows not yet acknowledged.
    pub fn pending_outbox(&self) -> u64 {
        self.edge()
            .writer()
            .call(|s| read::pending_outbox_count(s.connection()))
            .unwrap_or(u64::MAX)
    }

    /// The inbox rows of `subject`: `(sequence, status)`, for a failure's report.
    pub fn inbox_of(&self, subject: &str) -> Vec<(u64, String)> {
        let subject = subject.to_owned();
        self.edge()
            .writer()
            .call(move |s| {
                let mut stmt = s.connection().prepare(
                    "SELECT stream_seq, status FROM inbox WHERE subject = ?1 ORDER BY stream_seq",
                )?;
                let rows = stmt
                    .query_map([subject], |r| {
                        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .unwrap_or_default()
    }

    /// A stream's stored events `(version, type, stream_seq, superseded)`, for a failure's report.
    pub fn events_of(&self, stream_id: &str) -> Vec<(i64, String, Option<i64>, i64)> {
        let id = stream_id.to_owned();
        self.edge()
            .writer()
            .call(move |s| {
                let mut stmt = s.connection().prepare(&format!(
                    "SELECT e.version, e.event_type, {}, e.superseded FROM events e
                     WHERE e.stream_id = ?1 ORDER BY e.global_pos",
                    mallbots_sync::store::sqlite::read::EVENT_SEQ
                ))?;
                let rows = stmt
                    .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .unwrap_or_default()
    }

    /// A product's price as the writer's connection reads it (beside the queries' reader).
    pub fn price_on_writer(&self, product: &str) -> Option<i64> {
        let product = product.to_owned();
        self.edge()
            .writer()
            .call(move |s| {
                Ok(s.connection()
                    .query_row(
                        "SELECT price_cents FROM rm_products WHERE product_id = ?1",
                        [product],
                        |r| r.get::<_, i64>(0),
                    )
                    .ok())
            })
            .ok()
            .flatten()
    }

    /// Every event id in the outbox (published or not).
    pub fn outbox_event_ids(&self) -> Vec<String> {
        self.edge()
            .writer()
            .call(|s| {
                let mut stmt = s.connection().prepare(
                    "SELECT e.event_id FROM outbox o JOIN events e ON e.global_pos = o.global_pos",
                )?;
                let ids = stmt
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ids)
            })
            .unwrap_or_default()
    }
}

/// A stored message as the inbox takes it.
pub fn raw(m: &crate::bus::Message) -> RawMessage {
    let mut headers = m.headers.clone();
    if let Some(id) = &m.msg_id {
        headers.insert("Nats-Msg-Id", id.as_str());
    }
    RawMessage {
        subject: m.subject.clone(),
        seq: m.seq,
        headers: Some(headers),
        payload: m.payload.clone(),
    }
}
