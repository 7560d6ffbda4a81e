//! What the commands share: the open edge (`mallbots_edge::Edge`), the kiosk's idle time, the
//! manager account and session.

use crate::auth::ManagerAccount;
use crate::error::{codes, ApiError};
use crate::events::{emit, Changed};
use crate::sync::Sync;
use mallbots_edge::Edge;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Runtime};

/// The signed-in store manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagerSession {
    /// User name.
    pub user: String,
}

/// Application state, `.manage()`d on the Builder (so the mock runtime in tests has it too).
pub struct AppState {
    edge: Arc<Edge>,
    sync: Arc<Sync>,
    account: Arc<ManagerAccount>,
    kiosk_idle_secs: u32,
    session: Mutex<Option<ManagerSession>>,
}

impl AppState {
    /// State over an open edge database and the manager account, with a sync engine over the
    /// edge (started separately, see [`Sync::start`]). The kiosk resets after 90 idle seconds
    /// unless [`AppState::with_kiosk_idle_secs`] says otherwise.
    pub fn new(edge: Arc<Edge>, account: ManagerAccount) -> Result<Self, ApiError> {
        Self::with_sync(Arc::clone(&edge), account, Sync::new(&edge, false)?)
    }

    /// [`AppState::new`] with a sync engine built by the caller.
    pub fn with_sync(
        edge: Arc<Edge>,
        account: ManagerAccount,
        sync: Sync,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            sync: Arc::new(sync),
            edge,
            account: Arc::new(account),
            kiosk_idle_secs: 90,
            session: Mutex::new(None),
        })
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
    pub fn edge(&self) -> &Edge {
        &self.edge
    }

    /// A shared handle on the use-case API (for work on another thread).
    pub fn edge_arc(&self) -> Arc<Edge> {
        Arc::clone(&self.edge)
    }

    /// The device's sync engine.
    pub fn sync(&self) -> Arc<Sync> {
        Arc::clone(&self.sync)
    }

    /// After a local change: tells every window, and asks the sync to relay it now.
    pub fn announce<R: Runtime>(&self, app: &AppHandle<R>, change: Changed) {
        emit(app, change);
        self.sync.poke();
    }

    /// The manager account sign-ins are checked against.
    pub fn account(&self) -> Arc<ManagerAccount> {
        Arc::clone(&self.account)
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
