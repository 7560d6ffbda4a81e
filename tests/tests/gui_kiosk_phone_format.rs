//! The mall's phone format reaches the kiosk's number pad: started with
//! `MALLBOTS__MALL__PHONE_FORMAT=international`, the pad shows the number as an international one,
//! accepts eight digits, and the confirmation texts that number with its `+`.

use mallbots_tests::gui::{Gui, GuiOptions};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn an_international_mall_takes_an_international_number() {
    let mut options = GuiOptions::kiosk();
    options.env.push((
        "MALLBOTS__MALL__PHONE_FORMAT".into(),
        "international".into(),
    ));
    let gui = Gui::start(options).expect("start the app under WebDriver");
    gui.wait_for("[data-testid=kiosk-ready]", Duration::from_secs(20))
        .expect("start screen");
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-EAR-W1]", WAIT).unwrap();
    gui.click("[data-testid=add-EAR-W1]").unwrap();
    gui.wait_for_text("[data-testid=cart-total]", "$79.99", WAIT)
        .unwrap();
    gui.click("[data-testid=checkout]").unwrap();
    gui.wait_for("[data-testid=pad-4]", WAIT)
        .expect("phone pad");
    for digit in "44207946".chars() {
        gui.click(&format!("[data-testid=pad-{digit}]")).unwrap();
    }
    gui.wait_for_text("[data-testid=phone-display]", "+44 207 946", WAIT)
        .expect("an international number");
    gui.screenshot("kiosk-phone-international").unwrap();
    gui.click("[data-testid=phone-continue]").unwrap();
    gui.wait_for("[data-testid=card-swipe]", WAIT).unwrap();
    gui.click("[data-testid=card-swipe]").unwrap();
    gui.click("[data-testid=pay]").unwrap();
    let status = gui.wait_for("[data-testid=order-status]", WAIT).unwrap();
    let text = gui.element_text(&status).unwrap();
    assert!(text.contains("+44 207 946"), "confirmation says: {text}");
}
