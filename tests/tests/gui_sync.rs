//! The app's two devices syncing with a real nats-server: an order placed at the kiosk is
//! relayed to the EVENTS stream in the background by the kiosk device, and the kiosk's sync
//! indicator goes to online with nothing waiting, with no reload (backend events); the manager
//! device (its demo catalog sent) is online with nothing waiting too. NATS runs open on purpose:
//! this is the development sync (`--sync-create-consumers`, no enrollment) the README documents;
//! the enrolled devices under the generated authorization are `gui_mall_journey`,
//! `gui_two_windows` and `gui_backoffice`.

use mallbots_tests::gui::{create_events_stream, Gui, GuiOptions};
use mallbots_tests::nats::NatsServer;
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// `[state, online, waiting]` of the sync indicator of the current window.
fn indicator(gui: &Gui) -> serde_json::Value {
    gui.execute(
        "const e = document.querySelector('[data-testid=sync-indicator]');         return e ? [e.dataset.state, e.dataset.online, e.dataset.waiting] : null;",
        json!([]),
    )
    .unwrap_or_default()
}

fn wait_online_and_sent(gui: &Gui, which: &str) {
    let deadline = Instant::now() + WAIT;
    while indicator(gui) != json!(["online", "true", "0"]) {
        assert!(
            Instant::now() < deadline,
            "{which} indicator shows {:?}",
            indicator(gui)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the EVENTS stream holds a message on `subject`.
fn on_stream(url: &str, subject: &str) -> bool {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = async_nats::connect(url).await.expect("connect");
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream("EVENTS").await.expect("stream");
        stream
            .get_last_raw_message_by_subject(subject)
            .await
            .is_ok()
    })
}

#[test]
fn an_order_syncs_to_jetstream_and_the_indicator_follows() {
    let nats = NatsServer::start().expect("nats-server");
    create_events_stream(&nats.url()).expect("EVENTS stream");
    let gui = Gui::start(GuiOptions::both_synced(&nats.url())).expect("start the app");

    gui.switch_to_label("kiosk").unwrap();
    gui.wait_for("[data-testid=kiosk-ready]", WAIT).unwrap();
    gui.click("[data-testid=kiosk-ready]").unwrap();
    gui.wait_for("[data-testid=add-EAR-W1]", WAIT).unwrap();
    gui.click("[data-testid=add-EAR-W1]").unwrap();
    gui.wait_for_text("[data-testid=cart-total]", "$79.99", WAIT)
        .unwrap();
    gui.click("[data-testid=checkout]").unwrap();
    gui.wait_for("[data-testid=pad-5]", WAIT).unwrap();
    for digit in "5551112222".chars() {
        gui.click(&format!("[data-testid=pad-{digit}]")).unwrap();
    }
    gui.click("[data-testid=phone-continue]").unwrap();
    gui.wait_for("[data-testid=card-swipe]", WAIT).unwrap();
    gui.click("[data-testid=card-swipe]").unwrap();
    gui.click("[data-testid=pay]").unwrap();
    gui.wait_for("[data-testid=order-status]", WAIT).unwrap();

    let order_id = gui
        .execute(
            "return document.querySelector('[data-testid=order-status]').dataset.orderId",
            json!([]),
        )
        .unwrap();
    let device = gui
        .execute(
            "return document.querySelector('[data-testid=sync-indicator]').dataset.device",
            json!([]),
        )
        .unwrap();
    wait_online_and_sent(&gui, "the kiosk's");
    let subject = format!(
        "mallbots.ev.kiosk.{}.order.{}",
        device.as_str().unwrap(),
        order_id.as_str().unwrap()
    );
    assert!(
        on_stream(&nats.url(), &subject),
        "the kiosk device relayed its order on {subject}"
    );
    gui.screenshot("kiosk-sync-online").unwrap();

    gui.switch_to_label("manager").unwrap();
    gui.wait_for("[data-testid=manager-sign-in]", WAIT).unwrap();
    gui.type_text("input[name=user]", "manager").unwrap();
    gui.type_text("input[name=password]", "mallbots").unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    wait_online_and_sent(&gui, "the manager's");
    gui.wait_for_text("[data-testid=sync-indicator]", "Online", WAIT)
        .unwrap();
    gui.screenshot("manager-sync-online").unwrap();
}

/// A device with a NATS URL but no enrollment (and no development consumers) does not sync:
/// both windows show one clear state, "Not enrolled", with the command that fixes it, and the
/// stream receives nothing from them.
#[test]
fn devices_without_an_enrollment_say_so_and_do_not_sync() {
    let nats = NatsServer::start().expect("nats-server");
    create_events_stream(&nats.url()).expect("EVENTS stream");
    let mut options = GuiOptions::kiosk();
    options.windows = "both".into();
    options
        .env
        .push(("MALLBOTS__NATS__URL".to_owned(), nats.url()));
    let gui = Gui::start(options).expect("start the app");

    let problem = |gui: &Gui| {
        gui.execute(
            "const e = document.querySelector('[data-testid=sync-indicator]');\
             const p = document.querySelector('[data-testid=sync-problem]');\
             const f = document.querySelector('[data-testid=sync-fix]');\
             return e && p && f ? [e.dataset.state, p.dataset.code, f.textContent] : null;",
            json!([]),
        )
        .unwrap_or_default()
    };
    gui.switch_to_label("kiosk").unwrap();
    gui.wait_for("[data-testid=kiosk-ready]", WAIT).unwrap();
    let deadline = Instant::now() + WAIT;
    while problem(&gui).is_null() {
        assert!(Instant::now() < deadline, "no problem shown on the kiosk");
        std::thread::sleep(Duration::from_millis(50));
    }
    let shown = problem(&gui);
    assert_eq!(shown[0], "not_enrolled", "{shown}");
    assert_eq!(shown[1], "sync.not_enrolled", "{shown}");
    let fix = shown[2].as_str().unwrap();
    assert!(
        fix.contains("mallbots-central enroll --device kiosk-")
            && fix.contains("--role kiosk")
            && fix.contains("--kiosk-enrollment"),
        "{fix}"
    );
    gui.screenshot("kiosk-not-enrolled").unwrap();

    gui.switch_to_label("manager").unwrap();
    gui.wait_for("[data-testid=manager-sign-in]", WAIT).unwrap();
    gui.type_text("input[name=user]", "manager").unwrap();
    gui.type_text("input[name=password]", "mallbots").unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    let deadline = Instant::now() + WAIT;
    while problem(&gui).is_null() {
        assert!(Instant::now() < deadline, "no problem shown on the manager");
        std::thread::sleep(Duration::from_millis(50));
    }
    let shown = problem(&gui);
    assert_eq!(shown[0], "not_enrolled", "{shown}");
    assert!(
        shown[2]
            .as_str()
            .unwrap()
            .contains("--role manager --store"),
        "{shown}"
    );
    gui.screenshot("manager-not-enrolled").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let messages = rt.block_on(async {
        let client = async_nats::connect(nats.url()).await.expect("connect");
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream("EVENTS").await.expect("stream");
        stream.info().await.expect("info").state.messages
    });
    assert_eq!(messages, 0, "a device that is not enrolled sent nothing");
}
