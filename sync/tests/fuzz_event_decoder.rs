//! Fuzzing (proptest, bounded case counts so the test command stays fast) of everything that
//! reads an event coming from the outside: the envelope decoder
//! ([`IncomingEvent::decode`], [`IncomingEvent::inbox_key`], [`raw_message`] / [`parse_raw`]),
//! the typed decode and upcast of stored events ([`decode_event`], [`Upcasters`]) and the inbox
//! ([`local::receive`] on a real in-memory SQLite store).
//!
//! Properties: arbitrary bytes and mutated valid envelopes never panic; a refusal is a typed
//! error with a non-empty message (and a `store.*` code for store errors); the inbox never fails
//! on bad input (it parks it) and never applies one message twice.
//!
//! cargo-fuzz would need a nightly toolchain and a `fuzz/` crate per target; these proptest
//! equivalents run in the ordinary `cargo test` instead. Cases: `FUZZ_CASES` (default 2,000)
//! for the pure decoders, a quarter of that for the SQLite-backed inbox.

use async_nats::HeaderMap;
use mallbots_domain::ids::{CustomerId, OrderId, ProductId, StoreId};
use mallbots_domain::ordering::{OrderEvent, OrderItem};
use mallbots_domain::products::ProductEvent;
use mallbots_domain::{Currency, DomainEvent, ErrorCode, Money, Timestamp};
use mallbots_sync::engine::envelope::{self, parse_raw, raw_message, IncomingEvent};
use mallbots_sync::engine::local::{self, RawMessage, Received};
use mallbots_sync::engine::RecordOnly;
use mallbots_sync::store::sqlite::read;
use mallbots_sync::store::{
    decode_event, Durability, EventMetadata, SqliteStore, StoreError, StoredEvent, Upcasters,
};
use proptest::prelude::*;
use serde_json::Value;
use uuid::Uuid;

fn cases(divisor: u32) -> ProptestConfig {
    let n = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000u32);
    ProptestConfig {
        cases: (n / divisor).max(1),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A valid order event's payload (as a kiosk publishes it).
fn order_created(seed: u128) -> OrderEvent {
    let store = StoreId(Uuid::from_u128(seed ^ 0x51));
    OrderEvent::OrderCreated {
        order_id: OrderId(Uuid::from_u128(seed)),
        customer_id: CustomerId(Uuid::from_u128(seed ^ 0xc5)),
        device_id: Some("kiosk-1".into()),
        items: vec![OrderItem {
            product_id: ProductId::for_sku(store, "T-1"),
            store_id: store,
            store_name: "Corner Shop".into(),
            product_name: "Tea".into(),
            price: Money::new(250, Currency::default()),
            quantity: 2,
        }],
        total: Money::new(500, Currency::default()),
        payment_token: "tok_visa".into(),
        pickup_code: None,
        at: Timestamp::from_millis(1_700_000_000_000),
    }
}

/// A valid product event's payload (as a manager publishes it).
fn product_added(seed: u128) -> ProductEvent {
    let store = StoreId(Uuid::from_u128(seed));
    ProductEvent::ProductAdded {
        product_id: ProductId::for_sku(store, "A-1"),
        store_id: store,
        sku: "A-1".into(),
        name: "Apple juice".into(),
        description: String::new(),
        price: Money::new(250, Currency::default()),
        at: Timestamp::from_millis(1_700_000_000_000),
    }
}

/// A valid envelope: headers as the relay or central writes them, and the payload.
fn valid_envelope<E: DomainEvent>(event: &E, stream: (&str, &str), id: Uuid) -> Envelope {
    let mut headers = vec![
        (envelope::H_MSG_ID.to_owned(), id.to_string()),
        (
            envelope::H_EVENT_TYPE.to_owned(),
            event.event_type().to_owned(),
        ),
        (
            envelope::H_SCHEMA_VERSION.to_owned(),
            event.schema_version().to_string(),
        ),
        (envelope::H_STREAM_TYPE.to_owned(), stream.0.to_owned()),
        (envelope::H_STREAM_ID.to_owned(), stream.1.to_owned()),
        (envelope::H_OCCURRED_AT.to_owned(), "1700000000000".into()),
        (envelope::H_CORRELATION_ID.to_owned(), id.to_string()),
        (envelope::H_CAUSATION_ID.to_owned(), id.to_string()),
    ];
    headers.push((envelope::H_DEVICE.to_owned(), "kiosk-1".into()));
    Envelope {
        subject: format!("mallbots.ev.kiosk.kiosk-1.{}.{}", stream.0, stream.1),
        seq: 7,
        headers,
        payload: serde_json::to_vec(event).expect("encode"),
    }
}

/// One message as it could arrive: headers as pairs so the fuzzer can break them.
#[derive(Debug, Clone)]
struct Envelope {
    subject: String,
    seq: u64,
    headers: Vec<(String, String)>,
    payload: Vec<u8>,
}

impl Envelope {
    /// The header map a NATS client would hand over: pairs a client could not have received
    /// (invalid names, CR/LF in values) are left out, as the client's own parser does.
    fn header_map(&self) -> Option<HeaderMap> {
        if self.headers.is_empty() {
            return None;
        }
        let mut h = HeaderMap::new();
        for (k, v) in &self.headers {
            let name: Result<async_nats::header::HeaderName, _> = k.parse();
            let value: Result<async_nats::HeaderValue, _> = v.parse();
            if let (Ok(name), Ok(value)) = (name, value) {
                h.insert(name, value);
            }
        }
        Some(h)
    }

    fn raw(&self) -> RawMessage {
        RawMessage {
            subject: self.subject.clone(),
            seq: self.seq,
            headers: self.header_map(),
            payload: self.payload.clone(),
        }
    }
}

/// One way to damage a valid envelope.
#[derive(Debug, Clone)]
enum Mutation {
    FlipByte(usize, u8),
    Truncate(usize),
    InsertByte(usize, u8),
    DropHeader(usize),
    SetHeader(usize, String),
    SchemaVersion(u32),
    ReplacePayload(Vec<u8>),
    WrongSchemaJson(Value),
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("order_id".to_owned()),
                    ".{0,6}".prop_map(String::from)
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::InsertByte(i, b)),
        any::<usize>().prop_map(Mutation::DropHeader),
        (any::<usize>(), "\\PC{0,20}").prop_map(|(i, v)| Mutation::SetHeader(i, v)),
        any::<u32>().prop_map(Mutation::SchemaVersion),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Mutation::ReplacePayload),
        json_value().prop_map(Mutation::WrongSchemaJson),
    ]
}

