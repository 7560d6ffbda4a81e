//! The command names are defined once ([`COMMANDS`]); the handler, the windows' capabilities
//! and the UI's API wrapper must use exactly those.

use std::collections::BTreeSet;
use std::path::Path;

use crate::commands::names::COMMANDS;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn defined() -> BTreeSet<String> {
    let names: BTreeSet<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    assert_eq!(names.len(), COMMANDS.len(), "a command is listed twice");
    names
}

/// The names in `tauri::generate_handler![…]` (the last segment of each path).
fn registered() -> BTreeSet<String> {
    let source = read("src/commands/mod.rs");
    let start = source.find("generate_handler![").expect("the handler") + 18;
    let end = start + source[start..].find(']').expect("its end");
    source[start..end]
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.rsplit("::").next().unwrap().to_owned())
        .collect()
}

/// The command each `allow-…` permission of a capability names.
fn allowed(capability: &str) -> BTreeSet<String> {
    let json: serde_json::Value =
        serde_json::from_str(&read(&format!("capabilities/{capability}.json"))).unwrap();
    json["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

/// The commands `ui/src/lib/api.ts` invokes (`call<…>('name'`).
fn invoked_by_ui() -> BTreeSet<String> {
    let source = read("../ui/src/lib/api.ts");
    let mut names = BTreeSet::new();
    for (at, _) in source.match_indices("call<") {
        let rest = &source[at..];
        let Some(open) = rest.find("('") else {
            continue;
        };
        let name = &rest[open + 2..];
        names.insert(name[..name.find('\'').unwrap()].to_owned());
    }
    names
}

#[test]
fn the_handler_registers_exactly_the_named_commands() {
    assert_eq!(registered(), defined());
}

#[test]
fn each_capability_allows_only_named_commands_of_its_window() {
    let names = defined();
    let kiosk = allowed("kiosk");
    let manager = allowed("manager");
    for (window, granted) in [("kiosk", &kiosk), ("manager", &manager)] {
        for command in granted {
            assert!(names.contains(command), "{window} allows unknown {command}");
            assert!(
                command.starts_with(window) || command.starts_with("app_"),
                "{window} allows another window's {command}"
            );
        }
    }
    let granted: BTreeSet<String> = kiosk.union(&manager).cloned().collect();
    assert_eq!(granted, names, "every command is granted to some window");
}

#[test]
fn the_ui_invokes_exactly_the_named_commands() {
    assert_eq!(invoked_by_ui(), defined());
}
