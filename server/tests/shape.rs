//! The code's shape, held by tests: the layers that everything else is
//! built on import nothing above them (so there are no cycles through
//! them), and only the modules that check a live credential may vouch for
//! a principal.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file under `dir`, as `(path relative to dir, code)`, with
/// comments and unit-test modules left out.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
                let code: String = text
                    .lines()
                    .map(|l| l.split("//").next().unwrap())
                    .collect::<Vec<_>>()
                    .join("\n");
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, code));
            }
        }
    }
    out
}

/// The module name a path starts with.
fn leading_name(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect()
}

/// The crate's top-level modules that the files of `module` name.
fn imports(src: &Path, module: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (rel, code) in sources(src) {
        let top = rel.split(['/', '.']).next().unwrap();
        if top != module {
            continue;
        }
        for part in code.split("crate::").skip(1) {
            // `crate::name…`, or a group `crate::{a, b::c, …}`.
            let names: Vec<String> = match part.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|item| leading_name(item.trim()))
                    .collect(),
                None => vec![leading_name(part)],
            };
            for name in names {
                if !name.is_empty() && name != module && name != "self" {
                    found.insert(name);
                }
            }
        }
    }
    found
}

fn assert_layer(src: &Path, module: &str, allowed: &[&str]) {
    let found = imports(src, module);
    let above: Vec<_> = found
        .iter()
        .filter(|m| !allowed.contains(&m.as_str()))
        .collect();
    assert!(
        above.is_empty(),
        "`{module}` imports {above:?}; it may use only {allowed:?}"
    );
}

#[test]
fn the_base_layers_import_nothing_above_them() {
    let app = workspace().join("app/src");
    assert_layer(&app, "error", &[]);
    assert_layer(&app, "domain", &["error"]);
    assert_layer(&app, "identity", &["error", "domain"]);
    assert_layer(&app, "db", &["identity", "error"]);
    let server = workspace().join("server/src");
    assert_layer(&server, "secret", &[]);
    assert_layer(&server, "reference", &[]);
    assert_layer(&server, "db", &["secret", "reference"]);
    assert_layer(&server, "jobs", &[]);
}

#[test]
fn the_pairs_that_once_imported_each_other_no_longer_do() {
    let app = workspace().join("app/src");
    assert!(
        !imports(&app, "auth").contains("developer"),
        "auth -> developer"
    );
    assert!(!imports(&app, "db").contains("auth"), "db -> auth");
    let server = workspace().join("server/src");
    assert!(!imports(&server, "db").contains("config"), "db -> config");
    for area in ["mail", "webhooks"] {
        assert!(
            !imports(&server, area).contains("events"),
            "{area} -> events"
        );
    }
}

#[test]
fn only_the_credential_checks_vouch_for_a_principal() {
    let app = workspace().join("app/src");
    let vouching: BTreeSet<String> = sources(&app)
        .into_iter()
        .filter(|(_, code)| code.contains("Resolved::vouch()"))
        .map(|(rel, _)| rel)
        .collect();
    let allowed: BTreeSet<String> = ["auth/session.rs", "developer/access.rs"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(vouching, allowed);
}

/// Every form works before and without JavaScript (issue 12): a form is a
/// `ui::Form` (it names its function, see `server/src/forms.rs`; a raw
/// `<form method="post">` does not)
/// over an action made by `ui::server_action` (which takes the outcome of
/// a plain post), never Leptos's `ActionForm` or `ServerAction::new`
/// directly; and interactivity is an `#[island]`, never an event handler
/// in a page that does not hydrate.
#[test]
fn forms_go_through_ui_form_and_handlers_live_in_islands() {
    let app = workspace().join("app/src");
    let mut bare = Vec::new();
    let mut stray_handlers = Vec::new();
    for (rel, code) in sources(&app) {
        // A raw posting form would skip the `_rpc` field and the outcome.
        let raw_post = code.contains("<form") && code.contains("method=\"post\"");
        if rel != "ui/outcome.rs"
            && (code.contains("<ActionForm")
                || code.contains("ServerAction::new(")
                || code.contains("ServerAction::<") && code.contains(">::new()")
                || raw_post)
        {
            bare.push(rel.clone());
        }
        // A file with an `on:` handler must hold an island, or be a
        // control that islands use (the form controls).
        if code.contains(" on:") && !code.contains("#[island") && rel != "ui/form.rs" {
            stray_handlers.push(rel);
        }
    }
    assert!(
        bare.is_empty(),
        "use ui::Form and ui::server_action: {bare:?}"
    );
    assert!(
        stray_handlers.is_empty(),
        "event handlers outside islands never run: {stray_handlers:?}"
    );
}
