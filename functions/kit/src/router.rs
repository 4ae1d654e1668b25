//! Request dispatch: match the route, authenticate, authorise, apply
//! idempotency, run the handler, and turn every `Problem` into a response.
//! No route runs without declaring who may call it.

use chrono::{DateTime, Datelike, Utc};
use spin_sdk::http::conversions::TryFromIncomingRequest;
use spin_sdk::http::{IncomingRequest, Method, Request, Response};

use crate::api::{Access, Operation, Scope, OPERATIONS};
use crate::auth::{KeyRing, Principal, Role};
use crate::problem::Problem;

pub type Handler = fn(&mut Ctx<'_>) -> Result<Response, Problem>;

/// Who owns what a path parameter names (`("number", "755…")` → the card's
/// customer), from the component's store: how a member-scoped caller is kept
/// to its member's data. `None`: nothing by that name.
pub type Owners = fn(param: &str, value: &str) -> Result<Option<String>, Problem>;

/// A component's handler for one operation of [`OPERATIONS`], keyed `"METHOD /path"`.
pub type Binding = (&'static Operation, Handler);

/// What a handler gets.
pub struct Ctx<'a> {
    pub req: &'a Request,
    pub principal: Option<Principal>,
    /// The member the caller acts for: a member token's holder, or the
    /// member a web form or chat bot named with `X-Member-Token`.
    member: Option<String>,
    /// The request's time, read once.
    pub now: DateTime<Utc>,
    params: Vec<(&'static str, String)>,
    /// Set when a cron event runs the operation (`crate::cron`): the event's
    /// time, which is the job's `as_of`.
    scheduled: Option<DateTime<Utc>>,
}

impl<'a> Ctx<'a> {
    /// The context of an operation a cron event runs at `as_of`, as the scheduler.
    pub fn scheduled(req: &'a Request, as_of: DateTime<Utc>) -> Self {
        Ctx {
            req,
            principal: None,
            member: None,
            now: crate::now(),
            params: Vec::new(),
            scheduled: Some(as_of),
        }
    }

    /// A `{name}` segment of the matched path.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The member the caller acts for, if it acts for one (see [`Scope`]).
    pub fn member(&self) -> Option<&str> {
        self.member.as_deref()
    }

    /// A list's customer filter: `?customer_id=`, or the member a scoped
    /// caller acts for (the router has checked that the two agree).
    pub fn customer_filter(&self) -> Option<String> {
        self.member
            .clone()
            .or_else(|| self.query("customer_id").map(str::to_string))
    }

    /// Whether the caller is the customer's side: a member with their own
    /// token, or a web form or chat bot acting for one.
    pub fn customer_side(&self) -> bool {
        matches!(self.role(), Some(Role::Webform | Role::Chatbot))
            || (self.principal.is_none() && self.member.is_some())
    }

    pub fn role(&self) -> Option<Role> {
        self.principal.as_ref().map(|p| p.role)
    }

    /// The audit actor: the principal, or `anonymous` on public routes.
    pub fn actor(&self) -> String {
        if self.scheduled.is_some() {
            return "scheduler:cron".into();
        }
        if let (None, Some(member)) = (&self.principal, &self.member) {
            return format!("member:{member}");
        }
        self.principal
            .as_ref()
            .map(Principal::actor)
            .unwrap_or_else(|| "anonymous".into())
    }

    /// A query parameter (`?name=value`), undecoded: for plain tokens like `2026-01` or `3`.
    pub fn query(&self, name: &str) -> Option<&str> {
        query_param(self.req, name)
    }

    /// A whole-number query parameter within `min..=max`, if given.
    /// A query parameter, percent-decoded (`%23` is `#`); 400 naming it when
    /// the decoded bytes are not UTF-8.
    pub fn text_query(&self, name: &str) -> Result<Option<String>, Problem> {
        self.query(name)
            .map(|v| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8()
                    .map(|s| s.into_owned())
                    .map_err(|_| Problem::field(name, "is not UTF-8 text"))
            })
            .transpose()
    }

    pub fn int_query(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, Problem> {
        self.query(name)
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        Problem::field(name, format!("must be a whole number from {min} to {max}"))
                    })
            })
            .transpose()
    }

    /// A `true` / `false` query parameter, if given.
    pub fn bool_query(&self, name: &str) -> Result<Option<bool>, Problem> {
        match self.query(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(Problem::field(name, "must be true or false")),
        }
    }

    /// A positive numeric id in the path (`{name}`); anything else names
    /// nothing, so it is a 404 for `what`.
    pub fn id_param(&self, name: &str, what: &str) -> Result<i64, Problem> {
        let raw = self.param(name);
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| Problem::not_found(format!("there is no {what} `{raw}`")))
    }

    /// Why a change is made (`X-Change-Reason`), for the audit event; SQL NULL if absent.
    pub fn change_reason(&self) -> crate::db::Value {
        self.header("x-change-reason")
            .map_or(crate::db::Value::Null, |r| {
                crate::db::Value::Text(r.to_string())
            })
    }

    /// A scheduled job's `?as_of=` (RFC 3339; default: now). A job judges
    /// what has happened, so a time ahead of now (beyond clock skew) is a 422.
    pub fn as_of(&self) -> Result<DateTime<Utc>, Problem> {
        if let Some(at) = self.scheduled {
            return Ok(at);
        }
        let Some(at) = self.time_query("as_of")? else {
            return Ok(self.now);
        };
        if at > self.now + chrono::Duration::seconds(vip_domain::tiers::CLOCK_SKEW_SECONDS) {
            return Err(Problem::unprocessable(
                "as-of-in-future",
                "A scheduled job cannot look ahead",
                format!(
                    "as_of {} is later than now; what it would judge has not happened",
                    crate::db::timestamp_text(at)
                ),
            ));
        }
        Ok(at)
    }

    /// A time query parameter (RFC 3339; `:` and `+` may be percent-encoded).
    pub fn time_query(&self, name: &str) -> Result<Option<DateTime<Utc>>, Problem> {
        let Some(value) = self.query(name) else {
            return Ok(None);
        };
        let decoded = value
            .replace("%3A", ":")
            .replace("%3a", ":")
            .replace("%2B", "+")
            .replace("%2b", "+");
        let at = DateTime::parse_from_rfc3339(&decoded)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Problem::field(name, "must be an RFC 3339 time, like 2026-01-31T00:00:00Z")
            })?;
        // Far enough from both ends that anything computed from it (a
        // deadline years ahead) still has a four-digit year.
        if !(1970..=9000).contains(&at.year()) {
            return Err(Problem::field(
                name,
                "must be a time from year 1970 to 9000",
            ));
        }
        Ok(Some(at))
    }

    /// `If-Match: "7"` (or `7`): the version the caller read, if given.
    pub fn if_match(&self) -> Result<Option<i64>, Problem> {
        self.header("if-match")
            .map(|v| {
                v.trim()
                    .trim_matches('"')
                    .parse::<i64>()
                    .map_err(|_| Problem::field("If-Match", "must be a version, like \"3\""))
            })
            .transpose()
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.header(name).and_then(|h| h.as_str())
    }
}

