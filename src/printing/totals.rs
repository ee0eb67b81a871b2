//! An order's totals: line amounts, the VAT breakdown per rate, net, VAT and gross totals. With
//! prices that include VAT the VAT of each rate is taken out of its lines' sum, so that the
//! gross total is exactly the sum of the lines (what the customer paid).

use serde::Serialize;

use super::money::apply_rate;
use super::payload::Order;

/// VAT of one rate: the net base it applies to and the tax (rounded once per rate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VatLine {
    pub rate: i64,
    pub base: i64,
    pub vat: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Amount of each line, in order (quantity × unit price): net, or VAT included when the
    /// order's prices include it.
    pub line_amounts: Vec<i64>,
    /// One entry per VAT rate, by increasing rate.
    pub vat: Vec<VatLine>,
    pub net: i64,
    pub vat_total: i64,
    pub gross: i64,
}

impl Totals {
    pub fn of(order: &Order) -> Totals {
        let line_amounts: Vec<i64> = order
            .lines
            .iter()
            .map(|l| l.quantity.saturating_mul(l.unit_price))
            .collect();
        let mut rates: Vec<i64> = order.lines.iter().map(|l| l.vat_rate).collect();
        rates.sort_unstable();
        rates.dedup();
        let vat: Vec<VatLine> = rates
            .into_iter()
            .map(|rate| {
                let sum: i64 = order
                    .lines
                    .iter()
                    .zip(&line_amounts)
                    .filter(|(l, _)| l.vat_rate == rate)
                    .map(|(_, n)| *n)
                    .sum();
                if order.prices_include_vat {
                    let vat = vat_included(sum, rate);
                    VatLine {
                        rate,
                        base: sum - vat,
                        vat,
                    }
                } else {
                    VatLine {
                        rate,
                        base: sum,
                        vat: apply_rate(sum, rate),
                    }
                }
            })
            .collect();
        let net = vat.iter().map(|v| v.base).sum();
        let vat_total = vat.iter().map(|v| v.vat).sum();
        Totals {
            line_amounts,
            vat,
            net,
            vat_total,
            gross: net + vat_total,
        }
    }
}

/// The VAT included in `gross` cents at `bp` hundredths of a percent: gross × rate / (100 % +
/// rate), rounded half away from zero (9.00 at 20 %: 1.50).
fn vat_included(gross: i64, bp: i64) -> i64 {
    let p = i128::from(gross) * i128::from(bp);
    let d = 10_000 + i128::from(bp);
    let q = (2 * p.abs() + d) / (2 * d);
    let q = if p < 0 { -q } else { q };
    i64::try_from(q).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printing::event::EventKind;
    use crate::printing::payload::{tests::sample, validate};

    #[test]
    fn vat_is_broken_down_per_rate_and_totals_add_up() {
        let o = validate(EventKind::OrderReceived, &sample()).unwrap();
        let t = Totals::of(&o);
        assert_eq!(t.line_amounts, [1350, 1200]);
        assert_eq!(
            t.vat,
            [
                VatLine {
                    rate: 550,
                    base: 1200,
                    vat: 66
                },
                VatLine {
                    rate: 2000,
                    base: 1350,
                    vat: 270
                }
            ]
        );
        assert_eq!((t.net, t.vat_total, t.gross), (2550, 336, 2886));
    }

    #[test]
    fn prices_with_vat_included_keep_the_total_the_customer_paid() {
        let mut value = sample();
        value["prices_include_vat"] = serde_json::json!(true);
        let o = validate(EventKind::OrderReceived, &value).unwrap();
        let t = Totals::of(&o);
        // 3 × 4.50 at 20 % and 1 × 12.00 at 5.5 %, VAT included.
        assert_eq!(t.line_amounts, [1350, 1200]);
        assert_eq!(
            t.vat,
            [
                VatLine {
                    rate: 550,
                    base: 1137,
                    vat: 63
                },
                VatLine {
                    rate: 2000,
                    base: 1125,
                    vat: 225
                }
            ]
        );
        assert_eq!((t.net, t.vat_total, t.gross), (2262, 288, 2550));
        assert_eq!(vat_included(900, 2000), 150);
        assert_eq!(vat_included(-900, 2000), -150);
        value["prices_include_vat"] = serde_json::json!("yes");
        let err = validate(EventKind::OrderReceived, &value).unwrap_err();
        assert!(
            err.to_string()
                .contains("$.prices_include_vat: must be true or false"),
            "{err}"
        );
    }
}
