//! The business day (영업일) and its report (마감 정산).
//!
//! A day opens by itself when a store first takes an order, a payment or a refund with no
//! day open (or by hand, with the opening cash), and ends when a manager closes it or, when
//! nobody did, at the store's cutoff hour the next morning. It belongs to the date it began
//! on — before the cutoff hour, the evening before.
//!
//! What a day's report counts: the checks settled in it (visits that ended while it was
//! open: their orders, discounts, comps, voids) and the money taken and given back in it
//! (payments and refunds by the time they were made). The report is computed from those
//! rows by the same arithmetic as each check, and frozen when the day closes: a refund made
//! later belongs to the day it is made in.

use crate::db::audit::{self, Audit, Who};
use crate::db::events::{EventType, NewEvent};
use crate::db::rfc3339;
use crate::db::writer::WriteCtx;
use crate::domain::check::{self as calc, Adj, AdjKind, Line, Pay};
use crate::error::{AppError, AppResult};
use crate::wire::{
    CancelledTotal, CashCount, CategoryTotal, DayDto, DayReport, HourTotal, ItemTotal, MethodTotal, Unpaid,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// A day as stored.
#[derive(Debug, Clone)]
pub struct DayRow {
    pub id: i64,
    pub business_date: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub opening_cash: i64,
    pub counted_cash: Option<i64>,
    pub opened_by: Option<String>,
    pub closed_by: Option<String>,
    pub report: Option<String>,
}

const DAY_COLS: &str = "d.id, d.business_date, d.opened_at, d.closed_at, d.opening_cash, d.counted_cash,
    (SELECT CASE WHEN s.display_name = '' THEN s.username ELSE s.display_name END FROM admins s WHERE s.id = d.opened_by),
    (SELECT CASE WHEN s.display_name = '' THEN s.username ELSE s.display_name END FROM admins s WHERE s.id = d.closed_by),
    d.report";

fn day_row(r: &rusqlite::Row) -> rusqlite::Result<DayRow> {
    Ok(DayRow {
        id: r.get(0)?,
        business_date: r.get(1)?,
        opened_at: r.get(2)?,
        closed_at: r.get(3)?,
        opening_cash: r.get(4)?,
        counted_cash: r.get(5)?,
        opened_by: r.get(6)?,
        closed_by: r.get(7)?,
        report: r.get(8)?,
    })
}

impl DayRow {
    pub fn dto(&self) -> DayDto {
        DayDto {
            id: self.id,
            business_date: self.business_date.clone(),
            opened_at: rfc3339(self.opened_at),
            closed_at: self.closed_at.map(rfc3339),
            opened_by: self.opened_by.clone(),
            closed_by: self.closed_by.clone(),
            opening_cash: self.opening_cash,
        }
    }
}

/// The store's open day, if any.
pub fn open_day(conn: &Connection, store_id: &str) -> AppResult<Option<DayRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {DAY_COLS} FROM business_days d WHERE d.store_id = ?1 AND d.closed_at IS NULL"
        ))?
        .query_row([store_id], day_row)
        .optional()?)
}

pub fn day(conn: &Connection, store_id: &str, id: i64) -> AppResult<DayRow> {
    conn.prepare_cached(&format!("SELECT {DAY_COLS} FROM business_days d WHERE d.store_id = ?1 AND d.id = ?2"))?
        .query_row(params![store_id, id], day_row)
        .optional()?
        .ok_or(AppError::NotFound("business day"))
}

/// Days with a business date in [from, to] (either open-ended), newest first.
pub fn list(conn: &Connection, store_id: &str, from: Option<&str>, to: Option<&str>) -> AppResult<Vec<DayDto>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {DAY_COLS} FROM business_days d WHERE d.store_id = ?1
               AND (?2 IS NULL OR d.business_date >= ?2) AND (?3 IS NULL OR d.business_date <= ?3)
             ORDER BY d.business_date DESC, d.id DESC LIMIT 400"
        ))?
        .query_map(params![store_id, from, to], day_row)?
        .map(|r| r.map(|d| d.dto()))
        .collect::<Result<_, _>>()?)
}

/// The date a day opened at `at_ms` belongs to: before the cutoff hour, the day before.
pub fn business_date(tz: &jiff::tz::TimeZone, at_ms: i64, cutoff_hour: i64) -> AppResult<String> {
    let at = jiff::Timestamp::from_millisecond(at_ms).map_err(AppError::internal)?.to_zoned(tz.clone());
    let shifted = at.checked_sub(jiff::SignedDuration::from_hours(cutoff_hour)).map_err(AppError::internal)?;
    Ok(shifted.date().to_string())
}

