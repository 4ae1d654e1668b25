//! `PUT` and `GET /api/v1/customers/{id}`.

use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::customer::{Contact, Customer, CustomerFacts, CustomerId};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{int, json_column, text, timestamp, Db, Value};
use vip_kit::{Ctx, Problem};

use crate::program;

/// A stored customer as returned to a caller. `legal_name` and `contact` are
/// personal data and are left out for the web form and chat bot roles.
#[derive(Serialize)]
pub struct CustomerView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    pub facts: CustomerFacts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl CustomerView {
    /// Whether this stored customer is exactly `customer` (a view with personal data).
    fn is(&self, customer: &Customer) -> bool {
        self.legal_name.as_deref() == Some(customer.legal_name.as_str())
            && self.facts == customer.facts
            && self.contact.as_ref() == Some(&customer.contact)
    }
}

fn may_see_personal_data(role: Option<Role>) -> bool {
    matches!(
        role,
        Some(Role::Staff | Role::CustomerSuccess | Role::ProgramManager)
    )
}

pub fn parse_id(ctx: &Ctx<'_>) -> Result<CustomerId, Problem> {
    CustomerId::parse(ctx.param("id")).map_err(|m| Problem::field("id", m))
}

/// A stored customer's facts, or 404.
pub fn facts(db: &Db, id: &CustomerId) -> Result<CustomerFacts, Problem> {
    let row = db
        .first(
            "SELECT facts FROM customers WHERE id = ?",
            &[Value::Text(id.as_str().into())],
        )?
        .ok_or_else(|| not_found(id))?;
    json_column(&row, 0)
}

fn not_found(id: &CustomerId) -> Problem {
    Problem::not_found(format!("no customer `{}`", id.as_str()))
}

fn load(db: &Db, id: &CustomerId, role: Option<Role>) -> Result<CustomerView, Problem> {
    let row = db
        .first(
            "SELECT legal_name, facts, contact, version, created_at, updated_at FROM customers WHERE id = ?",
            &[Value::Text(id.as_str().into())],
        )?
        .ok_or_else(|| not_found(id))?;
    let personal = may_see_personal_data(role);
    Ok(CustomerView {
        id: id.as_str().to_string(),
        legal_name: if personal { Some(text(&row, 0)?) } else { None },
        facts: json_column(&row, 1)?,
        contact: if personal {
            Some(json_column(&row, 2)?)
        } else {
            None
        },
        version: int(&row, 3)?,
        created_at: text(&row, 4)?,
        updated_at: text(&row, 5)?,
    })
}

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = parse_id(ctx)?;
    Ok(vip_kit::json(200, &load(&Db::open()?, &id, ctx.role())?))
}

/// Creates (201) or replaces (200) a customer. A replacement identical to what
/// is stored changes nothing: no new version, no audit event.
pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = parse_id(ctx)?;
    let customer: Customer = read_json(ctx.req)?;
    let db = Db::open()?;
    let rules = program::RULES.load(&db, ctx.now)?.document;
    customer
        .validate(&rules.plan_types)
        .map_err(Problem::validation)?;
    let existed = db
        .first(
            "SELECT 1 FROM customers WHERE id = ?",
            &[Value::Text(id.as_str().into())],
        )?
        .is_some();
    // The plan-type guard is part of the write, so a concurrent rules edit
    // that drops this plan type cannot slip in between check and write.
    let written = db.first(
        "INSERT INTO customers (id, legal_name, facts, contact, version, created_at, updated_at, updated_by, change_reason)
         SELECT ?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7
         WHERE EXISTS (
           SELECT 1 FROM program_settings, json_each(program_settings.document, '$.plan_types')
           WHERE program_settings.name = 'eligibility' AND json_each.value = json_extract(?3, '$.plan_type'))
         ON CONFLICT (id) DO UPDATE SET
           legal_name = excluded.legal_name, facts = excluded.facts, contact = excluded.contact,
           version = customers.version + 1, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by, change_reason = excluded.change_reason
         WHERE customers.legal_name IS NOT excluded.legal_name
            OR customers.facts IS NOT excluded.facts
            OR customers.contact IS NOT excluded.contact
         RETURNING version",
        &[
            Value::Text(id.as_str().into()),
            Value::Text(customer.legal_name.clone()),
            Value::Text(serde_json::to_string(&customer.facts).map_err(Problem::internal)?),
            Value::Text(serde_json::to_string(&customer.contact).map_err(Problem::internal)?),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            ctx.change_reason(),
        ],
    )?;
    let view = load(&db, &id, ctx.role());
    match (written, view) {
        (Some(_), Ok(view)) => Ok(vip_kit::json(if existed { 200 } else { 201 }, &view)),
        // Nothing written because what is stored is already this customer.
        (None, Ok(view)) if existed && view.is(&customer) => Ok(vip_kit::json(200, &view)),
        // The plan type vanished from the rules between validation and write.
        _ => {
            let rules = program::RULES.load(&db, ctx.now)?.document;
            customer
                .validate(&rules.plan_types)
                .map_err(Problem::validation)?;
            Err(Problem::conflict(
                "concurrent-change",
                "The rules changed meanwhile",
                "retry the request",
            ))
        }
    }
}
