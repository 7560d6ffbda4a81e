//! The JetStream topology: stream, bucket and consumer names under a configurable subject root and
//! stream prefix, and [`ensure_topology`], which creates them idempotently (several replicas may
//! run it at once).
//!
//! Streams: `EVENTS` (`<root>.ev.>`, the log: no limits), `COMMANDS` (`<root>.cmd.>`,
//! `<root>.reply.>` and the saga timers `<root>.sched.>` → `<root>.timer.>`), `DISPATCH` (work
//! queue of available shopping lists, `<root>.dispatch.>`) and `DLQ` (`<root>.dlq.>`).
//!
//! Timers use server message scheduling (nats-server 2.12+, verified on 2.15.1): a message
//! published to `<root>.sched.<saga>` with headers `Nats-Schedule: @at <RFC 3339>` and
//! `Nats-Schedule-Target: <root>.timer.<saga>` is stored at the target when due. The target must
//! be in the same stream (error 10190 otherwise), so timers live in `COMMANDS` next to the replies
//! that `saga-replies` also reads; a newer schedule on the same subject replaces the older one.
//!
//! Creating it all is the job of `provision::ensure_topology`, a layer above.

use mallbots_wire::service_subjects::{is_event_subject, CommandContext, Pattern, ServiceSubject};
use mallbots_wire::subjects::{DeskKind, EventSubject, KioskKind, Subject};
use std::time::Duration;

use async_nats::jetstream::stream;

use crate::platform::config::TopologySettings;
use crate::platform::ServiceRole;

/// The streams of the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// The event log.
    Events,
    /// Commands, replies, timers.
    Commands,
    /// Available shopping lists (work queue).
    Dispatch,
    /// Dead letters.
    Dlq,
}

/// The KV buckets of the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Saga state, key = saga id.
    Sagas,
    /// Shopping lists (dispatch fencing by delivery count).
    Lists,
    /// Bots and their status.
    Bots,
    /// Central's view of stores and products for re-validation.
    Catalog,
    /// Central's view of customers for AuthorizeCustomer.
    Customers,
    /// Enrolled devices, key = device id, value `{"device","role","stores"}` (written by
    /// enrollment, read by the request handlers to authorize a device's requests).
    Devices,
}

impl Bucket {
    /// Every bucket.
    pub const ALL: [Bucket; 6] = [
        Bucket::Sagas,
        Bucket::Lists,
        Bucket::Bots,
        Bucket::Catalog,
        Bucket::Customers,
        Bucket::Devices,
    ];

    /// How long a key lives after its last write (zero = forever). Saga keys expire: every running
    /// saga is rewritten at least once per step timeout, so only finished sagas age out (P7).
    pub fn max_age(self) -> Duration {
        match self {
            Bucket::Sagas => SAGA_KEY_MAX_AGE,
            _ => Duration::ZERO,
        }
    }

    /// Whether finished keys are purged from it (by the `forget` module): sagas and
    /// shopping lists, one key per order otherwise kept for ever.
    pub fn forgets_keys(self) -> bool {
        matches!(self, Bucket::Sagas | Bucket::Lists)
    }

    fn base_name(self) -> &'static str {
        match self {
            Bucket::Sagas => "sagas",
            Bucket::Lists => "lists",
            Bucket::Bots => "bots",
            Bucket::Catalog => "catalog",
            Bucket::Customers => "customers",
            Bucket::Devices => "devices",
        }
    }
}

/// How long a saga key outlives its last write: the grace period after a saga finishes in which
/// late replies still find it.
pub const SAGA_KEY_MAX_AGE: Duration = Duration::from_secs(15 * 60);

/// A durable pull consumer: where it reads, what, and which role handles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSpec {
    /// Durable name (also the DLQ subject's last token).
    pub name: String,
    /// Stream it reads.
    pub stream: StreamKind,
    /// Filter subjects.
    pub filters: Vec<String>,
    /// The role that consumes it; `None` = every replica (diagnostics).
    pub role: Option<ServiceRole>,
    /// Deliveries before dead-lettering; -1 = unlimited (dispatch).
    pub max_deliver: i64,
    /// Redelivery back-off.
    pub backoff: Vec<Duration>,
}

