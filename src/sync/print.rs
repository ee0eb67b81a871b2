//! Print events from pushed tickets: when the server applies a ticket that carries invoice details,
//! an `order.received` event goes through the printing outbox (an invoice job), at most once.
//!
//! A till ticket has article, quantity and price per line; the invoice payload also needs a
//! currency, a customer, a billing address and a VAT rate per line. A till adds these under the
//! ticket's `invoice` field when the customer asks for an invoice; without them (or when they do
//! not validate) the ticket is applied and nothing prints, and the reason is noted on the item.

use serde_json::{Map, Value, json};

use super::queue::Ticket;
use crate::printing::event::EventKind;
use crate::printing::job::RetryPolicy;
use crate::printing::outbox::{self, Ingested};

/// Builds the `order.received` payload of a ticket, or says why it cannot.
pub fn payload(till: &str, t: &Ticket) -> Result<Value, String> {
    let Some(invoice) = t.invoice.as_ref() else {
        return Err("not printed: the ticket carries no invoice details (currency, customer, billing_address, vat_rate)".into());
    };
    let default_rate = invoice.get("vat_rate").cloned();
    let mut lines = Vec::with_capacity(t.lines.len());
    for (i, l) in t.lines.iter().enumerate() {
        if l.quantity.fract() != 0.0 || l.quantity < 1.0 {
            return Err(format!(
                "not printed: line {} ({}) has quantity {}, the invoice needs a whole number of at least 1",
                i + 1,
                l.article,
                l.quantity
            ));
        }
        let Some(rate) = default_rate.clone() else {
            return Err("not printed: the ticket's invoice details have no vat_rate".into());
        };
        lines.push(json!({
            "sku": l.article,
            "description": l.article,
            "quantity": l.quantity as i64,
            "unit_price": amount(l.price_cents),
            "vat_rate": rate,
        }));
    }
    let mut p = Map::new();
    for key in [
        "currency",
        "customer",
        "billing_address",
        "shipping_address",
    ] {
        if let Some(v) = invoice.get(key) {
            p.insert(key.into(), v.clone());
        }
    }
    p.insert(
        "order_number".into(),
        Value::from(format!("till {till} ticket {}", t.number)),
    );
    p.insert(
        "date".into(),
        Value::from(sale_date(&t.sold_at, &chrono::Local)),
    );
    p.insert("lines".into(), Value::from(lines));
    // A till's prices are what the customer paid, VAT included (until 2026-11-30 VAT was added
    // on top: a 9.00 ticket was invoiced 10.80); a till that sells at net prices says
    // `"prices_include_vat": false` in the ticket's invoice details.
    // Absent or null: included (any other value goes on, for the payload's check to refuse).
    let included = match invoice.get("prices_include_vat") {
        None | Some(Value::Null) => Value::Bool(true),
        Some(other) => other.clone(),
    };
    p.insert("prices_include_vat".into(), included);
    Ok(Value::Object(p))
}

/// Cents as an amount with 2 decimals (`-0.50` keeps its sign).
fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// Records the ticket's `order.received` event in the store transaction `tx` (the caller commits
/// it only after the server database committed the ticket). `Err` is the reason nothing prints.
pub fn record(
    tx: &rusqlite::Connection,
    issuer: &str,
    till: &str,
    t: &Ticket,
) -> Result<Ingested, String> {
    let payload = payload(till, t)?;
    let prepared = outbox::prepare(EventKind::OrderReceived, &payload, issuer)
        .map_err(|e| format!("not printed: {e}"))?;
    let policy = RetryPolicy::load(tx);
    tx.execute_batch("SAVEPOINT ticket_print")
        .map_err(|e| format!("not printed: {e}"))?;
    match outbox::record(tx, &prepared, "till", &policy) {
        Ok(out) => {
            tx.execute_batch("RELEASE ticket_print")
                .map_err(|e| format!("not printed: {e}"))?;
            Ok(out)
        }
        Err(e) => {
            let _ = tx.execute_batch("ROLLBACK TO ticket_print; RELEASE ticket_print");
            Err(format!("not printed: storing the event: {e}"))
        }
    }
}

