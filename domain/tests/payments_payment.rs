//! Given / when / then tests of the `Payment` aggregate.

use mallbots_domain::payments::{
    Payment, PaymentCommand, PaymentError, PaymentEvent, PaymentStatus,
};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{Aggregate, DomainEvent, ErrorCode, Money, OrderId, PaymentId, Timestamp};
use uuid::Uuid;

fn pid() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(0xBA1))
}

fn oid() -> OrderId {
    OrderId::from_uuid(Uuid::from_u128(0x0DE))
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn authorize(cents: i64, token: &str) -> PaymentCommand {
    PaymentCommand::AuthorizePayment {
        payment_id: pid(),
        order_id: oid(),
        amount: Money::usd(cents),
        card_token: token.into(),
        at: at(1),
    }
}

fn authorized() -> PaymentEvent {
    PaymentEvent::PaymentAuthorized {
        payment_id: pid(),
        order_id: oid(),
        amount: Money::usd(2500),
        at: at(1),
    }
}

fn declined() -> PaymentEvent {
    PaymentEvent::PaymentDeclined {
        payment_id: pid(),
        order_id: oid(),
        amount: Money::usd(2500),
        reason: "insufficient_funds".into(),
        at: at(1),
    }
}

fn captured() -> PaymentEvent {
    PaymentEvent::PaymentCaptured {
        payment_id: pid(),
        order_id: oid(),
        amount: Money::usd(2500),
        at: at(5),
    }
}

fn voided(ms: i64) -> PaymentEvent {
    PaymentEvent::PaymentVoided {
        payment_id: pid(),
        order_id: oid(),
        at: at(ms),
    }
}

fn void(ms: i64) -> PaymentCommand {
    PaymentCommand::VoidPayment {
        payment_id: pid(),
        order_id: oid(),
        at: at(ms),
    }
}

#[test]
fn authorize_records_the_amount_but_never_the_card_token() {
    let payment = AggregateTest::<Payment>::given_no_history()
        .when(authorize(2500, "tok_visa_4242"))
        .then([authorized()]);
    assert_eq!(payment.status, Some(PaymentStatus::Authorized));
    assert_eq!(payment.amount, Money::usd(2500));
    let json = serde_json::to_string(&authorized()).unwrap();
    assert!(!json.contains("tok_visa"), "{json}");
    assert!(json.contains(r#""type":"PaymentAuthorized""#), "{json}");
}

#[test]
fn authorize_refuses_zero_negative_amounts_and_blank_tokens() {
    AggregateTest::<Payment>::given_no_history()
        .when(authorize(0, "tok"))
        .then_error(PaymentError::AmountNotPositive);
    AggregateTest::<Payment>::given_no_history()
        .when(authorize(-5, "tok"))
        .then_error_code("payment.amount_not_positive");
    AggregateTest::<Payment>::given_no_history()
        .when(authorize(100, "   "))
        .then_error(PaymentError::CardTokenBlank);
}

#[test]
fn authorize_twice_is_refused() {
    AggregateTest::<Payment>::given([authorized()])
        .when(authorize(2500, "tok"))
        .then_error(PaymentError::AlreadyExists);
    AggregateTest::<Payment>::given([declined()])
        .when(authorize(2500, "tok"))
        .then_error_code("payment.already_exists");
}

#[test]
fn a_void_that_overtook_the_authorization_fences_it_off() {
    let tombstone = AggregateTest::<Payment>::given_no_history()
        .when(void(1))
        .then([voided(1)]);
    assert_eq!(tombstone.status, Some(PaymentStatus::Voided));
    AggregateTest::<Payment>::given([voided(1)])
        .when(authorize(2500, "tok"))
        .then_error(PaymentError::AlreadyVoided);
}

#[test]
fn decline_records_the_gateway_reason() {
    let payment = AggregateTest::<Payment>::given_no_history()
        .when(PaymentCommand::DeclinePayment {
            payment_id: pid(),
            order_id: oid(),
            amount: Money::usd(2500),
            reason: " insufficient_funds ".into(),
            at: at(1),
        })
        .then([declined()]);
    assert_eq!(payment.status, Some(PaymentStatus::Declined));
    assert_eq!(
        payment.decline_reason.as_deref(),
        Some("insufficient_funds")
    );
}

#[test]
fn decline_needs_a_reason() {
    AggregateTest::<Payment>::given_no_history()
        .when(PaymentCommand::DeclinePayment {
            payment_id: pid(),
            order_id: oid(),
            amount: Money::usd(1),
            reason: "".into(),
            at: at(1),
        })
        .then_error(PaymentError::ReasonBlank);
}

#[test]
fn capture_charges_the_authorized_amount() {
    let payment = AggregateTest::<Payment>::given([authorized()])
        .when(PaymentCommand::CapturePayment { at: at(5) })
        .then([captured()]);
    assert_eq!(payment.status, Some(PaymentStatus::Captured));
}

#[test]
fn capture_is_refused_unless_authorized() {
    let capture = || PaymentCommand::CapturePayment { at: at(9) };
    AggregateTest::<Payment>::given_no_history()
        .when(capture())
        .then_error(PaymentError::NotFound);
    AggregateTest::<Payment>::given([declined()])
        .when(capture())
        .then_error(PaymentError::Declined);
    AggregateTest::<Payment>::given([authorized(), captured()])
        .when(capture())
        .then_error(PaymentError::AlreadyCaptured);
    AggregateTest::<Payment>::given([authorized(), voided(3)])
        .when(capture())
        .then_error_code("payment.already_voided");
}

#[test]
fn void_releases_an_authorization_once() {
    AggregateTest::<Payment>::given([authorized()])
        .when(void(3))
        .then([voided(3)]);
    AggregateTest::<Payment>::given([authorized(), voided(3)])
        .when(void(4))
        .then_error(PaymentError::AlreadyVoided);
}

#[test]
fn void_after_capture_or_decline_is_refused() {
    AggregateTest::<Payment>::given([authorized(), captured()])
        .when(void(6))
        .then_error(PaymentError::AlreadyCaptured);
    AggregateTest::<Payment>::given([declined()])
        .when(void(6))
        .then_error(PaymentError::Declined);
}

#[test]
fn events_round_trip_and_name_themselves() {
    for event in [authorized(), declined(), captured(), voided(3)] {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.event_type());
        let back: PaymentEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
    assert_eq!(Payment::STREAM_TYPE, "payment");
    assert_eq!(PaymentError::AlreadyVoided.code(), "payment.already_voided");
}
