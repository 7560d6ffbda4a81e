//! Given / when / then tests of the desk context: pickup and stop-prepared requests decided on a
//! desk, central's authorization of them (`decide_pickup`, `decide_stop`), the list's
//! "prepared at the counter" and the bounded cancel reason.

mod ordering_support;

use mallbots_domain::depot::{ListCommand, ListError, ListEvent, ListItem, ShoppingList, Stop};
use mallbots_domain::desk::{
    decide_pickup, decide_stop, manages_store, recent_wrong_codes, DeskAccess, DeskCommand,
    DeskError, DeskEvent, PickupRefusal, PickupRequest, StopRefusal, StopRequest, ALL_STORES,
    MAX_WRONG_CODES,
};
use ordering_support::*;

fn store(n: u128) -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(n))
}

fn manager(stores: &[u128]) -> DeskAccess {
    DeskAccess {
        role: "manager".into(),
        stores: stores.iter().map(|s| store(*s).to_string()).collect(),
    }
}

fn depot() -> DeskAccess {
    DeskAccess {
        role: "depot".into(),
        stores: vec![],
    }
}

fn order(events: &[OrderEvent]) -> Order {
    Order::from_events(events)
}

fn completed() -> OrderEvent {
    OrderEvent::OrderCompleted {
        order_id: order_id(),
        invoice_id: invoice_id(),
        at: at(9),
    }
}

#[test]
fn a_desk_requests_a_pickup_and_may_retry_after_a_refusal() {
    let request = DeskCommand::RequestPickup {
        order_id: order_id(),
        user: " alice ".into(),
        code: " 042-517 ".into(),
        at: at(5),
    };
    let state = AggregateTest::<PickupRequest>::given_no_history()
        .when(request.clone())
        .then([DeskEvent::OrderPickupRequested {
            order_id: order_id(),
            user: "alice".into(),
            code: PICKUP_CODE.into(),
            at: at(5),
        }]);
    assert_eq!(state.requests, 1);
    let events = [DeskEvent::OrderPickupRequested {
        order_id: order_id(),
        user: "alice".into(),
        code: PICKUP_CODE.into(),
        at: at(5),
    }];
    let again = AggregateTest::<PickupRequest>::given(events.clone())
        .when(request)
        .result()
        .unwrap();
    assert_eq!(
        again.len(),
        1,
        "a retry is the next event on the same stream"
    );
}

#[test]
fn a_pickup_request_names_its_own_order_and_a_sane_user() {
    let events = [DeskEvent::OrderPickupRequested {
        order_id: order_id(),
        user: String::new(),
        code: String::new(),
        at: at(5),
    }];
    AggregateTest::<PickupRequest>::given(events)
        .when(DeskCommand::RequestPickup {
            order_id: OrderId::from_uuid(Uuid::from_u128(99)),
            user: String::new(),
            code: PICKUP_CODE.into(),
            at: at(6),
        })
        .then_error(DeskError::WrongOrder);
    AggregateTest::<PickupRequest>::given_no_history()
        .when(DeskCommand::RequestPickup {
            order_id: order_id(),
            user: "x".repeat(101),
            code: PICKUP_CODE.into(),
            at: at(6),
        })
        .then_error_code("desk.user_invalid");
    AggregateTest::<PickupRequest>::given_no_history()
        .when(DeskCommand::RequestPickup {
            order_id: order_id(),
            user: "a\u{1b}[31m".into(),
            code: PICKUP_CODE.into(),
            at: at(6),
        })
        .then_error(DeskError::UserInvalid);
    for typed in ["12345a", "1234567", "12 34 56 7"] {
        AggregateTest::<PickupRequest>::given_no_history()
            .when(DeskCommand::RequestPickup {
                order_id: order_id(),
                user: String::new(),
                code: typed.into(),
                at: at(6),
            })
            .then_error_code("desk.code_invalid");
    }
}

#[test]
fn a_stop_request_is_made_once() {
    let cmd = DeskCommand::MarkStopPrepared {
        list_id: list_id(),
        store_id: store(1),
        user: "bob".into(),
        at: at(3),
    };
    let made = DeskEvent::StopPrepared {
        list_id: list_id(),
        store_id: store(1),
        user: "bob".into(),
        at: at(3),
    };
    AggregateTest::<StopRequest>::given_no_history()
        .when(cmd.clone())
        .then([made.clone()]);
    AggregateTest::<StopRequest>::given([made])
        .when(cmd)
        .then_error(DeskError::AlreadyRequested);
}

#[test]
fn central_accepts_a_ready_order_from_its_manager_or_any_depot_desk() {
    let ready = order(&[created(), approved(), shopping(), readied()]);
    assert_eq!(
        decide_pickup(Some(&manager(&[1])), Some(&ready), PICKUP_CODE, 0),
        Ok(())
    );
    assert_eq!(
        decide_pickup(Some(&manager(&[2, 7])), Some(&ready), PICKUP_CODE, 0),
        Ok(())
    );
    assert_eq!(
        decide_pickup(Some(&depot()), Some(&ready), PICKUP_CODE, 0),
        Ok(())
    );
}

