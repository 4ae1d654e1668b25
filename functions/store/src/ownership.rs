//! Who owns what a path names, for callers that act for one member
//! (`vip_kit::router::Owners`): a card, a redemption, a ticket, an invoice, a training
//! belongs to its customer; `{id}` is the customer. Reads only.

use vip_domain::card::CardNumber;
use vip_kit::db::{Db, Value};
use vip_kit::Problem;

/// The customer who owns the thing path parameter `param` names as `value`;
/// `None` when nothing by that name exists (or the value is malformed).
pub fn owner_of(param: &str, value: &str) -> Result<Option<String>, Problem> {
    let (sql, key) = match param {
        "id" => return Ok(Some(value.to_string())),
        "number" => match CardNumber::parse(value) {
            Ok(number) => (
                "SELECT customer_id FROM cards WHERE number = ?",
                Value::Text(number.as_str().to_string()),
            ),
            Err(_) => return Ok(None),
        },
        "redemption" | "ticket" | "invoice" | "training" => {
            let Some(id) = value.parse::<i64>().ok().filter(|n| *n > 0) else {
                return Ok(None);
            };
            let sql = match param {
                "redemption" => "SELECT customer_id FROM redemptions WHERE id = ?",
                "ticket" => "SELECT customer_id FROM tickets WHERE id = ?",
                "training" => "SELECT customer_id FROM trainings WHERE id = ?",
                _ => "SELECT customer_id FROM invoices WHERE id = ?",
            };
            (sql, Value::Integer(id))
        }
        other => {
            return Err(Problem::internal(format!(
                "no owner lookup for path parameter `{other}`"
            )))
        }
    };
    Db::open()?.one(sql, &[key], |row| row.text("customer_id"))
}
