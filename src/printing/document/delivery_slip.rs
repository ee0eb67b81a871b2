//! The delivery slip: the shipping address and what is in the parcel, without prices.

use super::layout::{self, Sheet};
use super::pdf::{Finished, MARGIN, WIDTH, Weight};
use crate::printing::payload::Order;

pub fn render(order: &Order, issuer: &str) -> (String, Finished) {
    let title = format!("Delivery slip {}", order.order_number);
    let mut s = Sheet::new(&title);
    let refs = [
        ("Order no.", order.order_number.clone()),
        ("Order date", order.date.to_string()),
        ("Customer", order.customer.name.clone()),
    ];
    layout::header(&mut s, issuer, "DELIVERY SLIP", &refs);
    layout::addresses(
        &mut s,
        &[
            ("Ship to", &order.shipping_address),
            ("Bill to", &order.billing_address),
        ],
    );
    let right = WIDTH - MARGIN;
    let head = |s: &mut Sheet| {
        s.w.text(MARGIN, s.y, 9.0, Weight::Bold, "Item");
        s.w.text(MARGIN + 110.0, s.y, 9.0, Weight::Bold, "Description");
        s.w.text_right(right, s.y, 9.0, Weight::Bold, "Quantity");
        s.w.rule(MARGIN, right, s.y - 4.0);
        s.gap(17.0);
    };
    s.ensure(45.0);
    head(&mut s);
    for line in &order.lines {
        let sku = layout::cell(line.sku.as_deref().unwrap_or("-"), 100.0);
        let desc = layout::cell(&line.description, 300.0);
        let height = layout::row_height(sku.len().max(desc.len()));
        if s.ensure(height) {
            head(&mut s);
        }
        layout::draw_cell(&mut s, MARGIN, &sku);
        layout::draw_cell(&mut s, MARGIN + 110.0, &desc);
        s.w.text_right(
            right,
            s.y,
            10.0,
            Weight::Regular,
            &line.quantity.to_string(),
        );
        s.gap(height);
    }
    let items: i64 = order.lines.iter().map(|l| l.quantity).sum();
    s.w.rule(MARGIN, right, s.y + 11.0);
    s.ensure(60.0);
    s.w.text(MARGIN, s.y, 10.0, Weight::Bold, "Items");
    s.w.text_right(right, s.y, 10.0, Weight::Bold, &items.to_string());
    s.gap(40.0);
    layout::paragraph(
        &mut s,
        "Received in good condition (date, name, signature): ______________________",
    );
    (title, s.w.finish())
}