/// A query parameter of `req`, undecoded.
fn query_param<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.query()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn method_name(m: &Method) -> &str {
    match m {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Patch => "PATCH",
        Method::Options => "OPTIONS",
        Method::Connect => "CONNECT",
        Method::Trace => "TRACE",
        Method::Other(other) => other,
    }
}

/// Matches `/a/{id}/b` against a path; returns the captures, decoded.
fn match_path(template: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = Vec::new();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    // Captures are percent-decoded (`755%2000243%203` is the
                    // card `755 00243 3`); bytes that are not UTF-8 stay encoded
                    // and name nothing.
                    let decoded = percent_encoding::percent_decode_str(ps)
                        .decode_utf8()
                        .map_or_else(|_| ps.to_string(), |d| d.into_owned());
                    params.push((name, decoded));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

fn key(op: &Operation) -> String {
    format!("{} {}", op.method, op.path)
}

/// The operations of `component` that have no handler, and the handlers that
/// match no operation: both must be empty (each component tests this).
pub fn unbound(component: &str, bindings: &[Binding]) -> (Vec<String>, Vec<String>) {
    let ops: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|o| o.component == component)
        .collect();
    let missing = ops
        .iter()
        .filter(|o| find_handler(bindings, o).is_none())
        .map(|o| key(o))
        .collect();
    let extra = bindings
        .iter()
        .filter(|(b, _)| !ops.iter().any(|o| o.is(b)))
        .map(|(b, _)| key(b))
        .collect();
    (missing, extra)
}

/// Panics (in a component's unit test) unless `bindings` and the operations
/// table agree for `component`: no operation without a handler, no stray handler.
pub fn assert_bound(component: &str, bindings: &[Binding]) {
    let (missing, extra) = unbound(component, bindings);
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{component}: operations without a handler {missing:?}, handlers without an operation {extra:?}"
    );
}

