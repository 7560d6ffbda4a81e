//! The whole mall as it ships, through the app's two windows only (docs/architecture.md §9): NATS with the
//! product's generated authorization, the real `mallbots-central` (saga, payments, depot, bot
//! simulator) with central's credentials, and the app's kiosk and manager as two devices
//! enrolled with `mallbots-central enroll` (the mall office desk for every store, as
//! `scripts/run.sh` enrolls it).
//!
//! The manager signs in and adds a product; the kiosk offers it (it came through central's
//! stream); a customer orders it and the kiosk shows the pickup code (with its QR code);
//! central approves it, a robot shops it, the kiosk says ready; the manager's pickup board shows
//! it ready; a wrong code is refused by central in plain words; the manager types the code the
//! kiosk shows and hands the order over; central captures the payment and completes the order,
//! and both windows say "picked up". Nothing is published or created by the test: every step is
//! a click or a key. Screenshots:
//! `target/e2e-screenshots/gui_mall_journey_01_manager_signed_in.png` … `_08_kiosk_picked_up`,
//! `_09_manager_order_trail` (the order's audit trail in the manager's order detail),
//! `_10_manager_robot_day` (the robot's day on its card), `_11_kiosk_item_no_longer_sold` (a
//! product removed while it sat in a cart, as the customer sees it), `_12_manager_wrong_pickup_code`.

use mallbots_tests::gui::mall::SecuredMall;
use mallbots_tests::gui::{flows, Gui};
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
/// Approval, a robot's round through the stores and back to the depot.
const SHOPPING: Duration = Duration::from_secs(90);

fn shot(gui: &Gui, n: u32, name: &str) {
    gui.screenshot(&format!("gui_mall_journey_{n:02}_{name}"))
        .expect("screenshot");
}

fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_until_some<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Whether a toggle button says it is expanded (clicking it again would close it).
fn toggle_is_open(gui: &Gui, toggle: &mallbots_tests::gui::Element) -> bool {
    matches!(gui.attribute(toggle, "aria-expanded"), Ok(Some(v)) if v == "true")
}

fn sync_state(gui: &Gui) -> serde_json::Value {
    gui.execute(
        "const e = document.querySelector('[data-testid=sync-indicator]');\
         return e ? [e.dataset.state, Number(e.dataset.waiting)] : null;",
        json!([]),
    )
    .unwrap_or_default()
}

