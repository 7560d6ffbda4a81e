//! What the commands share: the use-case API, how the app was launched, the manager account
//! and session.

use crate::api::EdgeApi;
use crate::auth::ManagerAccount;
use crate::error::{codes, ApiError};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The signed-in store manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagerSession {
    /// User name.
    pub user: String,
}

/// Application state, `.manage()`d on the Builder (so the mock runtime in tests has it too).
pub struct AppState {
    edge: Arc<dyn EdgeApi>,
    account: Arc<ManagerAccount>,
    db_path: Option<PathBuf>,
    kiosk_idle_secs: u32,
    session: Mutex<Option<ManagerSession>>,
}

impl AppState {
    /// State over a use-case API and the manager account; `db_path` is reported by `app_info`.
    /// The kiosk resets after 90 idle seconds unless [`AppState::with_kiosk_idle_secs`] says
    /// otherwise.
    pub fn new(edge: Arc<dyn EdgeApi>, account: ManagerAccount, db_path: Option<PathBuf>) -> Self {
        Self {
            edge,
            account: Arc::new(account),
            db_path,
            kiosk_idle_secs: 90,
            session: Mutex::new(None),
        }
    }

    /// Sets the kiosk's idle reset time.
    pub fn with_kiosk_idle_secs(mut self, secs: u32) -> Self {
        self.kiosk_idle_secs = secs;
        self
    }

    /// Seconds without a touch before the kiosk resets.
    pub fn kiosk_idle_secs(&self) -> u32 {
        self.kiosk_idle_secs
    }

    /// The use-case API.
    pub fn edge(&self) -> &dyn EdgeApi {
        self.edge.as_ref()
    }

    /// The manager account sign-ins are checked against.
    pub fn account(&self) -> Arc<ManagerAccount> {
        Arc::clone(&self.account)
    }

    /// The database path the app was started with.
    pub fn db_path(&self) -> Option<&std::path::Path> {
        self.db_path.as_deref()
    }

    /// The signed-in manager, or `not_signed_in`.
    pub fn require_manager(&self) -> Result<ManagerSession, ApiError> {
        self.session_slot()?
            .clone()
            .ok_or_else(|| ApiError::new(codes::NOT_SIGNED_IN, "sign in as a store manager first"))
    }

    /// Replaces the manager session (`None` signs out).
    pub fn set_manager(&self, session: Option<ManagerSession>) -> Result<(), ApiError> {
        *self.session_slot()? = session;
        Ok(())
    }

    fn session_slot(&self) -> Result<std::sync::MutexGuard<'_, Option<ManagerSession>>, ApiError> {
        self.session
            .lock()
            .map_err(|_| ApiError::internal("the session lock was poisoned"))
    }
}
