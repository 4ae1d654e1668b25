//! `--runtime-config-file`, in Spin's format: where each key-value store and
//! SQLite database label lives, and the variables providers.
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"                 # or "spin": a SQLite file (the default)
//! url = "redis://127.0.0.1:6379"
//!
//! [sqlite_database.default]
//! type = "spin"                  # a SQLite file; path optional
//! path = "data/app.db"           # relative to this file's directory
//!
//! [sqlite_database.shared]
//! type = "libsql"                # a libSQL server (sqld, Turso)
//! url = "https://db.example.com" # or libsql://…
//! token = "…"                    # sent as a bearer token
//!
//! [[config_provider]]            # Spin's variables providers; only "env"
//! type = "env"
//! prefix = "SPIN_VARIABLE"       # the default
//! ```
//!
//! Without the file, or for a label it does not name, `default` stores are the
//! SQLite files in the state directory. Every mistake stops start-up with a
//! message naming the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

/// Where one key-value store lives.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValueStore {
    /// Spin's SQLite format, in this file.
    Spin(PathBuf),
    /// A Redis server.
    Redis(String),
}

/// Where one SQLite database lives.
#[derive(Debug, Clone, PartialEq)]
pub enum SqliteDatabase {
    /// A SQLite file.
    Spin(PathBuf),
    /// A libSQL server, over Hrana 3 over HTTP.
    Libsql { url: String, token: String },
}

/// What the file says, checked.
#[derive(Debug, Default, PartialEq)]
pub struct RuntimeConfig {
    pub key_value_stores: BTreeMap<String, KeyValueStore>,
    pub sqlite_databases: BTreeMap<String, SqliteDatabase>,
    /// The environment variables' prefix (`SPIN_VARIABLE`).
    pub env_prefix: Option<String>,
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runtime config {}", path.display()))?;
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base = std::fs::canonicalize(parent)
            .with_context(|| format!("runtime config {}", path.display()))?;
        Self::parse(&text, &base).with_context(|| format!("runtime config {}", path.display()))
    }

    /// Parses `text`; relative paths resolve against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self> {
        let table: toml::Table = toml::from_str(text)?;
        let mut config = RuntimeConfig::default();
        for (key, value) in table {
            match key.as_str() {
                "key_value_store" => {
                    for (label, entry) in sections(&key, &value)? {
                        let store = match kind(&key, label, entry)? {
                            "spin" => KeyValueStore::Spin(path_of(&key, label, entry, base)?
                                .unwrap_or_else(|| PathBuf::from("sqlite_key_value.db"))),
                            "redis" => KeyValueStore::Redis(required(&key, label, entry, "url")?),
                            other => bail!("`{key}.{label}.type`: unknown type `{other}` (this host knows `spin` and `redis`)"),
                        };
                        only(&key, label, entry, &["type", "path", "url"])?;
                        config.key_value_stores.insert(label.clone(), store);
                    }
                }
                "sqlite_database" => {
                    for (label, entry) in sections(&key, &value)? {
                        let database = match kind(&key, label, entry)? {
                            "spin" => {
                                only(&key, label, entry, &["type", "path"])?;
                                // In the state directory by default, as Spin names them.
                                let default = match label.as_str() {
                                    "default" => "sqlite_db.db".to_string(),
                                    other => format!("sqlite_db_{other}.db"),
                                };
                                SqliteDatabase::Spin(path_of(&key, label, entry, base)?
                                    .unwrap_or_else(|| PathBuf::from(default)))
                            }
                            "libsql" => {
                                only(&key, label, entry, &["type", "url", "token"])?;
                                SqliteDatabase::Libsql {
                                    url: required(&key, label, entry, "url")?,
                                    token: required(&key, label, entry, "token")?,
                                }
                            }
                            other => bail!("`{key}.{label}.type`: unknown type `{other}` (this host knows `spin` and `libsql`)"),
                        };
                        config.sqlite_databases.insert(label.clone(), database);
                    }
                }
                "config_provider" | "variables_provider" => {
                    let providers = value
                        .as_array()
                        .ok_or_else(|| anyhow!("`{key}`: expected a list of tables (`[[{key}]]`)"))?;
                    for (i, provider) in providers.iter().enumerate() {
                        let entry = provider
                            .as_table()
                            .ok_or_else(|| anyhow!("`{key}[{i}]`: expected a table"))?;
                        let label = i.to_string();
                        match kind(&key, &label, entry)? {
                            "env" => {
                                only(&key, &label, entry, &["type", "prefix"])?;
                                if let Some(prefix) = entry.get("prefix") {
                                    let prefix = prefix.as_str().ok_or_else(|| anyhow!("`{key}[{i}].prefix`: expected a string"))?;
                                    config.env_prefix = Some(prefix.to_string());
                                }
                            }
                            other => bail!("`{key}[{i}].type`: unknown type `{other}` (this host knows `env`)"),
                        }
                    }
                }
                other => bail!("`{other}`: unknown key (this host knows key_value_store, sqlite_database, config_provider)"),
            }
        }
        Ok(config)
    }
}

