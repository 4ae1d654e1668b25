//! The HTTP trigger: routes each request to a component, adds Spin's `spin-*`
//! headers, runs a fresh instance, and logs one line per request.
//!
//! Client-sent `spin-*` headers are removed before routing, so a caller can
//! never forge `spin-client-addr` or `spin-path-info` (real Spin passes them
//! through). A trap, a host-call failure or a guest that never answers becomes
//! a 500 for that request only; an exhausted instance pool becomes a 503.
//!
//! The whole body is read, within the size limit and the body timeout,
//! *before* an instance is taken from the pool: a client that sends headers
//! and then nothing holds a connection, never an instance, so idle or slow
//! clients cannot starve the pool. Headers must arrive within the header
//! timeout and fit the header limit (hyper answers 431 otherwise).
//!
//! Where a guest or client can tell, it answers as Spin does: an unrouted
//! path or a trapping guest gets an empty 404 or 500 with no content type;
//! a routed request without a `Host` header is not answered (the connection
//! closes). The host's own limits, which Spin does not have (408, 413, 431,
//! 503), answer RFC 9457 problem documents like the API's.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::app::App;
use crate::log::RequestLog;
use crate::routes::{RouteMatch, Router};

/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What the HTTP server accepts from a client before any guest runs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Larger bodies get 413, declared (`Content-Length`) or sent (chunked):
    /// the guest would otherwise read the whole body into its memory and trap.
    pub max_request_bytes: u64,
    /// The request line and headers together; larger heads get 431.
    pub max_header_bytes: usize,
    /// Time from the first byte of a request to the end of its headers.
    pub header_timeout: Duration,
    /// Time from the end of the headers to the end of the body; a slower
    /// client gets 408 and never holds an instance.
    pub body_timeout: Duration,
}

pub struct HttpTrigger {
    app: Arc<App>,
    router: Router,
    limits: Limits,
    handlers: std::collections::HashMap<String, ProxyPre<crate::state::InstanceState>>,
}

/// Why a request body could not be read.
enum BodyError {
    TooLarge,
    TimedOut,
    /// The client closed the connection or broke the framing mid-body.
    Aborted(String),
}

impl BodyError {
    /// The answer, and the status the log records: the same, except for a
    /// client that went away, whom nobody answers (499, not a server fault).
    fn answer(&self, limits: &Limits) -> (Response<HyperOutgoingBody>, StatusCode) {
        match self {
            BodyError::TooLarge => (
                problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    &format!("the body is larger than {} bytes", limits.max_request_bytes),
                ),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            BodyError::TimedOut => (
                problem(
                    StatusCode::REQUEST_TIMEOUT,
                    "request-timeout",
                    &format!(
                        "the body did not arrive within {} s",
                        limits.body_timeout.as_secs()
                    ),
                ),
                StatusCode::REQUEST_TIMEOUT,
            ),
            BodyError::Aborted(_) => (
                problem(
                    StatusCode::BAD_REQUEST,
                    "incomplete-body",
                    "the body ended before its declared length",
                ),
                CLIENT_CLOSED,
            ),
        }
    }
}