/// When a day of `business_date` ends by itself: the next day at the cutoff hour.
pub fn cutoff_at(tz: &jiff::tz::TimeZone, business_date: &str, cutoff_hour: i64) -> AppResult<i64> {
    let d: jiff::civil::Date = business_date.parse().map_err(AppError::internal)?;
    let next = d.tomorrow().map_err(AppError::internal)?;
    let at = next.at(cutoff_hour.clamp(0, 23) as i8, 0, 0, 0).to_zoned(tz.clone()).map_err(AppError::internal)?;
    Ok(at.timestamp().as_millisecond())
}

fn insert_day(ctx: &mut WriteCtx, store_id: &str, opened_by: Option<i64>, opening_cash: i64) -> AppResult<i64> {
    let tz = crate::db::stores::timezone(ctx.conn, store_id)?;
    let cutoff = crate::db::stores::settings(ctx.conn, store_id)?.day_cutoff_hour;
    let date = business_date(&tz, ctx.now_ms, cutoff)?;
    ctx.conn.execute(
        "INSERT INTO business_days (store_id, business_date, opened_at, opened_by, opening_cash) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![store_id, date, ctx.now_ms, opened_by, opening_cash],
    )?;
    Ok(ctx.conn.last_insert_rowid())
}

/// Whether the open day `d` is past its cutoff.
fn past_cutoff(ctx: &WriteCtx, store_id: &str, d: &DayRow) -> AppResult<bool> {
    let tz = crate::db::stores::timezone(ctx.conn, store_id)?;
    let cutoff = crate::db::stores::settings(ctx.conn, store_id)?.day_cutoff_hour;
    Ok(ctx.now_ms >= cutoff_at(&tz, &d.business_date, cutoff)?)
}

/// The open day's id, closing one that is past its cutoff and opening one when none is open.
pub fn ensure_open(ctx: &mut WriteCtx, store_id: &str) -> AppResult<i64> {
    if let Some(d) = open_day(ctx.conn, store_id)? {
        if !past_cutoff(ctx, store_id, &d)? {
            return Ok(d.id);
        }
        close_with(ctx, store_id, &d, None, None)?;
    }
    insert_day(ctx, store_id, None, 0)
}

/// Closes the open day if it is past its cutoff (the background task; any write would too).
pub fn close_if_due(ctx: &mut WriteCtx, store_id: &str) -> AppResult<Option<DayReport>> {
    match open_day(ctx.conn, store_id)? {
        Some(d) if past_cutoff(ctx, store_id, &d)? => Ok(Some(close_with(ctx, store_id, &d, None, None)?)),
        _ => Ok(None),
    }
}

/// Stores with an open day (the cutoff task looks at each).
pub fn stores_with_open_days(conn: &Connection) -> AppResult<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT store_id FROM business_days WHERE closed_at IS NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Opens a day by hand with the cash in the drawer (409 while one is open).
pub fn open(ctx: &mut WriteCtx, store_id: &str, opening_cash: i64, who: &Who) -> AppResult<DayDto> {
    if let Some(d) = open_day(ctx.conn, store_id)? {
        if !past_cutoff(ctx, store_id, &d)? {
            return Err(AppError::Conflict(format!("the business day of {} is open already", d.business_date)));
        }
        close_with(ctx, store_id, &d, None, None)?;
    }
    let id = insert_day(ctx, store_id, Some(who.staff_id), opening_cash)?;
    let d = day(ctx.conn, store_id, id)?;
    let mut a = Audit::by("day_opened", who, None);
    a.amount = Some(opening_cash);
    a.detail = json!({ "day_id": id, "business_date": d.business_date });
    audit::record(ctx, store_id, a)?;
    Ok(d.dto())
}

