//! Both windows of one app: what a manager changes shows on the kiosk.

use mallbots_tests::gui::{Gui, GuiOptions};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn a_store_paused_by_the_manager_disappears_from_the_kiosk() {
    let mut options = GuiOptions::kiosk();
    options.windows = "both".into();
    let gui = Gui::start(options).expect("start the app under WebDriver");
    let handles = gui.window_handles().expect("window handles");
    assert_eq!(handles.len(), 2, "kiosk and manager windows: {handles:?}");

    gui.switch_to_label("kiosk").expect("kiosk window");
    gui.wait_for("[data-testid=kiosk-ready]", Duration::from_secs(20))
        .expect("kiosk ready");
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-EAR-W1]", WAIT)
        .expect("Volt Electronics listed");

    gui.switch_to_label("manager").expect("manager window");
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
