//! The saga against a model of ordering, payments and the depot (saga_support::world), with its
//! commands, replies and timers delivered in any order: timers firing before slow handlers
//! answer, redeliveries, lost (dead-lettered) ApproveOrders, a customer cancelling midway.
//! Whatever happens: an approved order keeps its payment and list, a rejected order keeps no
//! authorization and no live list, and the saga's outcome agrees with ordering.

mod saga_support;

use mallbots_domain::saga::{SagaCommand, SagaPhase, SagaStep};
use proptest::prelude::*;
use saga_support::world::{Fate, ListSt, Msg, OrderSt, PaySt, World};

/// One scheduling choice: which in-flight message goes next, and what becomes of it.
fn choice() -> impl Strategy<Value = (u16, u8)> {
    (any::<u16>(), 0u8..100)
}

fn fate(roll: u8, lossy: bool, msg: &Msg) -> Fate {
    let approve = matches!(msg, Msg::Command(SagaCommand::ApproveOrder { .. }));
    match roll {
        0..=29 if lossy && approve => Fate::Lose,
        0..=14 => Fate::Redeliver,
        _ => Fate::Consume,
    }
}

/// Runs the choices, then delivers the rest in order; `cancel_at` injects a customer's cancel.
fn run(choices: &[(u16, u8)], decline: bool, lossy: bool, cancel_at: Option<usize>) -> World {
    let mut w = World::started(decline);
    for (i, (pick, roll)) in choices.iter().enumerate() {
        if cancel_at == Some(i) {
            w.cancel_by_customer();
        }
        if w.inflight.is_empty() {
            break;
        }
        // Two picks in three let handlers answer first; the third may fire a timer early.
        let index = w.pick(*pick as usize / 3, *pick % 3 != 0);
        let f = fate(*roll, lossy, &w.inflight[index]);
        w.deliver(index, f);
    }
    w.drain();
    w
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn any_interleaving_keeps_order_payment_and_list_consistent(
        choices in prop::collection::vec(choice(), 0..80),
        decline in any::<bool>(),
    ) {
        let w = run(&choices, decline, false, None);
        let saga = w.saga.as_ref().unwrap();
        prop_assert!(saga.is_finished(), "not finished: {:?}", saga.phase);
        if let Err(e) = w.check_invariants() {
            prop_assert!(false, "{}", e);
        }
        // Nothing lost, nobody cancels: the saga's outcome is the order's.
        match saga.phase {
            SagaPhase::Completed => {
                prop_assert_eq!(w.order, OrderSt::Approved);
                prop_assert_eq!(w.payment, PaySt::Authorized);
                prop_assert_eq!(w.list, ListSt::Available);
            }
            _ => {
                prop_assert_eq!(w.order, OrderSt::Rejected);
                prop_assert!(w.payment != PaySt::Authorized);
            }
        }
        if decline {
            prop_assert_eq!(saga.phase, SagaPhase::Rejected);
        }
    }

    #[test]
    fn lost_approvals_never_void_an_approved_order(
        choices in prop::collection::vec(choice(), 0..80),
    ) {
        let w = run(&choices, false, true, None);
        let saga = w.saga.as_ref().unwrap();
        prop_assert!(saga.is_finished());
        if let Err(e) = w.check_invariants() {
            prop_assert!(false, "{}", e);
        }
        // Past the pivot the saga never compensates: every ApproveOrder lost leaves the order
        // pending with its payment authorized (dead-lettered, replayable), never voided.
        if saga.records.iter().any(|r| r.step == SagaStep::ApproveOrder) {
            prop_assert_eq!(saga.phase, SagaPhase::Completed);
            prop_assert_eq!(w.payment, PaySt::Authorized);
            prop_assert!(matches!(w.order, OrderSt::Approved | OrderSt::Pending));
        }
    }

    #[test]
    fn a_customer_cancel_at_any_point_keeps_the_invariants(
        choices in prop::collection::vec(choice(), 1..80),
        at in any::<prop::sample::Index>(),
    ) {
        let cancel_at = at.index(choices.len());
        let w = run(&choices, false, false, Some(cancel_at));
        prop_assert!(w.saga.as_ref().unwrap().is_finished());
        if let Err(e) = w.check_invariants() {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The interleaving the central engineer saw under load, step by step: the ApproveOrder timer
/// fires while ordering is applying it.
#[test]
fn the_load_race_ends_approved_with_the_payment_kept() {
    let mut w = World::started(false);
    // Forward steps 1–4 answered in order (command, then its reply).
    for _ in 0..4 {
        w.deliver(command_index(&w), Fate::Consume); // handler
        w.deliver(reply_index(&w), Fate::Consume); // reply to the saga
    }
    // ApproveOrder is out; its timer fires first, then ordering applies it.
    let timer = w
        .inflight
        .iter()
        .rposition(|m| matches!(m, Msg::Input(id, _) if id.starts_with("timer/approve_order")))
        .expect("approve timer");
    w.deliver(timer, Fate::Consume);
    w.drain();
    assert_eq!(w.order, OrderSt::Approved);
    assert_eq!(w.payment, PaySt::Authorized, "not voided");
    assert_eq!(w.list, ListSt::Available, "not canceled");
    assert_eq!(w.saga.as_ref().unwrap().phase, SagaPhase::Completed);
    assert!(
        !w.emitted.iter().any(SagaCommand::is_compensation),
        "no compensation was ever sent"
    );
}

fn command_index(w: &World) -> usize {
    w.inflight
        .iter()
        .position(|m| matches!(m, Msg::Command(_)))
        .expect("a command in flight")
}

fn reply_index(w: &World) -> usize {
    w.inflight
        .iter()
        .position(|m| matches!(m, Msg::Input(id, _) if id.starts_with("reply/")))
        .expect("a reply in flight")
}
