//! Tests of the SMS texts notifications send.

use mallbots_domain::notifications::{
    display_amount, order_code, reason_text, sms_for, NotificationTrigger, SmsMessage,
};
use mallbots_domain::{Currency, Money, OrderId};
use uuid::Uuid;

fn order() -> OrderId {
    OrderId::from_uuid(Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099abc12").unwrap())
}

#[test]
fn order_code_is_the_tail_of_the_id_in_capitals() {
    assert_eq!(order_code(order()), "9ABC12");
}

#[test]
fn ready_for_pickup_text() {
    let sms = sms_for(&NotificationTrigger::OrderReady {
        order_id: order(),
        sms_number: " +15550104477 ".into(),
        total: Money::usd(2599),
        pickup_code: Some("042517".into()),
    });
    assert_eq!(
        sms,
        SmsMessage {
            to: "+15550104477".into(),
            body: "Your MallBots order #9ABC12 is ready for pickup at the depot. Show pickup \
                   code 042 517 at the desk. Total due: $25.99."
                .into(),
        }
    );
    let legacy = sms_for(&NotificationTrigger::OrderReady {
        order_id: order(),
        sms_number: "+15550104477".into(),
        total: Money::usd(2599),
        pickup_code: None,
    });
    assert_eq!(
        legacy.body,
        "Your MallBots order #9ABC12 is ready for pickup at the depot. Total due: $25.99.",
        "an order placed before codes existed gets no code"
    );
}

#[test]
fn created_and_canceled_texts() {
    let created = sms_for(&NotificationTrigger::OrderCreated {
        order_id: order(),
        sms_number: "+1555".into(),
        total: Money::usd(705),
    });
    assert!(
        created.body.contains("#9ABC12") && created.body.contains("$7.05"),
        "{}",
        created.body
    );
    let canceled = sms_for(&NotificationTrigger::OrderCanceled {
        order_id: order(),
        sms_number: "+1555".into(),
        reason: "payment_declined".into(),
    });
    assert_eq!(
        canceled.body,
        "Your MallBots order #9ABC12 was canceled because your card was declined. Your card was not charged."
    );
}

#[test]
fn amounts_and_reasons_read_naturally() {
    assert_eq!(display_amount(Money::usd(5)), "$0.05");
    assert_eq!(
        display_amount(Money::new(1234, Currency::parse("eur").unwrap())),
        "12.34 EUR"
    );
    assert_eq!(
        reason_text("product_unavailable"),
        "an item is no longer available"
    );
    assert_eq!(reason_text("store_closed"), "store closed");
}

#[test]
fn dedupe_key_is_per_order_and_kind() {
    let ready = NotificationTrigger::OrderReady {
        order_id: order(),
        sms_number: "a".into(),
        total: Money::usd(1),
        pickup_code: None,
    };
    let again = NotificationTrigger::OrderReady {
        order_id: order(),
        sms_number: "b".into(),
        total: Money::usd(2),
        pickup_code: Some("000001".into()),
    };
    let created = NotificationTrigger::OrderCreated {
        order_id: order(),
        sms_number: "a".into(),
        total: Money::usd(1),
    };
    assert_eq!(ready.dedupe_key(), again.dedupe_key());
    assert_ne!(ready.dedupe_key(), created.dedupe_key());
    assert_eq!(ready.kind(), "order_ready");
}