#[test]
fn a_mall_wide_manager_manages_every_store_and_a_literal_star_in_no_other_place() {
    let ready = order(&[created(), approved(), shopping(), readied()]);
    let office = DeskAccess {
        role: "manager".into(),
        stores: vec![ALL_STORES.into()],
    };
    assert_eq!(
        decide_pickup(Some(&office), Some(&ready), PICKUP_CODE, 0),
        Ok(())
    );
    assert!(manages_store(&[ALL_STORES.into()], store(42)));
    assert!(!manages_store(&[store(1).to_string()], store(42)));
    assert!(!manages_store(&[], store(1)));
    let kiosk_with_star = DeskAccess {
        role: "kiosk".into(),
        stores: vec![ALL_STORES.into()],
    };
    assert_eq!(
        decide_pickup(Some(&kiosk_with_star), Some(&ready), PICKUP_CODE, 0)
            .unwrap_err()
            .code(),
        "pickup.not_your_store"
    );
}

#[test]
fn central_refuses_each_pickup_with_its_code() {
    let ready = order(&[created(), approved(), shopping(), readied()]);
    let approved_only = order(&[created(), approved()]);
    let done = order(&[created(), approved(), shopping(), readied(), completed()]);
    let cases = [
        (
            Some(manager(&[1])),
            Some(&approved_only),
            "pickup.not_ready",
        ),
        (Some(depot()), Some(&done), "pickup.already_completed"),
        (Some(manager(&[3])), Some(&ready), "pickup.not_your_store"),
        (Some(manager(&[3])), Some(&done), "pickup.not_your_store"),
        (None, Some(&ready), "pickup.not_your_store"),
        (
            Some(DeskAccess {
                role: "kiosk".into(),
                stores: vec![store(1).to_string()],
            }),
            Some(&ready),
            "pickup.not_your_store",
        ),
        (Some(depot()), None, "pickup.unknown_order"),
        (Some(manager(&[1])), None, "pickup.unknown_order"),
    ];
    for (access, order, code) in cases {
        let refusal = decide_pickup(access.as_ref(), order, PICKUP_CODE, 0).unwrap_err();
        assert_eq!(refusal.code(), code, "{access:?}");
    }
    assert_eq!(
        decide_pickup(None, None, PICKUP_CODE, 0),
        Err(PickupRefusal::NotYourStore),
        "an unknown device learns nothing about orders"
    );
}

#[test]
fn central_hands_over_only_with_the_orders_pickup_code() {
    let ready = order(&[created(), approved(), shopping(), readied()]);
    assert_eq!(ready.pickup_code(), Some(PICKUP_CODE));
    assert_eq!(
        decide_pickup(Some(&depot()), Some(&ready), "042 517", 0),
        Ok(())
    );
    for wrong in ["", "042518", "42517", "000000"] {
        assert_eq!(
            decide_pickup(Some(&depot()), Some(&ready), wrong, 0)
                .unwrap_err()
                .code(),
            "pickup.wrong_code",
            "{wrong:?}"
        );
    }
    let not_ready = order(&[created(), approved()]);
    assert_eq!(
        decide_pickup(Some(&depot()), Some(&not_ready), "000000", 0),
        Err(PickupRefusal::NotReady),
        "the code is checked on a ready order only"
    );
    assert_eq!(
        decide_pickup(Some(&manager(&[3])), Some(&ready), "000000", 0),
        Err(PickupRefusal::NotYourStore),
        "authorization comes first"
    );
    let mut legacy = created();
    if let OrderEvent::OrderCreated { pickup_code, .. } = &mut legacy {
        *pickup_code = None;
    }
    let legacy = order(&[legacy, approved(), shopping(), readied()]);
    assert_eq!(
        decide_pickup(Some(&depot()), Some(&legacy), "", MAX_WRONG_CODES),
        Ok(()),
        "no code asked, none counted"
    );
    assert_eq!(
        decide_pickup(Some(&depot()), Some(&legacy), "", 0),
        Ok(()),
        "an order placed before codes existed asks for none"
    );
}

fn list_with_stops() -> ShoppingList {
    let items = [1u128, 2].map(|s| ListItem {
        store_id: store(s),
        product_id: ProductId::for_sku(store(s), "A"),
        product_name: "A".into(),
        quantity: 1,
    });
    ShoppingList::from_events(&[ListEvent::ShoppingListCreated {
        list_id: list_id(),
        order_id: order_id(),
        stops: Stop::plan(&items),
        at: at(1),
    }])
}

