//! Fuzzing of what central reads off the wire, without a server: the event envelope central
//! writes ([`envelope::headers`]) read back by the edge's decoder, the payload types its
//! consumers decode (kiosk order, catalog, customer events, saga inputs, command payloads, the
//! diagnostics ping, enrollment requests, dead-letter listings) and the subject parsers
//! ([`kiosk_subject_parts`], [`message_type`], [`Topology::is_event_subject`]).
//!
//! Properties: arbitrary bytes and mutated valid messages never panic; a valid message decodes
//! to what was written; a refusal is a serde error with a message (the worker dead-letters it).
//!
//! A seeded mutation fuzzer (xorshift, no extra dependency: the crate has no proptest) runs
//! `FUZZ_CASES` cases per property (default 2,000); `FUZZ_SEED` replays a run. A failure prints
//! the seed and the case.

use async_nats::HeaderMap;
use mallbots_central::enrollment::EnrollRequest;
use mallbots_central::platform::commands::{CancelOrder, CompleteOrder, ReadyOrder, StartShopping};
use mallbots_central::platform::diag::Ping;
use mallbots_central::platform::dlq::DeadLetter;
use mallbots_central::platform::envelope::{self, EventMeta};
use mallbots_central::roles::saga::orders::kiosk_subject_parts;
use mallbots_central::Topology;
use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::ids::{CustomerId, OrderId, ProductId, StoreId};
use mallbots_domain::ordering::{OrderEvent, OrderItem};
use mallbots_domain::products::ProductEvent;
use mallbots_domain::saga::SagaInput;
use mallbots_domain::stores::StoreEvent;
use mallbots_domain::{Currency, DomainEvent, Money, Timestamp};
use mallbots_sync::engine::IncomingEvent;
use mallbots_wire::service_subjects::message_type;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Text biased towards what breaks parsers: JSON punctuation, digits, dots, unicode.
    fn text(&mut self, max: usize) -> String {
        const PIECES: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            "\"",
            ":",
            ",",
            ".",
            "*",
            ">",
            "0",
            "-1",
            "1e999",
            "null",
            "true",
            "\\u0000",
            "\\ud800",
            "é",
            "\u{202e}",
            "👩‍👩‍👧",
            "\u{0301}",
            "type",
            "order",
            "kiosk",
            "ev",
            "cmd",
            "mallbots",
            " ",
            "\t",
        ];
        let n = self.below(max + 1);
        (0..n).map(|_| PIECES[self.below(PIECES.len())]).collect()
    }
}

fn cases() -> usize {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Runs `case` for every fuzz case with its own seeded generator; reports the seed on panic.
fn fuzz(name: &str, mut case: impl FnMut(&mut Rng)) {
    let base: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6d61_6c6c_626f_7473);
    for i in 0..cases() as u64 {
        let seed = base ^ (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut rng = Rng(seed);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&mut rng)));
        if let Err(panic) = result {
            eprintln!("{name}: case {i} failed; replay with FUZZ_SEED={base} (case seed {seed})");
            std::panic::resume_unwind(panic);
        }
    }
}

/// Damages `bytes` in 1–4 random ways.
fn mutate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(4) {
        let len = bytes.len();
        match rng.below(6) {
            0 if len > 0 => bytes[rng.below(len)] ^= 1 << rng.below(8),
            1 => bytes.truncate(rng.below(len + 1)),
            2 => bytes.insert(rng.below(len + 1), rng.next() as u8),
            3 if len > 0 => {
                bytes.remove(rng.below(len));
            }
            4 => {
                let at = rng.below(len + 1);
                let text = rng.text(8);
                bytes.splice(at..at, text.into_bytes());
            }
            _ => {
                let (a, b) = (rng.below(len + 1), rng.below(len + 1));
                bytes[a.min(b)..a.max(b)].reverse();
            }
        }
    }
    bytes
}

