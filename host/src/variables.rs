//! Application variables, as Spin resolves them.
//!
//! `[variables]` declares application variables (default, required, secret);
//! each component declares its own variables as templates over them
//! (`token = "{{ api_token }}"`). Values come, in order of precedence, from
//! `--variable name=value` on the command line, from `SPIN_VARIABLE_<NAME>` in
//! the environment (Spin's environment provider), then from the default.
//! Everything is resolved once at start-up, so a missing required variable stops
//! the host before it serves anything and a guest's `get` is a map lookup.

use std::collections::HashMap;

use anyhow::{bail, Result};

use crate::manifest::Manifest;

/// Spin's variable-name rule (spinframework/spin `expressions` `Key::validate`):
/// lowercase ASCII letters, digits and single underscores, starting with a
/// letter and ending with a letter or digit. The error is Spin's text, which a
/// guest's `get` receives as `invalid-name`: `"Foo": invalid character 'F'. …`.
pub fn validate_name(name: &str) -> Result<(), String> {
    let reason = if name.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(invalid) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {invalid:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if name.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(format!("{name:?}: {reason}")),
        None => Ok(()),
    }
}

/// One piece of a parsed template.
#[derive(Debug, PartialEq)]
enum Part<'a> {
    Literal(&'a str),
    Reference(&'a str),
}

fn parse_template(template: &str) -> Result<Vec<Part<'_>>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push(Part::Literal(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            bail!("unterminated `{{{{` in template `{template}`");
        };
        let name = after[..close].trim();
        validate_name(name).map_err(anyhow::Error::msg)?;
        parts.push(Part::Reference(name));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    Ok(parts)
}

/// The application variables a template refers to.
pub fn template_references(template: &str) -> Result<Vec<String>> {
    Ok(parse_template(template)?
        .into_iter()
        .filter_map(|p| match p {
            Part::Reference(name) => Some(name.to_string()),
            Part::Literal(_) => None,
        })
        .collect())
}

/// Looks up an environment variable.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// Where values come from besides defaults.
pub struct Providers {
    /// `--variable name=value` given on the command line.
    pub cli: HashMap<String, String>,
    /// The environment provider's prefix: `SPIN_VARIABLE` unless the
    /// runtime config names another.
    pub prefix: String,
    /// Reads `SPIN_VARIABLE_<NAME>`; a function so tests need not touch the process environment.
    pub env: EnvLookup,
}

impl Providers {
    pub fn from_process(cli: HashMap<String, String>, prefix: Option<&str>) -> Self {
        Providers {
            cli,
            prefix: prefix.unwrap_or("SPIN_VARIABLE").to_string(),
            env: Box::new(|key| std::env::var(key).ok()),
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(v) = self.cli.get(name) {
            return Some(v.clone());
        }
        (self.env)(&format!("{}_{}", self.prefix, name.to_ascii_uppercase()))
    }
}

/// Every variable, resolved.
#[derive(Debug, Default)]
pub struct ResolvedVariables {
    /// Application variables that have a value.
    pub app: HashMap<String, String>,
    /// Component id -> component variable -> value.
    pub components: HashMap<String, HashMap<String, String>>,
}

impl ResolvedVariables {
    /// Expands a template over application variables; `None` if it refers to
    /// a variable without a value.
    pub fn expand(&self, template: &str) -> Result<Option<String>> {
        let mut value = String::new();
        for part in parse_template(template)? {
            match part {
                Part::Literal(s) => value.push_str(s),
                Part::Reference(name) => match self.app.get(name) {
                    Some(v) => value.push_str(v),
                    None => return Ok(None),
                },
            }
        }
        Ok(Some(value))
    }
}

/// Resolves every application variable, then every component template.
pub fn resolve(manifest: &Manifest, providers: &Providers) -> Result<ResolvedVariables> {
    for name in providers.cli.keys() {
        if !manifest.variables.contains_key(name) {
            bail!("--variable `{name}` is not declared under `[variables]` in the manifest");
        }
    }
    let mut resolved = ResolvedVariables::default();
    let mut missing = Vec::new();
    for (name, decl) in &manifest.variables {
        match providers.lookup(name).or_else(|| decl.default.clone()) {
            Some(value) => {
                resolved.app.insert(name.clone(), value);
            }
            None if decl.required => missing.push(name.as_str()),
            None => {}
        }
    }
    if !missing.is_empty() {
        let hints: Vec<String> = missing
            .iter()
            .map(|n| format!("`{n}` (set SPIN_VARIABLE_{})", n.to_ascii_uppercase()))
            .collect();
        bail!("required variables have no value: {}", hints.join(", "));
    }
    for (id, component) in &manifest.components {
        let mut values = HashMap::new();
        for (var, template) in &component.variables {
            // A template over an optional variable with no value leaves the
            // component variable undefined, which the guest sees as `undefined`.
            if let Some(value) = resolved.expand(template)? {
                values.insert(var.clone(), value);
            }
        }
        resolved.components.insert(id.clone(), values);
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "v"
[variables]
token = { required = true, secret = true }
greeting = { default = "hello" }
optional = {}
[component.c]
source = "c.wasm"
variables = { token = "{{ token }}", message = "{{greeting}}, {{ token }}!", maybe = "{{ optional }}", plain = "literal" }
"#,
            PathBuf::from("."),
        )
        .unwrap()
    }