#[test]
fn a_stop_is_prepared_at_the_counter_once_and_survives_a_release() {
    let list = list_with_stops();
    let events = list
        .decide(&ListCommand::PrepareStop {
            store_id: store(1),
            at: at(2),
        })
        .unwrap();
    assert_eq!(
        events,
        vec![ListEvent::StopPreparedAtCounter {
            list_id: list_id(),
            store_id: store(1),
            at: at(2),
        }]
    );
    let mut prepared = list.clone();
    prepared.apply(&events[0]);
    assert!(prepared
        .stops
        .iter()
        .any(|s| s.store_id == store(1) && s.prepared));
    assert_eq!(
        prepared.decide(&ListCommand::PrepareStop {
            store_id: store(1),
            at: at(3)
        }),
        Err(ListError::StopAlreadyPrepared)
    );
    assert_eq!(
        list.decide(&ListCommand::PrepareStop {
            store_id: store(9),
            at: at(3)
        }),
        Err(ListError::UnknownStop)
    );
    // Old lists (no `prepared` field) still decode.
    let old = r#"{"store_id":"00000000-0000-0000-0000-000000000001","items":[],"picked":false}"#;
    let stop: Stop = serde_json::from_str(old).unwrap();
    assert!(!stop.prepared);
}

#[test]
fn central_authorizes_a_stop_request_by_the_stores_manager_only() {
    let list = list_with_stops();
    assert_eq!(decide_stop(Some(&manager(&[1])), &list, store(1)), Ok(true));
    assert_eq!(
        decide_stop(Some(&manager(&[2])), &list, store(1)),
        Err(StopRefusal::NotYourStore)
    );
    assert_eq!(
        decide_stop(Some(&depot()), &list, store(1)),
        Err(StopRefusal::NotYourStore)
    );
    assert_eq!(
        decide_stop(None, &list, store(1)),
        Err(StopRefusal::NotYourStore)
    );
    assert_eq!(
        decide_stop(Some(&manager(&[9])), &list, store(9)),
        Err(StopRefusal::UnknownStop)
    );
    assert_eq!(
        decide_stop(Some(&manager(&[1])), &ShoppingList::default(), store(1)),
        Err(StopRefusal::UnknownList)
    );
    let mut prepared = list.clone();
    prepared.apply(&ListEvent::StopPreparedAtCounter {
        list_id: list_id(),
        store_id: store(1),
        at: at(2),
    });
    assert_eq!(
        decide_stop(Some(&manager(&[1])), &prepared, store(1)),
        Ok(false),
        "already prepared: nothing to do"
    );
    let mut canceled = list;
    canceled.apply(&ListEvent::ShoppingListCanceled {
        list_id: list_id(),
        order_id: order_id(),
        at: at(3),
    });
    assert_eq!(
        decide_stop(Some(&manager(&[1])), &canceled, store(1)),
        Err(StopRefusal::Closed)
    );
}

#[test]
fn a_cancel_reason_is_bounded() {
    AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::RequestCancellation {
            reason: "x".repeat(501),
            at: at(5),
        })
        .then_error(OrderError::ReasonInvalid);
    AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::RequestCancellation {
            reason: "Ω".repeat(500),
            at: at(5),
        })
        .then([OrderEvent::OrderCancellationRequested {
            order_id: order_id(),
            reason: "Ω".repeat(500),
            at: at(5),
        }]);
    AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::CancelOrder {
            reason: "y".repeat(10_000),
            by: CancelledBy::Admin,
            at: at(5),
        })
        .then_error_code("order.reason_invalid");
}

#[test]
fn after_five_wrong_codes_a_desk_waits_before_central_checks_another() {
    let ready = order(&[created(), approved(), shopping(), readied()]);
    let refusal = |minute: i64| DeskEvent::OrderPickupRefused {
        order_id: order_id(),
        code: "pickup.wrong_code".into(),
        reason: "wrong".into(),
        at: Timestamp::from_millis(minute * 60_000),
    };
    let other = DeskEvent::OrderPickupRefused {
        order_id: order_id(),
        code: "pickup.not_ready".into(),
        reason: "not yet".into(),
        at: Timestamp::from_millis(60_000),
    };
    let answers: Vec<DeskEvent> = (1..=5).map(refusal).chain([other]).collect();
    let now = Timestamp::from_millis(10 * 60_000);
    assert_eq!(recent_wrong_codes(&answers, now), 5);
    assert_eq!(
        decide_pickup(Some(&depot()), Some(&ready), PICKUP_CODE, 5)
            .unwrap_err()
            .code(),
        "pickup.too_many_tries",
        "even the right code waits"
    );
    assert_eq!(
        decide_pickup(Some(&depot()), Some(&ready), PICKUP_CODE, 4),
        Ok(())
    );
    let later = Timestamp::from_millis(17 * 60_000);
    assert_eq!(
        recent_wrong_codes(&answers, later),
        3,
        "the oldest two are out of the window"
    );
    assert_eq!(
        decide_pickup(Some(&manager(&[3])), Some(&ready), PICKUP_CODE, 5),
        Err(PickupRefusal::NotYourStore),
        "authorization still comes first"
    );
}
