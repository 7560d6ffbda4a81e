//! A customer's whole kiosk order, by touch: start, add items, change quantity, phone number on
//! the pad, card swipe, pay, and the order confirmation. Screenshots of every step.

use mallbots_tests::gui::{Gui, GuiOptions};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn a_customer_orders_from_two_stores_and_sees_the_confirmation() {
    let gui = Gui::start(GuiOptions::kiosk()).expect("start the app under WebDriver");
    gui.wait_for("[data-testid=kiosk-ready]", Duration::from_secs(20))
        .expect("start screen");
    gui.click("[data-testid=kiosk-ready]").expect("tap start");

    gui.wait_for("[data-testid=add-EAR-W1]", WAIT)
        .expect("products shown");
    assert_eq!(gui.text("[data-testid=cart-total]").unwrap(), "$0.00");
    // Every tap is a command round trip (buttons are disabled meanwhile): wait for each total.
    gui.click("[data-testid=add-EAR-W1]").unwrap();
    wait_text(&gui, "[data-testid=cart-total]", "$79.99");
    gui.click("[data-testid=add-BRD-SD]").unwrap();
    wait_text(&gui, "[data-testid=cart-total]", "$86.24");
    gui.click("[data-testid=add-BRD-SD]").unwrap();
    wait_text(&gui, "[data-testid=cart-total]", "$92.49");
    gui.screenshot("kiosk-cart").unwrap();

    gui.click("[aria-label='One less Sourdough loaf']").unwrap();
    wait_text(&gui, "[data-testid=cart-total]", "$86.24");

    gui.click("[data-testid=checkout]").unwrap();
    gui.wait_for("[data-testid=pad-5]", WAIT)
        .expect("phone pad");
    let continue_disabled = gui
        .execute(
            "return document.querySelector('[data-testid=phone-continue]').disabled",
            serde_json::json!([]),
        )
        .unwrap();
    assert_eq!(continue_disabled, true, "continue needs a full number");
    for digit in "5551234567".chars() {
        gui.click(&format!("[data-testid=pad-{digit}]")).unwrap();
    }
    wait_text(&gui, "[data-testid=phone-display]", "(555) 123-4567");
    gui.screenshot("kiosk-phone").unwrap();
    gui.click("[data-testid=phone-continue]").unwrap();

    gui.wait_for("[data-testid=card-swipe]", WAIT)
        .expect("card reader");
    gui.click("[data-testid=card-swipe]").unwrap();
    gui.screenshot("kiosk-card").unwrap();
    gui.click("[data-testid=pay]").unwrap();

    let status = gui
        .wait_for("[data-testid=order-status]", WAIT)
        .expect("order confirmation");
    let text = gui.element_text(&status).unwrap();
    assert!(text.contains("$86.24"), "confirmation says: {text}");
    assert!(text.contains("(555) 123-4567"), "confirmation says: {text}");
    gui.screenshot("kiosk-order-status").unwrap();

    // The customer changes their mind: the kiosk asks central to cancel and says so.
    gui.click("[data-testid=request-cancel]").unwrap();
    gui.wait_for("[data-testid=cancel-requested]", WAIT)
        .expect("cancellation request acknowledged");
    assert!(
        gui.find_all("[data-testid=request-cancel]")
            .unwrap()
            .is_empty(),
        "no second cancel button once requested"
    );
    gui.screenshot("kiosk-cancel-requested").unwrap();

    gui.click("[data-testid=done]").unwrap();
    gui.wait_for("[data-testid=kiosk-ready]", WAIT)
        .expect("back to the start screen");
}

fn wait_text(gui: &Gui, css: &str, expected: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = gui.text(css).unwrap_or_default();
        if text.trim() == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} shows {text:?}, expected {expected:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}
