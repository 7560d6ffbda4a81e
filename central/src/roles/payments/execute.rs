//! The one write loop of the payments aggregates: load the aggregate, decide, append with the
//! expected last subject sequence, and on a concurrent write (`WrongLastSequence`) reload and
//! decide again, up to [`MAX_CONFLICTS`] times (then the command is nak'ed and retried later).

use futures::future::BoxFuture;
use mallbots_domain::Aggregate;

use super::handler::{Payments, Retry};
use super::io::PaymentsIo;
use super::store::{self, Loaded, Target};
use crate::platform::error::PublishError;

/// How often a command reloads after a concurrent write before giving up (nak).
pub(super) const MAX_CONFLICTS: usize = 10;

/// What a decision over the loaded aggregate comes to.
pub(super) enum Step<E, T> {
    /// Nothing to append: finish with this.
    Done(T),
    /// Append these events, then finish with this.
    Append(Vec<E>, T),
}

/// A decision in progress (it may call the gateway).
pub(super) type Deciding<'a, E, T> = BoxFuture<'a, Result<Step<E, T>, Retry>>;

impl<I: PaymentsIo> Payments<'_, I> {
    /// Runs `decide` over the aggregate at `target` and appends what it decides (events caused by
    /// `cause`, occurred `at` ms). `fenced` gets the would-be result when another writer got
    /// there first, before deciding again (e.g. to release what a gateway call reserved).
    pub(super) async fn execute<'a, A, T>(
        &self,
        target: &Target,
        cause: &str,
        at: i64,
        mut decide: impl FnMut(Loaded<A>) -> Deciding<'a, A::Event, T>,
        mut fenced: impl FnMut(T) -> BoxFuture<'a, Result<(), Retry>>,
    ) -> Result<T, Retry>
    where
        A: Aggregate,
    {
        for _ in 0..MAX_CONFLICTS {
            let loaded: Loaded<A> = self.load(&target.subject).await?;
            let expected = loaded.last_seq;
            let (events, then) = match decide(loaded).await? {
                Step::Done(then) => return Ok(then),
                Step::Append(events, then) => (events, then),
            };
            match store::append(self.io, target, expected, cause, &events, at).await {
                Ok(()) => return Ok(then),
                Err(PublishError::WrongLastSequence { .. }) => fenced(then).await?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Retry(format!(
            "{}: too many concurrent writes",
            target.subject
        )))
    }
}

/// A `fenced` for writes that reserved nothing.
pub(super) fn nothing_to_release<'a, T: Send + 'a>(_: T) -> BoxFuture<'a, Result<(), Retry>> {
    Box::pin(async { Ok(()) })
}
