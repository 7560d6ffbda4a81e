//! # mallbots-app
//!
//! The Tauri v2 shell of MallBots Edge: the customer kiosk window and the store-manager window,
//! the commands they call (thin wrappers in [`commands`] over `mallbots_edge::Edge`, returning
//! `{code, message}` errors), the `edge:changed` events that keep the screens current, and the
//! capabilities that keep the kiosk away from manager commands. Not the use cases (those belong
//! to `mallbots-edge`), not the UI (that is `ui/`, built into `ui/dist`).
//!
//! The kiosk window and the manager window are two devices in one process (docs/architecture.md §7): each has
//! its own edge database, device id, enrollment (credentials) and background sync
//! ([`open_devices`], [`start_sync`]), and each window's commands run on its own device.

pub mod auth;
pub mod backoffice;
pub mod commands;
pub mod demo;
pub mod enrollment;
pub mod error;
pub mod events;
pub mod launch;
pub mod orders;
pub mod state;
pub mod sync;
pub mod views;
pub mod windows;

#[cfg(test)]
mod ui_types;

use enrollment::Enrollment;
use launch::{DeviceLaunch, KIOSK, MANAGER};
use mallbots_edge::domain::desk::ALL_STORES;
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

impl OpenDevice {
    /// Whether [`start_sync`] starts its sync: a NATS URL, and an enrollment or (development)
    /// `--sync-create-consumers`.
    pub fn syncs(&self, options: &LaunchOptions) -> bool {
        self.nats_url.is_some() && (self.enrollment.is_some() || options.sync_create_consumers)
    }
}

/// Opens one device's edge database as `launch` describes it (creating it and its folder if
/// needed) with its enrollment's id, role, stores, subject root and stream, stores that identity
/// with the database (as `mallbots device init` does: the use cases then enforce the role), and
/// builds its (not started) sync. A kiosk abandons carts left open by a previous run at once and
/// then on a timer, whether or not its window is open.
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
    let device_id = launch.resolve_id(enrollment.as_ref().map(Enrollment::device))?;
    let role = match &enrollment {
        Some(e) => e.file.role,
        None if launch.window == KIOSK => Role::Kiosk,
        None => Role::Manager,
    };
    let defaults = EdgeConfig::default();
    let config = EdgeConfig {
        device_id: device_id.clone(),
        role,
        subject_root: enrollment
            .as_ref()
            .map_or(defaults.subject_root.clone(), |e| {
                e.file.subject_root.clone()
            }),
        idle_cart_ms: i64::from(options.kiosk_idle_secs) * 1000,
        ..defaults
    };
    let edge = Arc::new(Edge::open(path, config)?);
    if let Some(zone) = &options.time_zone {
        edge.set_time_zone(zone)?;
    }
    if let Some(currency) = &options.currency {
        edge.set_currency(currency)?;
    }
    if let Some(format) = &options.phone_format {
        edge.set_phone_format(format)?;
    }
    if let Some(e) = &enrollment {
        let identity = e.identity();
        if edge.device().as_ref() != Some(&identity) {
            edge.init_device(identity)?;
        }
    }
    let abandonment = if launch.window == KIOSK {
        edge.abandon_idle(edge.now())?;
        Some(edge.spawn_abandonment(edge.abandonment_period())?)
    } else {
        None
    };
    let settings = SyncSettings {
        events_stream: enrollment.as_ref().map_or_else(
            || SyncSettings::default().events_stream,
            |e| e.file.stream.clone(),
        ),
        // Without an enrollment (development, `--sync-create-consumers`) the manager window
        // is the mall office's desk: every store.
        stores: match &enrollment {
            Some(e) => e.file.stores.clone(),
            None if role == Role::Manager => vec![ALL_STORES.to_owned()],
            None => Vec::new(),
        },
        create_consumers: options.sync_create_consumers,
    };
    let flag = if options.windows == WindowSet::Both {
        format!("--{}-enrollment", launch.window)
    } else {
        "--enrollment".to_owned()
    };
    let identity = sync::Identity {
        device_id,
        role: role.as_str().to_owned(),
        flag,
    };
    let sync = sync::DeviceSync::new(&edge, &settings, identity)?;
    Ok(OpenDevice {
        device: Device::new(launch.window, edge, sync).with_abandonment(abandonment),
        nats_url: options
            .nats_url
            .clone()
            .or_else(|| enrollment.as_ref().and_then(|e| e.file.nats_url.clone())),
        enrollment: enrollment.map(|e| e.path),
    })
}

