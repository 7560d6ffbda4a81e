//! The registry that maps durable consumers to handlers, filled by each role at start-up.
//!
//! Every replica runs the roles it is configured with; replicas share the durable consumers, so
//! work is spread over them. A role owns consumers (see [`super::topology::ConsumerSpec::role`]);
//! the registry says which handler serves each consumer. Consumers without a registered handler
//! are created but not consumed, so messages wait until a replica that handles them starts.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::handler::{DynHandler, Handler};

/// Handlers by durable consumer name, plus long-running background tasks (e.g. the bot
/// simulator); filled by each role at start-up.
#[derive(Default)]
pub struct HandlerRegistry {
    handlers: BTreeMap<String, Arc<dyn DynHandler>>,
    background: Vec<(String, BoxFuture<'static, ()>)>,
}

impl HandlerRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for durable consumer `consumer`, replacing any earlier one.
    pub fn register<H: Handler>(&mut self, consumer: impl Into<String>, handler: H) -> &mut Self {
        self.handlers.insert(consumer.into(), Arc::new(handler));
        self
    }

    /// The handler for `consumer`, if any.
    pub fn get(&self, consumer: &str) -> Option<Arc<dyn DynHandler>> {
        self.handlers.get(consumer).cloned()
    }

    /// Adds a task the service spawns at start-up and awaits at shutdown; it must return once the
    /// runtime's `shutdown` watch (see `service`, a layer above) turns true.
    pub fn background(
        &mut self,
        name: impl Into<String>,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> &mut Self {
        self.background.push((name.into(), Box::pin(task)));
        self
    }

    /// Removes and returns the background tasks (the service spawns them).
    pub fn take_background(&mut self) -> Vec<(String, BoxFuture<'static, ()>)> {
        std::mem::take(&mut self.background)
    }

    /// Consumer names with a handler.
    pub fn consumers(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }
}

impl fmt::Debug for HandlerRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerRegistry")
            .field("handlers", &self.handlers.keys().collect::<Vec<_>>())
            .field(
                "background",
                &self.background.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}
