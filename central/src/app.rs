//! The full set-up of a central replica: built-in diagnostics plus every role's handlers.

use crate::platform::service::{register_builtin, Runtime};
use crate::platform::HandlerRegistry;

/// Registers the built-in handlers and those of every role module; roles not configured on this
/// replica are skipped by the registry.
pub fn setup(runtime: &Runtime, registry: &mut HandlerRegistry) {
    register_builtin(runtime, registry);
    crate::roles::saga::register(runtime, registry);
    crate::roles::ordering::register(runtime, registry);
    crate::roles::payments::register(runtime, registry);
    crate::roles::depot::register(runtime, registry);
    crate::roles::desk::register(runtime, registry);
    crate::roles::bots_sim::register(runtime, registry);
    crate::roles::notifications::register(runtime, registry);
    crate::enrollment::register(runtime, registry);
}
