//! CORS for the member pages: a browser page on an allowed origin may call
//! the operations a browser uses — the public ones and the member's own
//! (`Access::Public`, `Access::Member`); the page holds no API key. Allowed
//! origins are the variable `cors_origins` (comma-separated, exact
//! `scheme://host[:port]`), none by default. For any other origin, or any
//! other operation, no CORS header is sent and the browser blocks the call.

use spin_sdk::http::{Request, Response};

use crate::api::{Access, Operation};

/// Request headers a page may send.
const ALLOWED_HEADERS: &str = "authorization, content-type, idempotency-key, x-member-token";
/// Response headers a page may read.
const EXPOSED_HEADERS: &str = "retry-after, etag, location";
/// How long a browser may keep a preflight's answer.
const MAX_AGE_SECONDS: &str = "600";

/// Whether `origin` is listed in `spec` (the variable's value).
pub fn listed(spec: &str, origin: &str) -> bool {
    spec.split(',')
        .map(str::trim)
        .any(|allowed| !allowed.is_empty() && allowed.eq_ignore_ascii_case(origin))
}

/// The request's `Origin`, if the variable allows it.
fn allowed_origin(req: &Request) -> Option<String> {
    let origin = req.header("origin")?.as_str()?;
    let spec = spin_sdk::variables::get("cors_origins").unwrap_or_default();
    listed(&spec, origin).then(|| origin.to_string())
}

fn browser_uses(op: &Operation) -> bool {
    matches!(op.access, Access::Public | Access::Member)
}

/// The answer to `OPTIONS` on a path whose operations are `ops`: 204 with
/// `Allow`, and the CORS grant for an allowed origin when a browser may use
/// one of them.
pub fn preflight(req: &Request, ops: &[&Operation]) -> Response {
    let mut methods: Vec<&str> = ops.iter().map(|o| o.method).collect();
    methods.sort_unstable();
    methods.dedup();
    let mut builder = Response::builder();
    builder.status(204).header("allow", methods.join(", "));
    let browser: Vec<&str> = ops
        .iter()
        .filter(|o| browser_uses(o))
        .map(|o| o.method)
        .collect();
    if let (Some(origin), false) = (allowed_origin(req), browser.is_empty()) {
        builder
            .header("access-control-allow-origin", origin)
            .header("access-control-allow-methods", browser.join(", "))
            .header("access-control-allow-headers", ALLOWED_HEADERS)
            .header("access-control-max-age", MAX_AGE_SECONDS)
            .header("vary", "Origin");
    }
    builder.build()
}

/// `response` with the CORS grant added, when `op` is one a browser uses and
/// the request comes from an allowed origin.
pub fn grant(req: &Request, op: Option<&Operation>, response: Response) -> Response {
    let Some(origin) = op
        .filter(|o| browser_uses(o))
        .and_then(|_| allowed_origin(req))
    else {
        return response;
    };
    let mut builder = Response::builder();
    builder.status(*response.status());
    for (name, value) in response.headers() {
        builder.header(name, value.as_str().unwrap_or_default());
    }
    builder
        .header("access-control-allow-origin", origin)
        .header("access-control-expose-headers", EXPOSED_HEADERS)
        .header("vary", "Origin");
    builder.body(response.into_body()).build()
}

#[cfg(test)]
mod tests {
    use super::listed;

    #[test]
    fn origins_match_exactly() {
        let spec = "https://portal.example.com, http://localhost:8080";
        assert!(listed(spec, "https://portal.example.com"));
        assert!(listed(spec, "http://localhost:8080"));
        assert!(!listed(spec, "https://evil.example.com"));
        assert!(!listed(spec, "https://portal.example.com.evil.test"));
        assert!(!listed("", "https://portal.example.com"));
        assert!(!listed(spec, ""));
    }
}
