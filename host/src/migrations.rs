//! Schema set-up for the `default` SQLite database on `up` and `cron`.
//!
//! - `--sqlite STATEMENT` / `--sqlite @file.sql`, exactly as `spin up --sqlite`:
//!   executed on every start.
//! - A migrations directory (`migrations/` beside `spin.toml` by default):
//!   every `*.sql` file in name order, each applied once, in one transaction
//!   together with its record in `spin_local_migrations(name, sha256)`. A file
//!   changed after it was applied stops start-up: migrations are append-only.
//!
//! Under real Spin the same files are applied with
//! `spin up --sqlite @migrations/0001_x.sql …`, which re-runs them on every
//! start; so each file must be idempotent (`CREATE TABLE IF NOT EXISTS`,
//! `INSERT … ON CONFLICT DO NOTHING`). Both paths then give the same schema.

use std::path::Path;

use anyhow::{bail, Context, Result};
use rusqlite::types::Value;
use sha2::{Digest, Sha256};

use crate::database::Database;

/// Runs `spin up --sqlite` style statements or `@file`s, relative to `dir`.
pub fn run_statements(db: &Database, statements: &[String], dir: &Path) -> Result<()> {
    for s in statements {
        let sql = match s.strip_prefix('@') {
            Some(file) => {
                let path = dir.join(file);
                std::fs::read_to_string(&path)
                    .with_context(|| format!("--sqlite: cannot read {}", path.display()))?
            }
            None => s.clone(),
        };
        db.run_script(&sql)
            .with_context(|| format!("--sqlite {s}"))?;
    }
    Ok(())
}

/// Applies the migration files of `dir` not yet applied; returns their names.
pub fn apply_dir(db: &Database, dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read migrations directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    db.run_script(
        "CREATE TABLE IF NOT EXISTS spin_local_migrations (
           name TEXT PRIMARY KEY,
           sha256 TEXT NOT NULL,
           applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
    )?;
    let mut applied = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sql = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read migration {}", path.display()))?;
        let digest = format!("{:x}", Sha256::digest(sql.as_bytes()));
        let recorded = db.query_text(
            "SELECT sha256 FROM spin_local_migrations WHERE name = ?1",
            vec![Value::Text(name.clone())],
        )?;
        match recorded {
            Some(d) if d == digest => continue,
            Some(_) => bail!(
                "migration {name} was changed after it was applied; add a new migration file instead"
            ),
            None => {}
        }
        db.run_atomically(
            &sql,
            "INSERT INTO spin_local_migrations (name, sha256) VALUES (?1, ?2)",
            vec![Value::Text(name.clone()), Value::Text(digest)],
        )
        .with_context(|| format!("migration {name} failed; nothing of it was applied"))?;
        applied.push(name);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite_pool::{Durability, Pool};

    #[test]
    fn applies_once_in_order_and_refuses_edits() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("migrations");
        std::fs::create_dir(&m).unwrap();
        std::fs::write(m.join("0002_b.sql"), "INSERT INTO t VALUES (2);").unwrap();
        std::fs::write(m.join("0001_a.sql"), "CREATE TABLE t (x INTEGER);").unwrap();
        let pool = Pool::open(&dir.path().join("db"), Durability::Full).unwrap();
        let db = Database::Local(pool.clone());
        assert_eq!(
            apply_dir(&db, &m).unwrap(),
            vec!["0001_a.sql", "0002_b.sql"]
        );
        assert!(apply_dir(&db, &m).unwrap().is_empty());
        let n: i64 = pool
            .get()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        std::fs::write(m.join("0002_b.sql"), "INSERT INTO t VALUES (3);").unwrap();
        assert!(format!("{:#}", apply_dir(&db, &m).unwrap_err()).contains("0002_b.sql"));
    }

    #[test]
    fn a_failing_migration_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("migrations");
        std::fs::create_dir(&m).unwrap();
        std::fs::write(
            m.join("0001_bad.sql"),
            "CREATE TABLE u (x); INSERT INTO nope VALUES (1);",
        )
        .unwrap();
        let pool = Pool::open(&dir.path().join("db"), Durability::Full).unwrap();
        assert!(apply_dir(&Database::Local(pool.clone()), &m).is_err());
        let exists: i64 = pool
            .get()
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'u'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(exists, 0);
    }
}
