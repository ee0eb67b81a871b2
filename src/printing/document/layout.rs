//! Blocks shared by the documents: header, address blocks, the lines table and the totals.

use super::pdf::{Align, MARGIN, WIDTH, Weight, Writer, width};
use super::wrap;
use crate::printing::money::{format_cents, format_rate};
use crate::printing::payload::{Address, Order};
use crate::printing::totals::Totals;

const RIGHT: f32 = WIDTH - MARGIN;
const ROW: f32 = 15.0;
const BOTTOM: f32 = 70.0;

/// A writer with a cursor that moves down the page and breaks pages when needed.
pub struct Sheet {
    pub w: Writer,
    pub y: f32,
}

impl Sheet {
    pub fn new(title: &str) -> Sheet {
        Sheet {
            w: Writer::new(title),
            y: 800.0,
        }
    }

    /// Makes room for `height` points, starting a new page if needed.
    pub fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM {
            self.w.new_page();
            self.y = 800.0;
            return true;
        }
        false
    }

    pub fn gap(&mut self, h: f32) {
        self.y -= h;
    }
}

/// Where reference values start: right of their labels, which end at `RIGHT - 110`.
const X_VALUE: f32 = RIGHT - 105.0;

/// Store name, document title and the reference rows (label, value) on the right; a long value
/// shrinks, then wraps inside its box.
pub fn header(s: &mut Sheet, issuer: &str, title: &str, refs: &[(&str, String)]) {
    let title_width = width(title, 20.0) * 1.1;
    s.w.text_right(RIGHT, s.y, 20.0, Weight::Bold, title);
    let room = RIGHT - MARGIN - title_width - 20.0;
    let extra =
        s.w.text_box(MARGIN, s.y, room, 16.0, Weight::Bold, Align::Left, issuer);
    s.gap(30.0 + extra);
    for (label, value) in refs {
        s.ensure(ROW);
        s.w.text_right(RIGHT - 110.0, s.y, 10.0, Weight::Bold, label);
        let extra = s.w.text_box(
            X_VALUE,
            s.y,
            RIGHT - X_VALUE,
            10.0,
            Weight::Regular,
            Align::Right,
            value,
        );
        s.gap(ROW + extra);
    }
    s.gap(10.0);
}

/// Address blocks side by side (label, address); long lines wrap inside their block.
pub fn addresses(s: &mut Sheet, blocks: &[(&str, &Address)]) {
    s.ensure(90.0);
    let top = s.y;
    let mut lowest = top;
    for (i, (label, a)) in blocks.iter().enumerate() {
        let x = MARGIN + 260.0 * i as f32;
        let mut y = top;
        s.w.text(x, y, 9.0, Weight::Bold, label);
        y -= 14.0;
        for line in [
            a.name.clone(),
            a.street.clone(),
            format!("{} {}", a.postal_code, a.city),
            a.country.clone(),
        ] {
            let extra =
                s.w.text_box(x, y, 240.0, 10.0, Weight::Regular, Align::Left, &line);
            y -= 13.0 + extra;
        }
        lowest = lowest.min(y);
    }
    s.y = lowest - 15.0;
}

/// A paragraph of body text, wrapped to the page's width.
pub fn paragraph(s: &mut Sheet, text: &str) {
    for line in wrap::lines(text, 10.0, Weight::Regular, RIGHT - MARGIN) {
        s.ensure(ROW);
        s.w.text(MARGIN, s.y, 10.0, Weight::Regular, &line);
        s.gap(ROW);
    }
}

/// The lines of `text` in a column `max` points wide at 10 pt, for rows that grow with them.
pub fn cell(text: &str, max: f32) -> Vec<String> {
    wrap::lines(text, 10.0, Weight::Regular, max)
}

/// Draws the lines of a [`cell`] from the row's baseline down.
pub fn draw_cell(s: &mut Sheet, x: f32, lines: &[String]) {
    for (i, line) in lines.iter().enumerate() {
        s.w.text(
            x,
            s.y - CELL_LEADING * i as f32,
            10.0,
            Weight::Regular,
            line,
        );
    }
}

/// The height a row needs for its tallest cell of `n` lines.
pub fn row_height(n: usize) -> f32 {
    ROW + CELL_LEADING * (n.max(1) - 1) as f32
}

