//! Given / when / then tests of the `Customer` aggregate and SMS number validation.

use mallbots_domain::customers::{
    normalize_sms_number, Customer, CustomerCommand, CustomerError, CustomerEvent,
};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{Aggregate, CustomerId, ErrorCode, Timestamp};
use uuid::Uuid;

fn customer_id() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0xC0))
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn register(name: &str, sms: &str) -> CustomerCommand {
    CustomerCommand::RegisterCustomer {
        customer_id: customer_id(),
        name: name.into(),
        sms_number: sms.into(),
        at: at(1),
    }
}

fn registered() -> CustomerEvent {
    CustomerEvent::CustomerRegistered {
        customer_id: customer_id(),
        name: "Ada".into(),
        sms_number: "+15550104477".into(),
        at: at(1),
    }
}

fn disabled() -> CustomerEvent {
    CustomerEvent::CustomerDisabled {
        customer_id: customer_id(),
        at: at(2),
    }
}

#[test]
fn register_customer_normalizes_the_number_and_enables() {
    let customer = AggregateTest::<Customer>::given_no_history()
        .when(register(" Ada ", "+1 555-010-4477"))
        .then([registered()]);
    assert!(customer.is_registered() && customer.enabled());
    assert_eq!(customer.id(), customer_id());
    assert_eq!(customer.name(), "Ada");
    assert_eq!(customer.sms_number(), "+15550104477");
}

#[test]
fn register_rejects_blank_name() {
    AggregateTest::<Customer>::given_no_history()
        .when(register("  ", "5550104477"))
        .then_error(CustomerError::NameBlank);
}

#[test]
fn register_rejects_invalid_numbers() {
    for sms in [
        "",
        "123456",
        "1234567890123456",
        "555-CALL-NOW",
        "55+50104477",
        "++5550104477",
    ] {
        AggregateTest::<Customer>::given_no_history()
            .when(register("Ada", sms))
            .then_error(CustomerError::SmsNumberInvalid);
    }
}

#[test]
fn register_twice_is_refused() {
    AggregateTest::<Customer>::given([registered()])
        .when(register("Ada", "5550104477"))
        .then_error(CustomerError::AlreadyRegistered);
}

#[test]
fn sms_numbers_accept_7_to_15_digits_with_optional_plus() {
    assert_eq!(normalize_sms_number("1234567").as_deref(), Some("1234567"));
    assert_eq!(
        normalize_sms_number("+123456789012345").as_deref(),
        Some("+123456789012345")
    );
    assert_eq!(
        normalize_sms_number("(555) 010.4477").as_deref(),
        Some("5550104477")
    );
    assert_eq!(normalize_sms_number("+123456"), None);
    assert_eq!(normalize_sms_number("٣٣٣٣٣٣٣٣"), None, "only ASCII digits");
}

#[test]
fn change_sms_number() {
    let customer = AggregateTest::<Customer>::given([registered()])
        .when(CustomerCommand::ChangeSmsNumber {
            sms_number: "555 0199".into(),
            at: at(3),
        })
        .then([CustomerEvent::CustomerSmsChanged {
            customer_id: customer_id(),
            sms_number: "5550199".into(),
            at: at(3),
        }]);
    assert_eq!(customer.sms_number(), "5550199");
}

#[test]
fn change_sms_number_rejects_invalid_and_unchanged_numbers() {
    AggregateTest::<Customer>::given([registered()])
        .when(CustomerCommand::ChangeSmsNumber {
            sms_number: "12".into(),
            at: at(3),
        })
        .then_error(CustomerError::SmsNumberInvalid);
    AggregateTest::<Customer>::given([registered()])
        .when(CustomerCommand::ChangeSmsNumber {
            sms_number: "+1 (555) 010 4477".into(),
            at: at(3),
        })
        .then_error(CustomerError::SmsNumberUnchanged);
}

#[test]
fn commands_on_an_unregistered_customer_are_refused() {
    for command in [
        CustomerCommand::ChangeSmsNumber {
            sms_number: "5550199".into(),
            at: at(3),
        },
        CustomerCommand::AuthorizeCustomer { at: at(3) },
        CustomerCommand::EnableCustomer { at: at(3) },
        CustomerCommand::DisableCustomer { at: at(3) },
    ] {
        AggregateTest::<Customer>::given_no_history()
            .when(command)
            .then_error_code("customer.not_registered");
    }
}

#[test]
fn authorize_an_enabled_customer() {
    let customer = AggregateTest::<Customer>::given([registered()])
        .when(CustomerCommand::AuthorizeCustomer { at: at(4) })
        .then([CustomerEvent::CustomerAuthorized {
            customer_id: customer_id(),
            at: at(4),
        }]);
    assert_eq!(customer.last_authorized_at(), Some(at(4)));
}

#[test]
fn a_disabled_customer_is_not_authorized() {
    AggregateTest::<Customer>::given([registered(), disabled()])
        .when(CustomerCommand::AuthorizeCustomer { at: at(4) })
        .then_error(CustomerError::Disabled);
}

#[test]
fn disable_customer() {
    let customer = AggregateTest::<Customer>::given([registered()])
        .when(CustomerCommand::DisableCustomer { at: at(2) })
        .then([disabled()]);
    assert!(!customer.enabled());
}

#[test]
fn disable_twice_is_refused() {
    AggregateTest::<Customer>::given([registered(), disabled()])
        .when(CustomerCommand::DisableCustomer { at: at(3) })
        .then_error(CustomerError::AlreadyDisabled);
}

#[test]
fn enable_a_disabled_customer() {
    let customer = AggregateTest::<Customer>::given([registered(), disabled()])
        .when(CustomerCommand::EnableCustomer { at: at(3) })
        .then([CustomerEvent::CustomerEnabled {
            customer_id: customer_id(),
            at: at(3),
        }]);
    assert!(customer.enabled());
}

#[test]
fn enable_an_enabled_customer_is_refused() {
    AggregateTest::<Customer>::given([registered()])
        .when(CustomerCommand::EnableCustomer { at: at(3) })
        .then_error(CustomerError::AlreadyEnabled);
}

#[test]
fn error_codes_are_namespaced() {
    let errors = [
        CustomerError::AlreadyRegistered,
        CustomerError::NotRegistered,
        CustomerError::NameBlank,
        CustomerError::SmsNumberInvalid,
        CustomerError::SmsNumberUnchanged,
        CustomerError::Disabled,
        CustomerError::AlreadyEnabled,
        CustomerError::AlreadyDisabled,
    ];
    let mut codes: Vec<&str> = errors.iter().map(ErrorCode::code).collect();
    assert!(codes.iter().all(|c| c.starts_with("customer.")));
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(Customer::STREAM_TYPE, "customer");
}

#[test]
fn customer_events_have_a_pinned_wire_format() {
    let json = serde_json::to_value(registered()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "type": "CustomerRegistered",
            "customer_id": "00000000-0000-0000-0000-0000000000c0",
            "name": "Ada",
            "sms_number": "+15550104477",
            "at": 1
        })
    );
}
