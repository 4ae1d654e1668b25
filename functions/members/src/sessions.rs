//! Member sessions: a one-time code to the contact on file, the code for a
//! member token, renewal and sign-out, and the member's own summary
//! (`/api/v1/me`). The rules (limits, lifetimes) are
//! `vip_domain::sessions`; codes, counters and tokens live in the key-value
//! store (`vip_kit::member`). No answer tells whether an email, phone or
//! card number belongs to a member.

use serde::Deserialize;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::sessions::{digest, Attempts, SessionPolicy};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{member, Ctx, Problem};
use vip_store::{customers, memberships, notices, ownership};

/// Who the caller says they are: exactly one of the three.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    email: Option<String>,
    phone: Option<String>,
    card_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    email: Option<String>,
    phone: Option<String>,
    card_number: Option<String>,
    code: String,
}

/// The identifier given (for counting) and the member it names, if any.
struct Claimed {
    identifier: String,
    customer: Option<CustomerId>,
    channel: &'static str,
}

/// What the caller typed, and the member it names: none if no one, or
/// someone erased (an erased customer cannot sign in).
fn claimed(
    db: &Db,
    email: Option<String>,
    phone: Option<String>,
    card: Option<String>,
) -> Result<Claimed, Problem> {
    let given = [&email, &phone, &card]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if given != 1 {
        return Err(Problem::field(
            "email",
            "give exactly one of email, phone or card_number",
        ));
    }
    let too_long = |v: &str| v.chars().count() > 200;
    let mut who = match (email, phone, card) {
        (Some(email), _, _) if !too_long(&email) => Claimed {
            customer: customers::by_contact(db, Some(&email), None)?,
            identifier: format!("email:{}", email.trim().to_lowercase()),
            channel: "email",
        },
        (_, Some(phone), _) if !too_long(&phone) => Claimed {
            customer: customers::by_contact(db, None, Some(&phone))?,
            identifier: format!("phone:{}", phone.trim()),
            channel: "sms",
        },
        (_, _, Some(card)) if !too_long(&card) => Claimed {
            customer: ownership::owner_of("number", &card)?
                .map(|c| CustomerId::parse(&c).map_err(Problem::internal))
                .transpose()?,
            identifier: format!("card:{}", card.split_whitespace().collect::<String>()),
            channel: "contact-on-file",
        },
        _ => return Err(Problem::field("email", "must be at most 200 characters")),
    };
    if let Some(customer) = &who.customer {
        if vip_store::privacy::erased_at(db, customer)?.is_some() {
            who.customer = None;
        }
    }
    Ok(who)
}

