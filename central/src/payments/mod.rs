//! The `payments` role's handlers (being written).

use crate::roles::HandlerRegistry;
use crate::service::Runtime;

/// Registers this module's handlers and background tasks.
pub fn register(_runtime: &Runtime, _registry: &mut HandlerRegistry) {}