/// The day of a sale at `sold_at` (RFC 3339, UTC) in the store's time zone `tz`: its first ten
/// characters dated a sale after local midnight (or, west of Greenwich, after the evening) on the
/// wrong day, at New Year in the wrong year.
fn sale_date<Tz: chrono::TimeZone>(sold_at: &str, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    chrono::DateTime::parse_from_rfc3339(sold_at)
        .map(|d| d.with_timezone(tz).format("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| sold_at.get(..10).unwrap_or(sold_at).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::queue::TicketLine;

    fn ticket(quantity: f64, invoice: Option<Value>) -> Ticket {
        Ticket {
            uuid: "u1".into(),
            till: "1".into(),
            number: "T1-0001".into(),
            sold_at: "2026-11-23T10:00:00.000Z".into(),
            total_cents: 900,
            customer: None,
            lines: vec![TicketLine {
                article: "ART-001".into(),
                quantity,
                price_cents: 450,
            }],
            invoice,
        }
    }

    fn details() -> Value {
        json!({"currency": "EUR", "vat_rate": 5.5,
            "customer": {"name": "Camille Martin"},
            "billing_address": {"name": "Camille Martin", "street": "12 rue des Lilas",
                "postal_code": "69003", "city": "Lyon", "country": "FR"}})
    }

    #[test]
    fn a_ticket_with_invoice_details_maps_to_a_valid_order_received_payload() {
        let p = payload("1", &ticket(2.0, Some(details()))).unwrap();
        assert_eq!(p["order_number"], "till 1 ticket T1-0001");
        assert_eq!(
            p["date"],
            sale_date("2026-11-23T10:00:00.000Z", &chrono::Local)
        );
        assert_eq!(p["lines"][0]["unit_price"], "4.50");
        assert_eq!(p["lines"][0]["quantity"], 2);
        assert_eq!(p["lines"][0]["vat_rate"], 5.5);
        assert_eq!(amount(-50), "-0.50");
        assert_eq!(amount(1205), "12.05");
        outbox::prepare(EventKind::OrderReceived, &p, "Store").unwrap();
    }

    /// The invoice's total is what the ticket says the customer paid: the till's prices include
    /// VAT (a 9.00 ticket at 20 % was invoiced 10.80), unless its details say they are net.
    #[test]
    fn the_invoice_total_is_what_the_customer_paid() {
        use crate::printing::payload::validate;
        use crate::printing::totals::Totals;
        let mut d = details();
        d["vat_rate"] = json!(20);
        let t = ticket(2.0, Some(d.clone()));
        let order = validate(EventKind::OrderReceived, &payload("1", &t).unwrap()).unwrap();
        let totals = Totals::of(&order);
        assert_eq!(
            (totals.gross, totals.vat_total, totals.net),
            (t.total_cents, 150, 750)
        );
        d["prices_include_vat"] = Value::Null;
        let t = ticket(2.0, Some(d.clone()));
        let order = validate(EventKind::OrderReceived, &payload("1", &t).unwrap()).unwrap();
        assert_eq!(
            Totals::of(&order).gross,
            t.total_cents,
            "null is the default"
        );
        d["prices_include_vat"] = json!(false);
        let t = ticket(2.0, Some(d));
        let order = validate(EventKind::OrderReceived, &payload("1", &t).unwrap()).unwrap();
        assert_eq!(Totals::of(&order).gross, 1080);
    }

    #[test]
    fn a_sale_is_dated_by_the_store_s_day_not_the_utc_one() {
        let hour = 3600;
        let kiritimati = chrono::FixedOffset::east_opt(14 * hour).unwrap();
        let new_york = chrono::FixedOffset::west_opt(5 * hour).unwrap();
        let paris = chrono::FixedOffset::east_opt(hour).unwrap();
        assert_eq!(
            sale_date("2026-11-23T10:00:00.000Z", &kiritimati),
            "2026-11-24"
        );
        assert_eq!(
            sale_date("2026-11-24T02:30:00.000Z", &new_york),
            "2026-11-23"
        );
        assert_eq!(sale_date("2026-12-31T23:30:00.000Z", &paris), "2027-01-01");
    }

    #[test]
    fn tickets_that_cannot_make_an_invoice_say_why() {
        let none = payload("1", &ticket(2.0, None)).unwrap_err();
        assert!(none.contains("no invoice details"), "{none}");
        let weighed = payload("1", &ticket(0.75, Some(details()))).unwrap_err();
        assert!(weighed.contains("quantity 0.75"), "{weighed}");
        let mut no_rate = details();
        no_rate.as_object_mut().unwrap().remove("vat_rate");
        let e = payload("1", &ticket(1.0, Some(no_rate))).unwrap_err();
        assert!(e.contains("vat_rate"), "{e}");
    }
}
