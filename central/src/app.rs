//! The full set-up of a central replica: built-in diagnostics plus every role's handlers.

use crate::roles::HandlerRegistry;
use crate::service::{register_builtin, Runtime};

/// Registers the built-in handlers and those of every role module; roles not configured on this
/// replica are skipped by the registry.
pub fn setup(runtime: &Runtime, registry: &mut HandlerRegistry) {
    register_builtin(runtime, registry);
    crate::saga::register(runtime, registry);
    crate::ordering::register(runtime, registry);
    crate::payments::register(runtime, registry);
    crate::depot::register(runtime, registry);
    crate::desk::register(runtime, registry);
    crate::bots_sim::register(runtime, registry);
    crate::notifications::register(runtime, registry);
    crate::enrollment::register(runtime, registry);
}
