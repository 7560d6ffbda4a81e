//! The live mall map, as it ships (docs/architecture.md §9): NATS with the product's generated
//! authorization, the real `mallbots-central` with its bot simulator (robots walk 250 plan units
//! per 1.5 s step, so their walks last seconds), and the app's kiosk and manager enrolled with
//! `mallbots-central enroll`.
//!
//! The manager places Green Grocer on the map with the keyboard (arrow keys, Enter) and moves
//! Page Turner Books up to level 1 from its panel; a customer orders apples at the kiosk; central
//! approves it and a robot sets off: the manager's map shows it walking between the depot and
//! Green Grocer, at a different spot a second later, and its list on tap. Nothing is published by
//! the test. Screenshots: `target/e2e-screenshots/gui_mall_map_01_store_placed.png`,
//! `_02_robot_walking`, `_03_robot_moved` (the same robot a moment later, elsewhere),
//! `_04_robot_list`, `_05_level_1`, `_06_kiosk_order_map` (the customer's "where is my order").

use mallbots_tests::gui::mall::SecuredMall;
use mallbots_tests::gui::{flows, Gui};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
/// Approval and a robot setting off.
const SHOPPING: Duration = Duration::from_secs(90);
/// The simulator's step: long walks, so the map can be caught mid-walk.
const STEP_MS: u64 = 1_500;

fn shot(gui: &Gui, n: u32, name: &str) {
    gui.screenshot(&format!("gui_mall_map_{n:02}_{name}"))
        .expect("screenshot");
}

fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn store_selector(name: &str) -> String {
    format!("[data-testid=map-store][aria-label^=\"{name}\"]")
}

/// A map element's drawn position (`data-x`, `data-y`).
fn position(gui: &Gui, css: &str) -> Option<(i64, i64)> {
    let v = gui
        .execute(
            "const e = document.querySelector(arguments[0]);\
             return e ? [Number(e.dataset.x), Number(e.dataset.y)] : null;",
            json!([css]),
        )
        .ok()?;
    Some((v.get(0)?.as_i64()?, v.get(1)?.as_i64()?))
}

/// Presses keys on a map element as a keyboard user does (focus, keydown). Scripted because
/// WebKitWebDriver does not send keys to SVG elements; the handler is the product's.
fn press(gui: &Gui, css: &str, keys: &[&str]) {
    gui.execute(
        "const e = document.querySelector(arguments[0]); e.focus();\
         for (const key of arguments[1]) \
           e.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));",
        json!([css, keys]),
    )
    .expect("keys");
}

/// The walking robots on the level shown: id → position.
fn walking(gui: &Gui) -> Vec<(String, (i64, i64))> {
    let v = gui
        .execute(
            "return [...document.querySelectorAll('[data-testid=map-robot][data-walking=true]')]\
               .map(e => [e.dataset.botId, Number(e.dataset.x), Number(e.dataset.y)]);",
            json!([]),
        )
        .unwrap_or(Value::Null);
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r.get(0)?.as_str()?.to_owned();
            Some((id, (r.get(1)?.as_i64()?, r.get(2)?.as_i64()?)))
        })
        .collect()
}

