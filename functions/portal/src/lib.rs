//! The `portal` component: the member portal and the application form, and
//! the operations dashboard (`dashboard.html`, docs/reports.md), as
//! static files compiled into the component (`portal/` at the repository
//! root), served under `/portal/`. The pages hold no API key: the member
//! pages call the public application and session operations, then the
//! member's own (`/api/v1/me…`) with the member token; the dashboard calls
//! the report operations with the key its operator types (kept in the tab
//! only), all on the same origin.
//! (No `forbid(unsafe_code)` here: spin-sdk's export macro emits the
//! component's `unsafe` ABI glue; this crate's own code has none.)

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;

/// Every file served: its name under `/portal/`, media type and content.
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../../portal/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../portal/app.js"),
    ),
    (
        "dashboard.html",
        "text/html; charset=utf-8",
        include_str!("../../../portal/dashboard.html"),
    ),
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../portal/dashboard.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../portal/style.css"),
    ),
];

/// Scripts and styles only from the app itself; the API on the same origin.
const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The file a path names: `/portal/` is the index page.
fn file(path: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    let name = match path.strip_prefix("/portal/")? {
        "" => "index.html",
        other => other,
    };
    FILES.iter().find(|(n, _, _)| *n == name)
}

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return Response::builder()
            .status(405)
            .header("allow", "GET, HEAD")
            .build();
    }
    if req.path() == "/portal" {
        return Response::builder()
            .status(308)
            .header("location", "/portal/")
            .build();
    }
    match file(req.path()) {
        Some((_, media_type, content)) => Response::builder()
            .status(200)
            .header("content-type", *media_type)
            .header("cache-control", "no-cache")
            .header("content-security-policy", CSP)
            .header("x-content-type-options", "nosniff")
            .header("referrer-policy", "no-referrer")
            .body(if *req.method() == Method::Head {
                ""
            } else {
                content
            })
            .build(),
        None => Response::builder()
            .status(404)
            .header("content-type", "text/plain; charset=utf-8")
            .body("not found")
            .build(),
    }
}

#[cfg(test)]
mod tests {
    use super::file;

    #[test]
    fn paths_name_files() {
        assert_eq!(file("/portal/").map(|f| f.0), Some("index.html"));
        assert_eq!(file("/portal/app.js").map(|f| f.0), Some("app.js"));
        assert!(file("/portal/../spin.toml").is_none());
        assert!(file("/portal/secret").is_none());
        assert!(file("/other").is_none());
    }
}
