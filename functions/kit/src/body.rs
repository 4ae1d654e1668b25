//! JSON request bodies: content type, size limit, syntax, then types, each
//! refused with its own 4xx problem naming what is wrong (and where).
//!
//! In a request body, a member whose value is `null` counts as absent: an
//! optional field may be sent as `null` or left out, with one meaning, and a
//! required one sent as `null` is missing (400). The OpenAPI document marks
//! every optional request field nullable accordingly.

use serde::de::DeserializeOwned;
use spin_sdk::http::Request;

use crate::problem::Problem;

/// Default largest body accepted; a component may set variable `max_body_bytes`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

fn max_body_bytes() -> usize {
    spin_sdk::variables::get("max_body_bytes")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_BODY_BYTES)
}

/// Parses the body as JSON into `T`.
pub fn read_json<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let content_type = req
        .header("content-type")
        .and_then(|h| h.as_str())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(Problem::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as `Content-Type: application/json`",
        ));
    }
    let limit = max_body_bytes();
    if req.body().len() > limit {
        return Err(Problem::new(
            413,
            "payload-too-large",
            "The body is too large",
            format!(
                "the body is {} bytes; at most {limit} are accepted",
                req.body().len()
            ),
        ));
    }
    let mut value = parse_value(req.body())?;
    drop_null_members(&mut value);
    from_value(value)
}

/// Removes every object member whose value is `null`, at any depth (array
/// elements are kept: a `null` in a list is a value, not an absent field).
fn drop_null_members(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_null_members);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}

/// Parses JSON bytes into `T`, naming the field at fault (no `null`
/// handling: partners' webhooks are read as sent).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    from_value(parse_value(bytes)?)
}

/// JSON bytes as a value; a syntax error (trailing bytes included) is `malformed-json`.
fn parse_value(bytes: &[u8]) -> Result<serde_json::Value, Problem> {
    serde_json::from_slice(bytes).map_err(|e| Problem::malformed_json(e.to_string()))
}

/// A JSON value as `T`, naming the field at fault.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        Problem::field(&field, without_type_names(&e.inner().to_string()))
    })
}

/// serde names the Rust type it expected (`expected struct CheckRequest`,
/// `expected enum Kind`): callers get the JSON kind instead, never our
/// internal names.
fn without_type_names(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let next = [
            ("expected struct ", "expected a JSON object"),
            (
                "expected tuple struct ",
                "expected a JSON value of another kind",
            ),
            ("expected unit struct ", "expected null"),
            ("expected enum ", "expected one of the documented values"),
        ]
        .iter()
        .filter_map(|(needle, kind)| rest.find(needle).map(|i| (i, *needle, *kind)))
        .min_by_key(|(i, _, _)| *i);
        let Some((i, needle, kind)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push_str(kind);
        let after = rest.get(i + needle.len()..).unwrap_or_default();
        let name_end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        rest = after.get(name_end..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        amount: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
    }

    #[test]
    fn null_members_count_as_absent() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Optional {
            #[serde(default)]
            flag: bool,
            #[serde(default)]
            note: Option<String>,
            list: Vec<Option<u8>>,
            inner: Option<Inner>,
        }
        let mut v: serde_json::Value = serde_json::from_str(
            r#"{"flag": null, "note": null, "list": [1, null], "inner": {"amount": "1"}}"#,
        )
        .unwrap();
        drop_null_members(&mut v);
        let o: Optional = from_value(v).unwrap();
        assert!(!o.flag);
        assert_eq!(o.note, None);
        assert_eq!(o.list, vec![Some(1), None]);
        assert_eq!(o.inner.unwrap().amount, "1");
        let mut v: serde_json::Value =
            serde_json::from_str(r#"{"name": null, "inner": {"amount": "1"}}"#).unwrap();
        drop_null_members(&mut v);
        let e = from_value::<Outer>(v).unwrap_err();
        assert!(
            e.errors[0].message.contains("missing field `name`"),
            "{e:?}"
        );
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let e = parse_json::<Outer>(b"{\"name\": ").unwrap_err();
        assert_eq!((e.status, e.slug), (400, "malformed-json"));
        let e =
            parse_json::<Outer>(br#"{"name":"a","inner":{"amount":"1"}} trailing"#).unwrap_err();
        assert_eq!(e.slug, "malformed-json");
    }

    #[test]
    fn rust_type_names_never_reach_the_caller() {
        let e = parse_json::<Outer>(b"null").unwrap_err();
        assert_eq!(
            e.errors[0].message,
            "invalid type: null, expected a JSON object"
        );
        let e = parse_json::<Outer>(br#"{"name":"a","inner":[1]}"#).unwrap_err();
        assert!(
            !e.errors[0].message.contains("Inner"),
            "{}",
            e.errors[0].message
        );
        assert_eq!(
            without_type_names("expected enum Kind or expected struct A, fine"),
            "expected one of the documented values or expected a JSON object, fine"
        );
    }

    #[test]
    fn type_errors_name_the_field() {
        let e = parse_json::<Outer>(br#"{"name":"a","inner":{"amount":5}}"#).unwrap_err();
        assert_eq!(e.errors[0].field, "inner.amount");
        assert!(
            e.errors[0].message.contains("expected a string"),
            "{}",
            e.errors[0].message
        );
        let e = parse_json::<Outer>(br#"{"name":"a","inner":{"amount":"1"},"x":1}"#).unwrap_err();
        assert!(e.errors[0].message.contains("unknown field `x`"));
        let e = parse_json::<Outer>(br#"{"name":"a"}"#).unwrap_err();
        assert!(
            e.errors[0].message.contains("missing field `inner`"),
            "{:?}",
            e.errors
        );
    }
}
