//! The roles a central replica can run and the registry that maps durable consumers to handlers.
//!
//! Every replica runs the roles it is configured with; replicas share the durable consumers, so
//! work is spread over them. A role owns consumers (see [`crate::topology::ConsumerSpec::role`]);
//! the registry says which handler serves each consumer. Consumers without a registered handler
//! are created but not consumed, so messages wait until a replica that handles them starts.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::worker::{DynHandler, Handler};

/// One responsibility of the central service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceRole {
    /// The order saga (order events, replies, timers) and ordering commands.
    Saga,
    /// Payment authorization, void, capture; invoices.
    Payments,
    /// Shopping lists, bots and dispatch.
    Depot,
    /// SMS notifications.
    Notifications,
    /// Simulated bots driving the depot flow without hardware.
    BotsSim,
}

impl ServiceRole {
    /// Every role, the default set.
    pub const ALL: [ServiceRole; 5] = [
        ServiceRole::Saga,
        ServiceRole::Payments,
        ServiceRole::Depot,
        ServiceRole::Notifications,
        ServiceRole::BotsSim,
    ];

    /// The role's name as written in flags, config and `/health`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceRole::Saga => "saga",
            ServiceRole::Payments => "payments",
            ServiceRole::Depot => "depot",
            ServiceRole::Notifications => "notifications",
            ServiceRole::BotsSim => "bots-sim",
        }
    }

    /// Parses a comma-separated list such as `saga,depot`.
    pub fn parse_list(list: &str) -> Result<Vec<ServiceRole>, ConfigError> {
        let mut roles: Vec<ServiceRole> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        roles.sort();
        roles.dedup();
        Ok(roles)
    }
}

impl fmt::Display for ServiceRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServiceRole {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ConfigError::Value {
                key: "roles".into(),
                reason: format!(
                    "unknown role {s:?} (expected saga, payments, depot, notifications, bots-sim)"
                ),
            })
    }
}

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

    /// Adds a task the service spawns at start-up and awaits at shutdown; it must return once
    /// [`crate::service::Runtime::shutdown`] turns true.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_role_lists_sorted_and_deduplicated() {
        let roles = ServiceRole::parse_list("depot, saga,depot").unwrap();
        assert_eq!(roles, vec![ServiceRole::Saga, ServiceRole::Depot]);
        assert_eq!(
            ServiceRole::parse_list("bots-sim").unwrap(),
            vec![ServiceRole::BotsSim]
        );
    }

    #[test]
    fn rejects_unknown_roles() {
        let err = ServiceRole::parse_list("saga,kitchen").unwrap_err();
        assert!(err.to_string().contains("kitchen"));
    }
}
