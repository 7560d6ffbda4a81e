//! `mallbots sync` and `mallbots status`: owned by the sync engineer. Until the sync engine is
//! wired, both report `not_available`.

use crate::{Edge, EdgeError};

/// Runs `mallbots sync ARGS...`: `args` are the words after `sync`, unparsed (the sync
/// engineer defines its flags). The returned JSON is printed as is with `--json`.
pub fn run_sync(edge: &Edge, args: &[String]) -> Result<serde_json::Value, EdgeError> {
    let _ = (edge, args);
    Err(EdgeError::NotAvailable(
        "sync not yet available in this build".to_owned(),
    ))
}

/// Runs `mallbots status ARGS...`: sync status (online/offline, events waiting, last sync,
/// conflicts). `args` are the words after `status`, unparsed.
pub fn run_status(edge: &Edge, args: &[String]) -> Result<serde_json::Value, EdgeError> {
    let _ = (edge, args);
    Err(EdgeError::NotAvailable(
        "sync status not yet available in this build".to_owned(),
    ))
}
