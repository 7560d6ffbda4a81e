//! GUI smoke test: the real app opens under Xvfb and the kiosk start screen is ready.
//! Fails (does not skip) when Xvfb, WebKitWebDriver or tauri-driver are missing.

use mallbots_tests::gui::{Gui, GuiOptions};
use std::time::{Duration, Instant};

#[test]
fn the_kiosk_opens_on_its_start_screen() {
    let gui = Gui::start(GuiOptions::kiosk()).expect("start the app under WebDriver");
    let started = Instant::now();
    let ready = gui
        .wait_for("[data-testid=kiosk-ready]", Duration::from_secs(20))
        .expect("the kiosk start screen becomes ready");
    println!(
        "kiosk: session open in {:?}, ready marker {:?} later",
        gui.session_started_in,
        started.elapsed()
    );
    let text = gui.element_text(&ready).expect("start screen text");
    assert!(
        text.contains("Tap to start your order"),
        "start screen says: {text}"
    );
    let title = gui
        .execute("return document.title", serde_json::json!([]))
        .expect("title");
    assert_eq!(title, "MallBots");

    // The kiosk capability grants no manager command: the real IPC layer refuses it.
    let refused = gui
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             window.__TAURI_INTERNALS__.invoke('manager_stores', {})\
               .then(() => done('allowed'), (e) => done(String(e)));",
            serde_json::json!([]),
        )
        .expect("invoke from the page");
    let refused = refused.as_str().unwrap_or_default();
    assert!(
        refused.contains("not allowed"),
        "manager command from the kiosk: {refused}"
    );

    let shot = gui.screenshot("kiosk-start").expect("screenshot");
    let png = std::fs::read(&shot).expect("read screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        shot.display()
    );
    assert!(
        png.len() > 10_000,
        "suspiciously small screenshot: {} bytes",
        png.len()
    );
}
