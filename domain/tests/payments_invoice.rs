//! Given / when / then tests of the `Invoice` aggregate.

use mallbots_domain::payments::{
    Invoice, InvoiceCommand, InvoiceError, InvoiceEvent, InvoiceStatus,
};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{Aggregate, DomainEvent, InvoiceId, Money, OrderId, PaymentId, Timestamp};
use uuid::Uuid;

fn iid() -> InvoiceId {
    InvoiceId::from_uuid(Uuid::from_u128(0x1F))
}

fn oid() -> OrderId {
    OrderId::from_uuid(Uuid::from_u128(0x0DE))
}

fn pid() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(0xBA1))
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn create(cents: i64) -> InvoiceCommand {
    InvoiceCommand::CreateInvoice {
        invoice_id: iid(),
        order_id: oid(),
        amount: Money::usd(cents),
        at: at(1),
    }
}

fn created() -> InvoiceEvent {
    InvoiceEvent::InvoiceCreated {
        invoice_id: iid(),
        order_id: oid(),
        amount: Money::usd(1999),
        at: at(1),
    }
}

fn paid() -> InvoiceEvent {
    InvoiceEvent::InvoicePaid {
        invoice_id: iid(),
        order_id: oid(),
        payment_id: pid(),
        amount: Money::usd(1999),
        at: at(2),
    }
}

fn canceled() -> InvoiceEvent {
    InvoiceEvent::InvoiceCanceled {
        invoice_id: iid(),
        order_id: oid(),
        at: at(2),
    }
}

#[test]
fn create_issues_a_pending_invoice() {
    let invoice = AggregateTest::<Invoice>::given_no_history()
        .when(create(1999))
        .then([created()]);
    assert_eq!(invoice.status, Some(InvoiceStatus::Pending));
    assert_eq!(invoice.amount, Money::usd(1999));
}

#[test]
fn create_refuses_non_positive_amounts_and_duplicates() {
    AggregateTest::<Invoice>::given_no_history()
        .when(create(0))
        .then_error(InvoiceError::AmountNotPositive);
    AggregateTest::<Invoice>::given([created()])
        .when(create(1999))
        .then_error(InvoiceError::AlreadyExists);
}

#[test]
fn pay_marks_paid_with_the_payment() {
    let invoice = AggregateTest::<Invoice>::given([created()])
        .when(InvoiceCommand::PayInvoice {
            payment_id: pid(),
            at: at(2),
        })
        .then([paid()]);
    assert_eq!(invoice.status, Some(InvoiceStatus::Paid));
    assert_eq!(invoice.payment_id, Some(pid()));
}

#[test]
fn pay_is_refused_when_missing_paid_or_canceled() {
    let pay = || InvoiceCommand::PayInvoice {
        payment_id: pid(),
        at: at(3),
    };
    AggregateTest::<Invoice>::given_no_history()
        .when(pay())
        .then_error(InvoiceError::NotFound);
    AggregateTest::<Invoice>::given([created(), paid()])
        .when(pay())
        .then_error(InvoiceError::AlreadyPaid);
    AggregateTest::<Invoice>::given([created(), canceled()])
        .when(pay())
        .then_error_code("invoice.already_canceled");
}

#[test]
fn cancel_withdraws_only_a_pending_invoice() {
    let cancel = || InvoiceCommand::CancelInvoice { at: at(2) };
    let invoice = AggregateTest::<Invoice>::given([created()])
        .when(cancel())
        .then([canceled()]);
    assert_eq!(invoice.status, Some(InvoiceStatus::Canceled));
    AggregateTest::<Invoice>::given([created(), paid()])
        .when(cancel())
        .then_error(InvoiceError::AlreadyPaid);
    AggregateTest::<Invoice>::given([created(), canceled()])
        .when(cancel())
        .then_error(InvoiceError::AlreadyCanceled);
    AggregateTest::<Invoice>::given_no_history()
        .when(cancel())
        .then_error_code("invoice.not_found");
}

#[test]
fn invoice_events_round_trip() {
    for event in [created(), paid(), canceled()] {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<InvoiceEvent>(json).unwrap(), event);
    }
    assert_eq!(Invoice::STREAM_TYPE, "invoice");
}
