//! `spin.toml` (manifest version 2): the subset of Spin's schema this host runs.
//!
//! Tables are parsed strictly (unknown keys are errors) as Spin does, so a typo
//! is reported with the key and line instead of being silently ignored. What the
//! host does not implement (inline components, remote sources, other trigger
//! types) is refused with an error naming the key, never half-supported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// A parsed and validated application manifest.
#[derive(Debug)]
pub struct Manifest {
    /// Directory holding `spin.toml`; relative paths resolve against it.
    pub dir: PathBuf,
    pub application: Application,
    pub variables: BTreeMap<String, VariableDecl>,
    pub http_triggers: Vec<HttpRoute>,
    pub cron_triggers: Vec<CronSchedule>,
    pub components: BTreeMap<String, Component>,
}

/// A validated `[[trigger.http]]`: `route` is `None` for a private endpoint.
#[derive(Debug, Clone)]
pub struct HttpRoute {
    pub route: Option<String>,
    pub component: String,
}

/// A validated `[[trigger.cron]]`.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    pub component: String,
    pub cron_expression: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default, rename = "authors")]
    _authors: Vec<String>,
    #[serde(default, rename = "trigger")]
    _trigger: Option<toml::Table>,
}

/// An application variable (`[variables]`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// Accepted for Spin compatibility; this host never prints any variable's value.
    #[serde(default, rename = "secret")]
    _secret: bool,
}

/// `[[trigger.http]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTrigger {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    route: RouteConfig,
    component: ComponentRef,
    #[serde(default, rename = "executor")]
    _executor: Option<toml::Table>,
}

/// A route pattern, or `{ private = true }` for a component reachable only
/// through service chaining (never routed from outside).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RouteConfig {
    Route(String),
    Private { private: bool },
}

/// `[[trigger.cron]]` (Spin's `trigger-cron` plugin) as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCronTrigger {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    component: ComponentRef,
    cron_expression: String,
}

/// A trigger's component: this host supports references by id only.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ComponentRef {
    Id(String),
    Inline(serde::de::IgnoredAny),
}

/// A validated `[component.<id>]`.
#[derive(Debug)]
pub struct Component {
    /// The wasm file, resolved against the manifest directory.
    pub source: PathBuf,
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    /// Host directory mapped to a guest path.
    pub files: Vec<(PathBuf, String)>,
    pub environment: BTreeMap<String, String>,
    /// Component variable name to template (`"{{ app_var }}"`).
    pub variables: BTreeMap<String, String>,
    pub build: Option<BuildConfig>,
}

/// `[component.<id>]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: Source,
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    files: Vec<FileMount>,
    #[serde(default, rename = "exclude_files")]
    _exclude_files: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    build: Option<BuildConfig>,
    #[serde(default)]
    dependencies: Option<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Source {
    Local(String),
    Remote(serde::de::IgnoredAny),
}

/// `files`: a `{ source, destination }` directory mapping, or a glob pattern
/// (which this host refuses at validation).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileMount {
    Mapping { source: String, destination: String },
    Pattern(String),
}

/// `[component.<id>.build]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    pub command: BuildCommand,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default, rename = "watch")]
    _watch: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum BuildCommand {
    One(String),
    Many(Vec<String>),
}