fn mutate(mut e: Envelope, mutations: &[Mutation]) -> Envelope {
    for m in mutations {
        match m {
            Mutation::FlipByte(i, b) if !e.payload.is_empty() => {
                let n = e.payload.len();
                e.payload[i % n] ^= b | 1;
            }
            Mutation::Truncate(i) => e.payload.truncate(i % (e.payload.len() + 1)),
            Mutation::InsertByte(i, b) => e.payload.insert(i % (e.payload.len() + 1), *b),
            Mutation::DropHeader(i) if !e.headers.is_empty() => {
                let n = e.headers.len();
                e.headers.remove(i % n);
            }
            Mutation::SetHeader(i, v) if !e.headers.is_empty() => {
                let n = e.headers.len();
                e.headers[i % n].1 = v.clone();
            }
            Mutation::SchemaVersion(v) => {
                for (k, val) in &mut e.headers {
                    if k == envelope::H_SCHEMA_VERSION {
                        *val = v.to_string();
                    }
                }
            }
            Mutation::ReplacePayload(p) => e.payload = p.clone(),
            Mutation::WrongSchemaJson(v) => e.payload = serde_json::to_vec(v).expect("json"),
            _ => {}
        }
    }
    e
}

fn valid_any() -> impl Strategy<Value = Envelope> {
    (any::<u128>(), any::<bool>()).prop_map(|(seed, order)| {
        let id = Uuid::from_u128(seed.rotate_left(7));
        if order {
            let e = order_created(seed);
            valid_envelope(&e, ("order", &e.order_id().to_string()), id)
        } else {
            let e = product_added(seed);
            valid_envelope(&e, ("product", &e.product_id().to_string()), id)
        }
    })
}

/// Any text up to `max` chars (faster to generate than a unicode regex).
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

