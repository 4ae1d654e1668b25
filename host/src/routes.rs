//! HTTP route matching with Spin's rules (spinframework/spin `crates/routes`),
//! on the same `routefinder` crate and version Spin uses:
//! - `/a/b` matches exactly; `/a/...` (or `/a/*`) matches `/a` and everything under it;
//! - `:name` segments capture a value (`spin-path-match-name`); an unnamed
//!   one (`/a/:`) stops start-up, as in Spin;
//! - exact routes beat wildcards, and among wildcards the longest prefix wins;
//! - `{ private = true }` components are never routed;
//! - a route written twice (the same text): the last declaration wins and
//!   start-up warns; routes that differ only in how they are written (`/a`
//!   and `/a/`, `/u/:id` and `/u/:name`) both stay, and the first declared
//!   answers, silently, as routefinder orders them for Spin.

use std::collections::HashMap;

use anyhow::{anyhow, Result};

/// The routing table of an application.
pub struct Router {
    inner: routefinder::Router<Handler>,
}

struct Handler {
    component: String,
    /// The route as written in the manifest, e.g. `api/...` or `/foo/`.
    raw_route: String,
    /// Spin's "based" route: made absolute, one trailing `/` dropped (`/` is ``).
    based_route: String,
    /// Whether the route ends in a trailing wildcard.
    wildcard: bool,
}

/// What a request path matched.
#[derive(Debug, PartialEq)]
pub struct RouteMatch<'r> {
    pub component: &'r str,
    /// `spin-raw-component-route`: the route as written.
    pub raw_route: &'r str,
    /// `spin-matched-route`: the route made absolute, one trailing `/` dropped.
    pub based_route: &'r str,
    /// `spin-component-route`: the route as written, without a trailing `/...`.
    pub component_route: &'r str,
    /// `spin-path-info`: the part of the path under a wildcard route.
    pub path_info: String,
    /// `:name` captures.
    pub named: HashMap<String, String>,
}

impl Router {
    /// Builds the table from `(route, component)` pairs in manifest order.
    /// Returns the router and, in Spin's words, the routes that will never be
    /// used because a later declaration of the same route replaced them.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(Self, Vec<String>)> {
        // Keyed by the route as written; a replaced route keeps its place.
        let mut by_route: Vec<(&str, &str)> = Vec::new();
        let mut duplicates = Vec::new();
        for (route, component) in routes {
            if let Some(existing) = by_route.iter_mut().find(|(r, _)| *r == route) {
                let based = based(route);
                duplicates.push(format!(
                    "{}: {} (duplicate of {component})",
                    existing.1,
                    if based.is_empty() { "/" } else { &based }
                ));
                existing.1 = component;
            } else {
                by_route.push((route, component));
            }
        }
        let mut inner = routefinder::Router::new();
        for (route, component) in by_route {
            let based_route = based(route);
            let (spec, wildcard) = match based_route.strip_suffix("/...") {
                Some(prefix) => (format!("{prefix}/*"), true),
                None => (based_route.clone(), based_route.ends_with("/*")),
            };
            let handler = Handler {
                component: component.to_string(),
                raw_route: route.to_string(),
                based_route: based_route.clone(),
                wildcard,
            };
            inner.add(spec.as_str(), handler).map_err(|e| {
                anyhow!(
                    "Error parsing route {based_route} associated with component {component}: {e}"
                )
            })?;
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
        Some(RouteMatch {
            component: &handler.component,
            raw_route,
            based_route: &handler.based_route,
            component_route: raw_route.strip_suffix("/...").unwrap_or(raw_route),
            path_info,
            named,
        })
    }
}

/// Spin's `sanitize_with_base("/", route)`: make absolute, drop one trailing
/// slash (`/` becomes ``).
fn based(route: &str) -> String {
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
    fn the_same_route_twice_warns_and_the_last_wins() {
        let (r, dups) = Router::build([("/a", "first"), ("/b", "b"), ("/a", "second")]).unwrap();
        assert_eq!(component(&r, "/a").as_deref(), Some("second"));
        assert_eq!(dups, ["first: /a (duplicate of second)"]);
    }

    #[test]
    fn routes_written_differently_keep_the_first_silently() {
        for (first, second, path) in [
            ("/a", "/a/", "/a"),
            ("/a/", "/a", "/a/"),
            ("/u/:id", "/u/:name", "/u/7"),
        ] {
            let (r, dups) = Router::build([(first, "first"), (second, "second")]).unwrap();
            assert_eq!(
                component(&r, path).as_deref(),
                Some("first"),
                "{first} then {second}"
            );
            assert!(dups.is_empty());
        }
    }

    #[test]
    fn an_unnamed_parameter_stops_start_up_in_spins_words() {
        let err = Router::build([("/a/:", "c")]).err().unwrap().to_string();
        assert_eq!(
            err,
            "Error parsing route /a/: associated with component c: params must be named"
        );
    }

    #[test]
    fn spin_header_values_for_unusual_routes() {
        let r = router(&[("/", "root")]);
        let m = r.route("/").unwrap();
        assert_eq!(
            (m.based_route, m.raw_route, m.component_route),
            ("", "/", "/")
        );
        let r = router(&[("/...", "all")]);
        let m = r.route("/").unwrap();
        assert_eq!(
            (
                m.based_route,
                m.raw_route,
                m.component_route,
                m.path_info.as_str()
            ),
            ("/...", "/...", "", "/")
        );
        let r = router(&[("/foo/", "f")]);
        let m = r.route("/foo").unwrap();
        assert_eq!(
            (m.based_route, m.raw_route, m.component_route),
            ("/foo", "/foo/", "/foo/")
        );
        let r = router(&[("foo/bar", "f")]);
        let m = r.route("/foo/bar").unwrap();
        assert_eq!(
            (m.based_route, m.raw_route, m.component_route),
            ("/foo/bar", "foo/bar", "foo/bar")
        );
        let r = router(&[("/foo/*", "f")]);
        assert_eq!(r.route("/foo/x").unwrap().component_route, "/foo/*");
    }
}
