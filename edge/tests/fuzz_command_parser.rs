//! Fuzzing of the `mallbots` command line ([`mallbots_edge::cli`]): arbitrary argv never panics
//! the parser, and every argv that parses runs against a real edge database (a temporary SQLite
//! file) to an outcome or a coded error, never a panic.
//!
//! argv is drawn from the grammar (every subcommand and flag) filled with hostile values (empty,
//! unicode with RTL marks, emoji and combining characters, numbers at and beyond `i64`, SQL and
//! HTML) and valid ids of what earlier cases created, plus fully random tokens. Commands that
//! touch other files or the network (`export`, `import`, `product import`, `sync`, `status`,
//! `loadgen`) are parsed but not run.
//!
//! A seeded fuzzer (xorshift, no extra dependency) runs `FUZZ_CASES` parses (default 2,000) and a
//! quarter as many runs; `FUZZ_SEED` replays a run and a failure prints the argv.

use clap::Parser;
use mallbots_edge::cli::args::{Cli, Command, ProductCmd};
use mallbots_edge::cli::{parse_id, run};
use mallbots_edge::{Edge, EdgeConfig};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn cases() -> usize {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6d61_6c6c_626f_7473)
}

/// Values that break things. No NUL: an argv element cannot hold one.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "'; DROP TABLE events;--",
    "\" OR 1=1 --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\u{202e}evil\u{202c}",
    "שלום",
    "👩‍👩‍👧‍👦🛒",
    "e\u{0301}\u{0301}\u{0301}",
    "-1",
    "0",
    "-9223372036854775808",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999",
    "1e3",
    "12.5",
    "NaN",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "--",
    "-",
    "--help",
    "--json",
    "on",
    "off",
    "tok_visa",
    "+15550100",
    "%s%s%n",
    "../../etc/passwd",
];

/// Subcommand paths with the flags they take (`@` = positional, `!` = flag without value).
const GRAMMAR: &[&[&str]] = &[
    &["store", "create", "--name", "--location"],
    &["store", "rebrand", "@", "--name"],
    &["store", "participate", "@", "@"],
    &["store", "automated", "@", "@"],
    &["store", "remove", "@"],
    &["store", "show", "@"],
    &["store", "list"],
    &[
        "product",
        "add",
        "--store",
        "--sku",
        "--name",
        "--price-cents",
        "--description",
    ],
    &["product", "rebrand", "@", "--name", "--description"],
    &["product", "reprice", "@", "--price-cents"],
    &["product", "remove", "@"],
    &["product", "import", "--store", "@"],
    &["catalog", "--search", "--participating!"],
    &["customer", "register", "--name", "--phone"],
    &["customer", "show", "@"],
    &["cart", "start", "--customer"],
    &["cart", "add", "@", "@", "--qty"],
    &["cart", "remove", "@", "@", "--qty"],
    &["cart", "cancel", "@"],
    &["cart", "show", "@"],
    &["cart", "abandon-idle"],
    &["checkout", "@", "--card", "--customer"],
    &["order", "show", "@"],
    &["order", "cancel", "@", "--reason"],
    &["orders", "--store"],
    &["sales", "--store"],
    &["export", "@"],
    &["import", "@"],
    &["rebuild"],
    &["sync", "@"],
    &["status", "@"],
    &["loadgen", "--product", "--customer", "--orders"],
];

/// Ids of things earlier runs created, so later commands reach the use cases.
#[derive(Default)]
struct Known {
    ids: Vec<String>,
}

impl Known {
    fn value(&self, rng: &mut Rng) -> String {
        match rng.below(4) {
            0 if !self.ids.is_empty() => self.ids[rng.below(self.ids.len())].clone(),
            1 => format!("{}", rng.next() as i64),
            2 => {
                let a = rng.pick(HOSTILE);
                let b = rng.pick(HOSTILE);
                format!("{a}{b}")
            }
            _ => rng.pick(HOSTILE).to_owned(),
        }
    }
}

