//! The app syncing with a real nats-server: an order placed at the kiosk is relayed to the
//! EVENTS stream in the background, and the manager's sync indicator goes from changes waiting
//! to online with nothing waiting, with no reload (backend events).

use mallbots_tests::gui::{create_events_stream, Gui, GuiOptions};
use mallbots_tests::nats::NatsServer;
use serde_json::json;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// How many messages the EVENTS stream holds.
fn stream_messages(url: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = async_nats::connect(url).await.expect("connect");
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream("EVENTS").await.expect("stream");
        stream.info().await.expect("info").state.messages
    })
}

#[test]
fn an_order_syncs_to_jetstream_and_the_indicator_follows() {
    let nats = NatsServer::start().expect("nats-server");
    create_events_stream(&nats.url()).expect("EVENTS stream");
    let mut options = GuiOptions::kiosk();
    options.windows = "both".into();
    options.env.push(("MALLBOTS_NATS_URL".into(), nats.url()));
    options
        .env
        .push(("MALLBOTS_SYNC_CREATE_CONSUMERS".into(), "1".into()));
    options
        .env
        .push(("MALLBOTS_DEVICE_ID".into(), "gui-kiosk-1".into()));
    let gui = Gui::start(options).expect("start the app under WebDriver");

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

    gui.switch_to_label("manager").unwrap();
    gui.wait_for("[data-testid=manager-sign-in]", WAIT).unwrap();
    gui.type_text("input[name=user]", "manager").unwrap();
    gui.type_text("input[name=password]", "mallbots").unwrap();
    gui.click("[data-testid=sign-in]").unwrap();
    let indicator = |gui: &Gui| {
        gui.execute(
            "const e = document.querySelector('[data-testid=sync-indicator]');\
             return e ? [e.dataset.online, e.dataset.waiting] : null;",
            json!([]),
        )
        .unwrap_or_default()
    };
    let deadline = Instant::now() + WAIT;
    while indicator(&gui) != json!(["true", "0"]) {
        assert!(
            Instant::now() < deadline,
            "indicator shows {:?}",
            indicator(&gui)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        stream_messages(&nats.url()) >= 3,
        "the cart, the customer and the order reached JetStream"
    );
    gui.wait_for_text("[data-testid=sync-indicator]", "Online", WAIT)
        .unwrap();
    gui.screenshot("manager-sync-online").unwrap();
}
