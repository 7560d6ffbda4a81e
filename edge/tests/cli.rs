//! The "done when" story through the real `mallbots` binary, from an empty directory: every
//! `--json` output parses, and failures exit non-zero with `error: <code>: ...`.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn mallbots(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_mallbots"))
        .current_dir(dir)
        .args(["--db", "shop.db", "--device", "kiosk-7", "--json"])
        .args(args)
        .env_remove("MALLBOTS__DEVICE__DB")
        .output()
        .unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let run = mallbots(dir, args);
    assert!(run.ok, "{args:?} failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", run.stdout))
}

fn fails(dir: &Path, args: &[&str], code: &str) {
    let run = mallbots(dir, args);
    assert!(!run.ok, "{args:?} should fail");
    assert!(
        run.stderr.starts_with(&format!("error: {code}: ")),
        "{}",
        run.stderr
    );
    let body: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(body["code"], code);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

fn id(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap().to_owned()
}

#[test]
fn kiosk_and_manager_story_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = json(
        d,
        &[
            "store",
            "create",
            "--name",
            "Corner Deli",
            "--location",
            "Level 1",
        ],
    );
    let s = id(&store, "store_id");
    let apple = json(
        d,
        &[
            "product",
            "add",
            "--store",
            &s,
            "--sku",
            "A-1",
            "--name",
            "Apple juice",
            "--price-cents",
            "250",
        ],
    );
    let bread = json(
        d,
        &[
            "product",
            "add",
            "--store",
            &s,
            "--sku",
            "B-2",
            "--name",
            "Bread",
            "--price-cents",
            "1299",
            "--description",
            "sourdough",
        ],
    );
    let (a, b) = (id(&apple, "product_id"), id(&bread, "product_id"));
    let customer = json(
        d,
        &[
            "customer",
            "register",
            "--name",
            "Ada",
            "--phone",
            "+1 555 0100",
        ],
    );
    let c = id(&customer, "customer_id");
    let cart = json(d, &["cart", "start", "--customer", &c]);
    let k = id(&cart, "cart_id");
    // Not participating yet: a clear code, nothing added.
    fails(
        d,
        &["cart", "add", &k, &a, "--qty", "1"],
        "basket.store_not_participating",
    );
    let store = json(d, &["store", "participate", &s, "on"]);
    assert_eq!(store["participating"], true);
    json(d, &["cart", "add", &k, &a, "--qty", "3"]);
    json(d, &["cart", "add", &k, &b, "--qty", "2"]);
    let cart = json(d, &["cart", "remove", &k, &b, "--qty", "1"]);
    assert_eq!(cart["total_cents"], 3 * 250 + 1299);
    assert_eq!(
        json(d, &["cart", "show", &k])["lines"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let catalog = json(d, &["catalog", "--search", "JUICE"]);
    assert_eq!(catalog["products"].as_array().unwrap().len(), 1);
    let order = json(d, &["checkout", &k, "--card", "tok_visa"]);
    assert_eq!(order["order_id"], cart["cart_id"]);
    assert_eq!(order["status"], "pending");
    assert_eq!(order["synced"], false);
    assert_eq!(order["total_cents"], 2049);
    let shown = json(d, &["order", "show", &k]);
    assert_eq!(shown, order);
    let orders = json(d, &["orders", "--store", &s]);
    assert_eq!(orders.as_array().unwrap().len(), 1);
    let sales = json(d, &["sales", "--store", &s]);
    assert_eq!(sales[0]["total_cents"], 2049);
    let canceled = json(d, &["order", "cancel", &k, "--reason", "changed my mind"]);
    assert_eq!(canceled["cancellation_requested"], true);
    fails(d, &["checkout", &k, "--card", "tok"], "basket.not_open");
    fails(d, &["order", "show", "not-an-id"], "invalid_input");
    fails(
        d,
        &["store", "participate", &s, "on"],
        "store.already_participating",
    );
    // Rebuild and export / import round trip.
    let rebuilt = json(d, &["rebuild"]);
    assert!(rebuilt["events"].as_u64().unwrap() >= 10);
    assert_eq!(json(d, &["order", "show", &k]), canceled);
    let exported = json(d, &["export", "events.jsonl"]);
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(d.join("events.jsonl"), other.path().join("events.jsonl")).unwrap();
    let imported = json(other.path(), &["import", "events.jsonl"]);
    assert_eq!(imported["imported"], exported["events"]);
    assert_eq!(
        json(other.path(), &["order", "show", &k])["total_cents"],
        2049
    );
}

#[test]
fn csv_import_reports_bad_rows_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = id(
        &json(
            d,
            &["store", "create", "--name", "Deli", "--location", "L1"],
        ),
        "store_id",
    );
    std::fs::write(
        d.join("products.csv"),
        "sku,name,description,price\nA,Apple,,1.25\nB,Bad,,one\nC,Cheese,aged,12.99\n",
    )
    .unwrap();
    let report = json(d, &["product", "import", "--store", &s, "products.csv"]);
    assert_eq!(report["imported"].as_array().unwrap().len(), 2);
    assert_eq!(report["imported"][1]["price_cents"], 1299);
    assert_eq!(report["errors"][0]["line"], 3);
    assert_eq!(report["errors"][0]["code"], "invalid_input");
    let text = Command::new(env!("CARGO_BIN_EXE_mallbots"))
        .current_dir(d)
        .args(["--db", "shop.db", "catalog"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Cheese") && text.contains("12.99"), "{text}");
}

#[test]
fn help_documents_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_mallbots"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "store", "product", "catalog", "cart", "checkout", "orders", "sales", "export", "import",
        "sync", "status", "--json",
    ] {
        assert!(help.contains(word), "help lacks {word}");
    }
}

#[test]
fn a_store_is_placed_on_the_map_and_a_place_off_the_plan_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = json(
        d,
        &["store", "create", "--name", "Deli", "--location", "L1"],
    );
    assert_eq!(created["place"], Value::Null);
    let s = id(&created, "store_id");
    let placed = json(
        d,
        &[
            "store", "place", &s, "--level", "2", "--x", "640", "--y", "120",
        ],
    );
    assert_eq!(
        placed["place"],
        serde_json::json!({"level": 2, "x": 640, "y": 120})
    );
    assert_eq!(json(d, &["store", "show", &s])["place"]["x"], 640);
    fails(
        d,
        &["store", "place", &s, "--level", "6", "--x", "0", "--y", "0"],
        "store.place_off_plan",
    );
    let text = Command::new(env!("CARGO_BIN_EXE_mallbots"))
        .current_dir(d)
        .args(["--db", "shop.db", "store", "show", &s])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("on the map at level 2 (640, 120)"), "{text}");
}