fn order_created(rng: &mut Rng) -> OrderEvent {
    let store = StoreId(Uuid::from_u64_pair(rng.next(), rng.next()));
    OrderEvent::OrderCreated {
        order_id: OrderId(Uuid::from_u64_pair(rng.next(), rng.next())),
        customer_id: CustomerId(Uuid::from_u64_pair(rng.next(), rng.next())),
        device_id: Some("kiosk-1".into()),
        items: vec![OrderItem {
            product_id: ProductId::for_sku(store, "T-1"),
            store_id: store,
            store_name: rng.text(6),
            product_name: rng.text(6),
            price: Money::new(rng.next() as i64 % 100_000, Currency::default()),
            quantity: rng.next() as i64 % 20,
        }],
        total: Money::new(rng.next() as i64 % 100_000, Currency::default()),
        payment_token: "tok_visa".into(),
        pickup_code: None,
        at: Timestamp::from_millis(1_700_000_000_000),
    }
}

fn product_added(rng: &mut Rng) -> ProductEvent {
    let store = StoreId(Uuid::from_u64_pair(rng.next(), rng.next()));
    ProductEvent::ProductAdded {
        product_id: ProductId::for_sku(store, "A-1"),
        store_id: store,
        sku: "A-1".into(),
        name: rng.text(10),
        description: rng.text(10),
        price: Money::new(250, Currency::default()),
        at: Timestamp::from_millis(1_700_000_000_000),
    }
}

fn meta(rng: &mut Rng, stream_type: &'static str, stream_id: String) -> EventMeta {
    EventMeta {
        event_id: Uuid::from_u64_pair(rng.next(), rng.next()).to_string(),
        stream_type,
        stream_id,
        occurred_at: (rng.next() >> 2) as i64,
        correlation_id: Uuid::from_u64_pair(rng.next(), rng.next()).to_string(),
        causation_id: Uuid::from_u64_pair(rng.next(), rng.next()).to_string(),
    }
}