fn arbitrary_envelope() -> impl Strategy<Value = Envelope> {
    let name = prop_oneof![
        Just(envelope::H_MSG_ID.to_owned()),
        Just(envelope::H_EVENT_TYPE.to_owned()),
        Just(envelope::H_SCHEMA_VERSION.to_owned()),
        Just(envelope::H_STREAM_TYPE.to_owned()),
        Just(envelope::H_STREAM_ID.to_owned()),
        Just(envelope::H_OCCURRED_AT.to_owned()),
        Just(envelope::H_CORRELATION_ID.to_owned()),
        text(10),
    ];
    (
        text(40),
        any::<u64>(),
        prop::collection::vec((name, text(40)), 0..8),
        prop::collection::vec(any::<u8>(), 0..256),
    )
        .prop_map(|(subject, seq, headers, payload)| Envelope {
            subject,
            seq,
            headers,
            payload,
        })
}

/// Decoding either succeeds with the headers' values or fails with a clear message.
fn check_decode(e: &Envelope) -> Result<Option<IncomingEvent>, TestCaseError> {
    let headers = e.header_map();
    match IncomingEvent::decode(&e.subject, e.seq, headers.as_ref(), &e.payload) {
        Ok(ev) => {
            let h = headers.as_ref().expect("decoded without headers");
            prop_assert_eq!(
                ev.event_id.to_string(),
                h.get("Nats-Msg-Id").unwrap().as_str()
            );
            prop_assert_eq!(ev.subject.as_str(), e.subject.as_str());
            prop_assert_eq!(ev.stream_seq, e.seq);
            Ok(Some(ev))
        }
        Err(err) => {
            prop_assert!(!err.to_string().is_empty());
            Ok(None)
        }
    }
}

/// The typed decode of a decoded envelope: the domain event or a `store.codec` error.
fn check_typed(ev: &IncomingEvent) -> Result<(), TestCaseError> {
    let stored = StoredEvent {
        global_pos: 1,
        stream_type: ev.stream_type.clone(),
        stream_id: ev.stream_id.clone(),
        version: 1,
        event_id: ev.event_id,
        event_type: ev.event_type.clone(),
        schema_version: ev.schema_version,
        payload: ev.payload.clone(),
        metadata: EventMetadata::default(),
        occurred_at: ev.occurred_at,
        stream_seq: Some(ev.stream_seq),
        superseded: false,
        command_id: None,
    };
    for result in [
        decode_event::<OrderEvent>(&stored).map(|_| ()),
        decode_event::<ProductEvent>(&stored).map(|_| ()),
    ] {
        if let Err(e) = result {
            prop_assert_eq!(e.code(), "store.codec");
            prop_assert!(e.to_string().contains(&ev.event_type));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(1))]

    #[test]
    fn arbitrary_messages_never_panic_the_decoder(e in arbitrary_envelope()) {
        if let Some(ev) = check_decode(&e)? {
            check_typed(&ev)?;
        }
        let headers = e.header_map();
        let key = IncomingEvent::inbox_key(&e.subject, e.seq, headers.as_ref());
        prop_assert_eq!(key, IncomingEvent::inbox_key(&e.subject, e.seq, headers.as_ref()));
        let raw = raw_message(&e.subject, e.seq, headers.as_ref(), &e.payload);
        prop_assert!(serde_json::from_str::<Value>(&raw).is_ok());
        let (subject, seq, _, payload) = parse_raw(&raw).expect("parked text reads back");
        prop_assert_eq!(subject, e.subject.clone());
        prop_assert_eq!(seq, e.seq);
        if let Ok(text) = std::str::from_utf8(&e.payload) {
            prop_assert_eq!(payload, text.as_bytes().to_vec());
        }
    }

    #[test]
    fn mutated_valid_envelopes_decode_or_fail_clearly(
        e in valid_any(),
        mutations in prop::collection::vec(mutation(), 0..4),
    ) {
        let untouched = mutations.is_empty();
        let e = mutate(e, &mutations);
        let decoded = check_decode(&e)?;
        if untouched {
            let ev = decoded.as_ref().expect("a valid envelope decodes");
            let stored_ok = match ev.stream_type.as_str() {
                "order" => serde_json::from_value::<OrderEvent>(ev.payload.clone()).is_ok(),
                _ => serde_json::from_value::<ProductEvent>(ev.payload.clone()).is_ok(),
            };
            prop_assert!(stored_ok);
        }
        if let Some(ev) = decoded {
            check_typed(&ev)?;
        }
    }

    #[test]
    fn arbitrary_parked_text_never_panics_the_retry_parser(raw in "\\PC{0,200}") {
        let _ = parse_raw(&raw);
    }

    // Regression: a parked row whose header is empty-named or holds CR/LF (minimal case:
    // `{"": "\r"}`) used to panic `retry_parked` on the writer thread.
    #[test]
    fn parked_rows_with_arbitrary_headers_never_panic_the_retry_parser(
        headers in prop::collection::btree_map(".{0,12}", ".{0,12}", 0..4),
        payload in ".{0,40}",
    ) {
        let raw = serde_json::json!({
            "subject": "mallbots.ev.order.k1.x",
            "stream_seq": 3,
            "headers": headers,
            "payload": payload,
        })
        .to_string();
        let parsed = std::panic::catch_unwind(|| parse_raw(&raw).map(|p| p.0));
        prop_assert!(parsed.is_ok(), "parse_raw panicked on {}", raw);
    }

    #[test]
    fn upcasting_arbitrary_payloads_is_ok_or_a_typed_error(
        event_type in prop_oneof![Just("ItemAdded".to_owned()), "\\PC{0,8}"],
        version in 0u32..6,
        payload in json_value(),
    ) {
        let upcasters = Upcasters::new()
            .register("ItemAdded", 1, |mut v: Value| {
                let obj = v.as_object_mut().ok_or("not an object")?;
                obj.insert("quantity".into(), Value::from(1));
                Ok(v)
            })
            .register("ItemAdded", 2, Ok);
        match upcasters.upcast(&event_type, version, payload) {
            Ok((_, v)) if event_type == "ItemAdded" => prop_assert_eq!(v, 3),
            Ok((_, v)) => prop_assert_eq!(v, version),
            Err(e) => {
                let typed = matches!(
                    e,
                    StoreError::SchemaTooNew { .. } | StoreError::Upcast { .. }
                );
                prop_assert!(typed, "unexpected error {}", e);
                prop_assert!(["store.schema_too_new", "store.upcast_failed"].contains(&e.code()));
                if version > 3 {
                    prop_assert_eq!(e.code(), "store.schema_too_new");
                }
            }
        }
    }
}

