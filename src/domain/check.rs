//! The check's arithmetic, in integer won, with no storage: what each line comes to after
//! voids, 서비스 (comps) and discounts, what the check comes to, what was paid, what is left,
//! and how a bill splits. The same function computes a table's check, its printed bill and
//! every business day's report, so they always agree.
//!
//! Order of application (by adjustment id within each step):
//! 1. voids and comps take units off a line (never more than it has left);
//! 2. line discounts (a percent of, or an amount up to, what the line has left);
//! 3. discounts of the whole check (a percent of, or an amount up to, what is left);
//!    shared out over the lines in proportion, so lines' nets add up to the total.
//!
//! Lines of cancelled orders count nowhere. Nothing can take a line or the check below 0:
//! `total = subtotal − discounts − comps − voids ≥ 0`, `balance = total − paid + refunded`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A line of an order on the check.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub order_item_id: i64,
    pub unit_price: i64,
    pub quantity: i64,
    /// Its order was cancelled: it counts nowhere.
    pub cancelled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjKind {
    Discount,
    Comp,
    Void,
}

impl AdjKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdjKind::Discount => "discount",
            AdjKind::Comp => "comp",
            AdjKind::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<AdjKind> {
        [AdjKind::Discount, AdjKind::Comp, AdjKind::Void].into_iter().find(|k| k.as_str() == s)
    }
}

/// An adjustment as recorded: a discount by `percent` or `amount` on a line or the whole
/// check; a comp or void of `quantity` units of a line (all it has left when `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Adj {
    pub id: i64,
    pub kind: AdjKind,
    pub order_item_id: Option<i64>,
    pub percent: Option<i64>,
    pub amount: Option<i64>,
    pub quantity: Option<i64>,
}

/// A payment with what has been refunded of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pay {
    pub id: i64,
    pub amount: i64,
    pub refunded: i64,
}

/// What a line comes to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineTotal {
    pub order_item_id: i64,
    /// unit price × quantity (0 for a cancelled order).
    pub gross: i64,
    pub voided_qty: i64,
    pub comped_qty: i64,
    pub voided: i64,
    pub comped: i64,
    /// Line discounts and its share of the check's discounts.
    pub discount: i64,
    /// What the guest pays for it: gross − voided − comped − discount.
    pub net: i64,
}

/// The check's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub lines: Vec<LineTotal>,
    /// Each adjustment's amount as it applies now (in the order given).
    pub adjustments: Vec<(i64, i64)>,
    pub subtotal: i64,
    pub discounts: i64,
    pub comps: i64,
    pub voids: i64,
    pub total: i64,
    pub paid: i64,
    pub refunded: i64,
    pub balance: i64,
}

/// Computes the check from its lines, adjustments (any order: applied by id) and payments.
pub fn compute(lines: &[Line], adjs: &[Adj], pays: &[Pay]) -> Totals {
    let mut t = Totals::default();
    let mut out: Vec<LineTotal> = lines
        .iter()
        .map(|l| LineTotal {
            order_item_id: l.order_item_id,
            gross: if l.cancelled { 0 } else { l.unit_price * l.quantity },
            ..Default::default()
        })
        .collect();
    let index = |id: i64| lines.iter().position(|l| l.order_item_id == id);
    let mut sorted: Vec<&Adj> = adjs.iter().collect();
    sorted.sort_by_key(|a| a.id);
    let mut applied: std::collections::HashMap<i64, i64> = Default::default();

    // 1. Voids and comps: units off a line.
    for a in sorted.iter().filter(|a| a.kind != AdjKind::Discount) {
        let amount = match a.order_item_id.and_then(index) {
            Some(i) if !lines[i].cancelled => {
                let lt = &mut out[i];
                let left = lines[i].quantity - lt.voided_qty - lt.comped_qty;
                let q = a.quantity.unwrap_or(left).clamp(0, left);
                if a.kind == AdjKind::Void {
                    lt.voided_qty += q;
                    lt.voided += q * lines[i].unit_price;
                } else {
                    lt.comped_qty += q;
                    lt.comped += q * lines[i].unit_price;
                }
                q * lines[i].unit_price
            }
            _ => 0,
        };
        applied.insert(a.id, amount);
    }
    // 2. Line discounts.
    for a in sorted.iter().filter(|a| a.kind == AdjKind::Discount && a.order_item_id.is_some()) {
        let amount = match a.order_item_id.and_then(index) {
            Some(i) if !lines[i].cancelled => {
                let lt = &mut out[i];
                let base = lt.gross - lt.voided - lt.comped - lt.discount;
                let d = discount_of(base, a);
                lt.discount += d;
                d
            }
            _ => 0,
        };
        applied.insert(a.id, amount);
    }
    // 3. Discounts of the whole check, shared out over the lines.
    let mut check_discount = 0;
    for a in sorted.iter().filter(|a| a.kind == AdjKind::Discount && a.order_item_id.is_none()) {
        let left: i64 = out.iter().map(|l| l.gross - l.voided - l.comped - l.discount).sum::<i64>() - check_discount;
        let d = discount_of(left, a);
        check_discount += d;
        applied.insert(a.id, d);
    }
    share_out(&mut out, check_discount);
    for lt in &mut out {
        lt.net = lt.gross - lt.voided - lt.comped - lt.discount;
    }
    t.subtotal = out.iter().map(|l| l.gross).sum();
    t.voids = out.iter().map(|l| l.voided).sum();
    t.comps = out.iter().map(|l| l.comped).sum();
    t.discounts = out.iter().map(|l| l.discount).sum();
    t.total = t.subtotal - t.discounts - t.comps - t.voids;
    t.paid = pays.iter().map(|p| p.amount).sum();
    t.refunded = pays.iter().map(|p| p.refunded).sum();
    t.balance = t.total - t.paid + t.refunded;
    t.adjustments = adjs.iter().map(|a| (a.id, applied.get(&a.id).copied().unwrap_or(0))).collect();
    t.lines = out;
    t
}

