//! A handler's context: the bus, the outside world's effects, the time, and the crash point.

use crate::bus::{Bus, PublishError};
use crate::effects::Effects;
use crate::faults::Planted;
use async_nats::HeaderMap;
use std::collections::BTreeSet;

/// The replica crashed in the middle of a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crash;

/// One handler invocation's view of the world.
pub struct Cx<'a> {
    /// The server.
    pub bus: &'a mut Bus,
    /// The world outside (gateway, SMS, bots).
    pub effects: &'a mut Effects,
    /// Now (ms).
    pub now: i64,
    planted: &'a BTreeSet<Planted>,
    ops_left: Option<u32>,
    /// The replica acting now, when a step's replicas share this context: only replica 0 has a
    /// crash point; the others run on past it (one replica dies, the other does not).
    pub replica: usize,
}

impl<'a> Cx<'a> {
    /// A context that crashes before its `crash_after`-th write (never with `None`).
    pub fn new(
        bus: &'a mut Bus,
        effects: &'a mut Effects,
        now: i64,
        planted: &'a BTreeSet<Planted>,
        crash_after: Option<u32>,
    ) -> Self {
        Self {
            bus,
            effects,
            now,
            planted,
            ops_left: crash_after,
            replica: 0,
        }
    }

    /// Whether `bug` is planted.
    pub fn planted(&self, bug: Planted) -> bool {
        self.planted.contains(&bug)
    }

    /// The subject root.
    pub fn root(&self) -> String {
        self.bus.root().to_owned()
    }

    /// Counts one write (or outside call) of the acting replica; fails once replica 0's crash
    /// point is reached.
    pub fn io(&mut self) -> Result<(), Crash> {
        if self.replica != 0 {
            return Ok(());
        }
        match &mut self.ops_left {
            Some(0) => Err(Crash),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Publishes (one write).
    pub fn publish(
        &mut self,
        subject: &str,
        msg_id: &str,
        expected: Option<u64>,
        headers: HeaderMap,
        payload: Vec<u8>,
    ) -> Result<Result<u64, PublishError>, Crash> {
        self.io()?;
        Ok(self
            .bus
            .publish(subject, Some(msg_id), expected, headers, payload, self.now))
    }
}

/// A future that is pending once (waking itself): each I/O of central's async handlers (saga,
/// payments, ordering) starts with it, so handlers driven at once on one executor interleave
/// their reads and writes, as replicas do.
pub struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

pub fn interleave() -> YieldOnce {
    YieldOnce(false)
}
