//! The store-manager window: a wrong password is refused with a message, the right one opens the
//! back office, a new store and product can be added, and the kiosk capability is not granted.

use mallbots_tests::gui::{Gui, GuiOptions};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn a_manager_signs_in_and_adds_a_store_with_a_product() {
    let mut options = GuiOptions::manager();
    options
        .env
        .push(("MALLBOTS__MANAGER__USER".into(), "erin".into()));
    options
        .env
        .push(("MALLBOTS__MANAGER__PASSWORD".into(), "open-sesame".into()));
    let gui = Gui::start(options).expect("start the app under WebDriver");

    gui.wait_for("[data-testid=manager-sign-in]", Duration::from_secs(20))
        .expect("sign-in screen");
    gui.screenshot("manager-sign-in").unwrap();
    gui.type_text("input[name=user]", "erin").unwrap();
    gui.type_text("input[name=password]", "wrong").unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    let error = gui
        .wait_for("[data-testid=sign-in-error]", WAIT)
        .expect("error shown");
    assert_eq!(
        gui.element_text(&error).unwrap(),
        "Wrong user name or password."
    );

    gui.type_text("input[name=password]", "open-sesame")
        .unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    gui.wait_for("[data-testid=manager-stores]", WAIT)
        .expect("back office");
    gui.screenshot("manager-signed-in").unwrap();
    assert_eq!(
        gui.wait_for_text("[data-testid=manager-user]", "erin", WAIT)
            .unwrap(),
        "erin"
    );

    gui.type_text("input[placeholder=Name]", "Tea House")
        .unwrap();
    gui.type_text("input[placeholder=Location]", "Level 2, food court")
        .unwrap();
    gui.click(".new button").unwrap();
    gui.wait_for_text("h1", "Tea House", WAIT).unwrap();
    gui.type_text(".add input[placeholder=Name]", "Sencha (100 g)")
        .unwrap();
    gui.type_text(".add input[placeholder=SKU]", "SEN-100")
        .unwrap();
    gui.type_text(".add input[placeholder=Price]", "8.5")
        .unwrap();
    gui.click(".add button").unwrap();
    gui.wait_for_text("tbody", "$8.50", WAIT).unwrap();
    gui.screenshot("manager-stores").unwrap();

    // Edit the price in place, then remove the product.
    gui.click("[data-testid=product-SEN-100] [data-testid=edit-product]")
        .unwrap();
    gui.execute(
        "const i = document.querySelector('[data-testid=product-SEN-100] input[aria-label=Price]');\
         i.value = ''; i.dispatchEvent(new Event('input'));",
        json!([]),
    )
    .unwrap();
    gui.type_text(
        "[data-testid=product-SEN-100] input[aria-label=Price]",
        "9.25",
    )
    .unwrap();
    gui.click("[data-testid=save-product]").unwrap();
    gui.wait_for_text("[data-testid=product-SEN-100]", "$9.25", WAIT)
        .unwrap();
    gui.screenshot("manager-price-changed").unwrap();
    gui.click("[data-testid=product-SEN-100] [data-testid=remove-product]")
        .unwrap();
    gui.wait_for_text("tbody", "No products yet.", WAIT)
        .unwrap();

    // The manager window has no kiosk permission: the IPC layer refuses the call.
    let refused = gui
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             window.__TAURI_INTERNALS__.invoke('kiosk_start_basket', {})\
               .then(() => done('allowed'), (e) => done(String(e)));",
            json!([]),
        )
        .unwrap();
    let refused = refused.as_str().unwrap_or_default().to_owned();
    assert!(
        refused.contains("not allowed"),
        "kiosk command from manager: {refused}"
    );
}
