//! Kiosk behaviour without a keyboard: search with the on-screen keyboard, and the idle reset
//! that cancels an abandoned cart and returns to the start screen.

use mallbots_tests::gui::{Gui, GuiOptions};
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn start_shopping(gui: &Gui) {
    gui.wait_for("[data-testid=kiosk-ready]", Duration::from_secs(20))
        .expect("start screen");
    gui.click("[data-testid=kiosk-ready]").expect("tap start");
    gui.wait_for("[data-testid=add-EAR-W1]", WAIT)
        .expect("products shown");
}

fn visible_skus(gui: &Gui) -> Vec<String> {
    let skus = gui
        .execute(
            "return [...document.querySelectorAll('[data-testid^=add-]')]\
               .map(b => b.dataset.testid.slice(4))",
            json!([]),
        )
        .expect("list products");
    serde_json::from_value(skus).expect("array of SKUs")
}

#[test]
fn a_customer_searches_with_the_on_screen_keyboard() {
    let gui = Gui::start(GuiOptions::kiosk()).expect("start the app under WebDriver");
    start_shopping(&gui);
    assert!(visible_skus(&gui).len() >= 8, "whole catalog shown first");

    gui.click("[data-testid=search]").unwrap();
    for letter in "EAR".chars() {
        gui.click(&format!("[data-testid=key-{letter}]")).unwrap();
    }
    let deadline = Instant::now() + WAIT;
    while visible_skus(&gui) != ["EAR-W1"] {
        assert!(
            Instant::now() < deadline,
            "search shows {:?}",
            visible_skus(&gui)
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    gui.screenshot("kiosk-search").unwrap();
    gui.click("[data-testid=key-Q]").unwrap();
    gui.wait_for("[data-testid=no-results]", WAIT)
        .expect("nothing matches 'earq'");
    gui.click("[data-testid=keyboard-done]").unwrap();
}

#[test]
fn an_idle_kiosk_cancels_the_cart_and_returns_to_start() {
    let mut options = GuiOptions::kiosk();
    options
        .env
        .push(("MALLBOTS__KIOSK__IDLE_SECS".into(), "2".into()));
    let gui = Gui::start(options).expect("start the app under WebDriver");
    start_shopping(&gui);
    gui.click("[data-testid=add-EAR-W1]").unwrap();
    let left = Instant::now();
    gui.wait_for("[data-testid=kiosk-ready]", WAIT)
        .expect("back at the start screen after 2 idle seconds");
    let idle = left.elapsed();
    assert!(
        idle >= Duration::from_millis(1500),
        "reset after only {idle:?}, before the idle time"
    );

    // A new customer starts with an empty cart.
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-EAR-W1]", WAIT).unwrap();
    assert_eq!(gui.text("[data-testid=cart-total]").unwrap(), "$0.00");
}