/// Opens the devices of the open windows (databases in `data_dir` unless the options name
/// them) and, with `--demo`, seeds the demonstration mall into the manager's database; when
/// nothing can carry it to the kiosk (the manager or the kiosk does not sync) the catalog is
/// copied into the kiosk's database directly. Every enrollment file is checked before any
/// database is opened, so a wrong file changes nothing.
pub fn open_devices(
    options: &LaunchOptions,
    data_dir: &Path,
) -> Result<(Option<OpenDevice>, Option<OpenDevice>), ApiError> {
    let launches = options.devices(data_dir)?;
    for launch in &launches {
        if let Some(path) = &launch.enrollment {
            Enrollment::read(path, launch.window)?;
        }
    }
    let (mut kiosk, mut manager) = (None, None);
    for launch in launches {
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
        demo::seed_as(&seeded_into, &options.manager_user)?;
        let carried = manager.as_ref().is_some_and(|m| m.syncs(options));
        if let Some(k) = kiosk.as_ref().filter(|k| !carried || !k.syncs(options)) {
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
    if opened.syncs(options) {
        sync.start(url, opened.enrollment.clone(), options.nats_ca.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn options(args: &[&str]) -> LaunchOptions {
        let mut argv = vec!["mallbots-app"];
        argv.extend_from_slice(args);
        LaunchOptions::try_parse_from(argv).expect("options")
    }

    fn store_count(opened: &Option<OpenDevice>) -> usize {
        opened
            .as_ref()
            .unwrap()
            .device
            .edge()
            .stores()
            .unwrap()
            .len()
    }

    #[test]
    fn two_devices_open_with_their_own_databases_ids_and_demo_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let (kiosk, manager) = open_devices(&options(&["--demo"]), dir.path()).unwrap();
        let (k, m) = (
            &kiosk.as_ref().unwrap().device,
            &manager.as_ref().unwrap().device,
        );
        assert_eq!(k.edge().path(), dir.path().join("kiosk.db"));
        assert_eq!(m.edge().path(), dir.path().join("manager.db"));
        assert_ne!(k.edge().config().device_id, m.edge().config().device_id);
        assert_eq!(k.edge().config().role, Role::Kiosk);
        assert_eq!(m.edge().config().role, Role::Manager);
        assert_eq!(store_count(&manager), 4, "seeded into the manager's");
        assert_eq!(store_count(&kiosk), 4, "offline: copied to the kiosk");
        assert_eq!(k.edge().local_counts().unwrap().outbox_pending, 0);

        // With a URL but no enrollment nothing syncs, so the kiosk still gets the catalog.
        let dir = tempfile::tempdir().unwrap();
        let unenrolled = options(&["--demo", "--nats-url", "nats://127.0.0.1:1"]);
        let (kiosk, manager) = open_devices(&unenrolled, dir.path()).unwrap();
        assert!(!manager.as_ref().unwrap().syncs(&unenrolled));
        assert_eq!(store_count(&kiosk), 4);

        // Development sync: the catalog goes through JetStream, not copied.
        let dir = tempfile::tempdir().unwrap();
        let dev = options(&[
            "--demo",
            "--nats-url",
            "nats://127.0.0.1:1",
            "--sync-create-consumers",
        ]);
        let (kiosk, manager) = open_devices(&dev, dir.path()).unwrap();
        assert!(manager.as_ref().unwrap().syncs(&dev));
        assert_eq!(store_count(&manager), 4);
        assert_eq!(store_count(&kiosk), 0);
    }

    #[test]
    fn an_enrollment_names_the_device_and_its_url_and_a_kiosk_window_alone_has_no_manager() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k1.json");
        std::fs::write(
            &file,
            serde_json::json!({"device": "k1", "role": "kiosk", "stores": [], "user": "k1",
                "password": "0123456789abcdef0123456789abcdef", "subject_root": "mall2",
                "stream": "EVENTS", "nats_url": "nats://127.0.0.1:4999"})
            .to_string(),
        )
        .unwrap();
        let path = file.display().to_string();
        let opts = options(&["--windows", "kiosk", "--enrollment", &path]);
        let (kiosk, manager) = open_devices(&opts, dir.path()).unwrap();
        assert!(manager.is_none());
        let kiosk = kiosk.unwrap();
        assert_eq!(kiosk.device.edge().config().device_id, "k1");
        assert_eq!(kiosk.device.edge().config().subject_root, "mall2");
        assert_eq!(kiosk.nats_url.as_deref(), Some("nats://127.0.0.1:4999"));
        assert_eq!(kiosk.enrollment.as_deref(), Some(file.as_path()));
        assert!(kiosk.syncs(&opts));
        let stored = kiosk
            .device
            .edge()
            .device()
            .expect("identity stored with the database");
        assert_eq!(
            (stored.device_id.as_str(), stored.role),
            ("k1", Role::Kiosk)
        );
        assert_eq!(stored.enrollment_path, Some(file.canonicalize().unwrap()));
        assert!(kiosk.device.abandons_idle_carts());
        // Checked before any database opens: the kiosk's stays as it is (and it is still open).
        let wrong = options(&["--manager-enrollment", &path]);
        let err = open_devices(&wrong, dir.path()).err().expect("refused");
        assert_eq!(err.code, enrollment::BAD_ENROLLMENT);
        assert!(err.message.contains("manager or depot"), "{}", err.message);
    }

    #[test]
    fn an_enrolled_mall_office_desk_gets_the_demo_mall_and_records_who_seeded_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m1.json");
        std::fs::write(
            &file,
            serde_json::json!({"device": "m1", "role": "manager", "stores": ["*"], "user": "m1",
                "password": "0123456789abcdef0123456789abcdef"})
            .to_string(),
        )
        .unwrap();
        let path = file.display().to_string();
        let opts = options(&["--demo", "--manager-enrollment", &path]);
        let (kiosk, manager) = open_devices(&opts, dir.path()).unwrap();
        let desk = manager.as_ref().unwrap().device.edge();
        assert_eq!(desk.device().expect("enrolled").stores, ["*"]);
        assert_eq!(store_count(&manager), 4);
        assert_eq!(store_count(&kiosk), 4, "no NATS: copied to the kiosk");
        assert_eq!(desk.user(), None, "the seeding user is not left signed in");
        assert!(
            kiosk.unwrap().device.edge().device().is_none(),
            "kiosk not enrolled"
        );

        let depot = dir.path().join("d1.json");
        std::fs::write(
            &depot,
            serde_json::json!({"device": "d1", "role": "depot", "user": "d1",
                "password": "0123456789abcdef0123456789abcdef"})
            .to_string(),
        )
        .unwrap();
        let other = tempfile::tempdir().unwrap();
        let depot = depot.display().to_string();
        let opts = options(&["--demo", "--windows", "manager", "--enrollment", &depot]);
        let (_, manager) = open_devices(&opts, other.path()).unwrap();
        assert_eq!(store_count(&manager), 0, "a depot desk writes no catalog");
        let role = manager.unwrap().device.edge().role();
        assert_eq!(role, Role::Depot);
    }
}
