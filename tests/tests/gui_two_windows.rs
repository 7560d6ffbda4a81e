//! Both windows of one app are two devices: what the manager changes reaches the kiosk through
//! central's stream (nats-server with the product's generated authorization, real central, each
//! device enrolled with `mallbots-central enroll`), not through a shared database. The demo
//! catalog itself is the manager's and reaches the kiosk the same way.

use mallbots_tests::gui::mall::SecuredMall;
use mallbots_tests::gui::Gui;
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn a_store_paused_by_the_manager_disappears_from_the_kiosk() {
    let mall = SecuredMall::start("kiosk-w1", "office-w1").expect("NATS, central, enrollments");
    let gui = Gui::start(mall.app_options()).expect("start the app");
    let handles = gui.window_handles().expect("window handles");
    assert_eq!(handles.len(), 2, "kiosk and manager windows: {handles:?}");

    gui.switch_to_label("kiosk").expect("kiosk window");
    let kiosk_db = gui
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             window.__TAURI_INTERNALS__.invoke('app_info', {}).then(done, (e) => done(String(e)));",
            json!([]),
        )
        .expect("app_info");
    gui.wait_for("[data-testid=kiosk-ready]", WAIT)
        .expect("kiosk ready");
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-EAR-W1]", WAIT)
        .expect("Volt Electronics listed: the manager's demo catalog synced to the kiosk");

    gui.switch_to_label("manager").expect("manager window");
    let manager_db = gui
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             window.__TAURI_INTERNALS__.invoke('app_info', {}).then(done, (e) => done(String(e)));",
            json!([]),
        )
        .expect("app_info");
    assert_ne!(kiosk_db["db_path"], manager_db["db_path"], "two databases");
    assert_ne!(
        kiosk_db["device_id"], manager_db["device_id"],
        "two devices"
    );
    gui.wait_for("[data-testid=manager-sign-in]", WAIT).unwrap();
    gui.type_text("input[name=user]", "manager").unwrap();
    gui.type_text("input[name=password]", "mallbots").unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    gui.wait_for("[data-testid=manager-stores]", WAIT).unwrap();
    gui.wait_for_text(".side", "Volt Electronics", WAIT)
        .unwrap();
    let volt = gui
        .find_all(".side .store")
        .unwrap()
        .into_iter()
        .find(|e| gui.element_text(e).unwrap_or_default().contains("Volt"))
        .expect("Volt Electronics in the store list");
    gui.click_element(&volt).unwrap();
    gui.wait_for_text("h1", "Volt Electronics", WAIT).unwrap();
    gui.click("[data-testid=toggle-participating]").unwrap();
    gui.wait_for_text(".side", "Paused", WAIT).unwrap();

    gui.switch_to_label("kiosk").expect("back to the kiosk");
    // The pause travels manager → JetStream → kiosk; the kiosk reloads its catalog on its own.
    let deadline = Instant::now() + WAIT;
    while !gui.find_all("[data-testid=add-EAR-W1]").unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the paused store's products are still offered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    gui.click("[data-testid=start-over]").unwrap();
    let start = gui
        .wait_for("[data-testid=kiosk-ready]", WAIT)
        .expect("start screen again");
    gui.click_element(&start).unwrap();
    gui.wait_for("[data-testid=add-BRD-SD]", WAIT).unwrap();
    assert!(
        gui.find_all("[data-testid=add-EAR-W1]").unwrap().is_empty(),
        "a paused store's products are not offered"
    );
}
