//! The `saga` role: the order saga runner (docs/architecture.md §3, §5) and the helpers every saga command
//! handler uses to answer.
//!
//! * `saga-orders` ([`orders`]): a kiosk's `OrderCreated` on `<root>.ev.kiosk.<device>.order.<id>`
//!   starts a saga (step 0 re-validates the order against the catalog view); cancellation
//!   requests on `…orderreq.<id>` go to [`crate::roles::ordering`].
//! * `saga-replies` ([`replies`]): handlers' replies on `<root>.reply.<saga>` and fired timers on
//!   `<root>.timer.<saga>`, both a [`SagaInput`] JSON.
//! * [`runner`]: load → transition → compare-and-set → publish.
//!
//! Step timeouts come from the setting `saga.timeout_ms` (`MALLBOTS__SAGA__TIMEOUT_MS`, one value
//! for every step; default 10 000). ApproveOrder, the pivot, is never compensated on a timeout: it
//! is sent again (three emissions in all), then the saga completes with the approval unconfirmed
//! (outcome `approved_unconfirmed` in `mallbots_saga_outcomes_total`). Finished saga keys are purged
//! `saga.finished_key_grace_ms` after their last write ([`forget`]); the bucket's max age
//! ([`crate::platform::topology::SAGA_KEY_MAX_AGE`]) removes what a stopped replica left.

pub mod drive;
pub mod forget;
pub mod orders;
pub mod replies;
pub mod runner;

use mallbots_domain::saga::StepTimeouts;

use crate::platform::config::SagaSettings;
use crate::platform::forget::Forgetting;
use crate::platform::service::Runtime;
use crate::platform::topology::Bucket;
use crate::platform::views::LazyBucket;
use crate::platform::HandlerRegistry;

pub use runner::{Driven, SagaRunError, SagaRunner};

/// The step timeouts: `saga.timeout_ms` for every step.
pub fn timeouts(settings: &SagaSettings) -> StepTimeouts {
    StepTimeouts::uniform(settings.timeout_ms)
}

/// The saga runner of this replica.
pub fn runner(rt: &Runtime) -> SagaRunner {
    SagaRunner::new(
        LazyBucket::new(rt, Bucket::Sagas),
        rt.publisher.clone(),
        timeouts(&rt.settings.saga),
        rt.metrics.clone(),
    )
    .with_forgetting(Forgetting {
        grace: std::time::Duration::from_millis(rt.settings.saga.finished_key_grace_ms),
        marker_ttl: rt.settings.topology.forgotten_marker_ttl(),
    })
}

/// Registers `saga-orders`, `saga-replies`, the catalog and customers views and AuthorizeCustomer
/// (all role saga).
pub fn register(rt: &Runtime, registry: &mut HandlerRegistry) {
    let runner = runner(rt);
    registry.register(
        "saga-orders",
        orders::OrdersHandler::new(rt.clone(), runner.clone()),
    );
    registry.register("saga-replies", replies::RepliesHandler::new(runner));
    crate::roles::catalog::register(rt, registry);
    crate::roles::customers::register(rt, registry);
}
