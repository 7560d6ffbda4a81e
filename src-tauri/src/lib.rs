//! # mallbots-app
//!
//! The Tauri v2 shell of MallBots Edge: the customer kiosk window and the store-manager window,
//! the commands they call (thin wrappers in [`commands`] over `mallbots_edge::Edge`, returning
//! `{code, message}` errors), the `edge:changed` events that keep the screens current, and the
//! capabilities that keep the kiosk away from manager commands. Not the use cases (those belong
//! to `mallbots-edge`), not the UI (that is `ui/`, built into `ui/dist`).
//!
//! The kiosk window and the manager window are two devices in one process (DESIGN §7): each has
//! its own edge database, device id, enrollment (credentials) and background sync
//! ([`open_devices`], [`start_sync`]), and each window's commands run on its own device.

pub mod auth;
pub mod backoffice;
pub mod commands;
pub mod demo;
pub mod edge_shim;
pub mod enrollment;
pub mod error;
pub mod events;
pub mod launch;
pub mod orders;
pub mod state;
pub mod sync;
pub mod views;
pub mod windows;

use enrollment::Enrollment;
use launch::{DeviceLaunch, KIOSK, MANAGER};
use mallbots_edge::sync::SyncSettings;
use mallbots_edge::{Edge, EdgeConfig, Role};
use state::Device;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::{Builder, Manager, Runtime};

pub use error::ApiError;
pub use launch::{LaunchOptions, WindowSet};
pub use state::AppState;

/// Registers the state and every command on a builder (the real one or `tauri::test`'s mock).
pub fn configure<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder.manage(state).invoke_handler(commands::handler())
}

/// Why the app could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A device's database, enrollment or options could not be used.
    #[error("could not open the edge: {0}")]
    Edge(#[from] ApiError),
    /// Tauri failed to build or run the app.
    #[error("tauri: {0}")]
    Tauri(#[from] tauri::Error),
}

/// An open device and how its sync is to start.
pub struct OpenDevice {
    /// The device (edge + sync) for its window.
    pub device: Device,
    /// The NATS server: `--nats-url`, else the enrollment's.
    pub nats_url: Option<String>,
    /// Its enrollment file (its credentials), if enrolled.
    pub enrollment: Option<PathBuf>,
}

/// Opens one device's edge database as `launch` describes it (creating it and its folder if
/// needed) with its enrollment's id, role, stores, subject root and stream, and builds its
/// (not started) sync. A kiosk abandons carts left open by a previous run.
pub fn open_device(launch: &DeviceLaunch, options: &LaunchOptions) -> Result<OpenDevice, ApiError> {
    let enrollment = launch
        .enrollment
        .as_deref()
        .map(|path| Enrollment::read(path, launch.window))
        .transpose()?;
    let path = &launch.db;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| ApiError::internal(format!("could not create {}: {e}", dir.display())))?;
    }
    let device_id = launch.resolve_id(enrollment.as_ref().map(|e| e.device.as_str()))?;
    let (role, role_name) = if launch.window == KIOSK {
        (Role::Kiosk, "kiosk")
    } else {
        // A depot desk runs as a manager device until the edge has a depot role.
        (Role::Manager, "manager")
    };
    let defaults = EdgeConfig::default();
    let config = EdgeConfig {
        device_id: device_id.clone(),
        role,
        subject_root: enrollment
            .as_ref()
            .map_or(defaults.subject_root.clone(), |e| e.subject_root.clone()),
        idle_cart_ms: i64::from(options.kiosk_idle_secs) * 1000,
        ..defaults
    };
    let edge = Arc::new(Edge::open(path, config)?);
    if launch.window == KIOSK {
        edge.abandon_idle(edge.now())?;
    }
    let settings = SyncSettings {
        events_stream: enrollment.as_ref().map_or_else(
            || SyncSettings::default().events_stream,
            |e| e.stream.clone(),
        ),
        stores: enrollment
            .as_ref()
            .map(|e| e.stores.clone())
            .unwrap_or_default(),
        create_consumers: options.sync_create_consumers,
    };
    let flag = if options.windows == WindowSet::Both {
        format!("--{}-enrollment", launch.window)
    } else {
        "--enrollment".to_owned()
    };
    let identity = sync::Identity {
        device_id,
        role: enrollment
            .as_ref()
            .map_or(role_name.to_owned(), |e| e.role.clone()),
        flag,
    };
    let sync = sync::Sync::new(&edge, &settings, identity)?;
    Ok(OpenDevice {
        device: Device::new(launch.window, edge, sync),
        nats_url: options
            .nats_url
            .clone()
            .or_else(|| enrollment.as_ref().and_then(|e| e.nats_url.clone())),
        enrollment: enrollment.map(|e| e.path),
    })
}

