//! Central's own subjects, outside the event log (docs/architecture.md §5): commands between its
//! roles, the saga's replies, schedules and timers, the depot's dispatch queue, dead letters and
//! enrollment requests. Devices never read or write them (their permissions say so, see
//! [`crate::devices`]). Like [`EventSubject`], these are root-relative; [`ServiceSubject::under`]
//! puts one under a root. [`Pattern`] names the filter patterns of streams and consumers, so no
//! subject string is written outside this crate.

use std::fmt;

use crate::subjects::{DeskKind, EventSubject, KioskKind};

/// A context central's commands are addressed to (`cmd.<context>.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandContext {
    /// Orders: approve, start shopping, ready, complete, cancel, record pickup.
    Ordering,
    /// Customers: authorize.
    Customers,
    /// Payments and invoices.
    Payments,
    /// Shopping lists and bots.
    Depot,
    /// Diagnostics (ping).
    Diag,
}

impl CommandContext {
    /// Every context.
    pub const ALL: [CommandContext; 5] = [
        CommandContext::Ordering,
        CommandContext::Customers,
        CommandContext::Payments,
        CommandContext::Depot,
        CommandContext::Diag,
    ];

    /// The subject token.
    pub fn token(self) -> &'static str {
        match self {
            CommandContext::Ordering => "ordering",
            CommandContext::Customers => "customers",
            CommandContext::Payments => "payments",
            CommandContext::Depot => "depot",
            CommandContext::Diag => "diag",
        }
    }

    /// The context named by `token`.
    pub fn from_token(token: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.token() == token)
    }
}

/// One of central's own subjects, root-relative.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServiceSubject {
    /// `cmd.<context>.<name>`: a command for a role.
    Command {
        /// Who handles it.
        context: CommandContext,
        /// The command's name, e.g. `start_shopping`.
        name: String,
    },
    /// `reply.<saga>`: a role's reply to a saga's command.
    Reply {
        /// The saga (order) id.
        saga: String,
    },
    /// `sched.<saga>`: a saga's timer schedule (server message scheduling).
    Schedule {
        /// The saga id.
        saga: String,
    },
    /// `timer.<saga>`: where a saga's timer fires.
    Timer {
        /// The saga id.
        saga: String,
    },
    /// `dispatch.<list>`: a shopping list offered to the bots (work queue).
    Dispatch {
        /// The list id.
        list: String,
    },
    /// `dlq.<consumer>`: a message a consumer gave up on, with its reason.
    DeadLetter {
        /// The durable consumer's name.
        consumer: String,
    },
    /// `admin.enroll`: an operator's enrollment request (request/reply).
    Enroll,
}

impl ServiceSubject {
    /// This subject under `root`.
    pub fn under(&self, root: &str) -> String {
        format!("{root}.{self}")
    }

    /// Reads a root-relative subject; `None` if it is not one of the shapes above.
    pub fn from_tokens(tokens: &[&str]) -> Option<Self> {
        let owned = |s: &str| s.to_owned();
        Some(match tokens {
            ["cmd", context, name] => ServiceSubject::Command {
                context: CommandContext::from_token(context)?,
                name: owned(name),
            },
            ["reply", saga] => ServiceSubject::Reply { saga: owned(saga) },
            ["sched", saga] => ServiceSubject::Schedule { saga: owned(saga) },
            ["timer", saga] => ServiceSubject::Timer { saga: owned(saga) },
            ["dispatch", list] => ServiceSubject::Dispatch { list: owned(list) },
            ["dlq", consumer] => ServiceSubject::DeadLetter {
                consumer: owned(consumer),
            },
            ["admin", "enroll"] => ServiceSubject::Enroll,
            _ => return None,
        })
    }

    /// Reads `subject` under `root`.
    pub fn parse_under(root: &str, subject: &str) -> Option<Self> {
        let tail = subject.strip_prefix(root)?.strip_prefix('.')?;
        Self::from_tokens(&tail.split('.').collect::<Vec<_>>())
    }
}

