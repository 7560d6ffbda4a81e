//! Reliability (issue 7): hostile input through the real `mallbots` binary, on every command
//! that takes input: empty and blank text, huge text, unicode (RTL override, emoji, combining
//! marks), numbers at and beyond `i64`, negative quantities and prices, SQL and HTML/script.
//!
//! Each case either is refused — non-zero exit, `error: <code>: <message>` on stderr (and
//! `{code, message}` on stdout with `--json`), the database unchanged (the event export and
//! the catalog and order read models compared before and after) — or is legitimately valid and
//! then stored verbatim (read back identical). Cases marked `must refuse` may not succeed.
//!
//! argv cannot carry NUL bytes, and Linux caps one argument at 128 KiB: text in argv is at most
//! 100 KiB; NUL and 1 MiB values go through files (`product import` CSV, `import` JSON lines).
//!
//! Refusals from the argument parser itself (clap: a number that does not fit, `-1` as an id)
//! are coded too (`error: usage: …`, exit code 2): any refusal without a code fails the test.
//! Text beyond the domain's limits (a 50 KiB name, 1 MiB in a CSV row) and NUL bytes in names
//! and SKUs must be refused, so no event can outgrow the NATS `max_payload`.
//! Needs the binary: `cargo build -p mallbots-edge`.

use mallbots_edge::{Edge, EdgeConfig};
use mallbots_tests::procs::{binary, EDGE_CLI};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Text payloads: (label, value). Blank ones are refused where a name is required.
fn texts() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("blank", "  \t ".into()),
        ("huge", "Ω".repeat(50 * 1024)),
        ("rtl", "\u{202e}gnp.exe\u{202c} שלום عربي".into()),
        ("emoji", "🛒 Tea 👩‍👩‍👧‍👦 🏳️‍🌈".into()),
        (
            "combining",
            "Cafe\u{0301} Z\u{0351}\u{0352}\u{0353}a\u{0300}lgo".into(),
        ),
        ("sql", "'; DROP TABLE events;--".into()),
        (
            "sql2",
            "\" OR 1=1; DELETE FROM rm_products WHERE ''='".into(),
        ),
        (
            "html",
            "<script>alert('x')</script><img src=x onerror=alert(1)>".into(),
        ),
        ("format", "%s%n%x {0} ${jndi:ldap://x}".into()),
    ]
}

/// Id-shaped payloads: never a valid id.
fn bad_ids() -> Vec<String> {
    vec![
        String::new(),
        "'; DROP TABLE events;--".into(),
        "<script>alert(1)</script>".into(),
        "-1".into(),
        "9223372036854775808".into(),
        "🛒".into(),
        "x".repeat(100 * 1024),
        "00000000-0000-0000-0000-00000000000g".into(),
    ]
}

/// Number payloads for `--price-cents` / `--qty`: (value, must refuse for a price, for a qty).
fn numbers() -> Vec<(&'static str, bool, bool)> {
    vec![
        ("-1", true, true),
        ("0", false, true),
        ("-9223372036854775808", true, true),
        ("9223372036854775807", false, false),
        ("9223372036854775808", true, true),
        ("99999999999999999999999", true, true),
        ("1e3", true, true),
        ("12.5", true, true),
        ("NaN", true, true),
        ("", true, true),
        ("'; DROP TABLE events;--", true, true),
    ]
}

