//! The manager's back office next to a live kiosk, the two devices enrolled and syncing through
//! nats-server with the product's generated authorization and real central: the manager's sync
//! indicator follows its own changes without a reload (backend events), the kiosk's order
//! reaches the orders view through central's order lines and its filters find it, the sales
//! chart and the depot show, a CSV import reports its refused lines, and the imported product
//! reaches the kiosk through central's stream.

use mallbots_tests::gui::mall::SecuredMall;
use mallbots_tests::gui::{flows, Gui};
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn place_order(gui: &Gui) {
    flows::kiosk_order(gui, "EAR-W1", "$79.99", "5559876543", WAIT).expect("order placed");
}

fn sign_in(gui: &Gui) {
    flows::sign_in_manager(gui, "manager", "mallbots", WAIT).expect("manager signed in");
}

#[test]
fn the_back_office_follows_the_kiosk_and_imports_products() {
    let mall = SecuredMall::start("kiosk-w1", "office-w1").expect("NATS, central, enrollments");
    let gui = Gui::start(mall.app_options()).expect("start the app");
    sign_in(&gui);
    let indicator = |gui: &Gui| {
        gui.execute(
            "const e = document.querySelector('[data-testid=sync-indicator]');\
             return e ? [e.dataset.state, Number(e.dataset.waiting)] : null;",
            json!([]),
        )
        .unwrap_or_default()
    };
    // The manager device sends its demo catalog and comes online with nothing waiting.
    wait_until("the manager's catalog sent", || {
        indicator(&gui) == json!(["online", 0])
    });
    gui.click("[data-testid=tab-orders]").unwrap();
    gui.wait_for("[data-testid=manager-orders]", WAIT).unwrap();
    gui.wait_for("[data-testid=orders-status]", WAIT).unwrap();

    place_order(&gui);

    gui.switch_to_label("manager").unwrap();
    // The kiosk's order comes back to the desk as central's order line; a filter the window
    // sends to the backend finds it by the phone's last digits, another finds nothing.
    gui.wait_for("[data-testid=order-row]", WAIT)
        .expect("the kiosk's order on the manager's desk");
    gui.type_text("[data-testid=orders-phone]", "6543").unwrap();
    gui.wait_for_text("[data-testid=orders-count]", "1 order", WAIT)
        .unwrap();
    gui.screenshot("manager-orders").unwrap();
    gui.execute(
        "const i = document.querySelector('[data-testid=orders-phone]');\
         i.value = ''; i.dispatchEvent(new Event('input'));",
        json!([]),
    )
    .unwrap();
    gui.type_text("[data-testid=orders-phone]", "1111").unwrap();
    gui.wait_for_text("[data-testid=orders-count]", "0 orders", WAIT)
        .unwrap();

    gui.click("[data-testid=sync-indicator]").unwrap();
    gui.wait_for("[data-testid=sync-details]", WAIT).unwrap();
    gui.screenshot("manager-sync-details").unwrap();
    gui.click("[data-testid=sync-indicator]").unwrap();

    gui.click("[data-testid=tab-sales]").unwrap();
    gui.wait_for("[data-testid=sales-total]", WAIT).unwrap();
    assert_eq!(gui.find_all("[data-testid=sales-bar]").unwrap().len(), 14);
    gui.screenshot("manager-sales").unwrap();

    gui.click("[data-testid=tab-depot]").unwrap();
    gui.wait_for("[data-testid=board-ready]", WAIT).unwrap();
    gui.wait_for("[data-testid=board-completed]", WAIT).unwrap();
    gui.screenshot("manager-depot-pickup").unwrap();

    // CSV import into Green Grocer: two good lines, one bad price, one duplicate SKU.
    gui.click("[data-testid=tab-stores]").unwrap();
    flows::open_store(&gui, "Green Grocer", WAIT).expect("Green Grocer");
    let csv = "sku,name,description,price\nPEAR-1,Conference pears,Per kg,3.20\n\
               PLUM-1,Plums,,cheap\nBRD-SD,Another sourdough,,6.00\nFIG-1,Fresh figs,,4.75\n";
    // WebDriver typing drops the line breaks: set the pasted text as a paste would.
    gui.execute(
        "const t = document.querySelector('[data-testid=csv-import] textarea');\
         t.value = arguments[0]; t.dispatchEvent(new Event('input'));",
        json!([csv]),
    )
    .unwrap();
    gui.click("[data-testid=csv-import-run]").unwrap();
    let report = gui
        .wait_for_text("[data-testid=csv-report]", "2 products added", WAIT)
        .unwrap();
    assert!(
        report.contains("Line 3") && report.contains("Line 4"),
        "{report}"
    );
    gui.wait_for_text("tbody", "Fresh figs", WAIT).unwrap();
    gui.execute(
        "document.querySelector('[data-testid=csv-report]').scrollIntoView({block: 'end'})",
        json!([]),
    )
    .unwrap();
    gui.screenshot("manager-csv-import").unwrap();

    // The kiosk offers the imported product without a restart, once it came through JetStream.
    gui.switch_to_label("kiosk").unwrap();
    gui.click("[data-testid=done]").unwrap();
    gui.wait_for("[data-testid=kiosk-ready]", WAIT).unwrap();
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-FIG-1]", WAIT)
        .expect("the imported product on the kiosk");
}
