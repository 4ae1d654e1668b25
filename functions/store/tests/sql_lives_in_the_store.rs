//! Every SQL statement on a feature table lives in `vip_store`: this test
//! reads the sources of every other crate under `functions/` and fails on a
//! string literal that starts a statement. `vip_kit`'s plumbing modules own
//! their own tables (idempotency keys, programme documents, webhook
//! receipts) and are the only exception.

use std::fs;
use std::path::Path;

use source::{rust_files, starts_a_statement, string_literals};

/// `vip_kit` modules that hold the SQL of the plumbing tables they own.
const PLUMBING: &[&str] = &[
    "kit/src/idempotency.rs",
    "kit/src/settings.rs",
    "kit/src/webhooks.rs",
];

#[test]
fn no_component_holds_sql() {
    let functions = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for file in rust_files(&functions) {
        let relative = file
            .strip_prefix(&functions)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if relative.starts_with("store/") || PLUMBING.contains(&relative.as_str()) {
            continue;
        }
        let source = fs::read_to_string(&file).unwrap();
        for literal in string_literals(&source) {
            if starts_a_statement(&literal) {
                found.push(format!(
                    "{relative}: {:?}",
                    literal.lines().next().unwrap_or("")
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside vip_store:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_recogniser_finds_statements_and_only_statements() {
    let source = r#"
        // "SELECT in a comment" is not code
        let a = "SELECT id FROM t";
        let b = "  INSERT INTO t (a) VALUES (?)";
        let c = "UPDATE t SET a = 1";
        let d = "WITH x AS (SELECT 1) SELECT * FROM x";
        let e = "DELETE FROM t WHERE id = ?";
        let f = "DELETE";                 // an HTTP method
        let g = "Update your contact details";
        let h = "quote \" SELECT inside";
        let i = '"';
        let j = "with";
    "#;
    let statements: Vec<String> = string_literals(source)
        .into_iter()
        .filter(|l| starts_a_statement(l))
        .collect();
    assert_eq!(
        statements,
        [
            "SELECT id FROM t",
            "  INSERT INTO t (a) VALUES (?)",
            "UPDATE t SET a = 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "DELETE FROM t WHERE id = ?",
        ]
    );
}

/// Reading Rust sources: test-only helpers, so the test lints apply.
#[cfg(test)]
mod source {
    use std::fs;
    use std::path::{Path, PathBuf};

    pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if path.is_dir() && name != "target" && !name.starts_with('.') {
                files.extend(rust_files(&path));
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
        files
    }

    /// A statement keyword (in SQL's capitals) followed by what that statement
    /// needs next, so an HTTP method or an English word does not count.
    pub fn starts_a_statement(literal: &str) -> bool {
        let words: Vec<&str> = literal.split_whitespace().take(3).collect();
        matches!(
            words.as_slice(),
            ["SELECT", ..]
                | ["INSERT", "INTO", ..]
                | ["DELETE", "FROM", ..]
                | ["UPDATE", _, "SET", ..]
                | ["WITH", _, ..]
        )
    }

    /// The contents of the ordinary and raw string literals in Rust `source`,
    /// skipping line comments and character literals.
    pub fn string_literals(source: &str) -> Vec<String> {
        let chars: Vec<char> = source.chars().collect();
        let mut literals = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '/' if chars.get(i + 1) == Some(&'/') => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
                '\'' if chars.get(i + 1) == Some(&'\\') && chars.get(i + 3) == Some(&'\'') => {
                    i += 4
                }
                '\'' if chars.get(i + 2) == Some(&'\'') => i += 3,
                'r' if matches!(chars.get(i + 1), Some('"' | '#'))
                    && !is_ident(chars.get(i.wrapping_sub(1))) =>
                {
                    let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
                    let open = i + 1 + hashes;
                    if chars.get(open) != Some(&'"') {
                        i += 1;
                        continue;
                    }
                    let close: String = std::iter::once('"')
                        .chain(std::iter::repeat_n('#', hashes))
                        .collect();
                    let rest: String = chars[open + 1..].iter().collect();
                    let end = rest.find(&close).unwrap_or(rest.len());
                    literals.push(rest[..end].to_string());
                    i = open + 1 + rest[..end].chars().count() + close.chars().count();
                }
                '"' => {
                    let mut literal = String::new();
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        if let Some(c) = chars.get(i) {
                            literal.push(*c);
                        }
                        i += 1;
                    }
                    literals.push(literal);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        literals
    }

    fn is_ident(c: Option<&char>) -> bool {
        c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
    }
}
