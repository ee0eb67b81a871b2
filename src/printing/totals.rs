//! An order's totals: line amounts, the VAT breakdown per rate, net, VAT and gross totals.

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
    /// Net amount of each line, in order.
    pub line_net: Vec<i64>,
    /// One entry per VAT rate, by increasing rate.
    pub vat: Vec<VatLine>,
    pub net: i64,
    pub vat_total: i64,
    pub gross: i64,
}

impl Totals {
    pub fn of(order: &Order) -> Totals {
        let line_net: Vec<i64> = order
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
                let base = order
                    .lines
                    .iter()
                    .zip(&line_net)
                    .filter(|(l, _)| l.vat_rate == rate)
                    .map(|(_, n)| *n)
                    .sum();
                VatLine {
                    rate,
                    base,
                    vat: apply_rate(base, rate),
                }
            })
            .collect();
        let net = line_net.iter().sum();
        let vat_total = vat.iter().map(|v| v.vat).sum();
        Totals {
            line_net,
            vat,
            net,
            vat_total,
            gross: net + vat_total,
        }
    }
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
        assert_eq!(t.line_net, [1350, 1200]);
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
}