/// A discount on `base`: a percent of it (rounded down to the won), or an amount up to it.
fn discount_of(base: i64, a: &Adj) -> i64 {
    let base = base.max(0);
    match (a.percent, a.amount) {
        (Some(p), _) => base * p.clamp(0, 100) / 100,
        (None, Some(amount)) => amount.clamp(0, base),
        (None, None) => 0,
    }
}

/// Shares `amount` over the lines in proportion to what each has left (rounded down, the
/// remainder a won at a time to the lines with the most left), so that no line goes below 0
/// and the shares add up exactly.
fn share_out(lines: &mut [LineTotal], amount: i64) {
    if amount <= 0 {
        return;
    }
    let left: Vec<i64> = lines.iter().map(|l| (l.gross - l.voided - l.comped - l.discount).max(0)).collect();
    let sum: i64 = left.iter().sum();
    if sum == 0 {
        return;
    }
    let amount = amount.min(sum);
    let mut given = 0;
    let mut shares: Vec<i64> = left.iter().map(|l| (*l as i128 * amount as i128 / sum as i128) as i64).collect();
    given += shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(left[*i] - shares[*i]));
    let mut k = 0;
    while given < amount {
        let i = order[k % order.len()];
        if shares[i] < left[i] {
            shares[i] += 1;
            given += 1;
        }
        k += 1;
    }
    for (l, s) in lines.iter_mut().zip(shares) {
        l.discount += s;
    }
}

/// An equal split of `total` into `parts`: each part rounded down, the remainder on the
/// first part, so the parts add up exactly.
pub fn equal_parts(total: i64, parts: i64) -> Vec<i64> {
    let parts = parts.max(1);
    let each = total / parts;
    let mut out = vec![each; parts as usize];
    out[0] += total - each * parts;
    out
}