/// Opens the devices of the open windows (databases in `data_dir` unless the options name
/// them) and, with `--demo`, seeds the demonstration mall into the manager's database; when
/// nothing can carry it to the kiosk (no NATS URL, or no manager device syncing) the catalog
/// is copied into the kiosk's database directly.
pub fn open_devices(
    options: &LaunchOptions,
    data_dir: &Path,
) -> Result<(Option<OpenDevice>, Option<OpenDevice>), ApiError> {
    let (mut kiosk, mut manager) = (None, None);
    for launch in options.devices(data_dir)? {
        let opened = open_device(&launch, options)?;
        if launch.window == MANAGER {
            manager = Some(opened);
        } else {
            kiosk = Some(opened);
        }
    }
    if options.demo {
        let seeded_into = match &manager {
            Some(m) => m.device.edge_arc(),
            None => {
                let launch = DeviceLaunch {
                    window: MANAGER,
                    db: options.manager_db_path(data_dir),
                    device_id: None,
                    enrollment: None,
                };
                open_device(&launch, options)?.device.edge_arc()
            }
        };
        demo::seed(&seeded_into)?;
        let carried = manager.as_ref().is_some_and(|m| m.nats_url.is_some());
        if let Some(k) = kiosk.as_ref().filter(|k| !carried || k.nats_url.is_none()) {
            demo::copy_catalog(&seeded_into, k.device.edge())?;
        }
    }
    Ok((kiosk, manager))
}

/// Starts a device's background sync when it has a NATS URL: with its enrollment as
/// credentials, or (development) with `--sync-create-consumers` and no enrollment. A device
/// with a URL and neither is not enrolled: it does not start and says so in its status.
/// Must run inside the async runtime.
pub fn start_sync(opened: &OpenDevice, options: &LaunchOptions) {
    let Some(url) = &opened.nats_url else {
        return;
    };
    let sync = opened.device.sync();
    if opened.enrollment.is_some() || options.sync_create_consumers {
        sync.start(url, opened.enrollment.clone());
    } else {
        sync.hold(sync.identity().not_enrolled());
    }
}

/// Opens the devices for `options` and runs the app until its last window closes.
pub fn run(options: LaunchOptions) -> Result<(), RunError> {
    let account = options.manager_account()?;
    let app = tauri::Builder::default()
        .invoke_handler(commands::handler())
        .setup(move |app| {
            let data_dir = app.path().app_data_dir()?;
            let (kiosk, manager) = open_devices(&options, &data_dir)?;
            for opened in kiosk.iter().chain(manager.iter()) {
                // The engine spawns its task on the runtime: start it from inside.
                tauri::async_runtime::block_on(async { start_sync(opened, &options) });
                let device = &opened.device;
                tauri::async_runtime::spawn(sync::bridge(
                    app.handle().clone(),
                    device.window(),
                    device.edge_arc(),
                    device.sync(),
                ));
            }
            let state =
                AppState::with_devices(kiosk.map(|k| k.device), manager.map(|m| m.device), account)
                    .with_kiosk_idle_secs(options.kiosk_idle_secs);
            app.manage(state);
            windows::open(app.handle(), &options)?;
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|_, _| {});
    Ok(())
}
