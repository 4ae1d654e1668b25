//! HTTP route matching with Spin's rules (spinframework/spin `crates/routes`),
//! on the same `routefinder` crate Spin uses:
//! - `/a/b` matches exactly; `/a/...` (or `/a/*`) matches `/a` and everything under it;
//! - `:name` segments capture a value (`spin-path-match-name`);
//! - exact routes beat wildcards, and among wildcards the longest prefix wins;
//! - `{ private = true }` components are never routed;
//! - a route declared twice: the last declaration wins and start-up warns.

use std::collections::HashMap;

use anyhow::{anyhow, Result};

/// The routing table of an application.
pub struct Router {
    inner: routefinder::Router<Handler>,
}

struct Handler {
    component: String,
    /// The route as written, e.g. `/api/...`.
    raw_route: String,
    /// Whether the route ends in a trailing wildcard.
    wildcard: bool,
}

/// What a request path matched.
#[derive(Debug, PartialEq)]
pub struct RouteMatch<'r> {
    pub component: &'r str,
    /// `spin-matched-route` and `spin-raw-component-route`: the route as written.
    pub raw_route: &'r str,
    /// `spin-component-route`: the route without its trailing wildcard.
    pub component_route: &'r str,
    /// `spin-path-info`: the part of the path under a wildcard route.
    pub path_info: String,
    /// `:name` captures.
    pub named: HashMap<String, String>,
}

impl Router {
    /// Builds the table from `(route, component)` pairs in manifest order.
    /// Returns the router and the routes declared more than once.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(Self, Vec<String>)> {
        let mut by_route: Vec<(String, &str)> = Vec::new();
        let mut duplicates = Vec::new();
        for (route, component) in routes {
            let route = normalize(route);
            if let Some(existing) = by_route.iter_mut().find(|(r, _)| *r == route) {
                duplicates.push(format!(
                    "route `{route}`: component `{component}` replaces `{}`",
                    existing.1
                ));
                existing.1 = component;
            } else {
                by_route.push((route, component));
            }
        }
        let mut inner = routefinder::Router::new();
        for (route, component) in by_route {
            let (spec, wildcard) = match route.strip_suffix("/...") {
                Some(prefix) => (format!("{prefix}/*"), true),
                None => (route.clone(), route.ends_with("/*")),
            };
            let handler = Handler {
                component: component.to_string(),
                raw_route: route.clone(),
                wildcard,
            };
            inner
                .add(spec.as_str(), handler)
                .map_err(|e| anyhow!("route `{route}` of component `{component}`: {e}"))?;
        }
        Ok((Router { inner }, duplicates))
    }

    /// The best match for a request path, or `None` (404).
    pub fn route<'r>(&'r self, path: &str) -> Option<RouteMatch<'r>> {
        let m = self.inner.best_match(path)?;
        let handler = m.handler();
        let captures = m.captures();
        let path_info = match captures.wildcard() {
            // Spin keeps a trailing slash that routefinder drops.
            Some(rest) if handler.wildcard => match (rest.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{rest}"),
                (false, true) => format!("/{rest}/"),
            },
            _ => String::new(),
        };
        let named = captures
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let raw_route = handler.raw_route.as_str();
        let component_route = raw_route
            .strip_suffix("/...")
            .or_else(|| raw_route.strip_suffix("/*"))
            .unwrap_or(raw_route);
        Some(RouteMatch {
            component: &handler.component,
            raw_route,
            component_route,
            path_info,
            named,
        })
    }
}

/// Spin's sanitising: make absolute, drop one trailing slash (`/` becomes ``).
fn normalize(route: &str) -> String {
    let absolute = if route.starts_with('/') {
        route.to_string()
    } else {
        format!("/{route}")
    };
    match absolute.strip_suffix('/') {
        Some(stripped) => stripped.to_string(),
        None => absolute,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().copied()).unwrap().0
    }

    fn component(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component.to_string())
    }

    #[test]
    fn exact_beats_wildcard_and_longest_prefix_wins() {
        let r = router(&[
            ("/...", "root"),
            ("/api/...", "api"),
            ("/api/v1/...", "v1"),
            ("/api/v1/health", "health"),
        ]);
        assert_eq!(component(&r, "/api/v1/health").as_deref(), Some("health"));
        assert_eq!(component(&r, "/api/v1/health/x").as_deref(), Some("v1"));
        assert_eq!(component(&r, "/api/v1").as_deref(), Some("v1"));
        assert_eq!(component(&r, "/api/v2/x").as_deref(), Some("api"));
        assert_eq!(component(&r, "/other").as_deref(), Some("root"));
        assert_eq!(component(&r, "/").as_deref(), Some("root"));
    }

    #[test]
    fn no_match_is_none() {
        let r = router(&[("/api/v1/health", "health"), ("/a/...", "a")]);
        assert_eq!(component(&r, "/api/v1/healthz"), None);
        assert_eq!(component(&r, "/ab"), None);
        assert_eq!(component(&r, "/"), None);
    }

    #[test]
    fn path_info_and_component_route_follow_spin() {
        let r = router(&[("/foo/...", "foo")]);
        let m = r.route("/foo/bar").unwrap();
        assert_eq!(m.path_info, "/bar");
        assert_eq!(m.raw_route, "/foo/...");
        assert_eq!(m.component_route, "/foo");
        assert_eq!(r.route("/foo").unwrap().path_info, "");
        assert_eq!(r.route("/foo/").unwrap().path_info, "/");
        assert_eq!(r.route("/foo/bar/").unwrap().path_info, "/bar/");
        let exact = router(&[("/exact", "e")]);
        assert_eq!(exact.route("/exact").unwrap().path_info, "");
    }

    #[test]
    fn named_segments_are_captured() {
        let r = router(&[("/customers/:id/...", "c"), ("/customers/:id", "one")]);
        let m = r.route("/customers/42").unwrap();
        assert_eq!(m.component, "one");
        assert_eq!(m.named["id"], "42");
        let m = r.route("/customers/42/cards").unwrap();
        assert_eq!(m.component, "c");
        assert_eq!(m.path_info, "/cards");
        assert_eq!(m.component_route, "/customers/:id");
    }

    #[test]
    fn duplicates_are_reported_and_the_last_wins() {
        let (r, dups) = Router::build([("/a", "first"), ("/a/", "second")]).unwrap();
        assert_eq!(component(&r, "/a").as_deref(), Some("second"));
        assert_eq!(dups.len(), 1);
    }
}
