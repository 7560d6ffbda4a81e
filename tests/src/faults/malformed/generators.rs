//! The bad messages: nine classes ([`Bad`]), the subject families each central consumer and
//! device reads ([`families`]), one bad message of a family ([`bad_message`]), and a raw `HPUB`
//! for header blocks async-nats refuses to build ([`raw_hpub`]).

use std::time::Duration;

use async_nats::HeaderMap;
use serde_json::json;
use uuid::Uuid;

use super::MAX_PAYLOAD;

/// Who reads a subject family: central consumers and device consumers.
pub struct Family {
    /// Subject for the i-th message.
    pub subject: Box<dyn Fn(usize) -> String + Send>,
    /// Messages to send.
    pub count: usize,
    /// Central consumers that read it (each dead-letters every message).
    pub central: &'static [&'static str],
    /// Devices that read it (each parks every message): "kiosk", "manager".
    pub devices: &'static [&'static str],
    /// The `Mallbots-Stream-Type` a well-formed envelope here would carry.
    pub stream_type: &'static str,
    /// A known event type here.
    pub event_type: &'static str,
}

/// The nine classes of bad message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    /// Not JSON, no headers.
    NotJson,
    /// Half of a valid payload.
    Truncated,
    /// Valid JSON of another shape.
    WrongSchema,
    /// An event type nobody knows.
    UnknownType,
    /// Version 2 of a known type (fields renamed).
    NewerSchema,
    /// Close to `max_payload`.
    Oversized,
    /// Headers that parse but say nonsense (no msg-id that is a UUID, version "one" …).
    BrokenHeaders,
    /// Invalid UTF-8.
    InvalidUtf8,
    /// 5,000-deep nesting.
    DeepNesting,
}

impl Bad {
    /// The class of the i-th message (one in a thousand oversized, the rest round-robin).
    pub fn of(i: usize) -> Bad {
        if i % 1000 == 999 {
            return Bad::Oversized;
        }
        [
            Bad::NotJson,
            Bad::Truncated,
            Bad::WrongSchema,
            Bad::UnknownType,
            Bad::NewerSchema,
            Bad::BrokenHeaders,
            Bad::InvalidUtf8,
            Bad::DeepNesting,
        ][i % 8]
    }
}

/// A full, well-formed envelope (as central or a device writes it), with `event_type`.
pub fn envelope(f: &Family, event_type: &str, version: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("Mallbots-Event-Type", event_type);
    h.insert("Mallbots-Schema-Version", version);
    h.insert("Mallbots-Stream-Type", f.stream_type);
    h.insert("Mallbots-Stream-Id", Uuid::now_v7().to_string().as_str());
    h.insert("Mallbots-Occurred-At", "1700000000000");
    h.insert("Mallbots-Device", "central");
    h
}