/// Serves one request with a component's handlers. Takes the raw incoming
/// request because spin-sdk's `Request` keeps one value per header name: a
/// request with two `Authorization` headers must be refused, not decided by
/// whichever value the conversion kept (a proxy may have checked the other).
pub async fn serve(
    incoming: IncomingRequest,
    component: &str,
    bindings: &[Binding],
    owners: Owners,
) -> Response {
    let authorizations = incoming.headers().get("authorization").len();
    let req = match Request::try_from_incoming_request(incoming).await {
        Ok(req) => req,
        Err(e) => {
            return Problem::new(
                400,
                "incomplete-body",
                "The body could not be read",
                e.to_string(),
            )
            .into_response("")
        }
    };
    let path = req.path().to_string();
    let at_path = operations_at(component, &path);
    if *req.method() == Method::Options {
        let ops: Vec<&Operation> = at_path.iter().map(|(o, _)| *o).collect();
        return if ops.is_empty() {
            Problem::not_found(format!("no operation at {path}")).into_response(&path)
        } else {
            crate::cors::preflight(&req, &ops)
        };
    }
    let method = match method_name(req.method()) {
        // HEAD is GET without the body (RFC 9110 §9.3.2).
        "HEAD" => "GET",
        other => other,
    };
    let op = at_path.iter().map(|(o, _)| *o).find(|o| o.method == method);
    let result = if authorizations > 1 {
        Err(Problem::new(
            400,
            "ambiguous-authorization",
            "More than one Authorization header",
            "send exactly one Authorization header",
        ))
    } else {
        dispatch(&req, method, at_path, bindings, owners)
    };
    let response = match result {
        Ok(response) => response,
        Err(problem) => problem.into_response(&path),
    };
    let response = crate::cors::grant(&req, op, response);
    if *req.method() == Method::Head {
        return without_body(response);
    }
    response
}

/// A `HEAD` answer: the `GET` answer's status and headers, no body.
fn without_body(response: Response) -> Response {
    let mut builder = Response::builder();
    builder.status(*response.status());
    for (name, value) in response.headers() {
        if !name.eq_ignore_ascii_case("content-length") {
            builder.header(name, value.as_str().unwrap_or_default());
        }
    }
    builder.build()
}

/// How many literal segments a template has: where two templates match a
/// path (`/invoices/issue`, `/invoices/{invoice}`), the more literal one names it.
fn literal_segments(template: &str) -> usize {
    template.split('/').filter(|s| !s.starts_with('{')).count()
}

/// The operations of `component` at `path` (where templates overlap, the
/// most literal ones), with the path's captures.
fn operations_at(
    component: &str,
    path: &str,
) -> Vec<(&'static Operation, Vec<(&'static str, String)>)> {
    let matching: Vec<(&'static Operation, Vec<(&'static str, String)>)> = OPERATIONS
        .iter()
        .filter(|o| o.component == component)
        .filter_map(|o| match_path(o.path, path).map(|params| (o, params)))
        .collect();
    let most_literal = matching.iter().map(|(o, _)| literal_segments(o.path)).max();
    matching
        .into_iter()
        .filter(|(o, _)| Some(literal_segments(o.path)) == most_literal)
        .collect()
}

/// Runs the operation of `at_path` (the component's operations at the
/// request's path) for `method`, or answers 404 or 405.
fn dispatch(
    req: &Request,
    method: &str,
    at_path: Vec<(&'static Operation, Vec<(&'static str, String)>)>,
    bindings: &[Binding],
    owners: Owners,
) -> Result<Response, Problem> {
    let path = req.path();
    let mut allowed = Vec::new();
    let mut found = None;
    for (op, params) in at_path {
        if op.method == method && found.is_none() {
            found = Some((op, params));
        } else if !allowed.contains(&op.method) {
            allowed.push(op.method);
        }
    }
    let Some((op, mut params)) = found else {
        return Err(if allowed.is_empty() {
            Problem::not_found(format!("no operation at {path}"))
        } else {
            Problem::method_not_allowed(&allowed)
        });
    };
    let handler = find_handler(bindings, op).ok_or_else(|| {
        Problem::new(
            501,
            "not-implemented",
            "Not implemented",
            format!("{method} {}", op.path),
        )
    })?;
    let now = crate::now();
    let authorization = req.header("authorization").and_then(|h| h.as_str());
    let mut member = None;
    let principal = match op.access {
        Access::Public | Access::Signed => None,
        Access::Member => {
            let customer = crate::member::verify(crate::auth::bearer(authorization)?, now)?;
            check_scope(req, op.scope, &params, &customer, owners)?;
            params.push(("id", customer.clone()));
            member = Some(customer);
            None
        }
        Access::Roles(roles) => {
            let principal = KeyRing::from_variables()?.authenticate(authorization)?;
            if !roles.contains(&principal.role) {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                return Err(Problem::forbidden(format!(
                    "role `{}` may not {method} {}; allowed: {}",
                    principal.role.as_str(),
                    op.path,
                    names.join(", ")
                )));
            }
            if matches!(principal.role, Role::Webform | Role::Chatbot) {
                member = scoped_member(req, op.scope, &params, now, owners)?;
            }
            Some(principal)
        }
    };
    let rewritten = match (op.access, op.scope, &member) {
        (Access::Member, Scope::Body, Some(m)) => with_member_in_body(req, m),
        _ => None,
    };
    let req = rewritten.as_ref().unwrap_or(req);
    let mut ctx = Ctx {
        req,
        principal,
        member,
        now,
        params,
        scheduled: None,
    };
    if op.idempotent {
        if let Some(key) = crate::idempotency::key_of(req)? {
            return crate::idempotency::run(&mut ctx, op, handler, &key);
        }
    }
    handler(&mut ctx)
}

