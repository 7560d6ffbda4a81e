//! Parser refusals become `usage` messages: clap's first line without its prefix, capped.

use super::args::Cli;
use super::{usage_message, wants_json, MAX_USAGE_MESSAGE_CHARS};
use clap::error::ErrorKind;
use clap::Parser;

fn refusal(args: &[&str]) -> clap::Error {
    Cli::try_parse_from(std::iter::once("mallbots").chain(args.iter().copied()))
        .expect_err("the parser should refuse")
}

#[test]
fn an_overflowing_number_is_a_usage_message() {
    let err = refusal(&["cart", "add", "C", "P", "--qty", "9223372036854775808"]);
    assert_eq!(err.kind(), ErrorKind::ValueValidation);
    let (message, hints) = usage_message(&err);
    assert!(message.starts_with("invalid value"), "{message}");
    assert!(message.contains("--qty"), "{message}");
    assert!(!message.starts_with("error"), "{message}");
    assert!(hints.contains("--help"), "{hints}");
}

#[test]
fn a_dash_id_and_a_missing_value_are_usage_messages() {
    for args in [
        &["store", "show", "-1"][..],
        &["product", "add", "--store"][..],
        &["frobnicate"][..],
    ] {
        let (message, _) = usage_message(&refusal(args));
        assert!(!message.is_empty() && !message.contains('\n'), "{args:?}");
    }
}

#[test]
fn the_echoed_argument_is_capped() {
    let huge = "9".repeat(100 * 1024);
    let (message, _) = usage_message(&refusal(&[
        "product",
        "reprice",
        "P",
        "--price-cents",
        &huge,
    ]));
    assert!(
        message.chars().count() <= MAX_USAGE_MESSAGE_CHARS + 1,
        "{}",
        message.len()
    );
    assert!(message.ends_with('…'));
}

#[test]
fn help_and_version_are_not_refusals() {
    assert_eq!(refusal(&["--help"]).kind(), ErrorKind::DisplayHelp);
    assert_eq!(refusal(&["--version"]).kind(), ErrorKind::DisplayVersion);
}

#[test]
fn json_is_read_from_the_raw_arguments() {
    let args = |a: &[&str]| {
        a.iter()
            .map(Into::into)
            .collect::<Vec<std::ffi::OsString>>()
    };
    assert!(wants_json(&args(&[
        "mallbots", "--json", "store", "show", "-1"
    ])));
    assert!(wants_json(&args(&[
        "mallbots", "store", "show", "x", "--json"
    ])));
    assert!(!wants_json(&args(&["mallbots", "store", "show", "x"])));
    assert!(!wants_json(&args(&["mallbots", "catalog", "--", "--json"])));
    assert!(!wants_json(&args(&["--json"])), "argv[0] is the program");
}