/// The i-th bad message of family `f`: class, headers, payload and event id (`None` for the
/// classes without a msg-id that is a UUID). Every payload is one central cannot decode, and
/// every envelope one the edge cannot apply.
pub fn bad_message(f: &Family, i: usize) -> (Bad, HeaderMap, Vec<u8>, Option<Uuid>) {
    let class = Bad::of(i);
    let id = Uuid::now_v7();
    let sample =
        json!({"type": f.event_type, "order_id": Uuid::now_v7(), "at": 1_700_000_000_000i64,
                        "items": [{"product_id": Uuid::now_v7(), "quantity": 2}]})
        .to_string();
    let (mut h, payload) = match class {
        Bad::NotJson => (HeaderMap::new(), format!("{{not json {i}").into_bytes()),
        Bad::Truncated => (
            envelope(f, f.event_type, "1"),
            sample.as_bytes()[..sample.len() / 2].to_vec(),
        ),
        Bad::WrongSchema => {
            let p = [
                r#"{"hello":"world"}"#,
                "[1,2,3]",
                "42",
                r#""text""#,
                "null",
                "{}",
                r#"{"type":null}"#,
            ][i / 8 % 7];
            (envelope(f, f.event_type, "1"), p.as_bytes().to_vec())
        }
        Bad::UnknownType => (
            envelope(f, "TeleportOrder", "1"),
            json!({"type": "TeleportOrder", "order_id": Uuid::now_v7(), "at": 1})
                .to_string()
                .into_bytes(),
        ),
        Bad::NewerSchema => (
            // Version 2 of a known type: fields renamed, so version 1 code cannot read it.
            envelope(f, f.event_type, "2"),
            json!({"type": f.event_type, "v2": {"id": Uuid::now_v7(), "when": "2030-01-01"}})
                .to_string()
                .into_bytes(),
        ),
        Bad::Oversized => {
            let blob = "x".repeat(MAX_PAYLOAD - 4096);
            (
                envelope(f, f.event_type, "1"),
                json!({"type": f.event_type, "blob": blob})
                    .to_string()
                    .into_bytes(),
            )
        }
        Bad::BrokenHeaders => {
            let mut h = HeaderMap::new();
            h.insert(
                "Nats-Msg-Id",
                format!("not-a-uuid-{}", Uuid::now_v7().simple()).as_str(),
            );
            h.insert("Mallbots-Schema-Version", "one");
            h.insert("Mallbots-Event-Type", "");
            h.insert("Mallbots-Occurred-At", "yesterday ☠");
            (h, "\u{1F4A5} <script>alert(1)</script>".as_bytes().to_vec())
        }
        Bad::InvalidUtf8 => (
            envelope(f, f.event_type, "1"),
            vec![0xff, 0xfe, b'{', b'"', 0xc3, 0x28, b'"', b':', 0xa0, b'}'],
        ),
        Bad::DeepNesting => (
            envelope(f, f.event_type, "1"),
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        ),
    };
    let id = (!matches!(class, Bad::NotJson | Bad::BrokenHeaders)).then(|| {
        h.insert("Nats-Msg-Id", id.to_string().as_str());
        id
    });
    (class, h, payload, id)
}