impl HttpTrigger {
    pub fn new(app: Arc<App>, limits: Limits) -> Result<Self> {
        let routes: Vec<(&str, &str)> = app
            .manifest
            .http_triggers
            .iter()
            .filter_map(|t| t.route.as_deref().map(|r| (r, t.component.as_str())))
            .collect();
        let (router, duplicates) = Router::build(routes)?;
        if !duplicates.is_empty() {
            eprintln!("[spin-local] The following component routes are duplicates and will never be used:");
            for d in duplicates {
                eprintln!("  {d}");
            }
        }
        let mut handlers = std::collections::HashMap::new();
        for t in &app.manifest.http_triggers {
            // One InstancePre per component, however many routes lead to it.
            let Some(c) = app.components.get(&t.component) else {
                continue;
            };
            if handlers.contains_key(&c.id) {
                continue;
            }
            let pre = app
                .linker
                .instantiate_pre(&c.component)
                .and_then(ProxyPre::new)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!(
                        "component `{}` cannot serve HTTP here (it must export wasi:http/incoming-handler \
                         and import only what this host provides)",
                        c.id
                    )
                })?;
            handlers.insert(c.id.clone(), pre);
        }
        Ok(HttpTrigger {
            app,
            router,
            limits,
            handlers,
        })
    }

    /// The URLs a person can try, for the start-up banner.
    pub fn describe_routes(&self, base: &str) -> Vec<String> {
        self.app
            .manifest
            .http_triggers
            .iter()
            .filter_map(|t| {
                t.route
                    .as_deref()
                    .map(|r| format!("  {}: {base}{r}", t.component))
            })
            .collect()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, client) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            eprintln!("[spin-local] accept failed: {e}");
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let this = self.clone();
                    let service = hyper::service::service_fn(move |req| {
                        let this = this.clone();
                        async move { this.handle(req, client).await }
                    });
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .timer(TokioTimer::new())
                        .header_read_timeout(self.limits.header_timeout)
                        .max_buf_size(self.limits.max_header_bytes)
                        .serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            if !e.is_incomplete_message() {
                                eprintln!("[spin-local] connection from {client}: {e}");
                            }
                        }
                    });
                }
                _ = &mut shutdown => break,
            }
        }
        drop(listener);
        eprintln!("[spin-local] shutting down: finishing in-flight requests");
        if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
            .await
            .is_err()
        {
            eprintln!("[spin-local] gave up waiting for requests after {DRAIN_TIMEOUT:?}");
        }
        Ok(())
    }

    /// The answer to one request; `NoHost` closes the connection unanswered.
    async fn handle(
        &self,
        mut req: Request<Incoming>,
        client: SocketAddr,
    ) -> Result<Response<HyperOutgoingBody>, NoHost> {
        let started = Instant::now();
        strip_spin_headers(&mut req);
        let mut log = RequestLog::new(req.method().as_str(), req.uri().path());
        if let Some(name) = req.uri().path().strip_prefix("/.well-known/spin/") {
            let response = self.well_known(name);
            log.finish(None, response.status(), started, None);
            return Ok(response);
        }
        let Some(route) = self.router.route(req.uri().path()) else {
            // Spin's 404: no body, no content type.
            let response = empty(StatusCode::NOT_FOUND);
            log.finish(None, response.status(), started, None);
            return Ok(response);
        };
        log.component(route.component);
        if req.headers().get(http::header::HOST).is_none() && req.uri().authority().is_none() {
            // Spin answers nothing: the connection is closed.
            eprintln!(
                "[spin-local] {client}: {NoHost}; connection closed unanswered, as Spin does"
            );
            return Err(NoHost);
        }
        let req = match self.read_body(req).await {
            Ok(req) => req,
            Err(e) => {
                let (response, logged) = e.answer(&self.limits);
                if let BodyError::Aborted(why) = e {
                    log.error(why);
                }
                log.finish(Some(route.raw_route), logged, started, None);
                return Ok(response);
            }
        };
        let instantiate_ns = Arc::new(AtomicU64::new(0));
        let response = match self
            .invoke(req, &route, client, instantiate_ns.clone())
            .await
        {
            Ok(response) => response,
            Err(e) => {
                log.error(crate::log::one_line(&e));
                if e.chain()
                    .any(|c| c.is::<wasmtime::PoolConcurrencyLimitError>())
                {
                    let mut r = problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "service-unavailable",
                        "every instance is busy; retry shortly",
                    );
                    r.headers_mut()
                        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
                    r
                } else {
                    // Spin's 500 for a trap or a guest without an answer: no
                    // body, no content type.
                    empty(StatusCode::INTERNAL_SERVER_ERROR)
                }
            }
        };
        let inst = instantiate_ns.load(Ordering::Acquire);
        log.finish(
            Some(route.raw_route),
            response.status(),
            started,
            (inst > 0).then_some(inst),
        );
        Ok(response)
    }

    /// Spin's own paths, answered before routing: `health` (`OK`), `info`
    /// (the application's name and version), anything else an empty 404.
    fn well_known(&self, name: &str) -> Response<HyperOutgoingBody> {
        let application = &self.app.manifest.application;
        let (body, content_type) = match name {
            "health" => ("OK".to_string(), None),
            "info" => {
                let mut info = format!("{{\n  \"name\": {:?}", application.name);
                if let Some(version) = &application.version {
                    info.push_str(&format!(",\n  \"version\": {version:?}"));
                }
                info.push_str("\n}");
                (info, Some("application/json"))
            }
            _ => return empty(StatusCode::NOT_FOUND),
        };
        respond(StatusCode::OK, content_type, body)
    }

    /// The request with its whole body in memory, read within the size limit
    /// and the body timeout (see the module doc: before any instance is taken).
    async fn read_body(&self, req: Request<Incoming>) -> Result<Request<Full<Bytes>>, BodyError> {
        let limit = self.limits.max_request_bytes;
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(BodyError::TooLarge);
        }
        let (parts, body) = req.into_parts();
        let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
        let collected = tokio::time::timeout(self.limits.body_timeout, limited.collect())
            .await
            .map_err(|_| BodyError::TimedOut)?
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    BodyError::TooLarge
                } else {
                    BodyError::Aborted(e.to_string())
                }
            })?;
        Ok(Request::from_parts(parts, Full::new(collected.to_bytes())))
    }

    async fn invoke(
        &self,
        req: Request<Full<Bytes>>,
        route: &RouteMatch<'_>,
        client: SocketAddr,
        instantiate_ns: Arc<AtomicU64>,
    ) -> Result<Response<HyperOutgoingBody>> {
        let component = self
            .app
            .components
            .get(route.component)
            .context("routed component is not loaded")?;
        let pre = self
            .handlers
            .get(route.component)
            .context("routed component has no HTTP handler")?
            .clone();
        let mut req = req.map(|body| body.map_err(|never| -> ErrorCode { match never {} }));
        add_spin_headers(&mut req, route, client)?;
        let mut store = self.app.new_store(component)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let task = tokio::spawn(async move {
            let t = Instant::now();
            let proxy = pre.instantiate_async(&mut store).await?;
            instantiate_ns.store(t.elapsed().as_nanos().max(1) as u64, Ordering::Release);
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, request, out)
                .await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(anyhow::anyhow!("guest answered with an error: {code:?}")),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(anyhow::anyhow!("guest returned without setting a response")),
                Ok(Err(e)) => Err(anyhow::Error::from(e).context("guest failed")),
                Err(e) => Err(anyhow::anyhow!("guest task failed: {e}")),
            },
        }
    }
}

