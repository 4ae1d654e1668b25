//! `PUT` and `GET /api/v1/customers/{id}`.

use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::customer::{Contact, Customer, CustomerFacts, CustomerId};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::customers;

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
    customers::facts(db, id)?.ok_or_else(|| not_found(id))
}

fn not_found(id: &CustomerId) -> Problem {
    Problem::not_found(format!("no customer `{}`", id.as_str()))
}

fn load(db: &Db, id: &CustomerId, role: Option<Role>) -> Result<CustomerView, Problem> {
    let stored = customers::get(db, id)?.ok_or_else(|| not_found(id))?;
    let personal = may_see_personal_data(role);
    Ok(CustomerView {
        id: id.as_str().to_string(),
        legal_name: personal.then_some(stored.legal_name),
        facts: stored.facts,
        contact: personal.then_some(stored.contact),
        version: stored.version,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
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
    let rules = customers::RULES.load(&db, ctx.now)?.document;
    customer
        .validate(&rules.plan_types)
        .map_err(Problem::validation)?;
    let existed = customers::exists(&db, &id)?;
    let written = customers::put(&db, ctx, &id, &customer)?;
    let view = load(&db, &id, ctx.role());
    match (written, view) {
        (Some(_), Ok(view)) => Ok(vip_kit::json(if existed { 200 } else { 201 }, &view)),
        // Nothing written because what is stored is already this customer.
        (None, Ok(view)) if existed && view.is(&customer) => Ok(vip_kit::json(200, &view)),
        // The plan type vanished from the rules between validation and write.
        _ => {
            let rules = customers::RULES.load(&db, ctx.now)?.document;
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
