//! The event payload (an order) and its validation: every bad field is named by its JSON path.
//!
//! The format is documented in the README (Triggers, events, documents and print jobs).

use serde::Serialize;
use serde_json::{Map, Value};

use super::event::EventKind;
use super::money;

/// One bad field: its JSON path (`$.lines[1].quantity`) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// A payload that did not validate; lists every bad field.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid {kind} payload: {}", .errors.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("; "))]
pub struct InvalidPayload {
    pub kind: String,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub name: String,
    pub email: Option<String>,
    pub number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub sku: Option<String>,
    pub description: String,
    pub quantity: i64,
    /// Unit price in cents: net, or VAT included when the order says so
    /// ([`Order::prices_include_vat`]).
    pub unit_price: i64,
    /// VAT rate in hundredths of a percent (2000 = 20 %).
    pub vat_rate: i64,
}

/// A validated order payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub order_number: String,
    pub invoice_number: Option<String>,
    pub date: chrono::NaiveDate,
    pub due_date: Option<chrono::NaiveDate>,
    pub currency: String,
    pub customer: Customer,
    pub billing_address: Address,
    pub shipping_address: Address,
    pub lines: Vec<Line>,
    /// Reminders only: 1 (first reminder) to 3 (final notice).
    pub dunning_level: Option<u8>,
    /// The unit prices include VAT (what a till or a shop for consumers shows): the VAT is
    /// taken out of them, and the total is what the customer paid. Default: net prices.
    pub prices_include_vat: bool,
}

/// Highest dunning level (final notice).
pub const MAX_DUNNING_LEVEL: u8 = 3;
const MAX_LINES: usize = 500;
const MAX_TEXT: usize = 200;

/// The largest payload accepted, on the CLI as on the API (1 MB).
pub const MAX_PAYLOAD_BYTES: usize = 1_000_000;

const ORDER_FIELDS: &[&str] = &[
    "order_number",
    "invoice_number",
    "date",
    "due_date",
    "currency",
    "customer",
    "billing_address",
    "shipping_address",
    "lines",
    "dunning_level",
    "prices_include_vat",
];
const CUSTOMER_FIELDS: &[&str] = &["name", "email", "number"];
const ADDRESS_FIELDS: &[&str] = &["name", "street", "postal_code", "city", "country"];
const LINE_FIELDS: &[&str] = &["sku", "description", "quantity", "unit_price", "vat_rate"];

/// The payload without the fields backroom does not know, and the JSON paths of those it
/// dropped (they are neither stored nor printed; the caller says which).
pub fn known_only(value: &Value) -> (Value, Vec<String>) {
    let mut dropped = Vec::new();
    let mut out = value.clone();
    if let Value::Object(m) = &mut out {
        keep(m, "$", ORDER_FIELDS, &mut dropped);
        if let Some(Value::Object(c)) = m.get_mut("customer") {
            keep(c, "$.customer", CUSTOMER_FIELDS, &mut dropped);
        }
        for key in ["billing_address", "shipping_address"] {
            if let Some(Value::Object(a)) = m.get_mut(key) {
                keep(a, &format!("$.{key}"), ADDRESS_FIELDS, &mut dropped);
            }
        }
        if let Some(Value::Array(lines)) = m.get_mut("lines") {
            for (i, line) in lines.iter_mut().enumerate() {
                if let Value::Object(l) = line {
                    keep(l, &format!("$.lines[{i}]"), LINE_FIELDS, &mut dropped);
                }
            }
        }
    }
    (out, dropped)
}

fn keep(m: &mut Map<String, Value>, base: &str, known: &[&str], dropped: &mut Vec<String>) {
    m.retain(|k, _| {
        let ok = known.contains(&k.as_str());
        if !ok {
            dropped.push(format!("{base}.{k}"));
        }
        ok
    });
}

/// Validates a payload for `kind`; on error, nothing is kept and every bad field is listed.
pub fn validate(kind: EventKind, value: &Value) -> Result<Order, InvalidPayload> {
    let mut v = Checker { errors: Vec::new() };
    let order = v.order(kind, value);
    match order {
        Some(o) if v.errors.is_empty() => Ok(o),
        _ => Err(InvalidPayload {
            kind: kind.to_string(),
            errors: v.errors,
        }),
    }
}

struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_string(),
            reason: reason.into(),
        });
    }

    fn object<'a>(&mut self, field: &str, v: Option<&'a Value>) -> Option<&'a Map<String, Value>> {
        match v {
            Some(Value::Object(m)) => Some(m),
            None | Some(Value::Null) => {
                self.fail(field, "is required (an object)");
                None
            }
            Some(_) => {
                self.fail(field, "must be an object");
                None
            }
        }
    }

    fn text(
        &mut self,
        m: &Map<String, Value>,
        base: &str,
        key: &str,
        required: bool,
    ) -> Option<String> {
        let field = format!("{base}.{key}");
        match m.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(&field, "is required (a non-empty string)");
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.fail(&field, "must not be empty");
                None
            }
            Some(Value::String(s)) if s.chars().count() > MAX_TEXT => {
                self.fail(&field, format!("is longer than {MAX_TEXT} characters"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                self.fail(&field, "must be a string");
                None
            }
        }
    }

    fn date(
        &mut self,
        m: &Map<String, Value>,
        base: &str,
        key: &str,
        required: bool,
    ) -> Option<chrono::NaiveDate> {
        let s = self.text(m, base, key, required)?;
        match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.fail(
                    &format!("{base}.{key}"),
                    format!("{s:?} is not a date (expected YYYY-MM-DD)"),
                );
                None
            }
        }
    }

    fn decimal(&mut self, m: &Map<String, Value>, field: &str, key: &str) -> Option<String> {
        match m.get(key) {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => {
                self.fail(field, "is required (a number)");
                None
            }
            Some(_) => {
                self.fail(field, "must be a number");
                None
            }
        }
    }

    fn address(&mut self, field: &str, v: Option<&Value>) -> Option<Address> {
        let m = self.object(field, v)?;
        let name = self.text(m, field, "name", true);
        let street = self.text(m, field, "street", true);
        let postal_code = self.text(m, field, "postal_code", true);
        let city = self.text(m, field, "city", true);
        let country = self.text(m, field, "country", true);
        Some(Address {
            name: name?,
            street: street?,
            postal_code: postal_code?,
            city: city?,
            country: country?,
        })
    }

    fn line(&mut self, field: &str, v: &Value) -> Option<Line> {
        let Value::Object(m) = v else {
            self.fail(field, "must be an object");
            return None;
        };
        let sku = self.text(m, field, "sku", false);
        let description = self.text(m, field, "description", true);
        let qf = format!("{field}.quantity");
        let quantity = match m.get("quantity") {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(q) if (1..=1_000_000).contains(&q) => Some(q),
                _ => {
                    self.fail(&qf, format!("{n} is not a whole number from 1 to 1000000"));
                    None
                }
            },
            None | Some(Value::Null) => {
                self.fail(&qf, "is required (a whole number of at least 1)");
                None
            }
            Some(_) => {
                self.fail(&qf, "must be a whole number");
                None
            }
        };
        let pf = format!("{field}.unit_price");
        let unit_price = self
            .decimal(m, &pf, "unit_price")
            .and_then(|s| match money::parse_cents(&s) {
                Ok(c) if c >= 0 => Some(c),
                Ok(_) => {
                    self.fail(&pf, "must not be negative");
                    None
                }
                Err(e) => {
                    self.fail(&pf, e);
                    None
                }
            });
        let rf = format!("{field}.vat_rate");
        let vat_rate = self
            .decimal(m, &rf, "vat_rate")
            .and_then(|s| money::parse_rate(&s).map_err(|e| self.fail(&rf, e)).ok());
        Some(Line {
            sku,
            description: description?,
            quantity: quantity?,
            unit_price: unit_price?,
            vat_rate: vat_rate?,
        })
    }

    fn order(&mut self, kind: EventKind, value: &Value) -> Option<Order> {
        let Value::Object(m) = value else {
            self.fail("$", "the payload must be a JSON object");
            return None;
        };
        let order_number = self.text(m, "$", "order_number", true);
        let invoice_number = self.text(m, "$", "invoice_number", false);
        let date = self.date(m, "$", "date", true);
        let due_date = self.date(m, "$", "due_date", false);
        let currency = self.text(m, "$", "currency", true).and_then(|c| {
            if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                Some(c)
            } else {
                self.fail(
                    "$.currency",
                    format!("{c:?} is not an ISO 4217 code (expected e.g. EUR)"),
                );
                None
            }
        });
        let customer = self.object("$.customer", m.get("customer")).map(|c| {
            let name = self.text(c, "$.customer", "name", true);
            let email = self.text(c, "$.customer", "email", false);
            if let Some(e) = &email
                && !e.contains('@')
            {
                self.fail(
                    "$.customer.email",
                    format!("{e:?} is not an e-mail address"),
                );
            }
            let number = self.text(c, "$.customer", "number", false);
            name.map(|name| Customer {
                name,
                email,
                number,
            })
        });
        let billing = self.address("$.billing_address", m.get("billing_address"));
        let shipping = match m.get("shipping_address") {
            None | Some(Value::Null) => billing.clone(),
            some => self.address("$.shipping_address", some),
        };
        let lines = match m.get("lines") {
            Some(Value::Array(items)) if items.is_empty() => {
                self.fail("$.lines", "must hold at least one line");
                None
            }
            Some(Value::Array(items)) if items.len() > MAX_LINES => {
                self.fail(
                    "$.lines",
                    format!("holds {} lines; at most {MAX_LINES}", items.len()),
                );
                None
            }
            Some(Value::Array(items)) => {
                let parsed: Vec<Option<Line>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, l)| self.line(&format!("$.lines[{i}]"), l))
                    .collect();
                parsed.into_iter().collect::<Option<Vec<_>>>()
            }
            None | Some(Value::Null) => {
                self.fail("$.lines", "is required (an array of lines)");
                None
            }
            Some(_) => {
                self.fail("$.lines", "must be an array");
                None
            }
        };
        let dunning_level = match (kind, m.get("dunning_level")) {
            (EventKind::InvoiceOverdue, Some(Value::Number(n))) => match n.as_u64() {
                Some(l) if (1..=u64::from(MAX_DUNNING_LEVEL)).contains(&l) => u8::try_from(l).ok(),
                _ => {
                    self.fail(
                        "$.dunning_level",
                        format!("{n} is not a level from 1 to {MAX_DUNNING_LEVEL}"),
                    );
                    None
                }
            },
            (EventKind::InvoiceOverdue, None | Some(Value::Null)) => {
                self.fail(
                    "$.dunning_level",
                    format!("is required for invoice.overdue (1 to {MAX_DUNNING_LEVEL})"),
                );
                None
            }
            (EventKind::InvoiceOverdue, Some(_)) => {
                self.fail("$.dunning_level", "must be a whole number");
                None
            }
            (_, _) => None,
        };
        let prices_include_vat = match m.get("prices_include_vat") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail("$.prices_include_vat", "must be true or false");
                false
            }
        };
        Some(Order {
            order_number: order_number?,
            invoice_number,
            date: date?,
            due_date,
            currency: currency?,
            customer: customer??,
            billing_address: billing?,
            shipping_address: shipping?,
            lines: lines?,
            dunning_level,
            prices_include_vat,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample() -> Value {
        serde_json::json!({
            "order_number": "SO-1042",
            "date": "2026-11-20",
            "currency": "EUR",
            "customer": {"name": "Camille Martin", "email": "camille@example.org"},
            "billing_address": {"name": "Camille Martin", "street": "12 rue des Lilas",
                "postal_code": "69003", "city": "Lyon", "country": "FR"},
            "lines": [
                {"sku": "PAP-A4", "description": "Paper A4 80 g", "quantity": 3, "unit_price": 4.5, "vat_rate": 20},
                {"description": "Book", "quantity": 1, "unit_price": "12.00", "vat_rate": 5.5}
            ],
            "dunning_level": 2
        })
    }

    #[test]
    fn a_good_order_validates_and_shipping_defaults_to_billing() {
        let o = validate(EventKind::OrderReceived, &sample()).unwrap();
        assert_eq!(o.lines[0].unit_price, 450);
        assert_eq!(o.lines[1].vat_rate, 550);
        assert_eq!(o.shipping_address, o.billing_address);
    }

    #[test]
    fn every_bad_field_is_named_by_its_path() {
        let mut p = sample();
        p["lines"][1]["quantity"] = serde_json::json!(0);
        p["lines"][0]["vat_rate"] = serde_json::json!("twenty");
        p["currency"] = serde_json::json!("euro");
        p["billing_address"].as_object_mut().unwrap().remove("city");
        p["dunning_level"] = serde_json::json!(7);
        let e = validate(EventKind::InvoiceOverdue, &p).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "$.currency",
                "$.billing_address.city",
                "$.lines[0].vat_rate",
                "$.lines[1].quantity",
                "$.dunning_level"
            ]
        );
    }

    #[test]
    fn unknown_fields_are_dropped_and_named() {
        let p = serde_json::json!({
            "order_number": "SO-1", "blob": "x",
            "customer": {"name": "A", "tracking": 1},
            "billing_address": {"name": "A", "street": "s", "postal_code": "1", "city": "c",
                "country": "FR", "floor": 3},
            "lines": [{"description": "d", "quantity": 1, "colour": "red"}]
        });
        let (kept, dropped) = known_only(&p);
        assert_eq!(
            dropped,
            [
                "$.blob",
                "$.customer.tracking",
                "$.billing_address.floor",
                "$.lines[0].colour"
            ]
        );
        assert!(kept.get("blob").is_none());
        assert_eq!(kept["lines"][0]["quantity"], 1);
    }
}
