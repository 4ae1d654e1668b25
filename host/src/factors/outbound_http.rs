//! Outgoing `wasi:http` requests, allowed only to the hosts a component lists
//! in `allowed_outbound_hosts`, with Spin's syntax:
//! `scheme://host[:port]`, where scheme may be `*`, host may be `*` or
//! `*.example.com` (any subdomain), port may be `*`, a number or a range
//! `8000..8010` (end excluded), and an omitted port means the scheme's default.
//! Entries may use `{{ variable }}` templates over application variables.
//! A denied request fails with `HTTP-request-denied` and a log line; nothing is sent.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use http_body_util::BodyExt;
use wasmtime::component::Linker;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

use super::{Factor, PrepareContext};
use crate::state::InstanceState;

pub struct OutboundHttpFactor;

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq)]
struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    ports: PortPattern,
}

#[derive(Debug, Clone, PartialEq)]
enum HostPattern {
    Any,
    /// `*.example.com`: any subdomain of `example.com`.
    SubdomainsOf(String),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq)]
enum PortPattern {
    Any,
    Range(u16, u16),
    One(u16),
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHost {
    fn parse(entry: &str) -> Result<Self> {
        let Some((scheme, rest)) = entry.split_once("://") else {
            bail!("`{entry}` needs a scheme, like `https://example.com`");
        };
        let authority = match rest.split_once('/') {
            Some((authority, "")) => authority,
            Some(_) => bail!("`{entry}`: paths are not allowed, only scheme://host[:port]"),
            None => rest,
        };
        let scheme = (scheme != "*").then(|| scheme.to_ascii_lowercase());
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
            _ => (authority, None),
        };
        if host.is_empty() {
            bail!("`{entry}` has no host");
        }
        let host = match host {
            "*" => HostPattern::Any,
            "self" | "self.alt" => {
                bail!("`{entry}`: service chaining (`self`) is not supported by this host")
            }
            h => match h.strip_prefix("*.") {
                Some(domain) => HostPattern::SubdomainsOf(domain.to_ascii_lowercase()),
                None => HostPattern::Exact(h.to_ascii_lowercase()),
            },
        };
        let ports = match port {
            Some("*") => PortPattern::Any,
            Some(p) => match p.split_once("..") {
                Some((a, b)) => PortPattern::Range(
                    a.parse()
                        .with_context(|| format!("`{entry}`: bad port range"))?,
                    b.parse()
                        .with_context(|| format!("`{entry}`: bad port range"))?,
                ),
                None => {
                    PortPattern::One(p.parse().with_context(|| format!("`{entry}`: bad port"))?)
                }
            },
            None => match scheme.as_deref().and_then(default_port) {
                Some(p) => PortPattern::One(p),
                None => bail!("`{entry}`: give a port; the scheme has no default one"),
            },
        };
        Ok(AllowedHost {
            scheme,
            host,
            ports,
        })
    }

    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::SubdomainsOf(d) => host
                .strip_suffix(d.as_str())
                .is_some_and(|prefix| prefix.ends_with('.') && prefix.len() > 1),
        };
        let port_ok = match self.ports {
            PortPattern::Any => true,
            PortPattern::One(p) => p == port,
            PortPattern::Range(a, b) => (a..b).contains(&port),
        };
        scheme_ok && host_ok && port_ok
    }
}

/// A component's outbound policy.
pub struct OutboundPolicy {
    component: Arc<str>,
    allowed: Vec<AllowedHost>,
}

impl OutboundPolicy {
    fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        let Some(host) = uri.host() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let Some(port) = uri.port_u16().or_else(|| default_port(&scheme)) else {
            return false;
        };
        self.allowed.iter().any(|a| a.allows(&scheme, &host, port))
    }
}

impl Factor for OutboundHttpFactor {
    type ComponentState = Arc<OutboundPolicy>;
    type InstanceState = OutboundHttpInstance;

    /// `wasi:http/outgoing-handler` is linked with the rest of `wasi:http`
    /// (see `crate::engine`); this factor only supplies the policy hook.
    fn add_to_linker(_linker: &mut Linker<InstanceState>) -> Result<()> {
        Ok(())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Self::ComponentState> {
        let mut allowed = Vec::new();
        for entry in &ctx.component.allowed_outbound_hosts {
            let key = format!("component.{}.allowed_outbound_hosts", ctx.id);
            let expanded = ctx
                .variables
                .expand(entry)
                .with_context(|| format!("`{key}`"))?;
            // An entry over a variable without a value allows nothing.
            if let Some(expanded) = expanded {
                allowed.push(AllowedHost::parse(&expanded).with_context(|| format!("`{key}`"))?);
            }
        }
        Ok(Arc::new(OutboundPolicy {
            component: ctx.id.into(),
            allowed,
        }))
    }

    fn instance(&self, component: &Self::ComponentState) -> OutboundHttpInstance {
        OutboundHttpInstance {
            policy: component.clone(),
        }
    }
}

/// The `wasi:http` hooks of one instance.
pub struct OutboundHttpInstance {
    policy: Arc<OutboundPolicy>,
}

type IoFuture = Box<dyn std::future::Future<Output = wasmtime_wasi_http::Result<()>> + Send>;

impl WasiHttpHooks for OutboundHttpInstance {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<
        dyn std::future::Future<
                Output = wasmtime_wasi_http::Result<(http::Response<WasiBody>, IoFuture)>,
            > + Send,
    > {
        if !self.policy.allows(request.uri()) {
            eprintln!(
                "[spin-local] component `{}`: outbound request to {}://{} denied: not in allowed_outbound_hosts",
                self.policy.component,
                request.uri().scheme_str().unwrap_or("https"),
                request.uri().authority().map(|a| a.as_str()).unwrap_or(""),
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as IoFuture,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        OutboundPolicy {
            component: "t".into(),
            allowed: entries
                .iter()
                .map(|e| AllowedHost::parse(e).unwrap())
                .collect(),
        }
    }

    fn allows(p: &OutboundPolicy, url: &str) -> bool {
        p.allows(&url.parse().unwrap())
    }

    #[test]
    fn nothing_listed_allows_nothing() {
        assert!(!allows(&policy(&[]), "https://example.com/"));
    }

    #[test]
    fn exact_hosts_use_the_default_port() {
        let p = policy(&["https://api.example.com", "http://127.0.0.1:8080"]);
        assert!(allows(&p, "https://api.example.com/x"));
        assert!(allows(&p, "https://API.example.com:443/x"));
        assert!(!allows(&p, "http://api.example.com/x"));
        assert!(!allows(&p, "https://api.example.com:8443/x"));
        assert!(allows(&p, "http://127.0.0.1:8080/hook"));
        assert!(!allows(&p, "http://127.0.0.1:8081/hook"));
    }

    #[test]
    fn wildcards_and_ranges() {
        let p = policy(&["*://*.example.com:*", "http://localhost:8000..8010"]);
        assert!(allows(&p, "https://a.example.com/"));
        assert!(allows(&p, "http://b.c.example.com:99/"));
        assert!(!allows(&p, "https://example.com/"));
        assert!(!allows(&p, "https://badexample.com/"));
        assert!(allows(&p, "http://localhost:8009/"));
        assert!(!allows(&p, "http://localhost:8010/"));
        assert!(allows(&policy(&["*://*:*"]), "http://10.1.2.3:1/"));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "example.com",
            "https://example.com/path",
            "*://example.com",
            "http://h:x",
            "https://",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
    }
}