    fn providers(env: &'static [(&'static str, &'static str)]) -> Providers {
        Providers {
            cli: HashMap::new(),
            prefix: "SPIN_VARIABLE".into(),
            env: Box::new(move |k| {
                env.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            }),
        }
    }

    #[test]
    fn defaults_env_overrides_and_templates() {
        let r = resolve(
            &manifest(),
            &providers(&[
                ("SPIN_VARIABLE_TOKEN", "s3cret"),
                ("SPIN_VARIABLE_GREETING", "hi"),
            ]),
        )
        .unwrap();
        let c = &r.components["c"];
        assert_eq!(c["token"], "s3cret");
        assert_eq!(c["message"], "hi, s3cret!");
        assert_eq!(c["plain"], "literal");
        assert!(
            !c.contains_key("maybe"),
            "optional variable without value stays undefined"
        );
        let r = resolve(&manifest(), &providers(&[("SPIN_VARIABLE_TOKEN", "t")])).unwrap();
        assert_eq!(r.components["c"]["message"], "hello, t!");
    }

    #[test]
    fn cli_beats_environment() {
        let mut p = providers(&[("SPIN_VARIABLE_TOKEN", "env")]);
        p.cli.insert("token".into(), "cli".into());
        assert_eq!(
            resolve(&manifest(), &p).unwrap().components["c"]["token"],
            "cli"
        );
        p.cli.insert("undeclared".into(), "x".into());
        assert!(resolve(&manifest(), &p).is_err());
    }

    #[test]
    fn missing_required_variable_is_an_error_naming_it() {
        let e = resolve(&manifest(), &providers(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`token`") && e.contains("SPIN_VARIABLE_TOKEN"),
            "{e}"
        );
    }

    #[test]
    fn template_syntax() {
        assert_eq!(
            template_references("a{{ b }}c{{d}}").unwrap(),
            vec!["b", "d"]
        );
        assert!(template_references("{{ b").is_err());
        assert!(template_references("{{ Bad }}").is_err());
        assert!(validate_name("ok_1").is_ok());
        assert!(validate_name("1bad").is_err());
        assert!(validate_name("Bad").is_err());
        assert!(validate_name("").is_err());
        assert_eq!(
            validate_name("Foo").unwrap_err(),
            "\"Foo\": invalid character 'F'. Variable names may contain only lower-case letters, numbers, and underscores."
        );
        assert_eq!(
            validate_name("abc_").unwrap_err(),
            "\"abc_\": must end with a lowercase ASCII letter or digit"
        );
        assert_eq!(
            validate_name("a__b").unwrap_err(),
            "\"a__b\": must not contain multiple consecutive underscores"
        );
        assert_eq!(
            validate_name("_abc").unwrap_err(),
            "\"_abc\": must start with a lowercase ASCII letter"
        );
    }

    #[test]
    fn the_runtime_config_may_change_the_environment_prefix() {
        let mut p = providers(&[
            ("APP_TOKEN", "from-app"),
            ("SPIN_VARIABLE_TOKEN", "from-spin"),
        ]);
        assert_eq!(p.lookup("token").as_deref(), Some("from-spin"));
        p.prefix = "APP".into();
        assert_eq!(p.lookup("token").as_deref(), Some("from-app"));
    }
}