/// Every subject family under `root` for a manager of `store`, `n` messages per central
/// consumer. Central's consumers: `saga-orders` (kiosk `order` + `orderreq`), `notifications`
/// (kiosk `order` + `ev.order.>`), `customers-view`, `catalog-view`, `saga-replies` (replies
/// and timers), `cmd-{ordering,customers,payments,depot,diag}` (known and unknown command
/// names), `dispatch`; the kiosk's `k1-orders` and `k1-catalog`; the manager's `m1-orders`
/// (its store's orderlines, `ev.depot.>`) and `m1-catalog`. Read by nobody, a tenth as many
/// each: kiosk `basket` subjects and `cmd.notifications.>` (notifications are driven by order
/// events; central has no consumer there).
pub fn families(root: &str, store: &str, n: usize) -> Vec<Family> {
    let r = root.to_owned();
    let at = move |tail: String| format!("{r}.{tail}");
    let id = || Uuid::now_v7();
    let mut out = Vec::new();
    let mut add = |count,
                   central,
                   devices,
                   stream_type,
                   event_type,
                   subject: Box<dyn Fn(usize) -> String + Send>| {
        out.push(Family {
            subject,
            count,
            central,
            devices,
            stream_type,
            event_type,
        })
    };
    let a = at.clone();
    add(
        n / 2,
        &["saga-orders", "notifications"][..],
        &[][..],
        "order",
        "OrderCreated",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.order.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n / 2,
        &["saga-orders"],
        &[],
        "order",
        "OrderCancellationRequested",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.orderreq.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n,
        &["customers-view"],
        &[],
        "customer",
        "CustomerRegistered",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.customer.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n / 10,
        &[],
        &[],
        "basket",
        "BasketStarted",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.basket.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n,
        &["catalog-view"],
        &["kiosk", "manager"],
        "product",
        "ProductAdded",
        Box::new(move |i| {
            let kind = if i % 2 == 0 { "product" } else { "store" };
            a(format!("ev.catalog.{}.{kind}.{}", id(), id()))
        }),
    );
    let a = at.clone();
    add(
        n,
        &["notifications"],
        &["kiosk"],
        "order",
        "OrderApproved",
        Box::new(move |_| a(format!("ev.order.k1.{}", id()))),
    );
    let (a, s) = (at.clone(), store.to_owned());
    add(
        n / 2,
        &[],
        &["manager"],
        "orderline",
        "OrderLineAdded",
        Box::new(move |_| a(format!("ev.store.{s}.orderline.{}", id()))),
    );
    let a = at.clone();
    add(
        n / 2,
        &[],
        &["manager"],
        "list",
        "ShoppingListCreated",
        Box::new(move |i| {
            a(format!(
                "ev.depot.{}.{}",
                if i % 2 == 0 { "bot" } else { "list" },
                id()
            ))
        }),
    );
    let commands: [(
        &'static [&'static str],
        &'static str,
        usize,
        &'static [&'static str],
    ); 6] = [
        (
            &["cmd-ordering"],
            "ordering",
            n,
            &[
                "approve_order",
                "start_shopping",
                "ready_order",
                "cancel_order",
                "complete_order",
                "record_pickup",
                "teleport",
            ],
        ),
        (
            &["cmd-customers"],
            "customers",
            n,
            &["authorize_customer", "delete_everything"],
        ),
        (
            &["cmd-payments"],
            "payments",
            n,
            &[
                "authorize_payment",
                "void_payment",
                "create_invoice",
                "capture",
                "refund_twice",
            ],
        ),
        (
            &["cmd-depot"],
            "depot",
            n,
            &[
                "create_shopping_list",
                "cancel_shopping_list",
                "initiate_shopping",
                "cancel_list",
                "bot_offline",
                "self_destruct",
            ],
        ),
        (&[], "notifications", n / 10, &["notify_customer", "spam"]),
        (&["cmd-diag"], "diag", n, &["ping", "pong"]),
    ];
    for (consumer, context, count, names) in commands {
        let a = at.clone();
        add(
            count,
            consumer,
            &[],
            "command",
            "Command",
            Box::new(move |i| a(format!("cmd.{context}.{}", names[i % names.len()]))),
        );
    }
    let a = at.clone();
    add(
        n,
        &["saga-replies"],
        &[],
        "saga",
        "SagaInput",
        Box::new(move |i| {
            a(format!(
                "{}.{}",
                if i % 2 == 0 { "reply" } else { "timer" },
                id()
            ))
        }),
    );
    let a = at.clone();
    add(
        n,
        &["dispatch"],
        &[],
        "list",
        "ListAvailable",
        Box::new(move |_| a(format!("dispatch.{}", id()))),
    );
    out
}

/// A header block no NATS client library parses (a line without a colon); the server stores
/// it as sent.
pub const UNPARSEABLE_HEADER_LINE: &str = "no colon in this header";

/// Publishes `payload` with a raw header block `header` on `subject` over a plain TCP
/// connection (what a device's own client could send; async-nats refuses to build such headers).
pub fn raw_hpub(port: u16, subject: &str, header: &str, payload: &[u8]) {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("tcp");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut info = String::new();
    reader.read_line(&mut info).expect("INFO");
    let mut w = stream;
    let total = header.len() + payload.len();
    write!(
        w,
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1}}\r\n\
         HPUB {subject} {} {total}\r\n{header}",
        header.len()
    )
    .unwrap();
    w.write_all(payload).unwrap();
    w.write_all(b"\r\nPING\r\n").unwrap();
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok() && !line.contains("PONG") {
        assert!(!line.starts_with("-ERR"), "server refused: {line}");
        line.clear();
    }
}
