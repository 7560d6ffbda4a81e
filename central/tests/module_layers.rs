//! Central's module structure, checked from its source (docs/architecture.md §11): the platform
//! (`src/platform/*`) never refers to a role (`src/roles/*`), and no circle of references spans
//! central's modules. A reference is any `crate::…` path (in code or a doc link), or `super::…`
//! from a module directly under `platform/` or `roles/`; tests are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Items re-exported at `crate::platform::…`, mapped to the module that defines them.
const PLATFORM_REEXPORTS: [(&str, &str); 2] = [
    ("ServiceRole", "service_role"),
    ("HandlerRegistry", "registry"),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(path).unwrap() {
        files.extend(rust_files(&entry.unwrap().path()));
    }
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    files
}

fn module_name(entry: &Path) -> String {
    let name = entry.file_name().unwrap().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_owned()
}

/// Every module with its files: top-level ones, and each child of `platform/` and `roles/`.
fn modules() -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = module_name(&path);
        match name.as_str() {
            "lib" | "main" => {}
            "platform" | "roles" => {
                for child in fs::read_dir(&path).unwrap() {
                    let child = child.unwrap().path();
                    let child_name = module_name(&child);
                    if child_name != "mod" {
                        modules.insert(format!("{name}::{child_name}"), rust_files(&child));
                    }
                }
            }
            _ => {
                modules.insert(name, rust_files(&path));
            }
        }
    }
    modules
}

/// The source without its unit tests.
fn production_source(file: &Path) -> Option<String> {
    let name = file.file_name().unwrap().to_string_lossy();
    if name.contains("tests") {
        return None;
    }
    let text = fs::read_to_string(file).unwrap();
    Some(match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => text[..at].to_owned(),
        None => text,
    })
}

/// The identifiers of each path after `prefix` (`a::b::{c, d}` gives `[a, b]`, `{c, d}` gives
/// `[c]` and `[d]`).
fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let ident = |s: &'a str| {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        &s[..end]
    };
    let mut paths = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut rest = &text[at + prefix.len()..];
        let mut path = Vec::new();
        loop {
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    let mut with_item = path.clone();
                    with_item.push(ident(item));
                    paths.push(with_item);
                }
                break;
            }
            let segment = ident(rest);
            if segment.is_empty() {
                paths.push(path);
                break;
            }
            path.push(segment);
            match rest[segment.len()..].strip_prefix("::") {
                Some(next) => rest = next,
                None => {
                    paths.push(path);
                    break;
                }
            }
        }
    }
    paths
}

/// The module a `crate::…` path names, if it is one of `modules`.
fn target(path: &[&str], modules: &BTreeMap<String, Vec<PathBuf>>) -> Option<String> {
    let first = *path.first()?;
    let name = match (first, path.get(1)) {
        ("platform", Some(&item)) => {
            let module = PLATFORM_REEXPORTS
                .iter()
                .find(|(reexport, _)| *reexport == item)
                .map_or(item, |(_, module)| module);
            format!("platform::{module}")
        }
        ("roles", Some(&item)) => format!("roles::{item}"),
        _ => first.to_owned(),
    };
    modules.contains_key(&name).then_some(name)
}

/// For a file whose `super` is `platform` or `roles`, that parent's name.
fn super_parent(file: &Path) -> Option<&'static str> {
    let relative = file.strip_prefix(src()).unwrap();
    let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
    let parent = match parts.as_slice() {
        [parent, _file] => parent.as_ref(),
        [parent, _dir, file] if file == "mod.rs" => parent.as_ref(),
        _ => return None,
    };
    match parent {
        "platform" => Some("platform"),
        "roles" => Some("roles"),
        _ => None,
    }
}

fn references() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for (module, files) in &modules {
        let mut targets = BTreeSet::new();
        for file in files {
            let Some(text) = production_source(file) else {
                continue;
            };
            for path in paths_after(&text, "crate::") {
                targets.extend(target(&path, &modules));
            }
            if let Some(parent) = super_parent(file) {
                for path in paths_after(&text, "super::") {
                    let mut full = vec![parent];
                    full.extend(path);
                    targets.extend(target(&full, &modules));
                }
            }
        }
        targets.remove(module);
        graph.insert(module.clone(), targets);
    }
    graph
}

/// A circle of references, if any, as the modules along it.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in &graph[node] {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_platform_refers_to_no_role() {
    let graph = references();
    assert!(graph.keys().any(|m| m == "platform::worker"));
    assert!(graph.keys().any(|m| m == "roles::saga"));
    for (module, targets) in graph.iter().filter(|(m, _)| m.starts_with("platform::")) {
        let outside: Vec<_> = targets
            .iter()
            .filter(|t| !t.starts_with("platform::"))
            .collect();
        assert!(
            outside.is_empty(),
            "{module} refers to {outside:?}; the platform must not know the roles"
        );
    }
}

#[test]
fn no_circle_of_references_spans_central_modules() {
    let graph = references();
    assert!(
        graph["roles::saga"].contains("roles::ordering"),
        "the reader sees a known reference"
    );
    assert!(graph["platform::service"].contains("platform::registry"));
    if let Some(circle) = find_circle(&graph) {
        panic!("import circle: {}", circle.join(" → "));
    }
}

#[test]
fn the_reader_finds_paths_and_groups() {
    let text = "use crate::platform::{config::Settings, worker};\n/// [`crate::roles::saga`]";
    let paths = paths_after(text, "crate::");
    assert_eq!(
        paths,
        vec![
            vec!["platform", "config"],
            vec!["platform", "worker"],
            vec!["roles", "saga"]
        ]
    );
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(find_circle(&graph).unwrap(), ["a", "b", "a"]);
}