/// For a web form or chat bot: the member its `X-Member-Token` stands for,
/// if the operation is about one member, after checking that what the
/// request names belongs to that member ([`check_scope`]).
fn scoped_member(
    req: &Request,
    scope: Scope,
    params: &[(&'static str, String)],
    now: DateTime<Utc>,
    owners: Owners,
) -> Result<Option<String>, Problem> {
    let needed = match scope {
        Scope::Open => false,
        Scope::Body => body_customer(req).is_some(),
        Scope::List | Scope::Path(_) => true,
    };
    if !needed {
        return Ok(None);
    }
    let token = req
        .header("x-member-token")
        .and_then(|h| h.as_str())
        .ok_or_else(|| {
            Problem::new(
                401,
                "member-token-required",
                "This operation acts for one member",
                "send the member's token in `X-Member-Token` (POST /api/v1/sessions gives one)",
            )
        })?;
    let member = crate::member::verify(token, now)?;
    check_scope(req, scope, params, &member, owners)?;
    Ok(Some(member))
}

/// Whether what the request names under `scope` belongs to `member`.
/// Something of another member and something that does not exist get the
/// same 404, so neither is confirmed.
fn check_scope(
    req: &Request,
    scope: Scope,
    params: &[(&'static str, String)],
    member: &str,
    owners: Owners,
) -> Result<(), Problem> {
    let mismatch = match scope {
        Scope::Path(param) => {
            let value = params
                .iter()
                .find(|(n, _)| *n == param)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            (owners(param, value)?.as_deref() != Some(member)).then_some(match param {
                "id" => "customer",
                "number" => "card",
                other => other,
            })
        }
        Scope::Body => body_customer(req)
            .is_some_and(|c| c != member)
            .then_some("customer"),
        Scope::List => query_param(req, "customer_id")
            .is_some_and(|c| c != member)
            .then_some("customer"),
        Scope::Open => None,
    };
    match mismatch {
        Some(what) => Err(Problem::not_found(format!(
            "there is no {what} for this member"
        ))),
        None => Ok(()),
    }
}

/// The `customer_id` a JSON body names, if it is an object naming one.
fn body_customer(req: &Request) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(req.body())
        .ok()?
        .get("customer_id")?
        .as_str()
        .map(str::to_string)
}

/// A member's own operation whose body names a customer (`Scope::Body`):
/// the request with `customer_id` set to the member, as `{id}` is set in
/// the path. A body that is not a JSON object is left for the handler to refuse.
fn with_member_in_body(req: &Request, member: &str) -> Option<Request> {
    let serde_json::Value::Object(mut body) = serde_json::from_slice(req.body()).ok()? else {
        return None;
    };
    body.insert("customer_id".into(), member.into());
    let mut builder = Request::builder();
    builder.method(req.method().clone()).uri(req.uri());
    for (name, value) in req.headers() {
        if !name.eq_ignore_ascii_case("content-length") {
            builder.header(name, value.as_str().unwrap_or_default());
        }
    }
    Some(builder.body(serde_json::to_vec(&body).ok()?).build())
}

/// The handler `bindings` has for `operation`.
pub fn find_handler(bindings: &[Binding], operation: &Operation) -> Option<Handler> {
    bindings
        .iter()
        .find(|(o, _)| o.is(operation))
        .map(|(_, h)| *h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates() {
        assert_eq!(
            match_path("/a/{id}", "/a/42"),
            Some(vec![("id", "42".to_string())])
        );
        assert_eq!(match_path("/a/{id}", "/a/"), None);
        assert_eq!(match_path("/a/{id}", "/a/42/b"), None);
        assert_eq!(match_path("/a/b", "/a/b"), Some(vec![]));
        assert_eq!(match_path("/a/b", "/a/c"), None);
        assert_eq!(
            match_path("/cards/{n}", "/cards/755%2000243%203"),
            Some(vec![("n", "755 00243 3".to_string())])
        );
        assert_eq!(
            match_path("/c/{id}", "/c/ana%40example.com"),
            Some(vec![("id", "ana@example.com".to_string())])
        );
        assert!(literal_segments("/a/issue") > literal_segments("/a/{id}"));
    }
}