/// Names derived from the subject root and stream prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    root: String,
    prefix: String,
}

impl Topology {
    /// Names for `root` (e.g. `mallbots`) and stream/bucket `prefix` (e.g. `""`).
    pub fn new(root: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            prefix: prefix.into(),
        }
    }

    /// Names from settings.
    pub fn from_settings(settings: &TopologySettings) -> Self {
        Self::new(&settings.subject_root, &settings.stream_prefix)
    }

    /// The subject root.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// `<root>.<tail>`.
    pub fn subject(&self, tail: &str) -> String {
        format!("{}.{tail}", self.root)
    }

    /// The event subject `event` under this root (the wire grammar, `mallbots_wire::subjects`).
    pub fn event_subject(&self, event: EventSubject) -> String {
        Subject::new(self.root.as_str(), event).to_string()
    }

    /// Whether `subject` is in the event log (`<root>.ev.…`).
    pub fn is_event_subject(&self, subject: &str) -> bool {
        is_event_subject(&self.root, subject)
    }

    /// The stream's name, e.g. `t1_EVENTS`.
    pub fn stream_name(&self, kind: StreamKind) -> String {
        let base = match kind {
            StreamKind::Events => "EVENTS",
            StreamKind::Commands => "COMMANDS",
            StreamKind::Dispatch => "DISPATCH",
            StreamKind::Dlq => "DLQ",
        };
        format!("{}{base}", self.prefix)
    }

    /// The stream's subjects.
    pub fn stream_subjects(&self, kind: StreamKind) -> Vec<String> {
        let patterns = match kind {
            StreamKind::Events => Pattern::EVENTS_STREAM,
            StreamKind::Commands => Pattern::COMMANDS_STREAM,
            StreamKind::Dispatch => Pattern::DISPATCH_STREAM,
            StreamKind::Dlq => Pattern::DLQ_STREAM,
        };
        patterns.iter().map(|p| p.under(&self.root)).collect()
    }

    /// The bucket's name, e.g. `t1_sagas`.
    pub fn bucket_name(&self, bucket: Bucket) -> String {
        format!("{}{}", self.prefix, bucket.base_name())
    }

    /// `<root>.<subject>` for one of central's own subjects.
    pub fn service_subject(&self, subject: ServiceSubject) -> String {
        subject.under(&self.root)
    }

    /// `<root>.dlq.<consumer>`.
    pub fn dlq_subject(&self, consumer: &str) -> String {
        self.service_subject(ServiceSubject::DeadLetter {
            consumer: consumer.to_owned(),
        })
    }

    /// `<root>.sched.<saga>`: where a saga's timer schedule is published.
    pub fn schedule_subject(&self, saga: &str) -> String {
        self.service_subject(ServiceSubject::Schedule {
            saga: saga.to_owned(),
        })
    }

    /// `<root>.timer.<saga>`: where a saga's timer fires.
    pub fn timer_subject(&self, saga: &str) -> String {
        self.service_subject(ServiceSubject::Timer {
            saga: saga.to_owned(),
        })
    }

    /// `<root>.cmd.<context>.<command>`.
    pub fn command_subject(&self, context: CommandContext, command: &str) -> String {
        self.service_subject(ServiceSubject::Command {
            context,
            name: command.to_owned(),
        })
    }

    /// `<root>.reply.<saga>`.
    pub fn reply_subject(&self, saga: &str) -> String {
        self.service_subject(ServiceSubject::Reply {
            saga: saga.to_owned(),
        })
    }

    /// Every durable consumer, with limits from `settings`.
    pub fn consumers(&self, settings: &TopologySettings) -> Vec<ConsumerSpec> {
        use Pattern::*;
        use StreamKind::{Commands as CommandsStream, Dispatch, Events};
        let backoff: Vec<Duration> = settings
            .backoff_ms
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect();
        let spec = |name: &str, stream, filters: &[Pattern], role| ConsumerSpec {
            name: name.to_string(),
            stream,
            filters: filters.iter().map(|f| f.under(&self.root)).collect(),
            role,
            max_deliver: settings.max_deliver,
            backoff: backoff.clone(),
        };
        let orders = [
            AnyKiosk(KioskKind::Order),
            AnyKiosk(KioskKind::OrderRequest),
        ];
        vec![
            spec("saga-orders", Events, &orders, Some(ServiceRole::Saga)),
            spec(
                "saga-replies",
                CommandsStream,
                &[AllReplies, AllTimers],
                Some(ServiceRole::Saga),
            ),
            spec(
                "cmd-ordering",
                CommandsStream,
                &[Commands(CommandContext::Ordering)],
                Some(ServiceRole::Saga),
            ),
            spec(
                "cmd-customers",
                CommandsStream,
                &[Commands(CommandContext::Customers)],
                Some(ServiceRole::Saga),
            ),
            spec(
                "customers-view",
                Events,
                &[AnyKiosk(KioskKind::Customer)],
                Some(ServiceRole::Saga),
            ),
            spec(
                "catalog-view",
                Events,
                &[AllCatalogs],
                Some(ServiceRole::Saga),
            ),
            spec(
                "desk-pickup",
                Events,
                &[AnyDesk(DeskKind::PickupRequest)],
                Some(ServiceRole::Saga),
            ),
            spec(
                "desk-stops",
                Events,
                &[AnyDesk(DeskKind::StopRequest)],
                Some(ServiceRole::Depot),
            ),
            spec(
                "cmd-payments",
                CommandsStream,
                &[Commands(CommandContext::Payments)],
                Some(ServiceRole::Payments),
            ),
            spec(
                "cmd-depot",
                CommandsStream,
                &[Commands(CommandContext::Depot)],
                Some(ServiceRole::Depot),
            ),
            ConsumerSpec {
                max_deliver: -1,
                backoff: Vec::new(),
                ..spec(
                    "dispatch",
                    Dispatch,
                    &[AllDispatch],
                    Some(ServiceRole::Depot),
                )
            },
            spec(
                "notifications",
                Events,
                &[AnyKiosk(KioskKind::Order), AllOrderStatuses],
                Some(ServiceRole::Notifications),
            ),
            spec(
                "cmd-diag",
                CommandsStream,
                &[Commands(CommandContext::Diag)],
                None,
            ),
        ]
    }

    /// Durable consumers earlier versions created and this one no longer reads, with their
    /// stream: [`ensure_topology`] deletes them, so nothing piles up unread behind them.
    /// `cmd-notifications`: notifications are driven by order events (docs/architecture.md §3), nothing
    /// publishes a notifications command.
    pub fn retired_consumers(&self) -> Vec<(StreamKind, &'static str)> {
        vec![(StreamKind::Commands, "cmd-notifications")]
    }

    /// The stream definition for `kind`.
    pub fn stream_config(&self, kind: StreamKind, settings: &TopologySettings) -> stream::Config {
        let mut config = stream::Config {
            name: self.stream_name(kind),
            subjects: self.stream_subjects(kind),
            storage: stream::StorageType::File,
            num_replicas: settings.replicas,
            duplicate_window: settings.duplicate_window(),
            allow_direct: true,
            ..Default::default()
        };
        match kind {
            StreamKind::Events | StreamKind::Dlq => {}
            StreamKind::Commands => {
                config.allow_message_schedules = true;
                config.max_age = Duration::from_millis(settings.commands_max_age_ms);
            }
            StreamKind::Dispatch => config.retention = stream::RetentionPolicy::WorkQueue,
        }
        config
    }
}