/// A routed request without a `Host` header (and no authority in its URI):
/// Spin refuses it by closing the connection without an answer.
#[derive(Debug)]
struct NoHost;

impl std::fmt::Display for NoHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no 'Host' header present in request")
    }
}

impl std::error::Error for NoHost {}

/// An answer with no body and no content type, as Spin gives for 404 and 500.
fn empty(status: StatusCode) -> Response<HyperOutgoingBody> {
    respond(status, None, Bytes::new())
}

/// One of the host's own answers: `status`, `body`, and its content type.
fn respond(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: impl Into<Bytes>,
) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(
        Full::new(body.into())
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
    }
    response
}

/// What the log records for a client that went away mid-request (nginx's 499).
const CLIENT_CLOSED: StatusCode = match StatusCode::from_u16(499) {
    Ok(s) => s,
    Err(_) => StatusCode::BAD_REQUEST,
};

/// The host's own error answer, an RFC 9457 problem document with the same
/// `type` base as the API's.
fn problem(status: StatusCode, slug: &str, detail: &str) -> Response<HyperOutgoingBody> {
    let body = format!(
        r#"{{"type":"https://vip-ops.dev/problems/{slug}","title":{title:?},"status":{code},"detail":{detail:?}}}"#,
        title = status.canonical_reason().unwrap_or("Error"),
        code = status.as_u16(),
    );
    respond(status, Some("application/problem+json"), body)
}

fn strip_spin_headers<B>(req: &mut Request<B>) {
    let forged: Vec<HeaderName> = req
        .headers()
        .keys()
        .filter(|name| name.as_str().starts_with("spin-"))
        .cloned()
        .collect();
    for name in forged {
        req.headers_mut().remove(name);
    }
}

/// Spin's request headers (spinframework/spin `trigger-http/src/headers.rs`).
fn add_spin_headers<B>(
    req: &mut Request<B>,
    route: &RouteMatch<'_>,
    client: SocketAddr,
) -> Result<()> {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let scheme = req.uri().scheme_str().unwrap_or("http").to_string();
    let mut set = |name: &str, value: &str| -> Result<()> {
        req.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(value)?,
        );
        Ok(())
    };
    set("spin-path-info", &route.path_info)?;
    set(
        "spin-full-url",
        &format!("{scheme}://{host}{path_and_query}"),
    )?;
    set("spin-matched-route", route.based_route)?;
    set("spin-base-path", "/")?;
    set("spin-raw-component-route", route.raw_route)?;
    set("spin-component-route", route.component_route)?;
    set("spin-client-addr", &client.to_string())?;
    for (name, value) in &route.named {
        set(
            &format!(
                "spin-path-match-{}",
                name.replace('_', "-").to_ascii_lowercase()
            ),
            value,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_headers_follow_spin_and_forged_ones_are_dropped() {
        let (router, _) = Router::build([("/foo/:id/...", "c")]).unwrap();
        let route = router.route("/foo/42/bar").unwrap();
        let mut req = Request::builder()
            .uri("/foo/42/bar?x=1")
            .header("host", "example.test:3000")
            .header("spin-client-addr", "6.6.6.6:1")
            .header("spin-path-match-role", "admin")
            .body(())
            .unwrap();
        strip_spin_headers(&mut req);
        assert!(req.headers().get("spin-client-addr").is_none());
        assert!(req.headers().get("spin-path-match-role").is_none());
        add_spin_headers(&mut req, &route, "127.0.0.1:5000".parse().unwrap()).unwrap();
        let h = |n: &str| req.headers().get(n).unwrap().to_str().unwrap().to_string();
        assert_eq!(
            h("spin-full-url"),
            "http://example.test:3000/foo/42/bar?x=1"
        );
        assert_eq!(h("spin-path-info"), "/bar");
        assert_eq!(h("spin-matched-route"), "/foo/:id/...");
        assert_eq!(h("spin-component-route"), "/foo/:id");
        assert_eq!(h("spin-raw-component-route"), "/foo/:id/...");
        assert_eq!(h("spin-base-path"), "/");
        assert_eq!(h("spin-client-addr"), "127.0.0.1:5000");
        assert_eq!(h("spin-path-match-id"), "42");
    }
}
