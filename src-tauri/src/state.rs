//! What the commands share: the app's devices (the kiosk's and the manager's edge, each with
//! its sync), the kiosk's idle time, the manager account and session.
//!
//! The kiosk window and the manager window are two devices (docs/architecture.md §7): kiosk commands run on
//! [`AppState::kiosk`], manager commands on [`AppState::manager`], and each device announces its
//! changes to its own window.

use crate::auth::ManagerAccount;
use crate::error::{codes, ApiError};
use crate::events::{emit_to, Changed};
use crate::launch::{KIOSK, MANAGER};
use crate::sync::DeviceSync;
use mallbots_edge::{AbandonmentTimer, Edge};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Runtime};

/// The code of a command whose window's device was not opened (its window is not open).
pub const NO_DEVICE: &str = "device_unavailable";

/// The signed-in store manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ManagerSession {
    /// User name.
    pub user: String,
}

/// One device of the app: its edge database and its sync, serving one window.
pub struct Device {
    window: &'static str,
    edge: Arc<Edge>,
    sync: Arc<DeviceSync>,
    /// A kiosk's idle-cart timer, running as long as the device is open.
    abandonment: Option<AbandonmentTimer>,
}

impl Device {
    /// The device serving `window` ([`KIOSK`] or [`MANAGER`]) over `edge` and its `sync`.
    pub fn new(window: &'static str, edge: Arc<Edge>, sync: DeviceSync) -> Self {
        Self {
            window,
            edge,
            sync: Arc::new(sync),
            abandonment: None,
        }
    }

    /// Keeps `timer` (the kiosk's cart abandonment) running for as long as the device.
    pub fn with_abandonment(mut self, timer: Option<AbandonmentTimer>) -> Self {
        self.abandonment = timer;
        self
    }

    /// Whether a cart abandonment timer runs for this device.
    pub fn abandons_idle_carts(&self) -> bool {
        self.abandonment.is_some()
    }

    /// An offline device over `edge` (tests, tools).
    pub fn offline(window: &'static str, edge: Arc<Edge>) -> Result<Self, ApiError> {
        let sync = DeviceSync::offline(&edge)?;
        Ok(Self::new(window, edge, sync))
    }

    /// The window it serves.
    pub fn window(&self) -> &'static str {
        self.window
    }

    /// The use-case API over its database.
    pub fn edge(&self) -> &Edge {
        &self.edge
    }

    /// A shared handle on its use-case API (for work on another thread).
    pub fn edge_arc(&self) -> Arc<Edge> {
        Arc::clone(&self.edge)
    }

    /// Its sync engine.
    pub fn sync(&self) -> Arc<DeviceSync> {
        Arc::clone(&self.sync)
    }

    /// After a local change: tells the device's window (the sync relays the change by itself,
    /// woken by the commit's outbox rows).
    pub fn announce<R: Runtime>(&self, app: &AppHandle<R>, change: Changed) {
        emit_to(app, self.window, change);
    }
}

/// Application state, `.manage()`d on the Builder (so the mock runtime in tests has it too).
pub struct AppState {
    kiosk: Option<Device>,
    manager: Option<Device>,
    account: Arc<ManagerAccount>,
    kiosk_idle_secs: u32,
    session: Mutex<Option<ManagerSession>>,
}

impl AppState {
    /// State over one edge database serving both windows, offline (tests and tools that need
    /// one database; the app itself opens two devices, see [`AppState::with_devices`]).
    pub fn new(edge: Arc<Edge>, account: ManagerAccount) -> Result<Self, ApiError> {
        let kiosk = Device::offline(KIOSK, Arc::clone(&edge))?;
        let manager = Device {
            window: MANAGER,
            edge,
            sync: kiosk.sync(),
            abandonment: None,
        };
        Ok(Self::with_devices(Some(kiosk), Some(manager), account))
    }

    /// State over the devices of the open windows. The kiosk resets after 90 idle seconds
    /// unless [`AppState::with_kiosk_idle_secs`] says otherwise.
    pub fn with_devices(
        kiosk: Option<Device>,
        manager: Option<Device>,
        account: ManagerAccount,
    ) -> Self {
        Self {
            kiosk,
            manager,
            account: Arc::new(account),
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

    /// The kiosk device (kiosk commands run on it).
    pub fn kiosk(&self) -> Result<&Device, ApiError> {
        self.kiosk
            .as_ref()
            .ok_or_else(|| ApiError::new(NO_DEVICE, "this app runs no kiosk device"))
    }

    /// The manager device (manager commands run on it).
    pub fn manager(&self) -> Result<&Device, ApiError> {
        self.manager
            .as_ref()
            .ok_or_else(|| ApiError::new(NO_DEVICE, "this app runs no manager device"))
    }

    /// The device serving the window labelled `window`.
    pub fn device_of(&self, window: &str) -> Result<&Device, ApiError> {
        if window == MANAGER {
            self.manager()
        } else {
            self.kiosk()
        }
    }

    /// Every open device.
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.kiosk.iter().chain(self.manager.iter())
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

    /// The signed-in manager and the manager device, or `not_signed_in`.
    pub fn signed_in_manager(&self) -> Result<&Device, ApiError> {
        self.require_manager()?;
        self.manager()
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
