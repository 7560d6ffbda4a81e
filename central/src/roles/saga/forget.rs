//! Forgetting finished sagas (docs/architecture.md §8 P7: finished saga keys deleted, so the `sagas` bucket
//! stays flat). Once a saga is finished and nothing of it can still answer (no step waiting for
//! its reply, none timed out whose late success would need compensating), its key is purged a
//! grace period after its last write — after its last commands are out, and long enough for a
//! redelivered duplicate to still find the state ([`crate::platform::forget`]: the purge expects
//! that write's revision, so a later write wins, and leaves a marker for a while: an input for a
//! forgotten saga is ignored, never taken for a new saga). If the replica stops first, the
//! bucket's max age removes the key.

use std::sync::Arc;

use async_nats::jetstream::kv;
use mallbots_domain::saga::{RecordDirection, RecordStatus, SagaState};

use crate::platform::forget::{purge_after, Forgetting};
use crate::platform::metrics::Metrics;

/// Counter of finished saga keys purged.
pub use crate::platform::metrics::SAGAS_FORGOTTEN;

/// Whether `state` is finished with nothing outstanding that could still change it: no emission
/// waiting, and no timed-out forward step whose late success would need compensating (a
/// timed-out ApproveOrder of a saga completed unconfirmed, or a timed-out compensation, can
/// answer but change nothing).
pub fn forgettable(state: &SagaState) -> bool {
    state.is_finished()
        && state.records.iter().all(|r| match r.status {
            RecordStatus::Pending => false,
            RecordStatus::TimedOut => {
                r.direction == RecordDirection::Compensation || !r.step.has_compensation()
            }
            _ => true,
        })
}

/// Purges `key` after `forgetting.grace` if its revision is still `revision` (in the background).
pub fn forget_later(
    store: kv::Store,
    key: String,
    revision: u64,
    forgetting: Forgetting,
    metrics: Arc<Metrics>,
) {
    tokio::spawn(async move {
        match purge_after(&store, &key, revision, forgetting).await {
            Ok(()) => metrics.inc(SAGAS_FORGOTTEN, &[]),
            Err(e) => {
                tracing::debug!(saga = %key, error = %e, "finished saga kept (written since)")
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::forgettable;
    use mallbots_domain::saga::{
        transition, ReplyOutcome, SagaInput, SagaInputKind, SagaItem, SagaPhase, SagaState,
        StepTimeouts,
    };
    use mallbots_domain::{CustomerId, Money, OrderId, ProductId, StoreId, Timestamp};

    /// Feeds `inputs` after a valid OrderCreated; `true` = the current emission succeeds,
    /// `false` = its timer fires.
    fn run(inputs: &[bool]) -> SagaState {
        let store = StoreId::default();
        let timeouts = StepTimeouts::uniform(1_000);
        let mut at = 0;
        let mut feed = |state: Option<&SagaState>, kind: SagaInputKind| {
            at += 1;
            let input = SagaInput {
                input_id: format!("in-{at}"),
                at: Timestamp::from_millis(at),
                kind,
            };
            transition(state, &input, &timeouts).unwrap().state
        };
        let mut state = feed(
            None,
            SagaInputKind::OrderCreated {
                order_id: OrderId::default(),
                customer_id: CustomerId::default(),
                items: vec![SagaItem {
                    store_id: store,
                    product_id: ProductId::for_sku(store, "A"),
                    product_name: "A".into(),
                    quantity: 1,
                    price: Money::usd(100),
                }],
                total: Money::usd(100),
                payment_token: "tok".into(),
                unavailable_products: vec![],
            },
        );
        for &ok in inputs {
            let (step, attempt) = (state.step, state.attempt);
            let kind = if ok {
                SagaInputKind::Reply {
                    step,
                    attempt,
                    outcome: ReplyOutcome::success(),
                }
            } else {
                SagaInputKind::TimerFired { step, attempt }
            };
            state = feed(Some(&state), kind);
        }
        state
    }

    #[test]
    fn a_saga_completed_unconfirmed_is_forgettable() {
        let state = run(&[true, true, true, true, false, false, false]);
        assert_eq!(state.phase, SagaPhase::Completed);
        assert!(state.approval_unconfirmed());
        assert!(
            forgettable(&state),
            "a late ApproveOrder answer changes nothing"
        );
    }

    #[test]
    fn a_rejected_saga_with_a_timed_out_payment_is_kept() {
        // AuthorizePayment times out; VoidPayment, CancelShoppingList answered; RejectOrder sent.
        let state = run(&[true, true, false, true, true]);
        assert_eq!(state.phase, SagaPhase::Rejected);
        assert!(
            !forgettable(&state),
            "a late authorization must still find the saga to be voided"
        );
    }

    #[test]
    fn an_approved_saga_is_forgettable_and_a_running_one_is_not() {
        assert!(forgettable(&run(&[true, true, true, true, true])));
        assert!(!forgettable(&run(&[true, true])));
    }
}
