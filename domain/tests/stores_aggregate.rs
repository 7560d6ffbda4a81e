//! Given / when / then tests of the `Store` aggregate: every command's success path and every
//! rule's rejection.

use mallbots_domain::stores::{Store, StoreCommand, StoreError, StoreEvent};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{Aggregate, ErrorCode, StoreId, Timestamp};
use uuid::Uuid;

fn store_id() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5701))
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn created() -> StoreEvent {
    StoreEvent::StoreCreated {
        store_id: store_id(),
        name: "Books & Co".into(),
        location: "Level 1, unit 4".into(),
        at: at(1),
    }
}

fn participating() -> StoreEvent {
    StoreEvent::StoreParticipationEnabled {
        store_id: store_id(),
        at: at(2),
    }
}

fn automated() -> StoreEvent {
    StoreEvent::AutomatedShoppingEnabled {
        store_id: store_id(),
        at: at(3),
    }
}

fn removed() -> StoreEvent {
    StoreEvent::StoreRemoved {
        store_id: store_id(),
        at: at(4),
    }
}

#[test]
fn create_store_trims_name_and_location() {
    let store = AggregateTest::<Store>::given_no_history()
        .when(StoreCommand::CreateStore {
            store_id: store_id(),
            name: "  Books & Co ".into(),
            location: " Level 1, unit 4".into(),
            at: at(1),
        })
        .then([created()]);
    assert!(store.exists() && store.is_active());
    assert_eq!(store.id(), store_id());
    assert_eq!(store.name(), "Books & Co");
    assert_eq!(store.location(), "Level 1, unit 4");
    assert!(
        !store.participating(),
        "a new store does not participate yet"
    );
    assert!(!store.automated_shopping());
}

#[test]
fn create_store_rejects_blank_name() {
    AggregateTest::<Store>::given_no_history()
        .when(StoreCommand::CreateStore {
            store_id: store_id(),
            name: " \t ".into(),
            location: "L1".into(),
            at: at(1),
        })
        .then_error(StoreError::NameBlank);
}

#[test]
fn create_store_rejects_blank_location() {
    AggregateTest::<Store>::given_no_history()
        .when(StoreCommand::CreateStore {
            store_id: store_id(),
            name: "Books".into(),
            location: "".into(),
            at: at(1),
        })
        .then_error_code("store.location_blank");
}

#[test]
fn create_store_twice_is_refused() {
    AggregateTest::<Store>::given([created()])
        .when(StoreCommand::CreateStore {
            store_id: store_id(),
            name: "Other".into(),
            location: "L2".into(),
            at: at(9),
        })
        .then_error(StoreError::AlreadyExists);
}

#[test]
fn rebrand_store_renames_it() {
    let store = AggregateTest::<Store>::given([created()])
        .when(StoreCommand::RebrandStore {
            name: " Pages ".into(),
            at: at(5),
        })
        .then([StoreEvent::StoreRebranded {
            store_id: store_id(),
            name: "Pages".into(),
            at: at(5),
        }]);
    assert_eq!(store.name(), "Pages");
    assert_eq!(store.updated_at(), at(5));
}

#[test]
fn rebrand_store_rejects_blank_name() {
    AggregateTest::<Store>::given([created()])
        .when(StoreCommand::RebrandStore {
            name: "   ".into(),
            at: at(5),
        })
        .then_error(StoreError::NameBlank);
}

#[test]
fn commands_on_a_missing_store_are_not_found() {
    for command in [
        StoreCommand::RebrandStore {
            name: "X".into(),
            at: at(5),
        },
        StoreCommand::EnableParticipation { at: at(5) },
        StoreCommand::DisableParticipation { at: at(5) },
        StoreCommand::EnableAutomatedShopping { at: at(5) },
        StoreCommand::DisableAutomatedShopping { at: at(5) },
        StoreCommand::RemoveStore { at: at(5) },
    ] {
        AggregateTest::<Store>::given_no_history()
            .when(command)
            .then_error(StoreError::NotFound);
    }
}

#[test]
fn enable_participation() {
    let store = AggregateTest::<Store>::given([created()])
        .when(StoreCommand::EnableParticipation { at: at(2) })
        .then([participating()]);
    assert!(store.participating());
}

#[test]
fn enable_participation_twice_is_refused() {
    AggregateTest::<Store>::given([created(), participating()])
        .when(StoreCommand::EnableParticipation { at: at(6) })
        .then_error(StoreError::AlreadyParticipating);
}

#[test]
fn disable_participation() {
    let store = AggregateTest::<Store>::given([created(), participating()])
        .when(StoreCommand::DisableParticipation { at: at(6) })
        .then([StoreEvent::StoreParticipationDisabled {
            store_id: store_id(),
            at: at(6),
        }]);
    assert!(!store.participating());
}