/// Decoding `bytes` as `T` returns (never panics); an error has a message.
fn decodes<T: DeserializeOwned>(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<T>(bytes) {
        Ok(_) => true,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

/// Every payload type a central consumer decodes.
fn decode_all(bytes: &[u8]) {
    decodes::<OrderEvent>(bytes);
    decodes::<StoreEvent>(bytes);
    decodes::<ProductEvent>(bytes);
    decodes::<CustomerEvent>(bytes);
    decodes::<SagaInput>(bytes);
    decodes::<StartShopping>(bytes);
    decodes::<ReadyOrder>(bytes);
    decodes::<CancelOrder>(bytes);
    decodes::<CompleteOrder>(bytes);
    decodes::<Ping>(bytes);
    decodes::<EnrollRequest>(bytes);
    decodes::<DeadLetter>(bytes);
}

/// Central's envelope with the msg-id the publisher adds.
fn with_msg_id(mut h: HeaderMap, meta: &EventMeta) -> HeaderMap {
    h.insert("Nats-Msg-Id", meta.event_id.as_str());
    h
}

#[test]
fn central_envelopes_read_back_with_the_edge_decoder() {
    fuzz("envelope round trip", |rng| {
        let (payload, h, meta) = if rng.below(2) == 0 {
            let e = order_created(rng);
            let m = meta(rng, "order", e.order_id().to_string());
            (
                serde_json::to_vec(&e).unwrap(),
                envelope::headers(&e, &m),
                m,
            )
        } else {
            let e = product_added(rng);
            let m = meta(rng, "product", e.product_id().to_string());
            (
                serde_json::to_vec(&e).unwrap(),
                envelope::headers(&e, &m),
                m,
            )
        };
        let h = with_msg_id(h, &meta);
        let ev = IncomingEvent::decode("r.ev.order.k.x", 3, Some(&h), &payload)
            .expect("central's envelope decodes at the edge");
        assert_eq!(ev.event_id.to_string(), meta.event_id);
        assert_eq!(ev.stream_type, meta.stream_type);
        assert_eq!(ev.stream_id, meta.stream_id);
        assert_eq!(ev.occurred_at, meta.occurred_at);
        assert_eq!(ev.metadata.device_id.as_deref(), Some("central"));
        assert_eq!(
            ev.event_type,
            h.get(envelope::H_EVENT_TYPE).unwrap().as_str()
        );
        // Mutated payloads under the same headers: decoded or refused, never a panic.
        let damaged = mutate(rng, payload);
        if let Err(e) = IncomingEvent::decode("r.ev.order.k.x", 3, Some(&h), &damaged) {
            assert!(e.to_string().contains("JSON"), "{e}");
        }
        decode_all(&damaged);
    });
}

#[test]
fn mutated_valid_payloads_never_panic_a_consumer_decode() {
    fuzz("mutated payloads", |rng| {
        let valid = match rng.below(4) {
            0 => serde_json::to_vec(&order_created(rng)).unwrap(),
            1 => serde_json::to_vec(&product_added(rng)).unwrap(),
            2 => serde_json::to_vec(&serde_json::json!({
                "command_id": format!("c{}", rng.next()),
                "order_id": Uuid::from_u64_pair(rng.next(), rng.next()),
                "reason": rng.text(5),
                "at": 1,
            }))
            .unwrap(),
            _ => br#"{"id":"x","work_ms":0,"nak_until_delivery":0}"#.to_vec(),
        };
        assert!(
            decode_all_any(&valid),
            "the valid payload decodes as something"
        );
        decode_all(&mutate(rng, valid));
    });
}

fn decode_all_any(bytes: &[u8]) -> bool {
    decodes::<OrderEvent>(bytes)
        || decodes::<ProductEvent>(bytes)
        || decodes::<CancelOrder>(bytes)
        || decodes::<Ping>(bytes)
}

#[test]
fn arbitrary_bytes_never_panic_a_consumer_decode() {
    fuzz("arbitrary bytes", |rng| {
        let bytes = if rng.below(2) == 0 {
            rng.bytes(256)
        } else {
            rng.text(40).into_bytes()
        };
        decode_all(&bytes);
    });
}

#[test]
fn arbitrary_subjects_never_panic_the_subject_parsers() {
    let topology = Topology::new("mallbots", "");
    fuzz("subjects", |rng| {
        let tokens: Vec<String> = (0..rng.below(8))
            .map(|_| match rng.below(3) {
                0 => rng.text(3),
                1 => ["mallbots", "ev", "kiosk", "order", "orderreq", "cmd"][rng.below(6)].into(),
                _ => String::from_utf8_lossy(&rng.bytes(4)).into_owned(),
            })
            .collect();
        let subject = tokens.join(".");
        if let Some((device, kind, id)) = kiosk_subject_parts(&subject) {
            let tail = format!("kiosk.{device}.{kind}.{id}");
            assert!(
                subject == tail || subject.ends_with(&format!(".{tail}")),
                "{subject}"
            );
        }
        let _ = message_type("mallbots", &subject);
        let _ = topology.is_event_subject(&subject);
        assert_eq!(
            envelope::event_id_for(&subject, 0),
            envelope::event_id_for(&subject, 0)
        );
    });
}

#[test]
fn the_worker_rejects_a_payload_under_an_unexpected_event_type_header() {
    // A product payload under an order's headers: the edge decodes the envelope (the payload is
    // JSON), the typed decode refuses it, so neither side applies it as an order.
    let mut rng = Rng(7);
    let product = product_added(&mut rng);
    let order = order_created(&mut rng);
    let m = meta(&mut rng, "order", order.order_id().to_string());
    let h = with_msg_id(envelope::headers(&order, &m), &m);
    let payload = serde_json::to_vec(&product).unwrap();
    let ev = IncomingEvent::decode("r.ev.order.k.x", 1, Some(&h), &payload).unwrap();
    assert!(serde_json::from_value::<OrderEvent>(ev.payload).is_err());
    assert_eq!(order.event_type(), "OrderCreated");
}