#[test]
fn a_product_added_by_the_manager_is_ordered_at_the_kiosk_shopped_and_handed_over() {
    let mall = SecuredMall::start("kiosk-j1", "office-j1").expect("NATS, central, enrollments");
    let mut options = mall.app_options();
    options
        .env
        .push(("MALLBOTS__KIOSK__IDLE_SECS".into(), "600".into()));
    let gui = Gui::start(options).expect("start the app");

    // The manager desk: signed in, online with its demo catalog sent.
    flows::sign_in_manager(&gui, "manager", "mallbots", WAIT).expect("manager signed in");
    wait_until("the manager device online, nothing waiting", WAIT, || {
        sync_state(&gui) == json!(["online", 0])
    });
    shot(&gui, 1, "manager_signed_in");

    // A new product at Green Grocer.
    flows::open_store(&gui, "Green Grocer", WAIT).expect("Green Grocer");
    gui.type_text(".add input[placeholder=Name]", "Fig jam (250 g)")
        .unwrap();
    gui.type_text(".add input[placeholder=SKU]", "JAM-FIG")
        .unwrap();
    gui.type_text(".add input[placeholder=Price]", "4.25")
        .unwrap();
    gui.click(".add button").unwrap();
    gui.wait_for_text("tbody", "Fig jam", WAIT).unwrap();
    wait_until("the new product sent to central", WAIT, || {
        sync_state(&gui) == json!(["online", 0])
    });
    shot(&gui, 2, "manager_added_product");
    // Its history, from the desk's event log: added by the signed-in manager at this desk.
    gui.click("[data-testid=product-JAM-FIG] [data-testid=product-history]")
        .unwrap();
    gui.wait_for_text(
        "[data-testid=product-trail]",
        "added as Fig jam (250 g) (JAM-FIG) at 4.25 USD by manager at",
        WAIT,
    )
    .expect("the product's history names the manager and the desk");

    // The kiosk offers it once it came through central's stream.
    gui.switch_to_label("kiosk").unwrap();
    gui.wait_for("[data-testid=kiosk-ready]", WAIT).unwrap();
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-JAM-FIG]", WAIT)
        .expect("the manager's new product offered on the kiosk");
    shot(&gui, 3, "kiosk_shows_product");
    gui.click("[data-testid=start-over]").unwrap();

    flows::kiosk_order(&gui, "JAM-FIG", "$4.25", "5554443322", WAIT).expect("order placed");
    shot(&gui, 4, "kiosk_order_placed");

    // Central approves, a robot shops, the kiosk hears it is ready.
    if let Err(e) = gui.wait_for("[data-testid=order-ready]", SHOPPING) {
        let status = gui
            .execute(
                "const e = document.querySelector('[data-testid=order-status]');\
                 return e ? e.dataset.status : null;",
                json!([]),
            )
            .unwrap_or_default();
        panic!(
            "the order never became ready on the kiosk ({e}); the kiosk shows status \
             {status}; central's log ends:\n{}\nthe app's log ends:\n{}\nthe kiosk's \
             database: {}",
            mall.central_log_tail(80),
            gui.log_tail(80),
            kiosk_database(&gui)
        );
    }
    shot(&gui, 5, "kiosk_order_ready");
    // The code the customer shows at the desk, as the kiosk's screen reads it ("042 517").
    let pickup_code = gui.text("[data-testid=pickup-code]").unwrap();
    let digits: String = pickup_code.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(
        digits.len(),
        6,
        "the kiosk shows a six-digit code: {pickup_code:?}"
    );

    // The manager's pickup board has it ready; the manager hands it over with the code.
    gui.switch_to_label("manager").unwrap();
    gui.click("[data-testid=tab-depot]").unwrap();
    gui.wait_for("[data-testid=board-ready] [data-testid=hand-over]", WAIT)
        .expect("the order ready on the manager's pickup board");
    shot(&gui, 6, "manager_board_ready");
    let code_input = "[data-testid=board-ready] [data-testid=pickup-code-input]";
    let hand_over = "[data-testid=board-ready] [data-testid=hand-over]";
    // A code the customer did not show: central refuses it in plain words, the desk retries.
    let wrong = if digits == "000000" {
        "000001"
    } else {
        "000000"
    };
    gui.type_text(code_input, wrong).unwrap();
    gui.click(hand_over).unwrap();
    gui.wait_for(
        "[data-testid=board-ready] [data-testid=pickup-refusal][data-code='pickup.wrong_code']",
        WAIT,
    )
    .expect("central refuses a wrong pickup code");
    shot(&gui, 12, "manager_wrong_pickup_code");
    gui.clear(code_input).unwrap();
    gui.type_text(code_input, &pickup_code).unwrap();
    gui.click(hand_over).unwrap();
    gui.wait_for(
        "[data-testid=board-completed] [data-testid=picked-up]",
        WAIT,
    )
    .expect("central completed the hand-over");
    shot(&gui, 7, "manager_picked_up");
    // The robot that shopped it: its day, from the desk's event log, on its card.
    let took = wait_until_some("a robot's day with the order's list", WAIT, || {
        for toggle in gui.find_all("[data-testid=bot-day]").ok()? {
            if toggle_is_open(&gui, &toggle) {
                continue;
            }
            gui.click_element(&toggle).ok()?;
            let shown = gui.wait_for_text(
                "[data-testid=bot-trail]",
                "back at the depot",
                Duration::from_secs(2),
            );
            match shown {
                Ok(text) if text.contains("took the list of order") => return Some(text),
                _ => {}
            }
        }
        None
    });
    assert!(took.contains("arrived at Green Grocer"), "{took}");
    shot(&gui, 10, "manager_robot_day");

    gui.switch_to_label("kiosk").unwrap();
    gui.wait_for("[data-testid=order-picked-up]", WAIT)
        .expect("the kiosk says picked up");
    shot(&gui, 8, "kiosk_picked_up");

    // A new customer puts the jam in the cart; the manager takes it off sale meanwhile: the
    // kiosk says so in plain words and will not take payment until it is removed.
    gui.click("[data-testid=done]").unwrap();
    gui.wait_for("[data-testid=kiosk-ready]", WAIT).unwrap();
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-JAM-FIG]", WAIT).unwrap();
    gui.click("[data-testid=add-JAM-FIG]").unwrap();
    gui.wait_for_text("[data-testid=cart-total]", "$4.25", WAIT)
        .unwrap();
    gui.switch_to_label("manager").unwrap();
    gui.click("[data-testid=tab-stores]").unwrap();
    flows::open_store(&gui, "Green Grocer", WAIT).expect("Green Grocer");
    gui.click("[data-testid=product-JAM-FIG] [data-testid=remove-product]")
        .unwrap();
    gui.switch_to_label("kiosk").unwrap();
    gui.wait_for_text("[data-testid=cart-unavailable]", "no longer sold", SHOPPING)
        .expect("the kiosk tells the customer the jam is no longer sold");
    let checkout = gui.find("[data-testid=checkout]").unwrap();
    assert_eq!(
        gui.attribute(&checkout, "disabled").unwrap().as_deref(),
        Some("true"),
        "no payment for a product no longer sold"
    );
    shot(&gui, 11, "kiosk_item_no_longer_sold");
    gui.click("[data-testid=remove-unavailable]").unwrap();
    gui.wait_for_text("[data-testid=cart-total]", "$0.00", WAIT)
        .unwrap();

    // The hand-over went through central: payment captured, as the manager's order detail says.
    gui.switch_to_label("manager").unwrap();
    gui.click("[data-testid=tab-orders]").unwrap();
    gui.wait_for("[data-testid=order-row]", WAIT).unwrap();
    gui.click("[data-testid=order-row] td").unwrap();
    gui.wait_for("[data-testid=order-payment][data-status=captured]", WAIT)
        .expect("the payment captured, as central reports it");

    // The order's audit trail, from the desk's event log: the robot's list and the hand-over.
    for event in [
        "ShoppingListAssigned",
        "StopItemsPickedUp",
        "OrderPickupRequested",
    ] {
        gui.wait_for(
            &format!("[data-testid=order-trail] li[data-event-type={event}]"),
            WAIT,
        )
        .unwrap_or_else(|e| panic!("{event} in the order's trail: {e}"));
    }
    let trail = gui.text("[data-testid=order-trail]").unwrap();
    assert!(
        trail.contains("hand-over asked by manager at desk"),
        "{trail}"
    );
    gui.execute(
        "document.querySelector('[data-testid=order-trail]').scrollIntoView()",
        serde_json::json!([]),
    )
    .unwrap();
    shot(&gui, 9, "manager_order_trail");
    drop(gui);
    drop(mall);
}

