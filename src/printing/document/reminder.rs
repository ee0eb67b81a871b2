//! The payment reminder: its wording follows the dunning level (1 reminder, 2 second, 3 final).

use super::layout::{self, Sheet};
use super::pdf::Finished;
use crate::printing::money::format_cents;
use crate::printing::payload::Order;
use crate::printing::totals::Totals;

fn heading(level: u8) -> &'static str {
    match level {
        0 | 1 => "PAYMENT REMINDER",
        2 => "SECOND REMINDER",
        _ => "FINAL NOTICE",
    }
}

pub fn render(order: &Order, issuer: &str) -> (String, Finished) {
    let level = order.dunning_level.unwrap_or(1);
    let number = order
        .invoice_number
        .as_deref()
        .unwrap_or(&order.order_number);
    let title = format!(
        "Reminder {level} for invoice {number} (order {})",
        order.order_number
    );
    let mut s = Sheet::new(&title);
    let mut refs = vec![
        ("Invoice no.", number.to_string()),
        ("Order no.", order.order_number.clone()),
        ("Invoice date", order.date.to_string()),
        ("Dunning level", level.to_string()),
    ];
    if let Some(due) = order.due_date {
        refs.push(("Was due", due.to_string()));
    }
    layout::header(&mut s, issuer, heading(level), &refs);
    layout::addresses(&mut s, &[("To", &order.billing_address)]);
    let totals = Totals::of(order);
    let amount = format!("{} {}", format_cents(totals.gross), order.currency);
    let body: &[String] = &match level {
        0 | 1 => vec![
            format!("Dear {},", order.customer.name),
            format!("our records show that invoice {number} of {amount} is still unpaid."),
            "If you have already paid, please disregard this letter.".to_string(),
        ],
        2 => vec![
            format!("Dear {},", order.customer.name),
            format!("despite our first reminder, invoice {number} of {amount} remains unpaid."),
            "Please pay within 7 days.".to_string(),
        ],
        _ => vec![
            format!("Dear {},", order.customer.name),
            format!("this is our final notice for invoice {number} of {amount}."),
            "Without payment within 7 days we will have to pass the matter on for collection."
                .to_string(),
        ],
    };
    for line in body {
        layout::paragraph(&mut s, line);
    }
    s.gap(10.0);
    layout::priced_lines(&mut s, order, &totals);
    layout::totals(&mut s, order, &totals, "Amount due");
    (title, s.w.finish())
}
