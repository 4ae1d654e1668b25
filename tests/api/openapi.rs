//! The OpenAPI document is valid 3.1, documents exactly the operations the
//! components declare, and every documented operation is served.

use std::collections::BTreeSet;

use e2e::{boot, call, json, problem, ROLES};

use vip_kit::api::{Access, Scope, OPERATIONS};

fn declared() -> BTreeSet<(String, String)> {
    OPERATIONS
        .iter()
        .map(|o| (o.method.to_string(), o.path.to_string()))
        .collect()
}

fn declared_op(method: &str, path: &str) -> &'static vip_kit::api::Operation {
    OPERATIONS
        .iter()
        .find(|o| o.method == method && o.path == path)
        .unwrap_or_else(|| panic!("{method} {path} is documented but not declared"))
}

/// The roles the operation table gives an operation, as the document names them.
fn declared_roles(method: &str, path: &str) -> Vec<String> {
    match declared_op(method, path).access {
        Access::Public => vec!["public".to_string()],
        Access::Signed => vec!["webhook-signature".to_string()],
        Access::Member => vec!["member".to_string()],
        Access::Roles(roles) => roles.iter().map(|r| r.as_str().to_string()).collect(),
    }
}

/// Whether a member token is needed, as the document says it (`x-member-token`).
fn declared_member_token(method: &str, path: &str) -> &'static str {
    let op = declared_op(method, path);
    match op.access {
        Access::Member => "required",
        _ => op.scope.as_str(),
    }
}

#[test]
fn the_document_is_valid_and_matches_the_routes_served() {
    let (_app, host) = boot();
    let r = host.get("/api/v1/openapi.json");
    assert_eq!(r.status, 200);
    let spec = oas3::from_json(&r.body).unwrap_or_else(|e| panic!("invalid OpenAPI 3.1: {e}"));
    assert!(spec.openapi.starts_with("3.1"));

    let doc = json(&r);
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((method.to_uppercase(), path.clone()));
            let roles: Vec<&str> = op["x-roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let mut listed: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            let mut expected = declared_roles(&method.to_uppercase(), path);
            listed.sort();
            expected.sort();
            assert_eq!(listed, expected, "x-roles of {method} {path}");
            assert_eq!(
                op["x-member-token"].as_str(),
                Some(declared_member_token(&method.to_uppercase(), path)),
                "x-member-token of {method} {path}"
            );
            let concrete = path
                .replace("{id}", "C-404")
                .replace("{number}", "755002433")
                .replace("{reward}", "1")
                .replace("{redemption}", "1")
                .replace("{calendar}", "default")
                .replace("{ticket}", "1")
                .replace("{invoice}", "1")
                .replace("{order}", "1");
            if roles == ["webhook-signature"] {
                // Partners sign instead of presenting a key: unsigned is a 401.
                let r = call(&host, None, &method.to_uppercase(), &concrete, None);
                problem(&r, 401, "invalid-webhook-signature");
                continue;
            }
            if roles == ["public"] {
                let status = call(&host, None, &method.to_uppercase(), &concrete, None).status;
                if method == "get" {
                    assert_eq!(status, 200, "{method} {path}");
                } else {
                    // Served without a key: an empty body is the caller's mistake.
                    assert!(
                        (400..=415).contains(&status) && ![404, 405].contains(&status),
                        "{method} {path}: {status}"
                    );
                }
                continue;
            }
            // Served: without a key the answer is 401, never 404 or 405.
            let r = call(&host, None, &method.to_uppercase(), &concrete, None);
            problem(&r, 401, "unauthorized");
            if roles == ["member"] {
                // An API key is no member token.
                for (role, _) in ROLES {
                    let r = call(&host, Some(role), &method.to_uppercase(), &concrete, None);
                    problem(&r, 401, "member-token-invalid");
                }
                continue;
            }
            // A web form acting for a member must say which one.
            let scope = declared_op(&method.to_uppercase(), path).scope;
            if roles.contains(&"webform") && matches!(scope, Scope::Path(_) | Scope::List) {
                // The key alone (`call` would add a member's token).
                let auth = format!("Bearer {}", e2e::key("webform"));
                let r = host.request(
                    &method.to_uppercase(),
                    &concrete,
                    &[("authorization", &auth)],
                    b"",
                );
                problem(&r, 401, "member-token-required");
            }
            // Every role the document does not list is refused with 403.
            for (role, _) in ROLES
                .iter()
                .filter(|(role, _)| !roles.iter().any(|r| role.starts_with(r)))
            {
                let r = call(&host, Some(role), &method.to_uppercase(), &concrete, None);
                problem(&r, 403, "forbidden");
            }
        }
    }
    assert_eq!(
        documented,
        declared(),
        "the document and the route tables must list the same operations"
    );
}
