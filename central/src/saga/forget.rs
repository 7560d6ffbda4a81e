//! Forgetting finished sagas (DESIGN §8 P7: finished saga keys deleted, so the `sagas` bucket
//! stays flat). Once a saga is finished and nothing of it can still answer (no step waiting for
//! its reply, none timed out whose late success would need compensating), its key is purged a
//! grace period after its last write — after its last commands are out, and long enough for a
//! redelivered duplicate to still find the state. The purge expects that write's revision, so a
//! later write wins. The purge leaves a marker: an input for a forgotten saga is ignored, never
//! taken for a new saga. If the replica stops first, the bucket's max age removes the key.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use mallbots_domain::saga::{RecordDirection, RecordStatus, SagaState};

use crate::metrics::Metrics;

/// Counter of finished saga keys purged.
pub const SAGAS_FORGOTTEN: &str = "mallbots_saga_keys_forgotten_total";

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

/// Purges `key` after `grace` if its revision is still `revision` (in the background).
pub fn forget_later(
    store: kv::Store,
    key: String,
    revision: u64,
    grace: Duration,
    metrics: Arc<Metrics>,
) {
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        match store.purge_expect_revision(&key, Some(revision)).await {
            Ok(()) => metrics.inc(SAGAS_FORGOTTEN, &[]),
            Err(e) => {
                tracing::debug!(saga = %key, error = %e, "finished saga kept (written since)")
            }
        }
    });
}