fn argv(rng: &mut Rng, known: &Known) -> Vec<String> {
    let mut argv = vec!["mallbots".to_owned()];
    if rng.below(8) == 0 {
        // Fully random tokens.
        for _ in 0..rng.below(6) {
            argv.push(known.value(rng));
        }
        return argv;
    }
    if rng.below(4) == 0 {
        argv.push("--json".into());
    }
    let path = GRAMMAR[rng.below(GRAMMAR.len())];
    for token in path {
        let skip = rng.below(10) == 0;
        match *token {
            "@" if !skip => argv.push(known.value(rng)),
            t if t.ends_with('!') && !skip => argv.push(t.trim_end_matches('!').to_owned()),
            t if t.starts_with("--") && !skip => {
                argv.push(t.to_owned());
                argv.push(known.value(rng));
            }
            t if !t.starts_with("--") && t != "@" => argv.push(t.to_owned()),
            _ => {}
        }
    }
    if rng.below(10) == 0 {
        argv.push(known.value(rng));
    }
    argv
}

/// Commands that would write other files, read arbitrary paths or open the network.
fn runs_locally(command: &Command) -> bool {
    !matches!(
        command,
        Command::Export { .. }
            | Command::Import { .. }
            | Command::Product(ProductCmd::Import { .. })
            | Command::Sync { .. }
            | Command::Status { .. }
            | Command::Loadgen(_)
    )
}

/// Collects every UUID-looking value of an outcome's JSON.
fn collect_ids(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s)
            if s.len() == 36 && parse_id::<uuid::Uuid>("id", s).is_ok() && !out.contains(s) =>
        {
            out.push(s.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_ids(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_ids(v, out)),
        _ => {}
    }
}

#[test]
fn arbitrary_argv_never_panics_the_parser() {
    let known = Known {
        ids: vec!["0190a6a4-4b3c-7def-8a12-3456789abcde".into()],
    };
    let mut rng = Rng(seed());
    let mut parsed = 0;
    for i in 0..cases() {
        let argv = argv(&mut rng, &known);
        let result = catch_unwind(|| Cli::try_parse_from(&argv).map(|_| ()));
        match result {
            Ok(Ok(())) => parsed += 1,
            Ok(Err(e)) => assert!(!e.to_string().is_empty(), "case {i}: {argv:?}"),
            Err(_) => panic!("case {i}: the parser panicked on {argv:?}"),
        }
    }
    assert!(
        parsed > cases() / 10,
        "too few argv parsed ({parsed}): grammar drift?"
    );
}

#[test]
fn argv_that_parses_runs_to_an_outcome_or_a_coded_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = EdgeConfig {
        device_id: "fuzz-kiosk".into(),
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("edge.db"), config).expect("edge");
    let mut known = Known::default();
    let mut rng = Rng(seed() ^ 0x5eed);
    let (mut ok, mut refused) = (0usize, 0usize);
    let mut runs = 0;
    while runs < cases() / 4 {
        let argv = argv(&mut rng, &known);
        let Ok(cli) = Cli::try_parse_from(&argv) else {
            continue;
        };
        if !runs_locally(&cli.command) {
            continue;
        }
        runs += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| run::run(&edge, cli.command)));
        match outcome {
            Ok(Ok(o)) => {
                ok += 1;
                collect_ids(&o.json, &mut known.ids);
            }
            Ok(Err(e)) => {
                refused += 1;
                let code = e.code();
                assert!(
                    !code.is_empty()
                        && code
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || "._".contains(c)),
                    "{argv:?}: code {code:?}"
                );
                assert!(!e.to_string().is_empty(), "{argv:?}: empty message");
            }
            Err(_) => panic!("running {argv:?} panicked"),
        }
    }
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
    println!("FUZZ {{\"target\":\"cli\",\"runs\":{runs},\"ok\":{ok},\"refused\":{refused}}}");
}
