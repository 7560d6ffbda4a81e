//! Reliability (issue 7): hostile input through the Tauri commands, on Tauri's mock runtime with
//! the real `tauri.conf.json` and capabilities (as `src/commands/tests` does) over a real edge
//! database with the demo mall.
//!
//! Payloads: empty and blank text, 1 MiB text, unicode (RTL override, emoji, combining marks,
//! NUL), numbers at and beyond `i64` and of the wrong JSON type, negative quantities and prices,
//! SQL and HTML/script, on every command that takes input. Each call is either refused with a
//! `{code, message}` error and the database unchanged (event export and catalog compared), or
//! legitimately valid and then stored verbatim (read back identical through the commands).
//!
//! Text beyond the domain's limits (1 MiB names, descriptions, SKUs, card tokens) and NUL in
//! single-line text must be refused; a refused checkout must not leave a customer registration
//! behind; no error message may exceed 1 KiB (a refused id is quoted in part only).
//!
//! Arguments of the wrong JSON type (a string where a number goes, a number beyond `i64`, a
//! number or `null` for an id) are refused by the command as `invalid_argument` with
//! `{code, message}` too: any bare-string error fails the test.
//!
//! The UI side: Svelte escapes `{text}` interpolation; [`ui_never_renders_raw_html`] checks that
//! `ui/src` has no `{@html}` or `innerHTML`-style sink, so the HTML payloads stored here are shown
//! as text.

use mallbots_app::auth::{LockoutPolicy, ManagerAccount};
use mallbots_app::AppState;
use mallbots_edge::{Edge, EdgeConfig};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _app: App<MockRuntime>,
    _dir: tempfile::TempDir,
    edge: Arc<Edge>,
    kiosk: WebviewWindow<MockRuntime>,
    manager: WebviewWindow<MockRuntime>,
    refused: u64,
    accepted: u64,
    accepted_labels: Vec<String>,
    uncoded: Vec<String>,
    mismatched: Vec<String>,
    changed: Vec<String>,
    long_messages: u64,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = EdgeConfig {
        device_id: "hostile-kiosk".into(),
        ..Default::default()
    };
    let edge = Arc::new(Edge::open(dir.path().join("edge.db"), config).expect("edge"));
    assert!(mallbots_app::demo::seed(&edge).expect("demo mall"));
    let policy = LockoutPolicy {
        max_failures: 3,
        lock_for: Duration::from_secs(60),
    };
    let account = ManagerAccount::from_password("boss", "s3cret", policy).expect("account");
    let state = AppState::new(Arc::clone(&edge), account).expect("state");
    let app = mallbots_app::configure(mock_builder(), state)
        .build(tauri::generate_context!(test = true))
        .expect("mock app");
    let kiosk = WebviewWindowBuilder::new(&app, "kiosk", WebviewUrl::default())
        .build()
        .expect("kiosk window");
    let manager = WebviewWindowBuilder::new(&app, "manager", WebviewUrl::default())
        .build()
        .expect("manager window");
    Harness {
        _app: app,
        _dir: dir,
        edge,
        kiosk,
        manager,
        refused: 0,
        accepted: 0,
        accepted_labels: Vec::new(),
        uncoded: Vec::new(),
        mismatched: Vec::new(),
        changed: Vec::new(),
        long_messages: 0,
    }
}