/// Closes the open day (마감): 409 `open_sessions` while a visit is open, unless `force`
/// (then those visits stay open and carry into the next day).
pub fn close(
    ctx: &mut WriteCtx,
    store_id: &str,
    counted_cash: Option<i64>,
    force: bool,
    reason: Option<&str>,
    who: &Who,
) -> AppResult<DayReport> {
    let d = open_day(ctx.conn, store_id)?.ok_or_else(|| AppError::Conflict("no business day is open".into()))?;
    let open: Vec<i64> = ctx
        .conn
        .prepare_cached(
            "SELECT t.number FROM table_sessions s JOIN tables t ON t.id = s.table_id
             WHERE s.store_id = ?1 AND s.ended_at IS NULL ORDER BY t.number",
        )?
        .query_map([store_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if !open.is_empty() && !force {
        return Err(AppError::OpenSessions { tables: open });
    }
    let report = close_with(ctx, store_id, &d, Some(who.staff_id), counted_cash)?;
    let mut a = Audit::by("day_closed", who, None);
    a.amount = Some(report.net);
    a.reason = reason.map(str::to_string);
    a.detail = json!({
        "day_id": d.id, "business_date": d.business_date, "counted_cash": counted_cash,
        "difference": report.cash.difference, "forced_with_open_tables": open,
    });
    audit::record(ctx, store_id, a)?;
    Ok(report)
}

/// Closes `d` now (by `closed_by`, or by itself), freezes its report and records `day_closed`.
fn close_with(
    ctx: &mut WriteCtx,
    store_id: &str,
    d: &DayRow,
    closed_by: Option<i64>,
    counted: Option<i64>,
) -> AppResult<DayReport> {
    ctx.conn.execute(
        "UPDATE business_days SET closed_at = max(?3, opened_at), closed_by = ?4, counted_cash = ?5 WHERE store_id = ?1 AND id = ?2",
        params![store_id, d.id, ctx.now_ms, closed_by, counted],
    )?;
    let closed = day(ctx.conn, store_id, d.id)?;
    let report = compute(ctx.conn, store_id, &closed)?;
    let json = serde_json::to_string(&report).map_err(AppError::internal)?;
    ctx.conn.execute(
        "UPDATE business_days SET report = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, d.id, json],
    )?;
    ctx.emit(NewEvent::new(store_id, None, EventType::DayClosed, &report))?;
    Ok(report)
}

/// A day's report: as frozen at its close, or as it stands while it is open.
pub fn report(conn: &Connection, store_id: &str, id: i64) -> AppResult<DayReport> {
    let d = day(conn, store_id, id)?;
    if let Some(json) = &d.report {
        return serde_json::from_str(json).map_err(AppError::internal);
    }
    compute(conn, store_id, &d)
}

/// One line of a settled check, with what the report groups it by.
struct ReportLine {
    session_id: i64,
    order_id: i64,
    order_created: i64,
    menu_item_id: i64,
    name: String,
    category: String,
    line: Line,
}

/// Computes a day's report from its rows (see the module's note). The joins go from the
/// day's sessions outwards (CROSS JOIN fixes the order): a store's lines pile up over
/// months and must not be walked for one day.
pub fn compute(conn: &Connection, store_id: &str, d: &DayRow) -> AppResult<DayReport> {
    let tz = crate::db::stores::timezone(conn, store_id)?;
    // The checks settled in the day: their sessions, lines, adjustments and payments, in a
    // few queries whatever the number of checks.
    let sessions: Vec<(i64, i64, Option<i64>)> = conn
        .prepare_cached(
            "SELECT s.id, t.number, s.guests FROM table_sessions s JOIN tables t ON t.id = s.table_id
             WHERE s.store_id = ?1 AND s.day_id = ?2 AND s.merged_into IS NULL ORDER BY s.id",
        )?
        .query_map(params![store_id, d.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut lines: HashMap<i64, Vec<ReportLine>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT o.session_id, oi.id, o.id, o.created_at, oi.menu_item_id, oi.name, coalesce(c.name, ''),
                oi.unit_price, oi.quantity, o.status = 'cancelled'
         FROM table_sessions s
         CROSS JOIN orders o ON o.store_id = s.store_id AND o.session_id = s.id
         CROSS JOIN order_items oi ON oi.store_id = o.store_id AND oi.order_id = o.id
         LEFT JOIN menu_items mi ON mi.id = oi.menu_item_id AND mi.store_id = s.store_id
         LEFT JOIN categories c ON c.id = mi.category_id
         WHERE s.store_id = ?1 AND s.day_id = ?2 AND s.merged_into IS NULL ORDER BY oi.id",
    )?;
    let mut rows = stmt.query(params![store_id, d.id])?;
    while let Some(r) = rows.next()? {
        let l = ReportLine {
            session_id: r.get(0)?,
            order_id: r.get(2)?,
            order_created: r.get(3)?,
            menu_item_id: r.get(4)?,
            name: r.get(5)?,
            category: r.get(6)?,
            line: Line { order_item_id: r.get(1)?, unit_price: r.get(7)?, quantity: r.get(8)?, cancelled: r.get(9)? },
        };
        lines.entry(l.session_id).or_default().push(l);
    }
    let mut adjs: HashMap<i64, Vec<Adj>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT a.session_id, a.id, a.kind, a.order_item_id, a.percent, a.amount, a.quantity
         FROM table_sessions s CROSS JOIN adjustments a ON a.store_id = s.store_id AND a.session_id = s.id
         WHERE s.store_id = ?1 AND s.day_id = ?2 AND s.merged_into IS NULL AND a.removed_at IS NULL",
    )?;
    let mut rows = stmt.query(params![store_id, d.id])?;
    while let Some(r) = rows.next()? {
        let kind: String = r.get(2)?;
        adjs.entry(r.get(0)?).or_default().push(Adj {
            id: r.get(1)?,
            kind: AdjKind::parse(&kind).unwrap_or(AdjKind::Discount),
            order_item_id: r.get(3)?,
            percent: r.get(4)?,
            amount: r.get(5)?,
            quantity: r.get(6)?,
        });
    }
    let mut pays: HashMap<i64, Vec<Pay>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT p.session_id, p.id, p.amount,
                coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.store_id = p.store_id AND r.payment_id = p.id), 0)
         FROM table_sessions s CROSS JOIN payments p ON p.store_id = s.store_id AND p.session_id = s.id
         WHERE s.store_id = ?1 AND s.day_id = ?2 AND s.merged_into IS NULL",
    )?;
    let mut rows = stmt.query(params![store_id, d.id])?;
    while let Some(r) = rows.next()? {
        pays.entry(r.get(0)?).or_default().push(Pay { id: r.get(1)?, amount: r.get(2)?, refunded: r.get(3)? });
    }

    let mut rep = DayReport {
        day: d.dto(),
        orders: 0,
        sessions: sessions.len() as i64,
        guests: 0,
        gross: 0,
        discounts: 0,
        comps: 0,
        voids: 0,
        refunds: 0,
        net: 0,
        average_per_guest: 0,
        payments: vec![],
        cash: CashCount { opening: d.opening_cash, sales: 0, refunds: 0, expected: 0, counted: None, difference: None },
        unpaid: vec![],
        by_hour: vec![],
        by_item: vec![],
        by_category: vec![],
        cancelled: CancelledTotal { orders: 0, amount: 0 },
    };
    let mut by_hour: BTreeMap<i64, (std::collections::BTreeSet<i64>, i64)> = BTreeMap::new();
    let mut by_item: BTreeMap<i64, (String, i64, i64)> = BTreeMap::new();
    let mut by_category: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let (mut orders, mut cancelled) = (std::collections::BTreeSet::new(), std::collections::BTreeMap::new());
    let empty = Vec::new();
    for (sid, number, guests) in &sessions {
        let ls = lines.get(sid).unwrap_or(&empty);
        let calc_lines: Vec<Line> = ls.iter().map(|l| l.line.clone()).collect();
        let t = calc::compute(
            &calc_lines,
            adjs.get(sid).map(Vec::as_slice).unwrap_or(&[]),
            pays.get(sid).map(Vec::as_slice).unwrap_or(&[]),
        );
        rep.gross += t.subtotal;
        rep.discounts += t.discounts;
        rep.comps += t.comps;
        rep.voids += t.voids;
        rep.guests += guests.unwrap_or(0);
        if t.total != t.paid {
            rep.unpaid.push(Unpaid { session_id: *sid, table_number: *number, balance: t.total - t.paid });
        }
        for (l, lt) in ls.iter().zip(&t.lines) {
            if l.line.cancelled {
                *cancelled.entry(l.order_id).or_insert(0) += l.line.unit_price * l.line.quantity;
                continue;
            }
            orders.insert(l.order_id);
            let hour = jiff::Timestamp::from_millisecond(l.order_created)
                .map(|t| t.to_zoned(tz.clone()).hour() as i64)
                .unwrap_or(0);
            let h = by_hour.entry(hour).or_default();
            h.0.insert(l.order_id);
            h.1 += lt.net;
            let sold = l.line.quantity - lt.voided_qty;
            let it = by_item.entry(l.menu_item_id).or_insert_with(|| (l.name.clone(), 0, 0));
            it.1 += sold;
            it.2 += lt.net;
            let c =
                by_category.entry(if l.category.is_empty() { "기타".into() } else { l.category.clone() }).or_default();
            c.0 += sold;
            c.1 += lt.net;
        }
    }
    rep.orders = orders.len() as i64;
    rep.cancelled = CancelledTotal { orders: cancelled.len() as i64, amount: cancelled.values().sum() };
    rep.by_hour = by_hour.into_iter().map(|(hour, (o, net))| HourTotal { hour, orders: o.len() as i64, net }).collect();
    rep.by_item = by_item
        .into_iter()
        .map(|(menu_item_id, (name, quantity, net))| ItemTotal { menu_item_id, name, quantity, net })
        .collect();
    rep.by_item.sort_by(|a, b| b.net.cmp(&a.net).then(b.quantity.cmp(&a.quantity)).then(a.name.cmp(&b.name)));
    rep.by_category =
        by_category.into_iter().map(|(category, (quantity, net))| CategoryTotal { category, quantity, net }).collect();
    rep.by_category.sort_by(|a, b| b.net.cmp(&a.net).then(a.category.cmp(&b.category)));

    // The money of the day: payments and refunds made while it was open.
    rep.payments = conn
        .prepare_cached(
            "SELECT method, count(*), sum(amount) FROM payments WHERE store_id = ?1 AND day_id = ?2
             GROUP BY method ORDER BY sum(amount) DESC, method",
        )?
        .query_map(params![store_id, d.id], |r| {
            Ok(MethodTotal { method: r.get(0)?, count: r.get(1)?, amount: r.get(2)? })
        })?
        .collect::<Result<_, _>>()?;
    let (refunds, cash_refunds): (i64, i64) = conn
        .prepare_cached(
            "SELECT coalesce(sum(r.amount), 0), coalesce(sum(CASE WHEN p.method = 'cash' THEN r.amount END), 0)
             FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.store_id = ?1 AND r.day_id = ?2",
        )?
        .query_row(params![store_id, d.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rep.refunds = refunds;
    rep.net = rep.gross - rep.discounts - rep.comps - rep.voids - rep.refunds;
    rep.average_per_guest = if rep.guests > 0 { rep.net / rep.guests } else { 0 };
    rep.cash.sales = rep.payments.iter().filter(|p| p.method == "cash").map(|p| p.amount).sum();
    rep.cash.refunds = cash_refunds;
    rep.cash.expected = rep.cash.opening + rep.cash.sales - rep.cash.refunds;
    rep.cash.counted = d.counted_cash;
    rep.cash.difference = d.counted_cash.map(|c| c - rep.cash.expected);
    // Visits still open (a day closed by force or at the cutoff): unpaid, carried on.
    {
        let open: Vec<(i64, i64)> = conn
            .prepare_cached(
                "SELECT s.id, t.number FROM table_sessions s JOIN tables t ON t.id = s.table_id
                 WHERE s.store_id = ?1 AND s.ended_at IS NULL AND s.started_at <= ?2 ORDER BY s.id",
            )?
            .query_map(params![store_id, d.closed_at.unwrap_or(i64::MAX)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (sid, number) in open {
            let balance = crate::db::check::rows(conn, store_id, sid)?.totals().balance;
            rep.unpaid.push(Unpaid { session_id: sid, table_number: number, balance });
        }
    }
    Ok(rep)
}

/// CSV of a day's report: the figures, then payments by method, items and hours.
pub fn csv(r: &DayReport) -> String {
    let mut out = String::from("\u{feff}section,key,count,amount\n");
    let mut row = |section: &str, key: &str, count: i64, amount: i64| {
        out.push_str(&format!("{section},{},{count},{amount}\n", crate::csv::field(key)));
    };
    row("day", &r.day.business_date, r.sessions, r.net);
    row("total", "orders", r.orders, 0);
    row("total", "guests", r.guests, 0);
    row("total", "gross", 0, r.gross);
    row("total", "discounts", 0, r.discounts);
    row("total", "comps", 0, r.comps);
    row("total", "voids", 0, r.voids);
    row("total", "refunds", 0, r.refunds);
    row("total", "net", 0, r.net);
    row("total", "average_per_guest", 0, r.average_per_guest);
    row("total", "cancelled", r.cancelled.orders, r.cancelled.amount);
    for p in &r.payments {
        row("payment", &p.method, p.count, p.amount);
    }
    row("cash", "opening", 0, r.cash.opening);
    row("cash", "sales", 0, r.cash.sales);
    row("cash", "refunds", 0, r.cash.refunds);
    row("cash", "expected", 0, r.cash.expected);
    if let Some(c) = r.cash.counted {
        row("cash", "counted", 0, c);
    }
    if let Some(d) = r.cash.difference {
        row("cash", "difference", 0, d);
    }
    for u in &r.unpaid {
        row("unpaid", &format!("table {}", u.table_number), 1, u.balance);
    }
    for h in &r.by_hour {
        row("hour", &format!("{:02}", h.hour), h.orders, h.net);
    }
    for i in &r.by_item {
        row("item", &i.name, i.quantity, i.net);
    }
    for c in &r.by_category {
        row("category", &c.category, c.quantity, c.net);
    }
    out
}
