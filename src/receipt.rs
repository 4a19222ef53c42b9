//! What a bill (계산서), a receipt (영수증) and a day report (마감 정산) say on paper: a list of
//! lines, laid out for the receipt printer by `kitchen::escpos::render_doc`. Built here,
//! from the check or the report, with no storage and no printer bytes.

use crate::wire::{CheckDto, DayReport};
use serde::{Deserialize, Serialize};

/// A line of a printed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum DocLine {
    /// Centred, double size (the document's name).
    Title { text: String },
    /// Centred.
    Center { text: String },
    /// Left-aligned, wrapped to the paper.
    Text { text: String },
    /// Text on the left, an amount on the right.
    Pair { left: String, right: String },
    /// Bold, the total.
    Total { left: String, right: String },
    /// A separator across the paper.
    Rule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Doc {
    pub lines: Vec<DocLine>,
}

/// 12,345원
pub fn won(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out}원", if n < 0 { "-" } else { "" })
}

fn method_name(m: &str) -> &'static str {
    match m {
        "cash" => "현금",
        "card" => "카드",
        "transfer" => "계좌이체",
        "voucher" => "상품권",
        _ => "기타",
    }
}

impl Doc {
    fn push(&mut self, l: DocLine) {
        self.lines.push(l);
    }
    fn pair(&mut self, left: impl Into<String>, right: impl Into<String>) {
        self.push(DocLine::Pair { left: left.into(), right: right.into() });
    }
    fn text(&mut self, t: impl Into<String>) {
        self.push(DocLine::Text { text: t.into() });
    }
}

/// A bill (before payment) or a receipt (with its payments) of a check. `time` and
/// `business_date` are in the store's timezone.
pub fn check_doc(c: &CheckDto, store_name: &str, receipt: bool, time: &str, business_date: &str) -> Doc {
    let mut d = Doc::default();
    d.push(DocLine::Title { text: if receipt { "영수증".into() } else { "계산서".into() } });
    d.push(DocLine::Center { text: store_name.into() });
    d.push(DocLine::Center {
        text: format!("테이블 {}{}", c.table_number, c.guests.map(|g| format!(" · {g}명")).unwrap_or_default()),
    });
    d.push(DocLine::Center { text: format!("{time} (영업일 {business_date})") });
    d.push(DocLine::Rule);
    for l in c.lines.iter().filter(|l| !l.cancelled) {
        let name = if l.options.is_empty() {
            l.name.clone()
        } else {
            format!("{} ({})", l.name, l.options.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", "))
        };
        d.pair(format!("{name} x{}", l.quantity), won(l.amount));
        if l.voided_qty > 0 {
            d.pair(format!("  취소 x{}", l.voided_qty), won(-l.voided_qty * l.unit_price));
        }
        if l.comped_qty > 0 {
            d.pair(format!("  서비스 x{}", l.comped_qty), won(-l.comped_qty * l.unit_price));
        }
    }
    d.push(DocLine::Rule);
    d.pair("합계", won(c.subtotal));
    for a in &c.adjustments {
        let what = match a.kind.as_str() {
            "discount" => match a.percent {
                Some(p) => format!("할인 {p}%"),
                None => "할인".into(),
            },
            "comp" => "서비스".into(),
            _ => "취소".into(),
        };
        if a.kind == "discount" {
            d.pair(format!("{what} ({})", a.reason), won(-a.amount));
        }
    }
    d.push(DocLine::Total { left: "받을 금액".into(), right: won(c.total) });
    if receipt {
        d.push(DocLine::Rule);
        for p in &c.payments {
            d.pair(method_name(&p.method), won(p.amount));
            if let Some(t) = p.tendered {
                d.pair("  받은 돈", won(t));
                d.pair("  거스름돈", won(p.change));
            }
            if p.refunded > 0 {
                d.pair("  환불", won(-p.refunded));
            }
        }
        d.pair("결제 합계", won(c.paid - c.refunded));
        if c.balance != 0 {
            d.push(DocLine::Total { left: "남은 금액".into(), right: won(c.balance) });
        }
    }
    d.push(DocLine::Rule);
    d.text(if receipt { "감사합니다. 또 오세요!" } else { "결제 전 계산서입니다." });
    d
}

/// The day report on paper.
pub fn day_doc(r: &DayReport, store_name: &str, time: &str) -> Doc {
    let mut d = Doc::default();
    d.push(DocLine::Title { text: "마감 정산".into() });
    d.push(DocLine::Center { text: store_name.into() });
    d.push(DocLine::Center { text: format!("영업일 {}", r.day.business_date) });
    d.push(DocLine::Center { text: format!("출력 {time}") });
    d.push(DocLine::Rule);
    d.pair("주문", format!("{}건", r.orders));
    d.pair("테이블", format!("{}팀", r.sessions));
    d.pair("손님", format!("{}명", r.guests));
    d.pair("총매출", won(r.gross));
    d.pair("할인", won(-r.discounts));
    d.pair("서비스", won(-r.comps));
    d.pair("취소", won(-r.voids));
    d.pair("환불", won(-r.refunds));
    d.push(DocLine::Total { left: "순매출".into(), right: won(r.net) });
    d.pair("객단가", won(r.average_per_guest));
    d.push(DocLine::Rule);
    for p in &r.payments {
        d.pair(format!("{} {}건", method_name(&p.method), p.count), won(p.amount));
    }
    d.push(DocLine::Rule);
    d.pair("시재 (시작)", won(r.cash.opening));
    d.pair("현금 매출", won(r.cash.sales));
    d.pair("현금 환불", won(-r.cash.refunds));
    d.pair("예상 현금", won(r.cash.expected));
    if let Some(c) = r.cash.counted {
        d.pair("실제 현금", won(c));
    }
    if let Some(diff) = r.cash.difference {
        d.push(DocLine::Total { left: "과부족".into(), right: won(diff) });
    }
    if !r.unpaid.is_empty() {
        d.push(DocLine::Rule);
        for u in &r.unpaid {
            d.pair(format!("미결제 테이블 {}", u.table_number), won(u.balance));
        }
    }
    if r.cancelled.orders > 0 {
        d.pair(format!("주문 취소 {}건", r.cancelled.orders), won(r.cancelled.amount));
    }
    d.push(DocLine::Rule);
    for i in r.by_item.iter().take(10) {
        d.pair(format!("{} x{}", i.name, i.quantity), won(i.net));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_in_won_with_separators() {
        assert_eq!(won(0), "0원");
        assert_eq!(won(9_000), "9,000원");
        assert_eq!(won(1_234_567), "1,234,567원");
        assert_eq!(won(-550), "-550원");
    }

    #[test]
    fn a_receipt_names_the_table_lines_discounts_payments_and_change() {
        let c = crate::wire::samples::check();
        let d = check_doc(&c, "본점", true, "2030-06-14 20:30", "2030-06-14");
        let text = serde_json::to_string(&d).unwrap();
        for needle in
            ["영수증", "테이블 12 · 3명", "김치찌개 x2", "서비스 x1", "받을 금액", "현금", "거스름돈", "5,000원"]
        {
            assert!(text.contains(needle), "{needle} missing: {text}");
        }
        let bill = check_doc(&c, "본점", false, "2030-06-14 20:30", "2030-06-14");
        assert!(!serde_json::to_string(&bill).unwrap().contains("거스름돈"), "a bill has no payments");
    }
}
