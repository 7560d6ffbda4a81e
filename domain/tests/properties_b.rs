//! Property tests: dispatch invariants and the order saga under random replies and timers.

mod saga_support;

use mallbots_domain::dispatch::{dispatch, AvailableList, IdleBot};
use mallbots_domain::saga::{ReplyOutcome, SagaCommand, SagaInputKind, SagaPhase, SagaStep};
use mallbots_domain::{BotId, ShoppingListId, Timestamp};
use proptest::prelude::*;
use saga_support::*;
use std::collections::HashSet;
use uuid::Uuid;

fn bots() -> impl Strategy<Value = Vec<IdleBot>> {
    prop::collection::vec((0u128..12, 0i64..50), 0..10).prop_map(|v| {
        v.into_iter()
            .map(|(id, t)| IdleBot {
                bot_id: BotId::from_uuid(Uuid::from_u128(id)),
                idle_since: Timestamp::from_millis(t),
            })
            .collect()
    })
}

fn lists() -> impl Strategy<Value = Vec<AvailableList>> {
    prop::collection::vec((0u128..12, 0i64..50), 0..10).prop_map(|v| {
        v.into_iter()
            .map(|(id, t)| AvailableList {
                list_id: ShoppingListId::from_uuid(Uuid::from_u128(id)),
                available_since: Timestamp::from_millis(t),
            })
            .collect()
    })
}

/// The earliest timestamp per distinct list id, sorted oldest first (then id).
fn oldest_lists(lists: &[AvailableList]) -> Vec<ShoppingListId> {
    let mut v: Vec<(Timestamp, ShoppingListId)> = lists
        .iter()
        .map(|l| (l.available_since, l.list_id))
        .collect();
    v.sort();
    let mut seen = HashSet::new();
    v.into_iter()
        .filter(|(_, id)| seen.insert(*id))
        .map(|(_, id)| id)
        .collect()
}

proptest! {
    #[test]
    fn dispatch_pairs_oldest_lists_with_distinct_bots(bots in bots(), lists in lists()) {
        let out = dispatch(&bots, &lists);
        let distinct_bots: HashSet<_> = bots.iter().map(|b| b.bot_id).collect();
        let oldest = oldest_lists(&lists);
        prop_assert_eq!(out.len(), distinct_bots.len().min(oldest.len()));
        let used_lists: HashSet<_> = out.iter().map(|a| a.list_id).collect();
        let used_bots: HashSet<_> = out.iter().map(|a| a.bot_id).collect();
        prop_assert_eq!(used_lists.len(), out.len(), "a list assigned twice");
        prop_assert_eq!(used_bots.len(), out.len(), "a bot assigned twice");
        prop_assert!(used_bots.is_subset(&distinct_bots));
        let assigned: Vec<_> = out.iter().map(|a| a.list_id).collect();
        prop_assert_eq!(&assigned[..], &oldest[..out.len()], "not the oldest lists, in order");
    }

    #[test]
    fn dispatch_ignores_input_order(bots in bots(), lists in lists()) {
        let mut rb = bots.clone();
        let mut rl = lists.clone();
        rb.reverse();
        rl.reverse();
        prop_assert_eq!(dispatch(&bots, &lists), dispatch(&rb, &rl));
    }
}

#[derive(Debug, Clone)]
enum Action {
    Succeed,
    Fail,
    TimeOut,
    Reply {
        step: usize,
        attempt: u32,
        success: bool,
    },
    Timer {
        step: usize,
        attempt: u32,
    },
    RepeatLast,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => Just(Action::Succeed),
        1 => Just(Action::Fail),
        1 => Just(Action::TimeOut),
        2 => (0usize..6, 0u32..12, any::<bool>()).prop_map(|(step, attempt, success)| Action::Reply { step, attempt, success }),
        1 => (0usize..6, 0u32..12).prop_map(|(step, attempt)| Action::Timer { step, attempt }),
        1 => Just(Action::RepeatLast),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn the_saga_never_repeats_an_emission_and_always_ends(actions in prop::collection::vec(action(), 0..40)) {
        let mut d = Driver::new();
        let first = d.input(order_created(vec![]));
        let mut last_input = first.clone();
        let mut emitted: Vec<SagaCommand> = d.feed_input(&first).commands;
        let mut all = actions.clone();
        // Then drive whatever is pending to an end by timeouts only.
        all.extend(std::iter::repeat_n(Action::TimeOut, 30));
        for a in all {
            let input = match a {
                Action::Succeed => {
                    let (step, attempt) = d.current();
                    d.input(SagaInputKind::Reply { step, attempt, outcome: ReplyOutcome::success() })
                }
                Action::Fail => {
                    let (step, attempt) = d.current();
                    d.input(SagaInputKind::Reply { step, attempt, outcome: ReplyOutcome::failure("no") })
                }
                Action::TimeOut => {
                    let (step, attempt) = d.current();
                    d.input(SagaInputKind::TimerFired { step, attempt })
                }
                Action::Reply { step, attempt, success } => {
                    let outcome = if success { ReplyOutcome::success() } else { ReplyOutcome::failure("x") };
                    d.input(SagaInputKind::Reply { step: SagaStep::ALL[step], attempt, outcome })
                }
                Action::Timer { step, attempt } => {
                    d.input(SagaInputKind::TimerFired { step: SagaStep::ALL[step], attempt })
                }
                Action::RepeatLast => last_input.clone(),
            };
            let before = d.state.clone().unwrap();
            let t = d.feed_input(&input);
            if t.duplicate {
                prop_assert_eq!(&t.state, &before);
                prop_assert_eq!(t.commands, before.outstanding_commands());
            } else {
                prop_assert!(!before.is_finished() || t.commands.iter().all(|c| !matches!(c, SagaCommand::RejectOrder { .. })),
                    "a finished saga rejected again");
                emitted.extend(t.commands);
            }
            last_input = input;
        }
        let state = d.state.unwrap();
        prop_assert!(state.is_finished(), "not finished: {:?}", state.phase);
        let ids: HashSet<_> = emitted.iter().map(|c| c.command_id()).collect();
        prop_assert_eq!(ids.len(), emitted.len(), "a command id emitted twice");
        let keys: HashSet<_> = emitted.iter().map(|c| (c.meta().step, c.meta().attempt)).collect();
        prop_assert_eq!(keys.len(), emitted.len(), "a step emitted twice under one attempt");
        let rejects = emitted.iter().filter(|c| matches!(c, SagaCommand::RejectOrder { .. })).count();
        match state.phase {
            SagaPhase::Rejected => {
                prop_assert_eq!(rejects, 1);
                let last_regular = emitted.iter().rposition(|c| matches!(c, SagaCommand::RejectOrder { .. })).unwrap();
                // After RejectOrder only late compensations may follow.
                prop_assert!(emitted[last_regular + 1..].iter().all(|c| c.is_compensation()));
            }
            SagaPhase::Completed => {
                prop_assert_eq!(rejects, 0);
                prop_assert!(emitted.iter().all(|c| !c.is_compensation()), "a completed saga compensated");
                prop_assert_eq!(emitted.last().map(|c| c.name()), Some("approve_order"));
            }
            phase => prop_assert!(false, "unexpected phase {:?}", phase),
        }
    }
}