impl BuildCommand {
    pub fn commands(&self) -> Vec<&str> {
        match self {
            BuildCommand::One(c) => vec![c.as_str()],
            BuildCommand::Many(cs) => cs.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: Application,
    #[serde(default)]
    variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    trigger: BTreeMap<String, toml::Value>,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self::parse(&text, dir).with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses and validates manifest text; `dir` is where relative paths resolve.
    pub fn parse(text: &str, dir: PathBuf) -> Result<Self> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        if raw.spin_manifest_version != toml::Value::Integer(2) {
            bail!("`spin_manifest_version` must be 2 (this host reads manifest version 2 only)");
        }
        for (name, decl) in &raw.variables {
            crate::variables::validate_name(name)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("`variables.{name}`"))?;
            if decl.required && decl.default.is_some() {
                bail!(
                    "`variables.{name}`: a variable cannot be both `required` and have a `default`"
                );
            }
        }
        let mut components = BTreeMap::new();
        for (id, c) in raw.component {
            let component = validate_component(&id, c, &dir, &raw.variables)?;
            components.insert(id, component);
        }
        let mut http_triggers = Vec::new();
        let mut cron_triggers = Vec::new();
        for (kind, value) in raw.trigger {
            match kind.as_str() {
                "http" => {
                    let raws: Vec<RawHttpTrigger> = value
                        .try_into()
                        .map_err(|e| anyhow::anyhow!("in `[[trigger.http]]`: {e}"))?;
                    for (i, t) in raws.into_iter().enumerate() {
                        let key = format!("trigger.http[{i}]");
                        let component = resolve_ref(t.component, &components, &key)?;
                        let route = match t.route {
                            RouteConfig::Route(r) => Some(r),
                            RouteConfig::Private { private: true } => None,
                            RouteConfig::Private { private: false } => bail!(
                                "`{key}.route`: must be a route pattern or `{{ private = true }}`"
                            ),
                        };
                        http_triggers.push(HttpRoute { route, component });
                    }
                }
                "cron" => {
                    let raws: Vec<RawCronTrigger> = value
                        .try_into()
                        .map_err(|e| anyhow::anyhow!("in `[[trigger.cron]]`: {e}"))?;
                    for (i, t) in raws.into_iter().enumerate() {
                        let key = format!("trigger.cron[{i}]");
                        let component = resolve_ref(t.component, &components, &key)?;
                        cron_triggers.push(CronSchedule {
                            component,
                            cron_expression: t.cron_expression,
                        });
                    }
                }
                other => bail!(
                    "`trigger.{other}`: trigger type `{other}` is not supported by this host \
                     (supported: http, cron)"
                ),
            }
        }
        Ok(Manifest {
            dir,
            application: raw.application,
            variables: raw.variables,
            http_triggers,
            cron_triggers,
            components,
        })
    }
}

fn resolve_ref(
    r: ComponentRef,
    components: &BTreeMap<String, Component>,
    key: &str,
) -> Result<String> {
    match r {
        ComponentRef::Id(id) if components.contains_key(&id) => Ok(id),
        ComponentRef::Id(id) => bail!("`{key}.component`: no component `{id}` is declared"),
        ComponentRef::Inline(_) => bail!(
            "`{key}.component`: inline components are not supported by this host; declare \
             `[component.<id>]` and refer to it by id"
        ),
    }
}

fn validate_component(
    id: &str,
    c: RawComponent,
    dir: &Path,
    app_variables: &BTreeMap<String, VariableDecl>,
) -> Result<Component> {
    validate_component_id(id)?;
    let source = match c.source {
        Source::Local(p) => dir.join(p),
        Source::Remote(_) => {
            bail!("`component.{id}.source`: only local file sources are supported by this host")
        }
    };
    if c.dependencies.is_some() {
        bail!(
            "`component.{id}.dependencies`: component dependencies are not supported by this host"
        );
    }
    let mut files = Vec::new();
    for f in c.files {
        match f {
            FileMount::Mapping {
                source,
                destination,
            } => files.push((dir.join(source), destination)),
            FileMount::Pattern(p) => bail!(
                "`component.{id}.files`: pattern `{p}` is not supported by this host; \
                 use `{{ source = \"dir\", destination = \"/dir\" }}`"
            ),
        }
    }
    for (var, template) in &c.variables {
        crate::variables::validate_name(var)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("`component.{id}.variables.{var}`"))?;
        for referenced in crate::variables::template_references(template)
            .with_context(|| format!("`component.{id}.variables.{var}`"))?
        {
            if !app_variables.contains_key(&referenced) {
                bail!(
                    "`component.{id}.variables.{var}` refers to `{referenced}`, \
                     which is not declared under `[variables]`"
                );
            }
        }
    }
    Ok(Component {
        source,
        allowed_outbound_hosts: c.allowed_outbound_hosts,
        key_value_stores: c.key_value_stores,
        sqlite_databases: c.sqlite_databases,
        files,
        environment: c.environment,
        variables: c.variables,
        build: c.build,
    })
}

