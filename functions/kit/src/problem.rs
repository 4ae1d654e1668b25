//! RFC 9457 problem details (`application/problem+json`) with a stable `type`
//! per kind of problem and, for invalid input, the fields at fault.

use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::validation::{Errors, FieldError};

/// Base of every problem `type` URI; the slug after it is stable API.
pub const TYPE_BASE: &str = "https://vip-ops.dev/problems/";

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The stable part of `type`, after [`TYPE_BASE`].
    pub slug: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// For invalid input: every field at fault.
    pub errors: Vec<FieldError>,
    /// Extra response headers (`WWW-Authenticate`, `Allow`).
    pub headers: Vec<(&'static str, String)>,
    /// Figures a client acts on, as members of the body (how many more
    /// one-time codes may be tried; a shortfall's balance and what is
    /// missing). Boxed: most problems have none.
    pub facts: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

/// The wire form.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    instance: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(flatten)]
    facts: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl Problem {
    pub fn new(
        status: u16,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            slug,
            title,
            status,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            facts: None,
        }
    }

    /// Adds the members of `facts` (an object) to the body.
    pub fn with_facts(mut self, facts: serde_json::Value) -> Self {
        if let serde_json::Value::Object(map) = facts {
            self.facts.get_or_insert_with(Default::default).extend(map);
        }
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 400: the input breaks validation rules; every field at fault is listed.
    pub fn validation(errors: Errors) -> Self {
        let errors = errors.into_vec();
        let detail = match errors.as_slice() {
            [one] => format!("`{}` {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Problem {
            errors,
            ..Problem::new(400, "validation-error", "The request is not valid", detail)
        }
    }

    /// 400 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Errors::new();
        errors.add(field, message);
        Problem::validation(errors)
    }

    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Problem::new(400, "malformed-json", "The body is not valid JSON", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem::new(401, "unauthorized", "Authentication is required", detail)
            .with_header("www-authenticate", "Bearer")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(403, "forbidden", "This role may not do that", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(404, "not-found", "Not found", detail)
    }

    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        Problem::new(
            405,
            "method-not-allowed",
            "Method not allowed",
            format!("allowed: {}", allowed.join(", ")),
        )
        .with_header("allow", allowed.join(", "))
    }

    pub fn conflict(slug: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(409, slug, title, detail)
    }

    pub fn unprocessable(
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem::new(422, slug, title, detail)
    }

    /// 500: a real fault. The cause goes to the component's log (never
    /// personal data: SQL errors name columns, not values), not to the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        eprintln!("internal error: {cause}");
        Problem::new(
            500,
            "internal-error",
            "Internal error",
            "the server could not complete the request",
        )
    }

    pub fn into_response(self, instance: &str) -> Response {
        let body = Body {
            kind: format!("{TYPE_BASE}{}", self.slug),
            title: self.title,
            status: self.status,
            detail: &self.detail,
            instance,
            errors: &self.errors,
            facts: self.facts.as_deref(),
        };
        let mut builder = Response::builder();
        builder
            .status(self.status)
            .header("content-type", "application/problem+json");
        for (k, v) in &self.headers {
            builder.header(*k, v.clone());
        }
        builder
            .body(serde_json::to_vec(&body).unwrap_or_default())
            .build()
    }
}