impl fmt::Display for ServiceSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceSubject::Command { context, name } => {
                write!(f, "cmd.{}.{name}", context.token())
            }
            ServiceSubject::Reply { saga } => write!(f, "reply.{saga}"),
            ServiceSubject::Schedule { saga } => write!(f, "sched.{saga}"),
            ServiceSubject::Timer { saga } => write!(f, "timer.{saga}"),
            ServiceSubject::Dispatch { list } => write!(f, "dispatch.{list}"),
            ServiceSubject::DeadLetter { consumer } => write!(f, "dlq.{consumer}"),
            ServiceSubject::Enroll => f.write_str("admin.enroll"),
        }
    }
}

/// A root-relative filter pattern of a stream or a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// `ev.>`: the event log.
    AllEvents,
    /// `ev.kiosk.*.<kind>.*`: every device's subjects of one kind.
    AnyKiosk(KioskKind),
    /// `ev.desk.*.<kind>.*`: every desk's requests of one kind.
    AnyDesk(DeskKind),
    /// `ev.catalog.>`: every store's catalog.
    AllCatalogs,
    /// `ev.order.>`: central's order statuses for every kiosk.
    AllOrderStatuses,
    /// `cmd.>`: every command.
    AllCommands,
    /// `cmd.<context>.>`: one context's commands.
    Commands(CommandContext),
    /// `reply.>`: every saga reply.
    AllReplies,
    /// `sched.>`: every timer schedule.
    AllSchedules,
    /// `timer.>`: every fired timer.
    AllTimers,
    /// `dispatch.>`: the bots' work queue.
    AllDispatch,
    /// `dlq.>`: every dead letter.
    AllDeadLetters,
}

impl Pattern {
    /// The subjects of central's events stream.
    pub const EVENTS_STREAM: &'static [Pattern] = &[Pattern::AllEvents];
    /// The subjects of central's commands stream.
    pub const COMMANDS_STREAM: &'static [Pattern] = &[
        Pattern::AllCommands,
        Pattern::AllReplies,
        Pattern::AllSchedules,
        Pattern::AllTimers,
    ];
    /// The subjects of the dispatch (work-queue) stream.
    pub const DISPATCH_STREAM: &'static [Pattern] = &[Pattern::AllDispatch];
    /// The subjects of the dead-letter stream.
    pub const DLQ_STREAM: &'static [Pattern] = &[Pattern::AllDeadLetters];

    /// This pattern under `root`.
    pub fn under(&self, root: &str) -> String {
        format!("{root}.{self}")
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let any = || "*".to_owned();
        match self {
            Pattern::AllEvents => f.write_str("ev.>"),
            Pattern::AnyKiosk(kind) => EventSubject::Kiosk {
                device: any(),
                kind: *kind,
                id: any(),
            }
            .fmt(f),
            Pattern::AnyDesk(kind) => EventSubject::Desk {
                device: any(),
                kind: *kind,
                id: any(),
            }
            .fmt(f),
            Pattern::AllCatalogs => f.write_str("ev.catalog.>"),
            Pattern::AllOrderStatuses => f.write_str("ev.order.>"),
            Pattern::AllCommands => f.write_str("cmd.>"),
            Pattern::Commands(context) => write!(f, "cmd.{}.>", context.token()),
            Pattern::AllReplies => f.write_str("reply.>"),
            Pattern::AllSchedules => f.write_str("sched.>"),
            Pattern::AllTimers => f.write_str("timer.>"),
            Pattern::AllDispatch => f.write_str("dispatch.>"),
            Pattern::AllDeadLetters => f.write_str("dlq.>"),
        }
    }
}

/// Whether `subject` is in the event log under `root` (`<root>.ev.…`, any shape).
pub fn is_event_subject(root: &str, subject: &str) -> bool {
    subject
        .strip_prefix(root)
        .is_some_and(|rest| rest.starts_with(".ev."))
}

