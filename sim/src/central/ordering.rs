//! `<root>.cmd.ordering.*` and the kiosks' cancellation requests through production's ordering
//! logic ([`Ordering`], [`OrderingHandler`]) over the simulated bus ([`SimIo`]).

use super::cx::{Crash, Cx};
use super::sim_io::{SharedCx, SimIo};
use super::Outcome;
use crate::bus::Delivery;
use mallbots_central::roles::ordering::handler::{OrderingCommand, OrderingHandler};
use mallbots_central::roles::ordering::Ordering;
use mallbots_domain::ordering::OrderEvent;
use std::sync::Arc;

/// A message on `<root>.cmd.ordering.<name>`, handled by the step's `replica`-th replica over
/// the shared context (other replicas' handlers may interleave with it).
pub async fn run(cx: &SharedCx<'_, '_>, d: &Delivery, replica: usize) -> Result<Outcome, Crash> {
    let m = &d.message;
    let command = match OrderingCommand::decode(&m.subject, &m.payload) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Term(e.to_string())),
    };
    let io = Arc::new(SimIo::new(cx, &d.consumer, m.seq, d.delivered).on_replica(replica));
    let handler = OrderingHandler::new(Ordering::over(io.clone()));
    let outcome = handler.run(i64::from(d.delivered), command).await;
    io.settle(outcome)
}

/// A kiosk's request on `…orderreq.<id>` (decided by production's `Ordering::on_request`).
pub async fn request(
    cx: &SharedCx<'_, '_>,
    d: &Delivery,
    device: &str,
    event: &OrderEvent,
    replica: usize,
) -> Result<Outcome, Crash> {
    let m = &d.message;
    let event_id = m.msg_id.clone().unwrap_or_else(|| format!("seq/{}", m.seq));
    let io = Arc::new(SimIo::new(cx, &d.consumer, m.seq, d.delivered).on_replica(replica));
    let ordering = Ordering::over(io.clone());
    let outcome = ordering.on_request(device, event, &event_id).await;
    io.settle(outcome)
}

/// Asks payments to capture for a hand-over (production's `Ordering::send_capture`).
pub fn send_capture(
    cx: &mut Cx<'_>,
    d: &Delivery,
    order: mallbots_domain::OrderId,
    command_id: String,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), Crash> {
    let m = &d.message;
    let shared = SharedCx::new(cx);
    let io = Arc::new(SimIo::new(&shared, &d.consumer, m.seq, d.delivered));
    let ordering = Ordering::over(io.clone());
    let at = mallbots_domain::Timestamp::from_millis(io.now());
    let sent = runtime.block_on(ordering.send_capture(order, command_id, at));
    if io.crashed() || sent.is_err() {
        return Err(Crash);
    }
    Ok(())
}