/// Spin's component id rule: lowercase words of letters and digits joined by `-` or `_`.
fn validate_component_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        bail!("`component.{id}`: component ids are lowercase letters, digits, `-` and `_`, starting with a letter");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(text, PathBuf::from("/app"))
    }

    const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "demo"
[variables]
token = { required = true, secret = true }
greeting = { default = "hi" }
[[trigger.http]]
route = "/api/..."
component = "api"
[[trigger.cron]]
component = "tick"
cron_expression = "0 * * * * *"
[component.api]
source = "api.wasm"
key_value_stores = ["default"]
variables = { token = "{{ token }}", hello = "{{greeting}} there" }
[component.api.build]
command = "cargo build"
[component.tick]
source = "/abs/tick.wasm"
"#;

    #[test]
    fn parses_a_full_manifest() {
        let m = parse(MINIMAL).unwrap();
        assert_eq!(m.application.name, "demo");
        assert_eq!(m.http_triggers.len(), 1);
        assert_eq!(m.cron_triggers[0].cron_expression, "0 * * * * *");
        assert_eq!(m.components["api"].source, PathBuf::from("/app/api.wasm"));
        assert_eq!(m.components["tick"].source, PathBuf::from("/abs/tick.wasm"));
        assert_eq!(m.http_triggers[0].route.as_deref(), Some("/api/..."));
        assert!(m.variables["token"].required);
    }

    #[test]
    fn errors_name_the_offending_key() {
        let e =
            parse(&MINIMAL.replace("source = \"api.wasm\"", "sorce = \"api.wasm\"")).unwrap_err();
        assert!(format!("{e:#}").contains("sorce"), "{e:#}");
        let e =
            parse(&MINIMAL.replace("component = \"tick\"", "component = \"tock\"")).unwrap_err();
        assert!(
            format!("{e:#}").contains("trigger.cron[0].component"),
            "{e:#}"
        );
        let e = parse(&MINIMAL.replace("{{ token }}", "{{ nope }}")).unwrap_err();
        assert!(
            format!("{e:#}").contains("component.api.variables.token"),
            "{e:#}"
        );
        let e = parse(&MINIMAL.replace("[[trigger.cron]]", "[[trigger.redis]]")).unwrap_err();
        assert!(format!("{e:#}").contains("trigger.redis"), "{e:#}");
        let e = parse(&MINIMAL.replace("spin_manifest_version = 2", "spin_manifest_version = 1"))
            .unwrap_err();
        assert!(format!("{e:#}").contains("spin_manifest_version"), "{e:#}");
    }

    #[test]
    fn required_with_default_is_refused() {
        let e = parse(&MINIMAL.replace(
            "token = { required = true, secret = true }",
            "token = { required = true, default = \"x\" }",
        ))
        .unwrap_err();
        assert!(format!("{e:#}").contains("variables.token"), "{e:#}");
    }

    #[test]
    fn inline_components_and_globs_are_refused_clearly() {
        let e =
            parse(&MINIMAL.replace("component = \"api\"", "component = { source = \"x.wasm\" }"))
                .unwrap_err();
        assert!(format!("{e:#}").contains("inline components"), "{e:#}");
        let e = parse(&MINIMAL.replace(
            "key_value_stores = [\"default\"]",
            "files = [\"static/**\"]",
        ))
        .unwrap_err();
        assert!(format!("{e:#}").contains("component.api.files"), "{e:#}");
    }
}