/// A subject's message type for metrics: the subject without its root, ids and devices, e.g.
/// `ev.kiosk.order`, `ev.catalog.product`, `cmd.payments.authorize`, `reply`. Unknown shapes keep
/// their first token (and at most the first three), so labels stay few.
pub fn message_type(root: &str, subject: &str) -> String {
    let rest = subject
        .strip_prefix(root)
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(subject);
    let t: Vec<&str> = rest.split('.').collect();
    let pick = |idx: &[usize]| {
        idx.iter()
            .filter_map(|i| t.get(*i).copied())
            .collect::<Vec<_>>()
            .join(".")
    };
    match (t.first().copied(), t.get(1).copied()) {
        (Some("cmd"), _) => pick(&[0, 1, 2]),
        (Some("ev"), Some("kiosk" | "catalog" | "store")) => pick(&[0, 1, 3]),
        (Some("ev"), Some("depot")) => pick(&[0, 1, 2]),
        (Some("ev"), Some(_)) => pick(&[0, 1]),
        _ => pick(&[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subjects::Subject;
    use proptest::prelude::*;

    fn token() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9_-]{1,12}"
    }

    fn service_subject() -> impl Strategy<Value = ServiceSubject> {
        prop_oneof![
            (0..CommandContext::ALL.len(), token()).prop_map(|(c, name)| {
                ServiceSubject::Command {
                    context: CommandContext::ALL[c],
                    name,
                }
            }),
            token().prop_map(|saga| ServiceSubject::Reply { saga }),
            token().prop_map(|saga| ServiceSubject::Schedule { saga }),
            token().prop_map(|saga| ServiceSubject::Timer { saga }),
            token().prop_map(|list| ServiceSubject::Dispatch { list }),
            token().prop_map(|consumer| ServiceSubject::DeadLetter { consumer }),
            Just(ServiceSubject::Enroll),
        ]
    }

    proptest! {
        #[test]
        fn service_subjects_round_trip(subject in service_subject(), root in "[a-z]{1,6}(\\.[a-z]{1,6})?") {
            let text = subject.under(&root);
            prop_assert_eq!(ServiceSubject::parse_under(&root, &text), Some(subject));
            prop_assert!(!is_event_subject(&root, &text));
            prop_assert!(Subject::parse(&text).is_none(), "never read as an event subject");
        }
    }

    #[test]
    fn patterns_have_the_event_subject_shapes() {
        assert_eq!(
            Pattern::AnyKiosk(KioskKind::OrderRequest).under("m"),
            "m.ev.kiosk.*.orderreq.*"
        );
        assert_eq!(
            Pattern::AnyDesk(DeskKind::PickupRequest).to_string(),
            "ev.desk.*.pickupreq.*"
        );
        assert_eq!(
            Pattern::Commands(CommandContext::Ordering).to_string(),
            "cmd.ordering.>"
        );
        let commands: Vec<String> = Pattern::COMMANDS_STREAM
            .iter()
            .map(Pattern::to_string)
            .collect();
        assert_eq!(commands, ["cmd.>", "reply.>", "sched.>", "timer.>"]);
    }

    #[test]
    fn message_types_drop_ids_and_devices() {
        let m = |s| message_type("mb", s);
        assert_eq!(m("mb.cmd.payments.authorize"), "cmd.payments.authorize");
        assert_eq!(m("mb.ev.kiosk.dev1.order.123"), "ev.kiosk.order");
        assert_eq!(m("mb.ev.order.dev1.123"), "ev.order");
        assert_eq!(m("mb.ev.catalog.s1.product.9"), "ev.catalog.product");
        assert_eq!(m("mb.ev.store.s1.orderline.9"), "ev.store.orderline");
        assert_eq!(m("mb.ev.depot.bot.7"), "ev.depot.bot");
        assert_eq!(m("mb.reply.saga1"), "reply");
        assert_eq!(m("mb.timer.saga1"), "timer");
        assert!(is_event_subject("mb", "mb.ev.test.x"));
        assert!(!is_event_subject("mb", "mbx.ev.test.x"));
    }
}