#[test]
fn the_manager_places_stores_and_watches_a_robot_walk_the_map() {
    let mall = SecuredMall::start_with_step("kiosk-m1", "office-m1", STEP_MS)
        .expect("NATS, central, enrollments");
    let mut options = mall.app_options();
    options
        .env
        .push(("MALLBOTS__KIOSK__IDLE_SECS".into(), "600".into()));
    let gui = Gui::start(options).expect("start the app");

    flows::sign_in_manager(&gui, "manager", "mallbots", WAIT).expect("manager signed in");
    gui.click("[data-testid=tab-depot]").unwrap();
    gui.wait_for("[data-testid=map-depot]", WAIT)
        .expect("the map's ground floor with the depot");
    let grocer = store_selector("Green Grocer");
    gui.wait_for(&grocer, WAIT)
        .expect("Green Grocer on the map");

    // Green Grocer, laid out automatically until now, placed with the keyboard.
    let (x0, y0) = position(&gui, &grocer).expect("Green Grocer's spot");
    press(&gui, &grocer, &["ArrowRight"; 6]);
    press(&gui, &grocer, &["ArrowDown", "ArrowDown", "Enter"]);
    gui.wait_for_text(
        "[data-testid=map-store-panel]",
        &format!("Placed on Ground floor at ({}, {})", x0 + 60, y0 + 20),
        WAIT,
    )
    .expect("Green Grocer placed where the keys moved it");
    assert_eq!(position(&gui, &grocer), Some((x0 + 60, y0 + 20)));
    shot(&gui, 1, "store_placed");

    // Page Turner Books up to level 1, from its panel.
    let books = store_selector("Page Turner Books");
    press(&gui, &books, &["Enter"]);
    gui.wait_for_text("[data-testid=map-store-panel]", "Not placed yet", WAIT)
        .expect("selecting a store does not place it");
    gui.click("[data-testid=map-move-level][data-level='1']")
        .unwrap();
    gui.wait_for_text("[data-testid=map-store-panel]", "Placed on Level 1", WAIT)
        .expect("the books store moved to level 1");
    gui.wait_for("[data-testid=map-plan][data-level='1']", WAIT)
        .expect("the map shows level 1");

    // A customer orders apples; a robot sets off from the depot to Green Grocer (three steps'
    // walk each way on the ground floor).
    flows::kiosk_order(&gui, "APL-1KG", "$5.49", "5551234567", WAIT).expect("order placed");
    gui.switch_to_label("manager").unwrap();
    gui.click("[data-testid=map-level][data-level='0']")
        .unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + SHOPPING;
    let (bot, first, second) = loop {
        assert!(
            Instant::now() < deadline,
            "no robot seen moving on the map; samples: {seen:?}"
        );
        let before = walking(&gui);
        let Some((bot, first)) = before.first().cloned() else {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        shot(&gui, 2, "robot_walking");
        std::thread::sleep(Duration::from_millis(1_000));
        let after = walking(&gui);
        seen.push((before.clone(), after.clone()));
        if let Some((_, second)) = after.iter().find(|(id, _)| *id == bot) {
            if *second != first {
                shot(&gui, 3, "robot_moved");
                break (bot, first, *second);
            }
        }
    };
    eprintln!("robot {bot} walked from {first:?} to {second:?} in a second");

    // Its list on tap: Green Grocer's stop, the apples. (A scripted click: WebKitWebDriver
    // refuses to click SVG elements, and this one moves.)
    gui.execute(
        "document.querySelector(arguments[0])           .dispatchEvent(new MouseEvent('click', { bubbles: true }));",
        json!([format!("[data-testid=map-robot][data-bot-id='{bot}']")]),
    )
    .expect("tap the robot");
    gui.wait_for_text("[data-testid=map-robot-panel]", "Green Grocer", WAIT)
        .expect("the robot's list on the map");
    let panel = gui.text("[data-testid=map-robot-panel]").unwrap();
    assert!(panel.contains("1 × Honeycrisp apples (1 kg)"), "{panel}");
    shot(&gui, 4, "robot_list");

    // Level 1: the book store the manager moved up.
    gui.click("[data-testid=map-level][data-level='1']")
        .unwrap();
    wait_until("Page Turner Books on level 1", WAIT, || {
        gui.find_all(&books).map(|f| !f.is_empty()).unwrap_or(false)
    });
    shot(&gui, 5, "level_1");

    // The customer's "where is my order": the store shopped, the depot to collect it at.
    gui.switch_to_label("kiosk").unwrap();
    gui.wait_for("[data-testid=order-ready]", SHOPPING)
        .expect("the order ready for pickup on the kiosk");
    let map = gui
        .wait_for_text(
            "[data-testid=order-map]",
            "Collect your order at the depot.",
            WAIT,
        )
        .expect("the kiosk's order map");
    let stores = gui.find_all("[data-testid=order-map-store]").unwrap();
    assert_eq!(stores.len(), 1, "{map}");
    assert_eq!(
        gui.attribute(&stores[0], "data-name").unwrap().as_deref(),
        Some("Green Grocer")
    );
    shot(&gui, 6, "kiosk_order_map");
    drop(gui);
    drop(mall);
}
