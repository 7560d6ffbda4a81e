//! The order saga (docs/architecture.md §3) as a pure state machine.
//!
//! | step | action | compensation |
//! |---|---|---|
//! | 0 [`SagaStep::ValidateOrder`] | (catalog pre-check by central) | RejectOrder |
//! | 1 [`SagaStep::AuthorizeCustomer`] | AuthorizeCustomer | – |
//! | 2 [`SagaStep::CreateShoppingList`] | CreateShoppingList | CancelShoppingList |
//! | 3 [`SagaStep::AuthorizePayment`] | AuthorizePayment | VoidPayment |
//! | 4 [`SagaStep::InitiateShopping`] | InitiateShopping | – |
//! | 5 [`SagaStep::ApproveOrder`] | ApproveOrder | – |
//!
//! [`transition`] takes the stored [`SagaState`] (none for a new order), one [`SagaInput`] (the
//! order, a reply or a fired timer) and returns the next state, the commands to publish and the
//! timer to schedule. `now` is the input's timestamp; ids are UUIDv5 of the saga id, so replaying
//! an input gives the same commands with the same [`CommandId`](crate::ids::CommandId)s.
//!
//! Mechanics:
//! * Every emission gets a fresh *attempt* number (a counter over the whole saga), so a reply or a
//!   timer names exactly one emission; anything for another step or attempt is stale and ignored.
//! * A failure reply at step k compensates the steps before k in reverse; a timeout at step k
//!   (k < 5) also compensates k itself (its command may have taken effect). Compensations run one at a time,
//!   each awaiting its reply (any reply counts: "already canceled" is fine) or its timeout (retried
//!   up to [`StepTimeouts::max_compensation_attempts`]); the last is RejectOrder, which finishes
//!   the saga without waiting.
//! * A success reply for a forward step that timed out (a late success) emits that step's
//!   compensation once more, whatever phase the saga is in.
//! * ApproveOrder (step 5) is the pivot, the point of no return: a timeout never compensates it
//!   but sends it again, and a refusal compensates only once every emission of it was refused;
//!   see the `pivot` module for why and how. So a saga never voids the payment of an order it approved,
//!   and never rejects an order without voiding (and canceling the list of) what it authorized.
//! * An input already seen is a duplicate: nothing changes and the current commands are returned
//!   again for re-publishing.

mod command;
mod emit;
mod input;
mod pivot;
mod state;
mod step;
mod transition;

pub use command::{CommandMeta, SagaCommand};
pub use input::{
    ReplyOutcome, SagaError, SagaInput, SagaInputKind, SagaTransition, StepTimeouts, TimerRequest,
};
pub use state::{
    RecordDirection, RecordStatus, SagaItem, SagaOrder, SagaPhase, SagaState, StepRecord,
    SEEN_INPUTS_KEPT,
};
pub use step::{command_id_for, list_id_for, payment_id_for, SagaStep};
pub use transition::transition;