/// Receives `msg` twice in its own transactions; returns both outcomes.
fn receive_twice(store: &mut SqliteStore, msg: &RawMessage) -> (Received, Received) {
    let once = |store: &mut SqliteStore| {
        store
            .transaction(Durability::Normal, |tx| {
                local::receive(tx, &RecordOnly, msg).map(|r| r.0)
            })
            .expect("the inbox never fails on bad input")
    };
    (once(store), once(store))
}

proptest! {
    #![proptest_config(cases(4))]

    #[test]
    fn the_inbox_parks_bad_messages_and_applies_good_ones_once(
        good in valid_any(),
        bad in prop_oneof![
            arbitrary_envelope(),
            (valid_any(), prop::collection::vec(mutation(), 1..4))
                .prop_map(|(e, m)| mutate(e, &m)),
        ],
    ) {
        let mut store = SqliteStore::open_in_memory(&[]).expect("store");
        let mut bad = bad;
        bad.seq = 1;
        let (first, second) = receive_twice(&mut store, &bad.raw());
        match first {
            Received::Applied => prop_assert_eq!(second, Received::Duplicate),
            Received::Parked(why) => {
                prop_assert!(!why.is_empty());
                prop_assert!(matches!(second, Received::Parked(_)));
            }
            other => prop_assert!(false, "unexpected {:?}", other),
        }
        let mut good = good;
        good.seq = 2;
        good.subject = format!("{}.x", good.subject);
        let (first, second) = receive_twice(&mut store, &good.raw());
        // A mutated copy of the same event id may have been applied first: then it is a duplicate.
        prop_assert!(matches!(first, Received::Applied | Received::Duplicate), "{first:?}");
        prop_assert_eq!(second, Received::Duplicate);
        let headers = good.header_map();
        let key = IncomingEvent::inbox_key(&good.subject, good.seq, headers.as_ref());
        let conn = store.transaction(Durability::Normal, |tx| {
            read::inbox_entry(tx, key)
        }).expect("read");
        prop_assert!(conn.is_some());
    }
}
