//! `<root>.cmd.payments.*` through production's payments logic ([`Payments`]) over the
//! simulated bus and gateway ([`SimIo`]).

use super::cx::Crash;
use super::sim_io::{SharedCx, SimIo};
use super::Outcome;
use crate::bus::Delivery;
use mallbots_central::roles::payments::handler::{Payments, PaymentsCommand};
use mallbots_domain::saga::SagaCommand;

/// A message on `<root>.cmd.payments.<name>`, handled by the step's `replica`-th replica over
/// the shared context (other replicas' handlers may interleave with it).
pub async fn run(cx: &SharedCx<'_, '_>, d: &Delivery, replica: usize) -> Result<Outcome, Crash> {
    let m = &d.message;
    let command = match PaymentsCommand::decode(&m.subject, &m.payload) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Term(e.to_string())),
    };
    let mut io = SimIo::new(cx, &d.consumer, m.seq, d.delivered).on_replica(replica);
    if let PaymentsCommand::Authorize(SagaCommand::AuthorizePayment { payment_id, .. }) = &command {
        io.authorizing = Some(*payment_id);
    }
    let outcome = Payments::new(&io, &io).handle(command).await;
    io.settle(outcome)
}