/// What the kiosk's database holds, for a failure message: its events by type, its outbox and
/// inbox (read-only, beside the running app).
fn kiosk_database(gui: &Gui) -> String {
    let found = walk(&gui.data_home()).into_iter().find(|p| {
        p.file_name().is_some_and(|n| {
            n.to_string_lossy().starts_with("kiosk") && n.to_string_lossy().ends_with(".db")
        })
    });
    let Some(path) = found else {
        return "no kiosk database found".to_owned();
    };
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return format!("{} does not open", path.display());
    };
    let query = |sql: &str| -> String {
        let Ok(mut stmt) = conn.prepare(sql) else {
            return format!("<{sql} failed>");
        };
        let columns = stmt.column_count();
        let rows = stmt.query_map([], |r| {
            Ok((0..columns)
                .map(|i| r.get_ref(i).map(|v| format!("{v:?}")).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" | "))
        });
        rows.map(|rows| rows.filter_map(Result::ok).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    };
    format!(
        "{}\nevents:\n{}\noutbox:\n{}\ninbox:\n{}\nrm_orders:\n{}",
        path.display(),
        query("SELECT stream_type, event_type, stream_seq IS NOT NULL, superseded FROM events ORDER BY global_pos DESC LIMIT 30"),
        query("SELECT global_pos, subject, published_seq, attempts, last_error, quarantine_code FROM outbox ORDER BY global_pos DESC LIMIT 10"),
        query("SELECT subject, status, stream_seq FROM inbox ORDER BY rowid DESC LIMIT 15"),
        query("SELECT order_id, status FROM rm_orders"),
    )
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