fn sections<'v>(key: &str, value: &'v toml::Value) -> Result<Vec<(&'v String, &'v toml::Table)>> {
    let table = value
        .as_table()
        .ok_or_else(|| anyhow!("`{key}`: expected tables (`[{key}.<label>]`)"))?;
    table
        .iter()
        .map(|(label, entry)| {
            entry
                .as_table()
                .map(|t| (label, t))
                .ok_or_else(|| anyhow!("`{key}.{label}`: expected a table"))
        })
        .collect()
}

fn kind<'t>(key: &str, label: &str, entry: &'t toml::Table) -> Result<&'t str> {
    entry
        .get("type")
        .ok_or_else(|| anyhow!("`{key}.{label}`: missing `type`"))?
        .as_str()
        .ok_or_else(|| anyhow!("`{key}.{label}.type`: expected a string"))
}

fn required(key: &str, label: &str, entry: &toml::Table, field: &str) -> Result<String> {
    match entry.get(field) {
        Some(v) => v
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("`{key}.{label}.{field}`: expected a non-empty string")),
        None => bail!(
            "`{key}.{label}`: type `{}` needs `{field}`",
            kind(key, label, entry)?
        ),
    }
}

fn path_of(key: &str, label: &str, entry: &toml::Table, base: &Path) -> Result<Option<PathBuf>> {
    entry
        .get("path")
        .map(|p| {
            p.as_str()
                .map(|p| base.join(p))
                .ok_or_else(|| anyhow!("`{key}.{label}.path`: expected a string"))
        })
        .transpose()
}

fn only(key: &str, label: &str, entry: &toml::Table, known: &[&str]) -> Result<()> {
    match entry.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => bail!(
            "`{key}.{label}.{unknown}`: unknown key for type `{}`",
            kind(key, label, entry)?
        ),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuntimeConfig> {
        RuntimeConfig::parse(text, Path::new("/etc/app"))
    }

    #[test]
    fn reads_spins_format() {
        let c = parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://r:6379\"\n\
             [key_value_store.cache]\ntype = \"spin\"\npath = \"cache.db\"\n\
             [sqlite_database.default]\ntype = \"spin\"\npath = \"/data/app.db\"\n\
             [sqlite_database.shared]\ntype = \"libsql\"\nurl = \"https://db\"\ntoken = \"t\"\n\
             [[config_provider]]\ntype = \"env\"\nprefix = \"APP\"\n",
        )
        .unwrap();
        assert_eq!(
            c.key_value_stores["default"],
            KeyValueStore::Redis("redis://r:6379".into())
        );
        assert_eq!(
            c.key_value_stores["cache"],
            KeyValueStore::Spin("/etc/app/cache.db".into())
        );
        assert_eq!(
            c.sqlite_databases["default"],
            SqliteDatabase::Spin("/data/app.db".into())
        );
        assert_eq!(
            c.sqlite_databases["shared"],
            SqliteDatabase::Libsql {
                url: "https://db".into(),
                token: "t".into()
            }
        );
        assert_eq!(c.env_prefix.as_deref(), Some("APP"));
    }

    #[test]
    fn mistakes_name_the_key() {
        for (text, expected) in [
            (
                "[key_value_store.default]\ntype = \"memcached\"\n",
                "`key_value_store.default.type`: unknown type `memcached`",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"\n",
                "`key_value_store.default`: type `redis` needs `url`",
            ),
            (
                "[key_value_store.default]\nurl = \"redis://x\"\n",
                "`key_value_store.default`: missing `type`",
            ),
            (
                "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"https://x\"\n",
                "`sqlite_database.default`: type `libsql` needs `token`",
            ),
            (
                "[sqlite_database.default]\ntype = \"spin\"\nurll = \"x\"\n",
                "`sqlite_database.default.urll`: unknown key",
            ),
            (
                "[llm_compute]\ntype = \"x\"\n",
                "`llm_compute`: unknown key",
            ),
            (
                "[[config_provider]]\ntype = \"vault\"\n",
                "`config_provider[0].type`: unknown type `vault`",
            ),
        ] {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
