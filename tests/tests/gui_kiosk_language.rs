//! The kiosk in a second language, and accessible on every screen: a customer switches the
//! start screen to Español, orders in Spanish (start, shop, search keyboard, phone pad, card,
//! confirmation), and each screen passes axe-core's WCAG A/AA rules run in the real webview
//! with no serious or critical violation; Done brings the next customer back to English.
//! Screenshots of each screen in `target/e2e-screenshots/kiosk-es-*.png`.

use mallbots_tests::gui::{Gui, GuiOptions};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn a_customer_orders_in_spanish_on_screens_without_accessibility_violations() {
    let gui = Gui::start(GuiOptions::kiosk()).expect("start the app under WebDriver");
    gui.wait_for("[data-testid=kiosk-ready]", Duration::from_secs(20))
        .expect("start screen");
    gui.assert_accessible("start (English)");
    assert_eq!(
        gui.execute(
            "return document.documentElement.lang",
            serde_json::json!([])
        )
        .unwrap(),
        "en"
    );

    gui.click("[data-testid=lang-es]").unwrap();
    gui.wait_for_text(
        "[data-testid=kiosk-start]",
        "Toque para empezar su pedido",
        WAIT,
    )
    .expect("the start screen in Spanish");
    assert_eq!(
        gui.execute(
            "return document.documentElement.lang",
            serde_json::json!([])
        )
        .unwrap(),
        "es"
    );
    gui.screenshot("kiosk-es-start").unwrap();
    gui.assert_accessible("start (Spanish)");

    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-EAR-W1]", WAIT)
        .expect("products");
    gui.wait_for_text("[data-testid=checkout]", "Pagar", WAIT)
        .unwrap();
    gui.click("[data-testid=add-EAR-W1]").unwrap();
    gui.wait_for_text("[data-testid=cart-total]", "$79.99", WAIT)
        .unwrap();
    let cart = gui.text("aside.cart h2").unwrap();
    assert!(
        cart.contains("Su pedido") && cart.contains("1 artículo"),
        "{cart}"
    );
    gui.screenshot("kiosk-es-shop").unwrap();
    gui.assert_accessible("shop");

    gui.click("[data-testid=search]").unwrap();
    gui.wait_for("[data-testid=keyboard-done]", WAIT).unwrap();
    assert_eq!(gui.text("[data-testid=keyboard-done]").unwrap(), "Listo");
    gui.assert_accessible("search keyboard");
    gui.click("[data-testid=keyboard-done]").unwrap();

    gui.click("[data-testid=checkout]").unwrap();
    gui.wait_for("[data-testid=pad-5]", WAIT)
        .expect("phone pad");
    for digit in "5551234567".chars() {
        gui.click(&format!("[data-testid=pad-{digit}]")).unwrap();
    }
    gui.wait_for_text("[data-testid=phone-continue]", "Continuar", WAIT)
        .unwrap();
    gui.screenshot("kiosk-es-phone").unwrap();
    gui.assert_accessible("phone pad");
    gui.click("[data-testid=phone-continue]").unwrap();

    gui.wait_for("[data-testid=card-swipe]", WAIT)
        .expect("card");
    gui.click("[data-testid=card-swipe]").unwrap();
    gui.wait_for_text("[data-testid=card-swipe]", "Tarjeta leída", WAIT)
        .unwrap();
    gui.assert_accessible("card");
    gui.click("[data-testid=pay]").unwrap();

    let status = gui
        .wait_for("[data-testid=order-status]", WAIT)
        .expect("confirmation");
    let text = gui.element_text(&status).unwrap();
    assert!(text.contains("¡Gracias!"), "confirmation says: {text}");
    assert!(
        text.contains("Su código de recogida"),
        "confirmation says: {text}"
    );
    gui.screenshot("kiosk-es-status").unwrap();
    gui.assert_accessible("order status");

    gui.click("[data-testid=done]").unwrap();
    gui.wait_for_text("[data-testid=kiosk-start]", "Tap to start your order", WAIT)
        .expect("the next customer starts in English");
}
