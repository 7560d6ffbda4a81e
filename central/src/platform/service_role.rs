//! The roles a central replica can run ([`ServiceRole`]): set in `roles` (config, flags) and
//! shown by `/health`. The handlers of each role live in [`crate::roles`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;

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