struct Shop {
    bin: PathBuf,
    dir: tempfile::TempDir,
    runs: u64,
    refused: u64,
    uncoded: Vec<String>,
    accepted: u64,
    accepted_labels: Vec<String>,
    /// Accepted values that did not read back identical.
    mismatched: Vec<String>,
    /// Refused commands that changed the database anyway.
    changed: Vec<String>,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Shop {
    fn run(&mut self, args: &[&str]) -> Run {
        self.runs += 1;
        let out = Command::new(&self.bin)
            .current_dir(self.dir.path())
            .args(["--db", "shop.db", "--device", "kiosk-1", "--json"])
            .args(args)
            .env_remove("MALLBOTS__DEVICE__DB")
            .output()
            .expect("run mallbots");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn json(&mut self, args: &[&str]) -> Value {
        let r = self.run(args);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", r.stdout))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The event log (export) and the read models the CLI shows, read in-process from the
    /// same database file (no process per snapshot).
    fn snapshot(&mut self) -> (Vec<u8>, Value, Value, Value) {
        let edge = Edge::open(self.path("shop.db"), EdgeConfig::default()).expect("open shop.db");
        let mut events = Vec::new();
        edge.export_events(&mut events).expect("export");
        let catalog = serde_json::to_value(edge.catalog(None, false).expect("catalog")).unwrap();
        let orders = serde_json::to_value(edge.orders(None).expect("orders")).unwrap();
        let stores = serde_json::to_value(edge.stores().expect("stores")).unwrap();
        (events, catalog, orders, stores)
    }

    /// Runs a case: refused (database unchanged, error printed as `error: <code>: <message>`)
    /// or accepted. Returns the JSON output when accepted.
    fn case(&mut self, label: &str, args: &[&str], must_refuse: bool) -> Option<Value> {
        let before = self.snapshot();
        let r = self.run(args);
        let shown = |a: &[&str]| -> Vec<String> {
            a.iter().map(|s| s.chars().take(40).collect()).collect()
        };
        assert_ne!(r.code, Some(101), "{label}: panicked: {}", r.stderr);
        assert!(r.code.is_some(), "{label}: killed by a signal");
        if r.code == Some(0) {
            assert!(!must_refuse, "{label}: {:?} was accepted", shown(args));
            self.accepted += 1;
            self.accepted_labels.push(label.chars().take(60).collect());
            return Some(
                serde_json::from_str(&r.stdout)
                    .unwrap_or_else(|e| panic!("{label}: output is not JSON ({e}): {}", r.stdout)),
            );
        }
        self.refused += 1;
        let first = r.stderr.lines().next().unwrap_or_default().to_owned();
        match coded(&first) {
            Some(code) => {
                let body: Value = serde_json::from_str(r.stdout.trim())
                    .unwrap_or_else(|e| panic!("{label}: --json error body ({e}): {}", r.stdout));
                assert_eq!(body["code"], code, "{label}");
                assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
            }
            None => {
                assert!(
                    first.starts_with("error: "),
                    "{label}: stderr {:?}",
                    r.stderr
                );
                self.uncoded.push(format!(
                    "{label}: {}",
                    first.chars().take(90).collect::<String>()
                ));
            }
        }
        let after = self.snapshot();
        assert!(
            before == after,
            "{label}: a refused command changed the database"
        );
        None
    }
}

/// The code of an `error: <code>: <message>` line.
fn coded(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("error: ")?;
    let (code, message) = rest.split_once(": ")?;
    let ok = !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._".contains(c))
        && !message.trim().is_empty();
    ok.then_some(code)
}

fn id(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
        .to_owned()
}

fn write(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Reads `field` of the JSON `show` output and checks it is `want` (names are trimmed).
fn verbatim(shop: &mut Shop, show: &[&str], field: &str, want: &str) {
    let v = shop.json(show);
    if v[field].as_str() != Some(want.trim()) {
        let what: String = format!("{show:?} {field}").chars().take(80).collect();
        shop.mismatched.push(what);
    }
}

#[test]
fn hostile_cli_input_is_refused_cleanly_or_stored_verbatim() {
    let started = Instant::now();
    let mut shop = Shop {
        bin: binary(EDGE_CLI).expect("cargo build -p mallbots-edge first"),
        dir: tempfile::tempdir().unwrap(),
        runs: 0,
        refused: 0,
        uncoded: Vec::new(),
        accepted: 0,
        accepted_labels: Vec::new(),
        mismatched: Vec::new(),
        changed: Vec::new(),
    };
    let store = shop.json(&["store", "create", "--name", "Corner", "--location", "L1"]);
    let s = id(&store, "store_id");
    shop.json(&["store", "participate", &s, "on"]);
    let product = shop.json(&[
        "product",
        "add",
        "--store",
        &s,
        "--sku",
        "T-1",
        "--name",
        "Tea",
        "--price-cents",
        "250",
    ]);
    let p = id(&product, "product_id");
    let customer = shop.json(&[
        "customer",
        "register",
        "--name",
        "Ada",
        "--phone",
        "+15550104477",
    ]);
    let c = id(&customer, "customer_id");
    let cart = shop.json(&["cart", "start", "--customer", &c]);
    let k = id(&cart, "cart_id");
    shop.json(&["cart", "add", &k, &p, "--qty", "1"]);
    let other = shop.json(&["cart", "start", "--customer", &c]);
    let k2 = id(&other, "cart_id");
    shop.json(&["cart", "add", &k2, &p, "--qty", "1"]);
    let order = shop.json(&["checkout", &k2, "--card", "tok_visa"]);
    let o = id(&order, "order_id");

    // Text on every text argument.
    for (i, (label, text)) in texts().into_iter().enumerate() {
        // Blank names are refused, and so is text beyond every field's limit (names 120,
        // SKUs 64, descriptions 2,000 characters, card tokens 128).
        let blank = text.trim().is_empty() || label == "huge";
        let t = text.as_str();
        let case = |what: &str| format!("{what} [{label}]");
        if let Some(v) = shop.case(
            &case("store create --name"),
            &["store", "create", "--name", t, "--location", "L1"],
            blank,
        ) {
            verbatim(
                &mut shop,
                &["store", "show", &id(&v, "store_id")],
                "name",
                t,
            );
        }
        if let Some(v) = shop.case(
            &case("store create --location"),
            &["store", "create", "--name", "S", "--location", t],
            blank,
        ) {
            verbatim(
                &mut shop,
                &["store", "show", &id(&v, "store_id")],
                "location",
                t,
            );
        }
        if shop
            .case(
                &case("store rebrand --name"),
                &["store", "rebrand", &s, "--name", t],
                blank,
            )
            .is_some()
        {
            verbatim(&mut shop, &["store", "show", &s], "name", t);
        }
        let sku = format!("SKU-{i}");
        if let Some(v) = shop.case(
            &case("product add --name"),
            &[
                "product",
                "add",
                "--store",
                &s,
                "--sku",
                &sku,
                "--name",
                t,
                "--price-cents",
                "100",
            ],
            blank,
        ) {
            let mut all = shop.json(&["catalog"]);
            let found = all["products"]
                .as_array_mut()
                .unwrap()
                .iter()
                .find(|x| x["product_id"] == v["product_id"])
                .cloned()
                .unwrap();
            assert_eq!(
                found["name"].as_str(),
                Some(t.trim()),
                "product name not verbatim"
            );
        }
        let _ = shop.case(
            &case("product add --sku"),
            &[
                "product",
                "add",
                "--store",
                &s,
                "--sku",
                t,
                "--name",
                "N",
                "--price-cents",
                "100",
            ],
            blank,
        );
        let _ = shop.case(
            &case("product add --description"),
            &[
                "product",
                "add",
                "--store",
                &s,
                "--sku",
                &format!("D-{i}"),
                "--name",
                "N",
                "--price-cents",
                "100",
                "--description",
                t,
            ],
            label == "huge",
        );
        if let Some(v) = shop.case(
            &case("product rebrand"),
            &["product", "rebrand", &p, "--name", t, "--description", t],
            blank,
        ) {
            assert_eq!(v["name"].as_str(), Some(t.trim()), "{}", case("rebrand"));
        }
        if let Some(v) = shop.case(
            &case("customer register --name"),
            &["customer", "register", "--name", t, "--phone", "+15550100"],
            blank,
        ) {
            verbatim(
                &mut shop,
                &["customer", "show", &id(&v, "customer_id")],
                "name",
                t,
            );
        }
        let _ = shop.case(
            &case("customer register --phone"),
            &["customer", "register", "--name", "Bo", "--phone", t],
            true,
        );
        let _ = shop.case(
            &case("checkout --card"),
            &["checkout", &k, "--card", t],
            blank,
        );
        let _ = shop.case(
            &case("order cancel --reason"),
            &["order", "cancel", &o, "--reason", t],
            false,
        );
        if let Some(v) = shop.case(
            &case("catalog --search"),
            &["catalog", "--search", t],
            false,
        ) {
            let names: Vec<&str> = v["products"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert!(
                names
                    .iter()
                    .all(|n| n.to_lowercase().contains(&t.to_lowercase()))
                    || blank,
                "search {label} matched {names:?}"
            );
        }
    }
    // A cart that was checked out above (if a card was accepted) is closed: use a new one.
    let cart = shop.json(&["cart", "start", "--customer", &c]);
    let k = id(&cart, "cart_id");

    // Ids: never valid, on every argument that takes one. The database must not change.
    let before = shop.snapshot();
    for bad in bad_ids() {
        let b = bad.as_str();
        let label = format!("id {:?}", b.chars().take(12).collect::<String>());
        let cases: Vec<Vec<&str>> = vec![
            vec!["store", "rebrand", b, "--name", "X"],
            vec!["store", "participate", b, "on"],
            vec!["store", "automated", b, "off"],
            vec!["store", "remove", b],
            vec!["store", "show", b],
            vec![
                "product",
                "add",
                "--store",
                b,
                "--sku",
                "Z",
                "--name",
                "Z",
                "--price-cents",
                "1",
            ],
            vec!["product", "rebrand", b, "--name", "X"],
            vec!["product", "reprice", b, "--price-cents", "5"],
            vec!["product", "remove", b],
            vec!["customer", "show", b],
            vec!["cart", "start", "--customer", b],
            vec!["cart", "add", b, &p],
            vec!["cart", "add", &k, b],
            vec!["cart", "remove", &k, b],
            vec!["cart", "cancel", b],
            vec!["cart", "show", b],
            vec!["checkout", b, "--card", "tok_visa"],
            vec!["checkout", &k, "--card", "tok_visa", "--customer", b],
            vec!["order", "show", b],
            vec!["order", "cancel", b],
            vec!["orders", "--store", b],
            vec!["sales", "--store", b],
        ];
        for args in cases {
            let r = shop.run(&args);
            let what = format!("{label} {:?}", &args[..2]);
            assert!(
                r.code.is_some_and(|c| c != 0 && c != 101),
                "{what}: {:?} {}",
                r.code,
                r.stderr
            );
            shop.refused += 1;
            let first = r.stderr.lines().next().unwrap_or_default().to_owned();
            if coded(&first).is_none() {
                assert!(first.starts_with("error: "), "{what}: {}", r.stderr);
                shop.uncoded.push(format!(
                    "{what}: {}",
                    first.chars().take(90).collect::<String>()
                ));
            }
        }
    }
    assert!(
        before == shop.snapshot(),
        "refused id commands changed the database"
    );

    // Numbers: prices and quantities at and beyond the limits.
    for (i, (n, price_refused, qty_refused)) in numbers().into_iter().enumerate() {
        let sku = format!("N-{i}");
        if let Some(v) = shop.case(
            &format!("product add --price-cents {n}"),
            &[
                "product",
                "add",
                "--store",
                &s,
                "--sku",
                &sku,
                "--name",
                "N",
                "--price-cents",
                n,
            ],
            price_refused,
        ) {
            assert_eq!(v["price_cents"].to_string(), n, "price stored verbatim");
            // The largest price times two must not overflow into a panic or a wrong total.
            let cart = shop.json(&["cart", "start"]);
            let kk = id(&cart, "cart_id");
            if let Some(v) = shop.case(
                &format!("cart add 2 x price {n}"),
                &["cart", "add", &kk, &id(&v, "product_id"), "--qty", "2"],
                false,
            ) {
                let total = v["total_cents"].as_i64().unwrap();
                assert!(total >= 0, "overflowed total {total}");
            }
        }
        let _ = shop.case(
            &format!("product reprice {n}"),
            &["product", "reprice", &p, "--price-cents", n],
            price_refused,
        );
        if let Some(v) = shop.case(
            &format!("cart add --qty {n}"),
            &["cart", "add", &k, &p, "--qty", n],
            qty_refused,
        ) {
            assert!(
                v["total_cents"].as_i64().unwrap() >= 0,
                "cart total overflowed: {v}"
            );
        }
        let _ = shop.case(
            &format!("cart remove --qty {n}"),
            &["cart", "remove", &k, &p, "--qty", n],
            qty_refused,
        );
    }

    // Files: NUL bytes and 1 MiB values through the CSV import; garbage through event import.
    let huge = "M".repeat(1024 * 1024);
    let mut csv = b"sku,name,description,price\n".to_vec();
    csv.extend_from_slice(b"C-1,Nul\0Name,d,1.00\n");
    csv.extend_from_slice(format!("C-2,{huge},d,1.00\n").as_bytes());
    csv.extend_from_slice(b"C-3,\"'; DROP TABLE events;--\",d,2.50\n");
    csv.extend_from_slice(b"C-4,<script>alert(1)</script>,d,3.00\n");
    csv.extend_from_slice(b"C-5,Neg,d,-1.00\n");
    csv.extend_from_slice(b"C-6,Big,d,99999999999999999999.99\n");
    csv.extend_from_slice(b"C-7,Frac,d,1.999\n");
    csv.extend_from_slice(b",NoSku,d,1.00\n");
    csv.extend_from_slice(&[0xff, 0xfe, b',', b'x', b'\n']);
    let file = write(&shop.path("hostile.csv"), &csv);
    if let Some(v) = shop.case(
        "product import hostile.csv",
        &["product", "import", "--store", &s, &file],
        false,
    ) {
        let imported = v["imported"].as_array().unwrap();
        for p in imported {
            let name = p["name"].as_str().unwrap();
            let sku = p["sku"].as_str().unwrap();
            let want = match sku {
                "C-3" => "'; DROP TABLE events;--",
                "C-4" => "<script>alert(1)</script>",
                other => panic!("row {other} should have been refused: {p}"),
            };
            assert_eq!(name, want, "{sku} not stored verbatim");
        }
        let errors = v["errors"].as_array().unwrap();
        // NUL in a name, a 1 MiB name, a negative, an overflowing and a fractional price, a
        // missing SKU, invalid UTF-8.
        assert!(errors.len() >= 6, "bad rows not reported: {errors:?}");
    }
    for (label, bytes) in [
        ("not json", b"not json at all\n".to_vec()),
        ("nul", b"{\"event_id\":\"\0\"}\n".to_vec()),
        (
            "sql",
            b"{\"event_id\":\"'; DROP TABLE events;--\",\"stream_type\":\"store\"}\n".to_vec(),
        ),
        (
            "huge",
            format!("{{\"event_id\":\"{huge}\"}}\n").into_bytes(),
        ),
        ("utf8", vec![0xff, 0xfe, b'\n']),
    ] {
        let file = write(&shop.path("events.jsonl"), &bytes);
        let _ = shop.case(&format!("import {label}"), &["import", &file], true);
    }

    let seconds = started.elapsed().as_secs_f64();
    println!(
        "RELIABILITY {}",
        json!({"test": "hostile_cli", "ops": shop.runs, "faults": shop.refused + shop.accepted,
               "lost": shop.mismatched.len(), "duplicates": shop.changed.len(), "seconds": (seconds * 10.0).round() / 10.0})
    );
    println!(
        "HOSTILE_CLI {}",
        json!({"refused": shop.refused, "accepted_verbatim": shop.accepted,
               "uncoded": shop.uncoded.len(), "accepted": shop.accepted_labels, "uncoded_examples": shop.uncoded.iter().take(5).collect::<Vec<_>>()})
    );
    assert!(
        shop.mismatched.is_empty(),
        "not stored verbatim: {:#?}",
        shop.mismatched
    );
    assert!(
        shop.changed.is_empty(),
        "refused but changed the database: {:#?}",
        shop.changed
    );
    assert!(
        shop.uncoded.is_empty(),
        "refusals without a code: {:#?}",
        shop.uncoded
    );
}
