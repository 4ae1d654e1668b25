//! The one-step schema set-up for real Spin (`scripts/spin-up.sh`: every
//! migration as `--sqlite @file`, re-run on each start) works, and works again
//! on a second start over the same state.

use std::process::Command;

use e2e::{call, customer, json, post_check, variables, Host, NO_PARTNERS};
use serde_json::json;

#[test]
fn spin_up_script_sets_up_the_schema_and_tolerates_reruns() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let state = tempfile::tempdir().unwrap();
    let no_tracked_migrations = tempfile::tempdir().unwrap();
    for (round, expected) in [(1, 201), (2, 200)] {
        let mut cmd = Command::new(root.join("scripts/spin-up.sh"));
        cmd.env("SPIN_BIN", spin_local_harness::default_binary())
            .envs(variables(NO_PARTNERS))
            .arg("--state-dir")
            .arg(state.path())
            .args(["--listen", "127.0.0.1:0", "--migrations"])
            .arg(no_tracked_migrations.path());
        let host = Host::start(cmd).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let r = call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/customers/K1",
            Some(&customer(json!({"segment": "isp"}))),
        );
        assert_eq!(r.status, expected, "round {round}: {}", r.body);
        let d = post_check(&host, "staff", &json!({"customer_id": "K1"}), None);
        assert_eq!(json(&d)["vip"], true, "round {round}");
        assert!(
            !host.output().contains("applied migration"),
            "tracked migrations were not used"
        );
        assert_eq!(host.stop().code(), Some(0));
    }
}

/// Every trigger with an effect beyond its own row is declared in the
/// `EFFECTS` of the store module whose statement fires it (or of the
/// settings documents), with the table and statement that fire it and the
/// tables it writes; and every declaration names a real trigger. Read from
/// `sqlite_master` after every migration, so code and schema cannot drift.
#[test]
fn every_trigger_effect_is_declared_beside_its_store_module() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for file in &files {
        db.execute_batch(&std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    let mut stmt = db
        .prepare(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
        )
        .unwrap();
    let in_schema: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let declared = vip_store::effects::all();
    let mut with_effects = 0;
    for (name, table, sql) in &in_schema {
        let upper = sql.to_uppercase();
        let body = &upper[upper.find("BEGIN").unwrap()..];
        let writes = written_tables(body);
        if writes.is_empty() {
            assert!(body.contains("RAISE"), "{name} neither writes nor refuses");
            continue;
        }
        with_effects += 1;
        let Some(effect) = declared.iter().find(|e| e.trigger == name) else {
            panic!("trigger {name} on {table} writes {writes:?} but no store module declares it");
        };
        assert_eq!(effect.table, table, "{name}: table");
        let head = &upper[..upper.find(" ON ").unwrap()];
        assert!(
            head.ends_with(&format!("AFTER {}", effect.on.to_uppercase())),
            "{name}: declared on {}, schema says {head}",
            effect.on
        );
        assert_eq!(effect.writes, writes.as_slice(), "{name}: tables written");
        assert!(!effect.does.is_empty(), "{name}: says what it does");
    }
    for effect in &declared {
        assert!(
            in_schema.iter().any(|(name, ..)| name == effect.trigger),
            "{} is declared but no migration creates it",
            effect.trigger
        );
    }
    assert_eq!(declared.len(), with_effects, "each trigger declared once");
}

/// The tables a trigger body writes (`INSERT INTO t`, `UPDATE t`, `DELETE
/// FROM t`; an upsert's `DO UPDATE SET` is its own insert), in name order.
fn written_tables(body: &str) -> Vec<String> {
    let words: Vec<&str> = body
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut tables: Vec<String> = words
        .windows(2)
        .enumerate()
        .filter_map(|(i, w)| match w {
            ["INTO", t] if i > 0 && words[i - 1] == "INSERT" => Some(t.to_lowercase()),
            ["FROM", t] if i > 0 && words[i - 1] == "DELETE" => Some(t.to_lowercase()),
            ["UPDATE", t] if *t != "SET" && (i == 0 || words[i - 1] != "DO") => {
                Some(t.to_lowercase())
            }
            _ => None,
        })
        .collect();
    tables.sort();
    tables.dedup();
    tables
}
