//! Command tests on Tauri's mock runtime with the real tauri.conf.json and capabilities, so a
//! call is authorized exactly as in the app. This file: the harness and the window permissions;
//! [`kiosk`] and [`manager`]: the commands' behaviour.

mod backoffice;
mod depot;
mod kiosk;
mod manager;
mod names;
mod orders;

use crate::auth::{LockoutPolicy, ManagerAccount};
use crate::launch::{KIOSK, MANAGER};
use crate::state::{AppState, Device};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

pub(super) struct Harness {
    pub(super) app: App<MockRuntime>,
    _dir: tempfile::TempDir,
    pub(super) kiosk: WebviewWindow<MockRuntime>,
    pub(super) manager: WebviewWindow<MockRuntime>,
}

fn account() -> ManagerAccount {
    let policy = LockoutPolicy {
        max_failures: 3,
        lock_for: Duration::from_secs(60),
    };
    ManagerAccount::from_password("boss", "s3cret", policy).expect("account")
}

fn open(dir: &std::path::Path, name: &str, role: mallbots_edge::Role) -> Arc<mallbots_edge::Edge> {
    let config = mallbots_edge::EdgeConfig {
        device_id: format!("test-{name}"),
        role,
        ..Default::default()
    };
    Arc::new(mallbots_edge::Edge::open(dir.join(format!("{name}.db")), config).expect("edge"))
}

fn build(dir: tempfile::TempDir, state: AppState) -> Harness {
    let app = crate::configure(mock_builder(), state)
        .build(tauri::generate_context!(test = true))
        .expect("mock app");
    let kiosk = WebviewWindowBuilder::new(&app, "kiosk", WebviewUrl::default())
        .build()
        .expect("kiosk window");
    let manager = WebviewWindowBuilder::new(&app, "manager", WebviewUrl::default())
        .build()
        .expect("manager window");
    Harness {
        app,
        _dir: dir,
        kiosk,
        manager,
    }
}

/// The app as it runs: two devices, each with its own database in a temporary folder. The
/// demo mall is seeded into the manager's and its catalog copied into the kiosk's (what
/// central would carry).
pub(super) fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let kiosk = open(dir.path(), "kiosk", mallbots_edge::Role::Kiosk);
    let manager = open(dir.path(), "desk", mallbots_edge::Role::Manager);
    assert!(crate::demo::seed(&manager).expect("demo mall"), "seeded");
    assert!(crate::demo::copy_catalog(&manager, &kiosk).expect("catalog") > 0);
    let state = AppState::with_devices(
        Some(Device::offline(KIOSK, kiosk).expect("kiosk device")),
        Some(Device::offline(MANAGER, manager).expect("manager device")),
        account(),
    );
    build(dir, state)
}

/// Both windows over ONE database (what tools and older tests use): the manager sees the
/// kiosk's orders without a central.
pub(super) fn harness_one_database() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let edge = open(dir.path(), "edge", mallbots_edge::Role::Kiosk);
    assert!(crate::demo::seed(&edge).expect("demo mall"), "seeded");
    let state = AppState::new(edge, account()).expect("state");
    build(dir, state)
}

/// Invokes `cmd` from `window` as the page at tauri://localhost would.
pub(super) fn invoke(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_owned(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().expect("json body"))
}

pub(super) fn code(err: &Value) -> &str {
    err["code"].as_str().unwrap_or("<no code>")
}

/// The commands a capability file grants (`allow-foo-bar` → `foo_bar`).
fn granted(capability: &str) -> Vec<String> {
    let path = format!(
        "{}/capabilities/{capability}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("capability"))
        .expect("capability JSON");
    json["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect()
}

fn refused(window: &WebviewWindow<MockRuntime>, cmd: &str) -> bool {
    // Arguments that would satisfy any command, so only the permission check can refuse.
    let args = json!({"user": "boss", "password": "s3cret", "basketId": "b", "orderId": "o"});
    match invoke(window, cmd, args) {
        Err(err) => err.as_str().is_some_and(|e| e.contains("not allowed")),
        Ok(_) => false,
    }
}

#[test]
fn each_window_is_granted_only_its_own_commands() {
    let h = harness();
    let kiosk = granted("kiosk");
    let manager = granted("manager");
    assert!(
        kiosk.len() >= 8 && manager.len() >= 10,
        "{kiosk:?} {manager:?}"
    );
    for cmd in &kiosk {
        assert!(
            cmd == "app_info" || cmd.starts_with("kiosk_"),
            "kiosk is granted {cmd}"
        );
        if cmd != "app_info" {
            assert!(
                refused(&h.manager, cmd),
                "the manager window may call {cmd}"
            );
        }
    }
    for cmd in &manager {
        assert!(
            cmd == "app_info" || cmd.starts_with("manager_"),
            "manager is granted {cmd}"
        );
        if cmd != "app_info" {
            assert!(refused(&h.kiosk, cmd), "the kiosk window may call {cmd}");
        }
    }
    for cmd in ["kiosk_catalog", "kiosk_start_basket", "app_info"] {
        assert!(!refused(&h.kiosk, cmd), "the kiosk window is refused {cmd}");
    }
    for cmd in ["manager_sign_in", "manager_stores", "app_info"] {
        assert!(
            !refused(&h.manager, cmd),
            "the manager window is refused {cmd}"
        );
    }
}

#[test]
fn both_windows_may_ask_who_they_are() {
    let h = harness();
    let info = invoke(&h.manager, "app_info", json!({})).unwrap();
    assert_eq!(info["window"], "manager");
    assert!(
        info["db_path"].as_str().unwrap().ends_with("desk.db"),
        "{info}"
    );
    assert_eq!(info["device_id"], "test-desk");
    let info = invoke(&h.kiosk, "app_info", json!({})).unwrap();
    assert_eq!(info["window"], "kiosk");
    assert_eq!(info["device_id"], "test-kiosk");
    assert!(
        info["db_path"].as_str().unwrap().ends_with("kiosk.db"),
        "{info}"
    );
    assert_eq!(info["kiosk_idle_secs"], 90);
}
