//! The invoice: addresses, lines with VAT, the VAT breakdown and the totals.

use super::layout::{self, Sheet};
use super::pdf::Finished;
use crate::printing::payload::Order;
use crate::printing::totals::Totals;

pub fn render(order: &Order, issuer: &str) -> (String, Finished) {
    let number = order
        .invoice_number
        .as_deref()
        .unwrap_or(&order.order_number);
    let title = format!("Invoice {number}");
    let mut s = Sheet::new(&title);
    let mut refs = vec![
        ("Invoice no.", number.to_string()),
        ("Order no.", order.order_number.clone()),
        ("Date", order.date.to_string()),
    ];
    if let Some(due) = order.due_date {
        refs.push(("Due date", due.to_string()));
    }
    if let Some(n) = &order.customer.number {
        refs.push(("Customer no.", n.clone()));
    }
    layout::header(&mut s, issuer, "INVOICE", &refs);
    layout::addresses(
        &mut s,
        &[
            ("Bill to", &order.billing_address),
            ("Ship to", &order.shipping_address),
        ],
    );
    let totals = Totals::of(order);
    layout::priced_lines(&mut s, order, &totals);
    layout::totals(&mut s, order, &totals, "Total");
    if let Some(due) = order.due_date {
        layout::paragraph(
            &mut s,
            &format!("Please pay by {due}, quoting invoice {number}."),
        );
    }
    (title, s.w.finish())
}
