//! `<root>.cmd.payments.*` through production's payments logic ([`Payments`]) over the
//! simulated bus and gateway ([`SimIo`]).

use super::cx::{Crash, Cx};
use super::sim_io::SimIo;
use super::Outcome;
use crate::bus::Delivery;
use mallbots_central::roles::payments::handler::{Payments, PaymentsCommand};
use mallbots_domain::saga::SagaCommand;

/// A message on `<root>.cmd.payments.<name>`.
pub fn handle(
    cx: &mut Cx<'_>,
    d: &Delivery,
    runtime: &tokio::runtime::Runtime,
) -> Result<Outcome, Crash> {
    let m = &d.message;
    let command = match PaymentsCommand::decode(&m.subject, &m.payload) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Term(e.to_string())),
    };
    let mut io = SimIo::new(cx, &d.consumer, m.seq, d.delivered);
    if let PaymentsCommand::Authorize(SagaCommand::AuthorizePayment { payment_id, .. }) = &command {
        io.authorizing = Some(*payment_id);
    }
    let outcome = runtime.block_on(Payments::new(&io, &io).handle(command));
    io.settle(outcome)
}
