//! The birthday benefit (docs/domain.md §1 "Birthday benefit"): the member's
//! date of birth (optional), and the daily run that grants each member's
//! tier benefit once a year on their birthday.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::birthdays::check_birth_date;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::birthdays::{self, PROGRAM};
use vip_store::memberships::TIERS;

use crate::customers::{facts, parse_id};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BirthDate {
    birth_date: NaiveDate,
}

/// `PUT /api/v1/customers/{id}/birth-date` (and `/me/birth-date`):
/// `{birth_date}`. The benefit is granted only with the programme consent.
pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = parse_id(ctx)?;
    let body: BirthDate = read_json(ctx.req)?;
    let db = Db::open()?;
    facts(&db, &id)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let today = program.zone.date_of(ctx.now);
    let born = check_birth_date(body.birth_date, today).map_err(Problem::validation)?;
    birthdays::set(&db, &id, born, ctx.now, &ctx.actor())?;
    Ok(vip_kit::json(
        200,
        &json!({"customer_id": id.as_str(), "birth_date": born.to_string()}),
    ))
}

/// `POST /api/v1/members/birthdays/runs?as_of=`: grants the birthday
/// benefit of their tier to every active member (with the programme
/// consent) whose birthday in the programme's zone fell within the catch-up
/// window up to `as_of`'s day, once a year each; also the members
/// component's daily cron.
pub fn run(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let ladder = TIERS.load(&db, ctx.now)?.document;
    let today = program.zone.date_of(as_of);
    let mut granted = Vec::new();
    for c in birthdays::candidates(&db, today.year(), &program.month_days(today))? {
        let Some(year) = program.due(c.born, today) else {
            continue;
        };
        let benefit = ladder
            .birthday_benefit(&c.tier)
            .unwrap_or("birthday greeting");
        if birthdays::grant(
            &db,
            &c.customer,
            year,
            &c.tier,
            benefit,
            as_of,
            &ctx.actor(),
        )? {
            granted.push(json!({"customer_id": c.customer, "tier": c.tier, "benefit": benefit, "year": year}));
        }
    }
    Ok(vip_kit::json(
        200,
        &json!({"as_of": timestamp_text(as_of), "day": today.to_string(), "granted": granted}),
    ))
}
