//! The store manager's window passes axe-core's WCAG 2.1 A/AA rules in the real webview on
//! every screen (sign-in, the sign-in error, each section: stores with a store open, orders,
//! depot with the mall map, sales): no serious or critical violation. Screenshots in
//! `target/e2e-screenshots/manager-a11y-*.png`.

use mallbots_tests::gui::flows::{open_store, sign_in_manager};
use mallbots_tests::gui::{Gui, GuiOptions};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// A screenshot of the current screen, then axe on it.
fn accessible(gui: &Gui, screen: &str) {
    gui.screenshot(&format!("manager-a11y-{}", screen.replace(' ', "-")))
        .unwrap();
    gui.assert_accessible(screen);
}

#[test]
fn every_manager_screen_passes_the_accessibility_rules() {
    let gui = Gui::start(GuiOptions::manager()).expect("start the app under WebDriver");
    gui.wait_for("[data-testid=manager-sign-in]", Duration::from_secs(20))
        .expect("sign-in screen");
    accessible(&gui, "sign in");
    gui.type_text("input[name=user]", "manager").unwrap();
    gui.type_text("input[name=password]", "wrong").unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    gui.wait_for("[data-testid=sign-in-error]", WAIT).unwrap();
    accessible(&gui, "sign in error");
    gui.clear("input[name=user]").unwrap();
    gui.clear("input[name=password]").unwrap();
    sign_in_manager(&gui, "manager", "mallbots", WAIT).expect("signed in");
    accessible(&gui, "stores");
    open_store(&gui, "Green Grocer", WAIT).expect("a store opens");
    accessible(&gui, "store");
    for tab in ["orders", "depot", "sales"] {
        gui.click(&format!("[data-testid=tab-{tab}]")).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        accessible(&gui, tab);
    }
}