/// The client's address as the host saw it (`spin-client-addr`, without the port).
fn client(ctx: &Ctx<'_>) -> String {
    let addr = ctx.header("spin-client-addr").unwrap_or("unknown");
    match addr.rsplit_once(':') {
        Some((ip, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
            ip.trim_matches(['[', ']']).to_string()
        }
        _ => addr.to_string(),
    }
}

fn too_many(until: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> Problem {
    let seconds = (until - now).num_seconds().max(1);
    Problem::new(
        429,
        "too-many-attempts",
        "Too many attempts",
        format!("try again in {seconds} seconds"),
    )
    .with_header("retry-after", seconds.to_string())
}

/// The session policy in force (programme document `sessions`).
pub(crate) fn policy(db: &Db, ctx: &Ctx<'_>) -> Result<SessionPolicy, Problem> {
    Ok(vip_store::sessions::POLICY.load(db, ctx.now)?.document)
}

/// Counts one `what` from the client's address; past `limit` in the
/// policy's window, a 429 with `Retry-After` instead.
pub(crate) fn limit_per_client(
    ctx: &Ctx<'_>,
    what: &str,
    limit: u32,
    policy: &SessionPolicy,
) -> Result<(), Problem> {
    let key = format!("{what}/{}", digest(&client(ctx), "client"));
    let requests = member::attempts(&key)?;
    if let Some(until) = requests.locked_until(ctx.now, limit, policy.window_minutes) {
        return Err(too_many(until, ctx.now));
    }
    member::save_attempts(&key, requests.one_more(ctx.now, policy.window_minutes))
}

/// `POST /api/v1/sessions/codes`: sends a code to the member's contact on
/// file, if the details name a member; the answer is the same either way.
pub fn request_code(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: CodeRequest = read_json(ctx.req)?;
    let db = Db::open()?;
    let policy = policy(&db, ctx)?;
    let who = claimed(&db, body.email, body.phone, body.card_number)?;
    limit_per_client(ctx, "code-requests", policy.max_code_requests, &policy)?;
    if let Some(customer) = &who.customer {
        let (code, expires_at) = member::new_code(customer.as_str(), ctx.now, &policy)?;
        notices::enqueue(
            &db,
            &format!("login-code-{}", digest(&code, customer.as_str())),
            "member.login_code",
            customer,
            &serde_json::json!({
                "code": code,
                "channel": who.channel,
                "expires_at": timestamp_text(expires_at),
            }),
            ctx.now,
        )?;
    }
    Ok(vip_kit::json(
        202,
        &serde_json::json!({
            "status": "accepted",
            "detail": "if these details belong to a member, a code is on its way to the contact on file",
            "code_valid_minutes": policy.code_minutes,
        }),
    ))
}

/// `POST /api/v1/sessions`: a code for a member token.
pub fn sign_in(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: SignIn = read_json(ctx.req)?;
    let db = Db::open()?;
    let policy = policy(&db, ctx)?;
    let who = claimed(&db, body.email, body.phone, body.card_number)?;
    // Counted by member when the details name one, else by what was typed:
    // the counts behave the same, so they tell nothing.
    let subject = who
        .customer
        .as_ref()
        .map_or(who.identifier.clone(), |c| format!("member:{}", c.as_str()));
    let keys = [
        format!("wrong-codes/{}", digest(&client(ctx), "client")),
        format!("wrong-codes/{}", digest(&subject, "subject")),
    ];
    let counts: Vec<Attempts> = keys
        .iter()
        .map(|k| member::attempts(k))
        .collect::<Result<_, _>>()?;
    let limit = policy.max_wrong_codes;
    if let Some(until) = counts
        .iter()
        .filter_map(|a| a.locked_until(ctx.now, limit, policy.window_minutes))
        .max()
    {
        return Err(too_many(until, ctx.now));
    }
    let code = body.code.trim();
    if let Some(customer) = &who.customer {
        if code.len() <= 20 && member::take_code(customer.as_str(), code, ctx.now)? {
            member::clear_attempts(&keys[1])?;
            return opened(customer, ctx.now, &policy);
        }
    }
    let mut left = u32::MAX;
    for (key, count) in keys.iter().zip(counts) {
        let now_count = count.one_more(ctx.now, policy.window_minutes);
        member::save_attempts(key, now_count)?;
        left = left.min(now_count.left(ctx.now, limit, policy.window_minutes));
    }
    Err(Problem::new(
        401,
        "code-not-accepted",
        "Code not accepted",
        format!("the code is wrong or has expired; {left} more tries before a pause"),
    )
    .with_facts(serde_json::json!({ "attempts_left": left })))
}

/// `POST /api/v1/customers/{id}/sessions`: a member token opened by staff or
/// customer success on the member's behalf, after checking who they are at a
/// desk or on a call; audited with the actor and `X-Change-Reason`.
pub fn on_behalf(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = CustomerId::parse(ctx.param("id"))
        .map_err(|_| Problem::not_found(format!("there is no customer `{}`", ctx.param("id"))))?;
    let db = Db::open()?;
    let known = customers::exists(&db, &id)? || memberships::tier_of(&db, &id)?.is_some();
    if !known || vip_store::privacy::erased_at(&db, &id)?.is_some() {
        return Err(Problem::not_found(format!(
            "there is no customer `{}`",
            id.as_str()
        )));
    }
    vip_store::audit::record(
        &db,
        ctx,
        "member_session.opened_on_behalf",
        ("customer", id.as_str()),
    )?;
    opened(&id, ctx.now, &policy(&db, ctx)?)
}

/// A new member token for `customer`, as the 201 answer.
fn opened(
    customer: &CustomerId,
    now: chrono::DateTime<chrono::Utc>,
    policy: &SessionPolicy,
) -> Result<Response, Problem> {
    let (token, expires_at) = member::issue(customer.as_str(), now, policy)?;
    Ok(vip_kit::json(
        201,
        &serde_json::json!({
            "token": token,
            "expires_at": timestamp_text(expires_at),
            "customer_id": customer.as_str(),
        }),
    ))
}

fn token(ctx: &Ctx<'_>) -> Result<String, Problem> {
    vip_kit::auth::bearer(ctx.header("authorization")).map(str::to_string)
}

/// `POST /api/v1/sessions/current/renew`: the token lives on from now.
pub fn renew(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let expires_at = member::renew(&token(ctx)?, ctx.now, &policy(&Db::open()?, ctx)?)?;
    Ok(vip_kit::json(
        200,
        &serde_json::json!({ "expires_at": timestamp_text(expires_at) }),
    ))
}

/// `DELETE /api/v1/sessions/current`: signs out; the token stops working at once.
pub fn sign_out(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    member::revoke(&token(ctx)?)?;
    Ok(Response::builder().status(204).build())
}

/// `PUT /api/v1/me/contact`: the member updates their contact details
/// (seed 004: data updated by the member). Audited like any customer change,
/// with the member as actor. An email or phone another customer has is a 409:
/// neither could sign in with it.
pub fn put_contact(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let contact: vip_domain::customer::Contact = read_json(ctx.req)?;
    let mut errors = vip_domain::validation::Errors::new();
    contact.check(&mut errors, "");
    if contact.email.is_none() && contact.phone.is_none() {
        errors.add("email", "keep an email or a phone to sign in with");
    }
    errors.finish(()).map_err(Problem::validation)?;
    let id = CustomerId::parse(ctx.member().unwrap_or_default()).map_err(Problem::internal)?;
    let db = Db::open()?;
    let stored = customers::get(&db, &id)?
        .ok_or_else(|| Problem::not_found("there is no customer for this member"))?;
    if customers::contact_taken(&db, &contact, &id)? {
        return Err(Problem::conflict(
            "contact-in-use",
            "Contact details in use",
            "another customer has this email or phone on file; use another",
        ));
    }
    let updated = vip_domain::customer::Customer {
        legal_name: stored.legal_name,
        facts: stored.facts,
        contact,
    };
    customers::put(&db, ctx, &id, &updated)?;
    me(ctx)
}

/// `GET /api/v1/me`: who the member is, their contact on file and tier.
pub fn me(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = CustomerId::parse(ctx.member().unwrap_or_default()).map_err(Problem::internal)?;
    let db = Db::open()?;
    let customer = customers::get(&db, &id)?
        .ok_or_else(|| Problem::not_found("there is no customer for this member"))?;
    let tier = memberships::tier_of(&db, &id)?;
    Ok(vip_kit::json(
        200,
        &serde_json::json!({
            "customer_id": id.as_str(),
            "legal_name": customer.legal_name,
            "contact": customer.contact,
            "tier": tier,
        }),
    ))
}
