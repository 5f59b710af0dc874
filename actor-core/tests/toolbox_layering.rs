//! The toolbox sits strictly above the kernel: its modules may use the
//! crate's public API (items re-exported at the crate root, the public `link`
//! module) and each other, never the kernel's private modules. This reads the
//! toolbox's sources and fails on any path into a private kernel module, so
//! that the layering stays a fact rather than a convention.

use std::fs;
use std::path::{Path, PathBuf};

/// The kernel's private modules: a toolbox path through any of them reaches
/// around the public API.
const PRIVATE: &[&str] = &[
    "actor",
    "actor_ref",
    "blocking",
    "context",
    "error",
    "id",
    "message",
    "recipient",
    "registry",
    "runtime",
    "stop",
    "supervisor",
    "timer",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("the toolbox folder is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::NAME::` in `text` whose NAME is a private kernel module.
fn private_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let through = rest[name.len()..].starts_with("::");
        if through && PRIVATE.contains(&name.as_str()) {
            found.push(format!("crate::{name}::"));
        }
    }
    found
}

#[test]
fn the_checker_sees_a_private_path() {
    assert_eq!(
        private_paths("use crate::runtime::Control;\nuse crate::{Actor, ActorRef};"),
        ["crate::runtime::"]
    );
    assert!(private_paths("use crate::link::Down; use crate::queue::Queue;").is_empty());
}

#[test]
fn the_toolbox_uses_only_the_public_api() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/toolbox");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 20, "found only {} toolbox files", files.len());
    let mut violations = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("a toolbox source is readable");
        for (number, line) in text.lines().enumerate() {
            for path in private_paths(line) {
                violations.push(format!("{}:{}: {path}", file.display(), number + 1));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "the toolbox reaches into the kernel's private modules:\n{}",
        violations.join("\n")
    );
}