/// What the chosen lines come to (their nets, shares of the check's discounts included).
pub fn items_amount(t: &Totals, order_item_ids: &[i64]) -> i64 {
    t.lines.iter().filter(|l| order_item_ids.contains(&l.order_item_id)).map(|l| l.net).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64, unit: i64, qty: i64) -> Line {
        Line { order_item_id: id, unit_price: unit, quantity: qty, cancelled: false }
    }

    fn adj(
        id: i64,
        kind: AdjKind,
        item: Option<i64>,
        percent: Option<i64>,
        amount: Option<i64>,
        qty: Option<i64>,
    ) -> Adj {
        Adj { id, kind, order_item_id: item, percent, amount, quantity: qty }
    }

    #[test]
    fn a_check_with_every_kind_of_adjustment_adds_up() {
        // 김치찌개 9,000 × 2, 콜라 2,000 × 3, 소주 5,000 × 1 = 29,000.
        let lines = [line(1, 9000, 2), line(2, 2000, 3), line(3, 5000, 1)];
        let adjs = [
            adj(1, AdjKind::Comp, Some(2), None, None, Some(1)), // one cola on the house: 2,000
            adj(2, AdjKind::Void, Some(3), None, None, None),    // the soju never came: 5,000
            adj(3, AdjKind::Discount, Some(1), Some(10), None, None), // 10 % off the stews: 1,800
            adj(4, AdjKind::Discount, None, None, Some(1000), None), // 1,000 off the check
        ];
        let t = compute(&lines, &adjs, &[Pay { id: 1, amount: 10_000, refunded: 0 }]);
        assert_eq!(t.subtotal, 29_000);
        assert_eq!((t.comps, t.voids, t.discounts), (2_000, 5_000, 2_800));
        assert_eq!(t.total, 19_200);
        assert_eq!(t.balance, 9_200);
        assert_eq!(t.adjustments, vec![(1, 2000), (2, 5000), (3, 1800), (4, 1000)]);
        assert_eq!(t.lines.iter().map(|l| l.net).sum::<i64>(), t.total, "lines add up to the check");
        assert_eq!((t.lines[1].comped_qty, t.lines[2].voided_qty), (1, 1));
    }

    #[test]
    fn nothing_goes_below_zero_and_cancelled_orders_count_nowhere() {
        let mut lines = vec![line(1, 3000, 1), line(2, 4000, 1)];
        let adjs = [
            adj(1, AdjKind::Discount, Some(1), None, Some(99_999), None),
            adj(2, AdjKind::Void, Some(2), None, None, Some(5)),
            adj(3, AdjKind::Discount, None, Some(100), None, None),
        ];
        let t = compute(&lines, &adjs, &[]);
        assert_eq!(t.adjustments, vec![(1, 3000), (2, 4000), (3, 0)]);
        assert_eq!(t.total, 0);
        lines[0].cancelled = true;
        let t = compute(&lines, &adjs, &[]);
        assert_eq!((t.subtotal, t.total), (4000, 0));
        assert_eq!(t.adjustments[0], (1, 0), "an adjustment of a cancelled order counts nowhere");
    }

    #[test]
    fn equal_parts_add_up_with_the_remainder_on_the_first() {
        assert_eq!(equal_parts(10_000, 3), vec![3_334, 3_333, 3_333]);
        assert_eq!(equal_parts(2, 3), vec![2, 0, 0]);
        assert_eq!(equal_parts(0, 4), vec![0, 0, 0, 0]);
        for total in [1, 7, 9_999, 123_457] {
            for parts in 1..=12 {
                let p = equal_parts(total, parts);
                assert_eq!(p.iter().sum::<i64>(), total);
                assert!(p.iter().skip(1).all(|x| *x == p[1]) && p[0] >= p[p.len() - 1]);
            }
        }
    }

    /// A small, seeded generator: the same sequences every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: i64) -> i64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as i64
        }
    }

    #[test]
    fn any_sequence_of_adjustments_and_payments_keeps_the_check_whole() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..3000 {
            let n = 1 + r.next(6);
            let lines: Vec<Line> = (0..n)
                .map(|i| Line {
                    order_item_id: i + 1,
                    unit_price: r.next(30) * 500,
                    quantity: 1 + r.next(5),
                    cancelled: r.next(8) == 0,
                })
                .collect();
            let mut adjs = Vec::new();
            let mut pays: Vec<Pay> = Vec::new();
            for step in 0..r.next(12) {
                let id = step + 1;
                match r.next(5) {
                    0 => adjs.push(adj(
                        id,
                        AdjKind::Void,
                        Some(1 + r.next(n)),
                        None,
                        None,
                        (r.next(2) == 0).then(|| r.next(6)),
                    )),
                    1 => adjs.push(adj(
                        id,
                        AdjKind::Comp,
                        Some(1 + r.next(n)),
                        None,
                        None,
                        (r.next(2) == 0).then(|| r.next(6)),
                    )),
                    2 => {
                        let item = (r.next(2) == 0).then(|| 1 + r.next(n));
                        let (p, a) =
                            if r.next(2) == 0 { (Some(1 + r.next(100)), None) } else { (None, Some(r.next(40_000))) };
                        adjs.push(adj(id, AdjKind::Discount, item, p, a, None));
                    }
                    _ => {
                        // A payment never more than the balance; a refund never more than paid.
                        let t = compute(&lines, &adjs, &pays);
                        if t.balance > 0 {
                            pays.push(Pay { id, amount: 1 + r.next(t.balance), refunded: 0 });
                        } else if let Some(p) = pays.last_mut() {
                            p.refunded = (p.refunded + r.next(p.amount)).min(p.amount);
                        }
                    }
                }
                let t = compute(&lines, &adjs, &pays);
                assert_eq!(t.total, t.subtotal - t.discounts - t.comps - t.voids, "case {case}");
                assert!(t.total >= 0, "case {case}: {t:?}");
                assert_eq!(t.balance, t.total - t.paid + t.refunded, "case {case}");
                assert_eq!(t.lines.iter().map(|l| l.net).sum::<i64>(), t.total, "case {case}");
                for (l, lt) in lines.iter().zip(&t.lines) {
                    assert!(lt.net >= 0 && lt.voided_qty + lt.comped_qty <= l.quantity, "case {case}: {lt:?}");
                }
                assert_eq!(
                    t.adjustments.iter().map(|(_, a)| a).sum::<i64>(),
                    t.discounts + t.comps + t.voids,
                    "case {case}"
                );
                let split = equal_parts(t.total, 1 + r.next(8));
                assert_eq!(split.iter().sum::<i64>(), t.total);
                let all: Vec<i64> = lines.iter().map(|l| l.order_item_id).collect();
                assert_eq!(items_amount(&t, &all), t.total, "case {case}");
            }
        }
    }
}