const CELL_LEADING: f32 = 12.0;

const X_QTY: f32 = 330.0;
const X_PRICE: f32 = 410.0;
const X_VAT: f32 = 455.0;

fn priced_header(s: &mut Sheet, order: &Order) {
    let currency = &order.currency;
    let price = if order.prices_include_vat {
        "Price incl. VAT"
    } else {
        "Unit price"
    };
    s.w.text(MARGIN, s.y, 9.0, Weight::Bold, "Description");
    s.w.text_right(X_QTY, s.y, 9.0, Weight::Bold, "Qty");
    s.w.text_right(X_PRICE, s.y, 9.0, Weight::Bold, price);
    s.w.text_right(X_VAT, s.y, 9.0, Weight::Bold, "VAT");
    s.w.text_right(RIGHT, s.y, 9.0, Weight::Bold, &format!("Amount {currency}"));
    s.w.rule(MARGIN, RIGHT, s.y - 4.0);
    s.gap(ROW + 2.0);
}

/// The lines with quantity, unit price, VAT rate and amount (net, or VAT included as the
/// order's prices are); repeats its header on new pages.
pub fn priced_lines(s: &mut Sheet, order: &Order, totals: &Totals) {
    s.ensure(3.0 * ROW);
    priced_header(s, order);
    for (line, amount) in order.lines.iter().zip(&totals.line_amounts) {
        let desc = match &line.sku {
            Some(sku) => format!("{sku}  {}", line.description),
            None => line.description.clone(),
        };
        let desc = cell(&desc, X_QTY - MARGIN - 40.0);
        let height = row_height(desc.len());
        if s.ensure(height) {
            priced_header(s, order);
        }
        draw_cell(s, MARGIN, &desc);
        s.w.text_right(
            X_QTY,
            s.y,
            10.0,
            Weight::Regular,
            &line.quantity.to_string(),
        );
        s.w.text_right(
            X_PRICE,
            s.y,
            10.0,
            Weight::Regular,
            &format_cents(line.unit_price),
        );
        s.w.text_right(
            X_VAT,
            s.y,
            10.0,
            Weight::Regular,
            &format_rate(line.vat_rate),
        );
        s.w.text_right(RIGHT, s.y, 10.0, Weight::Regular, &format_cents(*amount));
        s.gap(height);
    }
    s.w.rule(MARGIN, RIGHT, s.y + ROW - 4.0);
    s.gap(6.0);
}

/// The VAT breakdown (rate, base, VAT) and the net, VAT and gross totals.
pub fn totals(s: &mut Sheet, order: &Order, t: &Totals, total_label: &str) {
    let rows = t.vat.len() as f32 + 5.0;
    s.ensure(rows * ROW);
    let cur = &order.currency;
    let x_label = 330.0;
    s.w.text(MARGIN, s.y, 9.0, Weight::Bold, "VAT rate");
    s.w.text_right(MARGIN + 130.0, s.y, 9.0, Weight::Bold, "Base");
    s.w.text_right(MARGIN + 210.0, s.y, 9.0, Weight::Bold, "VAT");
    let top = s.y;
    s.gap(ROW);
    for v in &t.vat {
        s.w.text(MARGIN, s.y, 10.0, Weight::Regular, &format_rate(v.rate));
        s.w.text_right(
            MARGIN + 130.0,
            s.y,
            10.0,
            Weight::Regular,
            &format_cents(v.base),
        );
        s.w.text_right(
            MARGIN + 210.0,
            s.y,
            10.0,
            Weight::Regular,
            &format_cents(v.vat),
        );
        s.gap(ROW);
    }
    let after_vat = s.y;
    s.y = top;
    for (label, amount, weight) in [
        ("Net total", t.net, Weight::Regular),
        ("VAT total", t.vat_total, Weight::Regular),
        (total_label, t.gross, Weight::Bold),
    ] {
        s.w.text(x_label, s.y, 10.0, weight, label);
        s.w.text_right(
            RIGHT,
            s.y,
            10.0,
            weight,
            &format!("{} {cur}", format_cents(amount)),
        );
        s.gap(ROW);
    }
    s.y = s.y.min(after_vat) - 10.0;
}
