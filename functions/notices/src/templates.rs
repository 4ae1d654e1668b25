//! The programme's notice templates (docs/domain.md "Notices"): read and
//! replaced as one programme document, each template checked against its
//! kind's fields; and a preview of one kind rendered with sample data.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use spin_sdk::http::Response;
use vip_domain::notices::{render, sample_fields, spec, Channel, Language, KINDS};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::notices::TEMPLATES;

/// `GET /api/v1/program/notice-templates`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    TEMPLATES.get(ctx)
}

/// `PUT /api/v1/program/notice-templates`: validated (an unknown kind or
/// placeholder, an unsupported language: 400 naming it), under `If-Match`.
pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    TEMPLATES.put(ctx)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    language: String,
    #[serde(default)]
    channel: Option<Channel>,
    /// Sample values by field; any field left out shows as `<field>`.
    #[serde(default)]
    fields: Map<String, Value>,
}

/// `POST /api/v1/notice-templates/{kind}/preview`: the kind's template in
/// `language` (else the default language's, as a member would get it)
/// rendered with the sample `fields`, on `channel` (default email), plus the
/// fields the kind offers.
pub fn preview(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let kind = ctx.param("kind").to_string();
    let body: PreviewBody = read_json(ctx.req)?;
    let spec = spec(&kind).ok_or_else(|| {
        Problem::not_found(format!(
            "`{kind}` is not a member notice kind; the kinds are {}",
            KINDS.iter().map(|k| k.kind).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let language = Language::parse(&body.language).map_err(|m| Problem::field("language", m))?;
    for name in body.fields.keys() {
        if !sample_fields(spec).contains_key(name) {
            let mut errors = vip_domain::validation::Errors::new();
            errors.add(
                format!("fields.{name}"),
                format!("`{kind}` has no field `{name}`"),
            );
            return Err(Problem::validation(errors));
        }
    }
    let db = Db::open()?;
    let templates = TEMPLATES.load(&db, ctx.now)?.document;
    let template = templates
        .find(&kind, language)
        .ok_or_else(|| Problem::not_found(format!("no `{kind}` template")))?;
    let mut fields = sample_fields(spec);
    fields.extend(body.fields);
    let channel = body.channel.unwrap_or(Channel::Email);
    let message = render(template, &fields, channel).map_err(|e| {
        Problem::unprocessable(
            "template-unrenderable",
            "The template cannot be rendered",
            e,
        )
    })?;
    Ok(vip_kit::json(
        200,
        &json!({
            "kind": kind,
            "channel": channel,
            "requested_language": language,
            "message": message,
            "fields": sample_fields(spec).keys().collect::<Vec<_>>(),
            "about": spec.about,
        }),
    ))
}
