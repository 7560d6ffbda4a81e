//! The manager's depot screen over central's bot and list events: the app starts on an empty
//! depot, the events arrive over a real nats-server through the app's own sync, and the screen
//! shows the robots and shopping lists without a reload (the sync bridge's `depot` event), in
//! words a store manager reads. NATS runs open (development sync, `--sync-create-consumers`):
//! the test publishes central's depot events itself, to show every robot and list state at once
//! (`gui_mall_journey` shows the depot as real central fills it, under the generated
//! authorization).

use mallbots_tests::gui::depot::publish_depot;
use mallbots_tests::gui::{create_events_stream, Gui, GuiOptions};
use mallbots_tests::nats::NatsServer;
use std::path::Path;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

/// The app as a manager desk on `db`: signed in, on the (still empty) depot screen.
fn open_depot(options: GuiOptions) -> Gui {
    let gui = Gui::start(options).expect("start the app under WebDriver");
    gui.wait_for("[data-testid=manager-sign-in]", Duration::from_secs(20))
        .unwrap();
    gui.type_text("input[name=user]", "manager").unwrap();
    gui.type_text("input[name=password]", "mallbots").unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    gui.wait_for("[data-testid=manager-stores]", WAIT).unwrap();
    gui.click("[data-testid=tab-depot]").unwrap();
    gui.wait_for_text(
        "[data-testid=manager-depot]",
        "No robot has reported in yet",
        WAIT,
    )
    .unwrap();
    gui
}

fn manager_on(db: &Path) -> GuiOptions {
    let mut options = GuiOptions::manager();
    options.args = vec!["--db".into(), db.display().to_string()];
    options
}

/// Waits until the depot shows `bots` robots and `lists` shopping lists.
fn wait_for_depot(gui: &Gui, bots: usize, lists: usize) {
    wait_until("the robots and lists", || {
        gui.find_all("[data-testid=bot]").unwrap().len() == bots
            && gui.find_all("[data-testid=shopping-list]").unwrap().len() == lists
    });
}

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn central_robots_and_lists_reach_the_depot_screen_through_sync_in_plain_words() {
    let nats = NatsServer::start().expect("nats-server");
    create_events_stream(&nats.url()).expect("EVENTS stream");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("desk.db");
    let mut options = manager_on(&db);
    options.env.extend([
        ("MALLBOTS__NATS__URL".to_owned(), nats.url()),
        (
            "MALLBOTS__SYNC__CREATE_CONSUMERS".to_owned(),
            "1".to_owned(),
        ),
        ("MALLBOTS__DEVICE__ID".to_owned(), "gui-desk-1".to_owned()),
    ]);
    let gui = open_depot(options);
    gui.screenshot("manager-depot-empty").unwrap();

    // Central appends to `mallbots.ev.depot.>`; the desk's consumer pulls them into its inbox.
    let scene = publish_depot(&db, &nats.url()).expect("depot events on JetStream");

    // No reload: the bridge sees the applied events and the screen asks again.
    wait_for_depot(&gui, scene.bots.len(), scene.lists);
    let robots = gui.text("[data-testid=manager-depot] .bots").unwrap();
    for name in &scene.bots {
        assert!(robots.contains(name.as_str()), "{name} in {robots}");
    }
    assert!(robots.contains("Waiting at the depot"), "{robots}");
    assert!(robots.contains("Not connected"), "{robots}");
    let shopping = gui
        .find_all("[data-testid=bot][data-status=shopping]")
        .unwrap();
    let scout = gui.element_text(&shopping[0]).unwrap();
    assert!(scout.contains("Scout") && scout.contains("At "), "{scout}");

    let table = gui.text("[data-testid=manager-depot] table").unwrap();
    for words in [
        "Being shopped",
        "Robot on the way",
        "Waiting for a robot",
        "Done",
    ] {
        assert!(table.contains(words), "{words} in {table}");
    }
    for store in ["Green Grocer", "Page Turner Books", "Volt Electronics"] {
        assert!(table.contains(store), "{store} in {table}");
    }
    let page = gui.text("[data-testid=manager-depot]").unwrap();
    let uuid_like = |w: &str| w.len() >= 36 && w.matches('-').count() >= 4;
    assert!(
        !page.split_whitespace().any(uuid_like) && !page.contains('{'),
        "raw ids or JSON: {page}"
    );
    assert_eq!(
        gui.text("[data-testid=depot-working]")
            .unwrap()
            .split_whitespace()
            .next(),
        Some("2")
    );
    gui.screenshot("manager-depot").unwrap();
}
