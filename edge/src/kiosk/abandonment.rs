//! Idle-cart abandonment owned by the backend (issue 11 item 6): a cart idle past
//! [`crate::EdgeConfig::idle_cart_ms`] is canceled with reason `abandoned` whether or not a page
//! is open: at every writing open ([`crate::Edge::open`]) and on a timer
//! ([`Edge::spawn_abandonment`]) that the app shell and `mallbots sync --watch` run.

use crate::error::EdgeError;
use crate::views::CartView;
use crate::Edge;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// The abandonment timer thread; stops when dropped (or when its edge is dropped).
#[derive(Debug)]
pub struct AbandonmentTimer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl AbandonmentTimer {
    /// Stops the timer and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for AbandonmentTimer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Edge {
    /// A sensible timer period for this edge's idle time: a tenth of it, between 100 ms and
    /// 30 s (a cart is abandoned at most that late).
    pub fn abandonment_period(&self) -> Duration {
        let tenth = u64::try_from(self.config().idle_cart_ms / 10).unwrap_or(0);
        Duration::from_millis(tenth.clamp(100, 30_000))
    }

    /// One abandonment pass at the clock's time ([`Edge::abandon_idle`]); a read-only edge does
    /// nothing. Returns the carts abandoned.
    pub fn abandon_tick(&self) -> Result<Vec<CartView>, EdgeError> {
        if !self.is_writer() {
            return Ok(Vec::new());
        }
        self.abandon_idle(self.now())
    }

    /// Starts a thread that runs [`Edge::abandon_tick`] now and every `period` until the
    /// returned timer or the last `Arc` of the edge is dropped. Failures are logged and retried
    /// at the next tick.
    pub fn spawn_abandonment(
        self: &Arc<Self>,
        period: Duration,
    ) -> Result<AbandonmentTimer, EdgeError> {
        let edge: Weak<Edge> = Arc::downgrade(self);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("cart-abandonment".to_owned())
            .spawn(move || loop {
                match edge.upgrade() {
                    Some(edge) => {
                        if let Err(err) = edge.abandon_tick() {
                            tracing::warn!(code = err.code(), "cart abandonment failed: {err}");
                        }
                    }
                    None => return,
                }
                match stopped.recv_timeout(period) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            })
            .map_err(|e| EdgeError::io("spawn the cart abandonment thread", e))?;
        Ok(AbandonmentTimer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}
