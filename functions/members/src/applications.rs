//! `POST /api/v1/applications`: the public web form of seed 000 SOP-001 ("is
//! this customer VIP?") for someone who is not a customer yet. It stores the
//! applicant as a customer, evaluates them like any other (the decision is
//! recorded with its reasons), opens the onboarding case where they are VIP,
//! and keeps the consents given. Rate-limited per client address.
//!
//! An email or phone already on file creates nothing: the answer has the same
//! shape (so it tells no one who is a customer), and the customer on file is
//! told through the notice outbox.

use chrono::NaiveDate;
use serde::Deserialize;
use spin_sdk::http::Response;
use vip_domain::birthdays::check_birth_date;
use vip_domain::customer::{Contact, Customer, CustomerFacts, CustomerId};
use vip_domain::notices::{default_preferences, Language, Preferences};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{member, Ctx, Problem};
use vip_store::{applications, customers, notices};

/// Purposes the applicant consents to (seed 004: data used only for the
/// programme; shared with third parties only with consent).
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Consents {
    /// Programme communications: required to apply.
    programme: bool,
    #[serde(default)]
    marketing: bool,
    #[serde(default)]
    third_parties: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Application {
    legal_name: String,
    contact: Contact,
    facts: CustomerFacts,
    consents: Consents,
    /// Optional (SOP-001 asks it): the birthday benefit needs it.
    #[serde(default)]
    birth_date: Option<NaiveDate>,
    /// The language notices are written in (default: the programme's).
    #[serde(default)]
    language: Option<Language>,
}

pub fn post(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let policy = crate::sessions::policy(&db, ctx)?;
    crate::sessions::limit_per_client(ctx, "applications", policy.max_applications, &policy)?;
    let application: Application = read_json(ctx.req)?;
    let customer = Customer {
        legal_name: application.legal_name,
        facts: application.facts,
        contact: application.contact,
    };
    let program = customers::RULES.load(&db, ctx.now)?;
    let mut errors = customer
        .validate(&program.document.plan_types)
        .err()
        .unwrap_or_default();
    if customer.contact.email.is_none() && customer.contact.phone.is_none() {
        errors.add(
            "contact.email",
            "give an email or a phone to be contacted on",
        );
    }
    if !application.consents.programme {
        errors.add(
            "consents.programme",
            "must be true: the programme contacts you about your application",
        );
    }
    let birthdays = vip_store::birthdays::PROGRAM.load(&db, ctx.now)?.document;
    if let Some(born) = application.birth_date {
        if let Err(e) = check_birth_date(born, birthdays.zone.date_of(ctx.now)) {
            errors.include("", Err(e));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let decision = program
        .document
        .evaluate(&customer.facts)
        .map_err(|e| crate::check::evaluation_problem(e, "facts."))?;
    let on_file = customers::by_contact(
        &db,
        customer.contact.email.as_deref(),
        customer
            .contact
            .phone
            .as_deref()
            .filter(|_| customer.contact.email.is_none()),
    )?;
    match on_file {
        Some(existing) => notices::enqueue(
            &db,
            &format!("application-again-{}", member::random_hex::<8>()?),
            "application.already_on_file",
            &existing,
            &serde_json::json!({ "applied_at": timestamp_text(ctx.now) }),
            ctx.now,
        )?,
        None => {
            let id = CustomerId::parse(&format!("a-{}", member::random_hex::<8>()?))
                .map_err(Problem::internal)?;
            customers::put(&db, ctx, &id, &customer)?;
            let consents =
                serde_json::to_value(&application.consents).map_err(Problem::internal)?;
            applications::record(&db, &id, &consents, ctx.now)?;
            let given = &application.consents;
            for (purpose, granted) in [
                ("programme", given.programme),
                ("marketing", given.marketing),
                ("third_parties", given.third_parties),
            ] {
                vip_store::consents::set(&db, &id, purpose, granted, ctx.now, &ctx.actor())?;
            }
            if let Some(born) = application.birth_date {
                vip_store::birthdays::set(&db, &id, born, ctx.now, &ctx.actor())?;
            }
            if let Some(language) = application.language {
                let templates = notices::TEMPLATES.load(&db, ctx.now)?.document;
                let preferences = Preferences {
                    language,
                    ..default_preferences(&templates)
                };
                notices::set_preferences(&db, &id, &preferences, ctx.now, &ctx.actor())?;
            }
            let decision_id =
                customers::record_decision(&db, ctx, &id, &decision, program.version)?;
            if decision.vip {
                crate::onboarding::open_for(&db, &id, decision_id, ctx)?;
            }
        }
    }
    let next = if decision.vip {
        "the VIP team reviews your application and contacts you within the onboarding target"
    } else {
        "your plan does not qualify for the VIP programme today; you may apply again when it changes"
    };
    Ok(vip_kit::json(
        201,
        &serde_json::json!({
            "status": "received",
            "vip": decision.vip,
            "decision": decision,
            "next_step": next,
        }),
    ))
}