#[test]
fn disable_participation_of_a_non_participating_store_is_refused() {
    AggregateTest::<Store>::given([created()])
        .when(StoreCommand::DisableParticipation { at: at(6) })
        .then_error(StoreError::NotParticipating);
}

#[test]
fn enable_automated_shopping() {
    let store = AggregateTest::<Store>::given([created()])
        .when(StoreCommand::EnableAutomatedShopping { at: at(3) })
        .then([automated()]);
    assert!(store.automated_shopping());
}

#[test]
fn enable_automated_shopping_twice_is_refused() {
    AggregateTest::<Store>::given([created(), automated()])
        .when(StoreCommand::EnableAutomatedShopping { at: at(6) })
        .then_error(StoreError::AutomatedShoppingAlreadyEnabled);
}

#[test]
fn disable_automated_shopping() {
    let store = AggregateTest::<Store>::given([created(), automated()])
        .when(StoreCommand::DisableAutomatedShopping { at: at(6) })
        .then([StoreEvent::AutomatedShoppingDisabled {
            store_id: store_id(),
            at: at(6),
        }]);
    assert!(!store.automated_shopping());
}

#[test]
fn disable_automated_shopping_when_disabled_is_refused() {
    AggregateTest::<Store>::given([created()])
        .when(StoreCommand::DisableAutomatedShopping { at: at(6) })
        .then_error_code("store.automated_shopping_already_disabled");
}

#[test]
fn remove_store_ends_participation_and_automation() {
    let store = AggregateTest::<Store>::given([created(), participating(), automated()])
        .when(StoreCommand::RemoveStore { at: at(4) })
        .then([removed()]);
    assert!(store.is_removed() && !store.is_active());
    assert!(!store.participating() && !store.automated_shopping());
}

#[test]
fn a_removed_store_accepts_no_more_commands() {
    for command in [
        StoreCommand::RebrandStore {
            name: "X".into(),
            at: at(5),
        },
        StoreCommand::EnableParticipation { at: at(5) },
        StoreCommand::EnableAutomatedShopping { at: at(5) },
        StoreCommand::RemoveStore { at: at(5) },
    ] {
        AggregateTest::<Store>::given([created(), removed()])
            .when(command)
            .then_error(StoreError::Removed);
    }
}

#[test]
fn error_codes_are_namespaced_and_distinct() {
    let errors = [
        StoreError::NameBlank,
        StoreError::LocationBlank,
        StoreError::AlreadyExists,
        StoreError::NotFound,
        StoreError::Removed,
        StoreError::AlreadyParticipating,
        StoreError::NotParticipating,
        StoreError::AutomatedShoppingAlreadyEnabled,
        StoreError::AutomatedShoppingAlreadyDisabled,
    ];
    let mut codes: Vec<&str> = errors.iter().map(ErrorCode::code).collect();
    assert!(codes.iter().all(|c| c.starts_with("store.")), "{codes:?}");
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(Store::STREAM_TYPE, "store");
}

#[test]
fn store_events_have_a_pinned_wire_format() {
    let json = serde_json::to_value(created()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "type": "StoreCreated",
            "store_id": "00000000-0000-0000-0000-000000005701",
            "name": "Books & Co",
            "location": "Level 1, unit 4",
            "at": 1
        })
    );
}

#[test]
fn place_store_puts_it_on_the_floor_plan() {
    let store = AggregateTest::<Store>::given([created()])
        .when(StoreCommand::PlaceStore {
            level: 2,
            x: 640,
            y: 120,
            at: at(6),
        })
        .then([StoreEvent::StorePlaced {
            store_id: store_id(),
            level: 2,
            x: 640,
            y: 120,
            at: at(6),
        }]);
    let place = store.place().expect("placed");
    assert_eq!((place.level, place.x, place.y), (2, 640, 120));
}

#[test]
fn place_store_off_the_plan_is_refused() {
    for (level, x, y) in [(6, 0, 0), (0, 1001, 0), (0, 0, 601)] {
        AggregateTest::<Store>::given([created()])
            .when(StoreCommand::PlaceStore {
                level,
                x,
                y,
                at: at(6),
            })
            .then_error(StoreError::PlaceOffPlan);
    }
    assert_eq!(StoreError::PlaceOffPlan.code(), "store.place_off_plan");
}

#[test]
fn a_removed_store_cannot_be_placed() {
    AggregateTest::<Store>::given([created(), removed()])
        .when(StoreCommand::PlaceStore {
            level: 0,
            x: 1,
            y: 1,
            at: at(7),
        })
        .then_error(StoreError::Removed);
}