/// Invokes `cmd` from `window` as the page at tauri://localhost would.
fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_owned(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().expect("json body"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Window {
    Kiosk,
    Manager,
}

impl Harness {
    fn window(&self, w: Window) -> &WebviewWindow<MockRuntime> {
        match w {
            Window::Kiosk => &self.kiosk,
            Window::Manager => &self.manager,
        }
    }

    fn ok(&self, w: Window, cmd: &str, args: Value) -> Value {
        invoke(self.window(w), cmd, args).unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// The event and outbox counts, the full catalog and the orders.
    fn snapshot(&self) -> (mallbots_edge::LocalCounts, Value, Value) {
        let events = self.edge.local_counts().expect("counts");
        let catalog = serde_json::to_value(self.edge.catalog(None, false).unwrap()).unwrap();
        let orders = serde_json::to_value(self.edge.orders(None).unwrap()).unwrap();
        (events, catalog, orders)
    }

    /// One call: refused with `{code, message}` and nothing stored, or accepted (returned).
    fn case(
        &mut self,
        label: &str,
        w: Window,
        cmd: &str,
        args: Value,
        must_refuse: bool,
    ) -> Option<Value> {
        let before = self.snapshot();
        match invoke(self.window(w), cmd, args) {
            Ok(v) => {
                assert!(!must_refuse, "{label}: accepted: {}", short(&v));
                self.accepted += 1;
                self.accepted_labels.push(label.chars().take(50).collect());
                Some(v)
            }
            Err(err) => {
                self.refused += 1;
                match (err["code"].as_str(), err["message"].as_str()) {
                    (Some(code), Some(message)) => {
                        assert!(
                            !code.is_empty()
                                && code
                                    .chars()
                                    .all(|c| c.is_ascii_lowercase() || "._".contains(c)),
                            "{label}: code {code:?}"
                        );
                        assert!(!message.is_empty(), "{label}: empty message");
                        if message.len() > 1024 {
                            self.long_messages += 1;
                        }
                    }
                    _ => self.uncoded.push(format!("{label}: {}", short(&err))),
                }
                if before != self.snapshot() {
                    self.changed.push(label.to_owned());
                }
                None
            }
        }
    }

    fn expect_same(&mut self, label: &str, got: Option<&str>, want: &str) {
        if got != Some(want.trim()) {
            self.mismatched.push(format!(
                "{label}: {:?}",
                got.map(|g| g.chars().take(40).collect::<String>())
            ));
        }
    }
}

fn short(v: &Value) -> String {
    v.to_string().chars().take(160).collect()
}

/// Text payloads: (label, value).
fn texts() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("blank", " \t\n ".into()),
        ("huge", "Ω".repeat(512 * 1024)),
        ("nul", "Tea\0Time".into()),
        ("rtl", "\u{202e}gnp.exe\u{202c} שלום عربي".into()),
        ("emoji", "🛒 Tea 👩‍👩‍👧‍👦 🏳️‍🌈".into()),
        (
            "combining",
            "Cafe\u{0301} Z\u{0351}\u{0352}a\u{0300}lgo".into(),
        ),
        ("sql", "'; DROP TABLE events;--".into()),
        (
            "html",
            "<script>alert('x')</script><img src=x onerror=alert(1)>".into(),
        ),
    ]
}

/// Id payloads: never a valid id (JSON values, so wrong types too).
fn bad_ids() -> Vec<Value> {
    vec![
        json!(""),
        json!("'; DROP TABLE events;--"),
        json!("<script>alert(1)</script>"),
        json!("🛒\u{0000}"),
        json!("x".repeat(1024 * 1024)),
        json!(-1),
        json!(null),
        json!({"id": 1}),
    ]
}

/// Number payloads for prices and quantities: (value, must refuse as a price, as a quantity).
fn numbers() -> Vec<(Value, bool, bool)> {
    vec![
        (json!(-1), true, true),
        (json!(0), false, true),
        (json!(i64::MIN), true, true),
        (json!(i64::MAX), false, false),
        (json!(u64::MAX), true, true),
        (json!(1e300), true, true),
        (json!(12.5), true, true),
        (json!("100"), true, true),
        (json!("'; DROP TABLE events;--"), true, true),
        (json!(true), true, true),
    ]
}

/// A participating store's first product, and a fresh basket holding one of it.
fn fixtures(h: &Harness) -> (String, String, String) {
    let catalog = h.ok(Window::Kiosk, "kiosk_catalog", json!({}));
    let store = catalog[0]["store"]["store_id"].as_str().unwrap().to_owned();
    let product = catalog[0]["products"][0]["product_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let basket = h.ok(Window::Kiosk, "kiosk_start_basket", json!({}));
    let basket = basket["cart_id"].as_str().unwrap().to_owned();
    h.ok(
        Window::Kiosk,
        "kiosk_add_item",
        json!({"basketId": basket, "productId": product}),
    );
    (store, product, basket)
}

fn product_named(h: &Harness, id: &str) -> Value {
    let stores = h.ok(Window::Manager, "manager_stores", json!({}));
    stores
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["products"].as_array().unwrap().iter())
        .find(|p| p["product_id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

fn store_named(h: &Harness, id: &str) -> Value {
    let stores = h.ok(Window::Manager, "manager_stores", json!({}));
    stores
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["store"]["store_id"] == id)
        .map(|s| s["store"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn hostile_command_input_is_refused_with_a_code_or_stored_verbatim() {
    use Window::{Kiosk, Manager};
    let started = std::time::Instant::now();
    let mut h = harness();
    h.ok(
        Manager,
        "manager_sign_in",
        json!({"user": "boss", "password": "s3cret"}),
    );
    let (store, product, basket) = fixtures(&h);

    for (i, (label, text)) in texts().into_iter().enumerate() {
        let t = text.as_str();
        let blank = t.trim().is_empty();
        // Too long for every bounded field, or a control character in single-line text.
        let refuse = blank || label == "huge" || label == "nul";
        let case = |what: &str| format!("{what} [{label}]");
        if let Some(v) = h.case(
            &case("create_store name"),
            Manager,
            "manager_create_store",
            json!({"store": {"name": t, "location": "L1"}}),
            refuse,
        ) {
            let got = store_named(&h, v["store_id"].as_str().unwrap());
            h.expect_same(&case("create_store name"), got["name"].as_str(), t);
        }
        if let Some(v) = h.case(
            &case("create_store location"),
            Manager,
            "manager_create_store",
            json!({"store": {"name": "S", "location": t}}),
            refuse,
        ) {
            let got = store_named(&h, v["store_id"].as_str().unwrap());
            h.expect_same(&case("create_store location"), got["location"].as_str(), t);
        }
        let product_args = json!({"product": {"store_id": store, "name": t, "description": t,
                                               "sku": format!("H-{i}"), "price_cents": 100}});
        if let Some(v) = h.case(
            &case("add_product name"),
            Manager,
            "manager_add_product",
            product_args,
            refuse,
        ) {
            let got = product_named(&h, v["product_id"].as_str().unwrap());
            h.expect_same(&case("add_product name"), got["name"].as_str(), t);
            h.expect_same(
                &case("add_product description"),
                got["description"].as_str(),
                t,
            );
        }
        let _ = h.case(
            &case("add_product sku"),
            Manager,
            "manager_add_product",
            json!({"product": {"store_id": store, "name": "N", "description": "",
                               "sku": t, "price_cents": 100}}),
            refuse,
        );
        if h.case(
            &case("rebrand_product"),
            Manager,
            "manager_rebrand_product",
            json!({"productId": product, "name": t, "description": t}),
            refuse,
        )
        .is_some()
        {
            let got = product_named(&h, &product);
            h.expect_same(&case("rebrand_product"), got["name"].as_str(), t);
        }
        let _ = h.case(&case("import_products csv"), Manager, "manager_import_products",
            json!({"storeId": store, "csv": format!("sku,name,description,price\nI-{i},{t},d,1.00\n")}), false);
        if let Some(v) = h.case(
            &case("kiosk_catalog query"),
            Kiosk,
            "kiosk_catalog",
            json!({"query": t}),
            false,
        ) {
            for s in v.as_array().unwrap() {
                for p in s["products"].as_array().unwrap() {
                    let name = p["name"].as_str().unwrap().to_lowercase();
                    assert!(
                        blank || name.contains(&t.to_lowercase()),
                        "{label}: {name} matched"
                    );
                }
            }
        }
        // Checkout with a hostile phone (must be refused) and card token.
        let _ = h.case(
            &case("checkout sms_number"),
            Kiosk,
            "kiosk_checkout",
            json!({"checkout": {"basket_id": basket, "sms_number": t, "card_token": "tok_visa"}}),
            true,
        );
        let (_, _, fresh) = fixtures(&h);
        let _ = h.case(
            &case("checkout card_token"),
            Kiosk,
            "kiosk_checkout",
            json!({"checkout": {"basket_id": fresh, "sms_number": "5551234567", "card_token": t}}),
            refuse,
        );
    }

    // Ids: never valid (and of the wrong JSON type), on every argument that takes one.
    let before = h.snapshot();
    for bad in bad_ids() {
        let label = format!("id {}", short(&bad).chars().take(16).collect::<String>());
        let calls: Vec<(Window, &str, Value)> = vec![
            (
                Kiosk,
                "kiosk_add_item",
                json!({"basketId": bad, "productId": product}),
            ),
            (
                Kiosk,
                "kiosk_add_item",
                json!({"basketId": basket, "productId": bad}),
            ),
            (
                Kiosk,
                "kiosk_remove_item",
                json!({"basketId": basket, "productId": bad}),
            ),
            (Kiosk, "kiosk_cancel_basket", json!({"basketId": bad})),
            (
                Kiosk,
                "kiosk_checkout",
                json!({"checkout": {"basket_id": bad, "sms_number": "5551234567", "card_token": "t"}}),
            ),
            (Kiosk, "kiosk_order_status", json!({"orderId": bad})),
            (Kiosk, "kiosk_request_cancel", json!({"orderId": bad})),
            (
                Manager,
                "manager_add_product",
                json!({"product": {"store_id": bad, "name": "N", "description": "", "sku": "Z", "price_cents": 1}}),
            ),
            (
                Manager,
                "manager_set_participation",
                json!({"storeId": bad, "participating": true}),
            ),
            (
                Manager,
                "manager_set_automated_shopping",
                json!({"storeId": bad, "enabled": true}),
            ),
            (
                Manager,
                "manager_rebrand_product",
                json!({"productId": bad, "name": "X"}),
            ),
            (
                Manager,
                "manager_change_price",
                json!({"productId": bad, "priceCents": 5}),
            ),
            (Manager, "manager_remove_product", json!({"productId": bad})),
            (
                Manager,
                "manager_import_products",
                json!({"storeId": bad, "csv": "sku,name,description,price\nQ,Q,,1.00\n"}),
            ),
            (Manager, "manager_orders", json!({"storeId": bad})),
            (Manager, "manager_sales", json!({"storeId": bad})),
        ];
        for (w, cmd, args) in calls {
            // No store id (null) means every store for the two back-office queries.
            let optional = bad.is_null() && ["manager_orders", "manager_sales"].contains(&cmd);
            let _ = h.case(&format!("{label} {cmd}"), w, cmd, args, !optional);
        }
    }
    if before != h.snapshot() {
        h.changed.push("refused id commands".into());
    }

    // Numbers: prices and quantities at and beyond the limits, and of the wrong type.
    for (i, (n, price_refused, qty_refused)) in numbers().into_iter().enumerate() {
        let label = format!("number {n}");
        if let Some(v) = h.case(&format!("{label} add_product"), Manager, "manager_add_product",
            json!({"product": {"store_id": store, "name": "N", "description": "", "sku": format!("N-{i}"), "price_cents": n}}),
            price_refused) {
            assert_eq!(v["price_cents"], n, "price stored verbatim");
        }
        let _ = h.case(
            &format!("{label} change_price"),
            Manager,
            "manager_change_price",
            json!({"productId": product, "priceCents": n}),
            price_refused,
        );
        if let Some(v) = h.case(
            &format!("{label} add_item"),
            Kiosk,
            "kiosk_add_item",
            json!({"basketId": basket, "productId": product, "quantity": n}),
            qty_refused,
        ) {
            assert!(
                v["total"]["cents"].as_i64().is_some_and(|c| c >= 0),
                "overflowed total: {}",
                short(&v)
            );
        }
        let _ = h.case(
            &format!("{label} remove_item"),
            Kiosk,
            "kiosk_remove_item",
            json!({"basketId": basket, "productId": product, "quantity": n}),
            qty_refused,
        );
        let _ = h.case(
            &format!("{label} sales days"),
            Manager,
            "manager_sales",
            json!({"days": n}),
            true,
        );
    }

    // Sign-in with hostile credentials: refused, then locked out, never a panic.
    h.ok(Manager, "manager_sign_out", json!({}));
    for (label, text) in texts() {
        let _ = h.case(
            &format!("sign_in [{label}]"),
            Manager,
            "manager_sign_in",
            json!({"user": text, "password": text}),
            true,
        );
    }

    println!(
        "RELIABILITY {}",
        json!({"test": "hostile_tauri", "ops": h.refused + h.accepted, "faults": h.refused + h.accepted,
               "lost": h.mismatched.len(), "duplicates": h.changed.len(),
               "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0})
    );
    println!(
        "HOSTILE_TAURI {}",
        json!({"refused": h.refused, "accepted_verbatim": h.accepted, "uncoded": h.uncoded.len(), "accepted": h.accepted_labels,
               "uncoded_examples": h.uncoded.iter().take(4).collect::<Vec<_>>(),
               "messages_over_1k": h.long_messages,
               "refused_checkout_registered_customer": h.changed.iter()
                   .filter(|l| l.starts_with("checkout card_token")).count()})
    );
    assert!(
        h.mismatched.is_empty(),
        "not stored verbatim: {:#?}",
        h.mismatched
    );
    // A refused call changes nothing: in particular a refused checkout registers no customer
    // (registration and checkout are one transaction).
    assert!(
        h.changed.is_empty(),
        "refused but changed: {:#?}",
        h.changed
    );
    assert_eq!(h.long_messages, 0, "error messages over 1 KiB");
    assert!(
        h.uncoded.is_empty(),
        "errors without {{code, message}}: {:#?}",
        h.uncoded
    );
}

/// Svelte escapes `{text}`; only `{@html}` or DOM HTML sinks would render a stored payload as
/// markup. None may appear in the UI sources.
#[test]
fn ui_never_renders_raw_html() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src");
    let sinks = [
        "{@html",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "srcdoc",
    ];
    let mut files = 0;
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("ui/src") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "svelte" || e == "ts" || e == "js")
            {
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for sink in sinks {
                    assert!(!text.contains(sink), "{} uses {sink}", path.display());
                }
            }
        }
    }
    assert!(files > 5, "ui/src not found at {}", root.display());
}
