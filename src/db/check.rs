//! The check of a table's session: its lines, adjustments (discounts, 서비스, voids),
//! payments and refunds, read from SQLite and summed by [`crate::domain::check`]. Every
//! change is one write job: the rows, the audit trail and `check_changed` together.

use crate::db::audit::{self, Audit, Who};
use crate::db::events::{EventType, NewEvent};
use crate::db::flows::Staff;
use crate::db::rfc3339;
use crate::db::writer::WriteCtx;
use crate::domain::check::{self as calc, Adj, AdjKind, Line, Pay};
use crate::error::{AppError, AppResult};
use crate::wire::{AdjustmentDto, CheckDto, CheckLine, PaymentDto, SplitDto};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use std::collections::HashMap;

/// Everything a check is computed from.
#[derive(Debug, Clone)]
pub struct CheckRows {
    pub session_id: i64,
    pub table_id: i64,
    pub table_number: i64,
    pub guests: Option<i64>,
    pub ended: bool,
    pub day_id: Option<i64>,
    pub orders: Vec<crate::wire::OrderDto>,
    pub lines: Vec<CheckLine>,
    pub adjustments: Vec<(Adj, AdjustmentDto)>,
    pub payments: Vec<PaymentDto>,
}

/// How to split, when asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    Equal(i64),
    Items(Vec<i64>),
}

fn name_of(col: &str) -> String {
    format!(
        "(SELECT CASE WHEN s.display_name = '' THEN s.username ELSE s.display_name END FROM admins s WHERE s.id = {col})"
    )
}

/// The rows of session `session_id` of the store (404 for another store's).
pub fn rows(conn: &Connection, store_id: &str, session_id: i64) -> AppResult<CheckRows> {
    let (table_id, table_number, guests, ended, day_id): (i64, i64, Option<i64>, bool, Option<i64>) = conn
        .prepare_cached(
            "SELECT s.table_id, t.number, s.guests, s.ended_at IS NOT NULL, s.day_id
             FROM table_sessions s JOIN tables t ON t.id = s.table_id
             WHERE s.store_id = ?1 AND s.id = ?2 AND s.merged_into IS NULL",
        )?
        .query_row(params![store_id, session_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?
        .ok_or(AppError::NotFound("session"))?;
    // The session's orders with their lines, in one query from its orders outwards.
    let mut orders: Vec<crate::wire::OrderDto> = Vec::new();
    let mut lines: Vec<CheckLine> = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.order_no, o.status, o.total, o.created_at, o.updated_at,
                oi.id, oi.menu_item_id, oi.name, oi.unit_price, oi.quantity, oi.note, oi.options
         FROM orders o CROSS JOIN order_items oi ON oi.store_id = o.store_id AND oi.order_id = o.id
         WHERE o.store_id = ?1 AND o.session_id = ?2 ORDER BY o.id DESC, oi.id",
    )?;
    let mut q = stmt.query(params![store_id, session_id])?;
    while let Some(r) = q.next()? {
        let order_id: i64 = r.get(0)?;
        if orders.last().is_none_or(|o| o.id != order_id) {
            let status: String = r.get(2)?;
            orders.push(crate::wire::OrderDto {
                id: order_id,
                order_no: r.get(1)?,
                table_id,
                table_number,
                session_id,
                status: crate::domain::OrderStatus::parse(&status).unwrap_or(crate::domain::OrderStatus::Pending),
                total: r.get(3)?,
                created_at: rfc3339(r.get(4)?),
                updated_at: rfc3339(r.get(5)?),
                items: Vec::new(),
            });
        }
        let o = orders.last_mut().expect("pushed above");
        let options: String = r.get(12)?;
        let options: Vec<crate::wire::ChosenOption> =
            if options == "[]" { vec![] } else { serde_json::from_str(&options).unwrap_or_default() };
        let (q, u): (i64, i64) = (r.get(10)?, r.get(9)?);
        let name: String = r.get(8)?;
        lines.push(CheckLine {
            order_item_id: r.get(6)?,
            order_id,
            order_no: o.order_no,
            menu_item_id: r.get(7)?,
            name: name.clone(),
            options: options.clone(),
            quantity: q,
            unit_price: u,
            amount: q * u,
            voided_qty: 0,
            comped_qty: 0,
            discount: 0,
            net: 0,
            cancelled: o.status == crate::domain::OrderStatus::Cancelled,
        });
        o.items.push(crate::wire::OrderItemDto {
            menu_item_id: r.get(7)?,
            name,
            unit_price: u,
            quantity: q,
            note: r.get(11)?,
            options,
        });
    }
    drop(q);
    drop(stmt);
    lines.sort_by_key(|l| l.order_item_id);
    let adjustments = conn
        .prepare_cached(&format!(
            "SELECT a.id, a.kind, a.order_item_id, a.percent, a.amount, a.quantity, a.reason, {}, {}, a.created_at
             FROM adjustments a WHERE a.store_id = ?1 AND a.session_id = ?2 AND a.removed_at IS NULL ORDER BY a.id",
            name_of("a.staff_id"),
            name_of("a.approver_id")
        ))?
        .query_map(params![store_id, session_id], |r| {
            let kind: String = r.get(1)?;
            let adj = Adj {
                id: r.get(0)?,
                kind: AdjKind::parse(&kind).unwrap_or(AdjKind::Discount),
                order_item_id: r.get(2)?,
                percent: r.get(3)?,
                amount: r.get(4)?,
                quantity: r.get(5)?,
            };
            let dto = AdjustmentDto {
                id: adj.id,
                kind,
                reason: r.get(6)?,
                order_item_id: adj.order_item_id,
                percent: adj.percent,
                quantity: adj.quantity,
                amount: 0,
                staff_name: r.get(7)?,
                approver_name: r.get(8)?,
                at: rfc3339(r.get(9)?),
            };
            Ok((adj, dto))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let payments = payments_of(conn, store_id, "p.session_id = ?2", session_id)?;
    Ok(CheckRows { session_id, table_id, table_number, guests, ended, day_id, orders, lines, adjustments, payments })
}

/// Payments matching `cond` (over `p`, with ?2), with what was refunded of each.
fn payments_of(conn: &Connection, store_id: &str, cond: &str, arg: i64) -> AppResult<Vec<PaymentDto>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT p.id, p.method, p.amount, p.tendered, p.change, p.reference,
                    coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.store_id = p.store_id AND r.payment_id = p.id), 0),
                    {}, p.created_at, p.split_parts, p.split_items,
                    (SELECT d.business_date FROM business_days d WHERE d.id = p.day_id)
             FROM payments p WHERE p.store_id = ?1 AND {cond} ORDER BY p.id",
            name_of("p.staff_id")
        ))?
        .query_map(params![store_id, arg], |r| {
            let items: Option<String> = r.get(10)?;
            Ok(PaymentDto {
                id: r.get(0)?,
                method: r.get(1)?,
                amount: r.get(2)?,
                tendered: r.get(3)?,
                change: r.get(4)?,
                reference: r.get(5)?,
                refunded: r.get(6)?,
                staff_name: r.get(7)?,
                at: rfc3339(r.get(8)?),
                split_parts: r.get(9)?,
                split_items: items.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
                business_date: r.get(11)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

impl CheckRows {
    /// The figures.
    pub fn totals(&self) -> calc::Totals {
        let lines: Vec<Line> = self
            .lines
            .iter()
            .map(|l| Line {
                order_item_id: l.order_item_id,
                unit_price: l.unit_price,
                quantity: l.quantity,
                cancelled: l.cancelled,
            })
            .collect();
        let adjs: Vec<Adj> = self.adjustments.iter().map(|(a, _)| a.clone()).collect();
        let pays: Vec<Pay> =
            self.payments.iter().map(|p| Pay { id: p.id, amount: p.amount, refunded: p.refunded }).collect();
        calc::compute(&lines, &adjs, &pays)
    }

    /// What the next payment of `split` comes to, and the split as the check shows it.
    pub fn split(&self, t: &calc::Totals, split: &Split) -> SplitDto {
        match split {
            Split::Equal(n) => {
                let parts = calc::equal_parts(t.total, *n);
                let paid = self.payments.iter().filter(|p| p.split_parts == Some(*n)).count() as i64;
                let next = parts.get(paid as usize).copied().unwrap_or(0).min(t.balance.max(0));
                SplitDto { kind: "equal".into(), parts, parts_paid: paid, order_item_ids: vec![], next_amount: next }
            }
            Split::Items(ids) => SplitDto {
                kind: "items".into(),
                parts: vec![],
                parts_paid: 0,
                order_item_ids: ids.clone(),
                next_amount: calc::items_amount(t, ids).min(t.balance.max(0)),
            },
        }
    }

    pub fn dto(&self, split: Option<&Split>) -> CheckDto {
        let t = self.totals();
        let mut lines = self.lines.clone();
        for (l, lt) in lines.iter_mut().zip(&t.lines) {
            l.voided_qty = lt.voided_qty;
            l.comped_qty = lt.comped_qty;
            l.discount = lt.discount;
            l.net = lt.net;
        }
        let amounts: HashMap<i64, i64> = t.adjustments.iter().copied().collect();
        let adjustments = self
            .adjustments
            .iter()
            .map(|(a, d)| AdjustmentDto { amount: amounts.get(&a.id).copied().unwrap_or(0), ..d.clone() })
            .collect();
        CheckDto {
            session_id: self.session_id,
            table_id: self.table_id,
            table_number: self.table_number,
            guests: self.guests,
            ended: self.ended,
            orders: self.orders.clone(),
            lines,
            adjustments,
            subtotal: t.subtotal,
            discounts: t.discounts,
            comps: t.comps,
            voids: t.voids,
            total: t.total,
            payments: self.payments.clone(),
            paid: t.paid,
            refunded: t.refunded,
            balance: t.balance,
            split: split.map(|s| self.split(&t, s)),
        }
    }
}

/// The check of a session.
pub fn get(conn: &Connection, store_id: &str, session_id: i64, split: Option<&Split>) -> AppResult<CheckDto> {
    Ok(rows(conn, store_id, session_id)?.dto(split))
}

/// Records `check_changed` with the check as it now is.
pub fn changed(ctx: &mut WriteCtx, store_id: &str, session_id: i64) -> AppResult<CheckDto> {
    let c = get(ctx.conn, store_id, session_id, None)?;
    emit_changed(ctx, store_id, &c)?;
    Ok(c)
}

/// `check_changed` carries the check's figures, adjustments and payments; its orders and
/// lines stay out (they are in the order events, and `GET …/check` has them): a long visit's
/// check would otherwise grow past what an event may carry, and every payment would write
/// it all again.
fn emit_changed(ctx: &mut WriteCtx, store_id: &str, c: &CheckDto) -> AppResult<()> {
    let slim = CheckDto { orders: vec![], lines: vec![], split: None, ..c.clone() };
    ctx.emit(NewEvent::new(store_id, Some(c.table_id), EventType::CheckChanged, &slim))
}

fn open_rows(conn: &Connection, store_id: &str, session_id: i64) -> AppResult<CheckRows> {
    let r = rows(conn, store_id, session_id)?;
    if r.ended {
        return Err(AppError::Conflict("the visit has ended; its check can no longer change".into()));
    }
    Ok(r)
}

/// A new adjustment, as asked.
#[derive(Debug, Clone)]
pub struct NewAdjustment {
    pub kind: AdjKind,
    pub reason: String,
    pub order_item_id: Option<i64>,
    pub percent: Option<i64>,
    pub amount: Option<i64>,
    pub quantity: Option<i64>,
}

/// Adds a discount, comp or void (a server needs a manager's approval PIN), with its audit
/// row. What it takes off must be there: more than a line or the check has left, or more
/// than is still to be paid, is refused.
pub fn adjust(
    ctx: &mut WriteCtx,
    store_id: &str,
    session_id: i64,
    n: &NewAdjustment,
    by: &Staff,
) -> AppResult<CheckDto> {
    let rows = open_rows(ctx.conn, store_id, session_id)?;
    let what = match n.kind {
        AdjKind::Discount => "a discount",
        AdjKind::Comp => "서비스 (a comp)",
        AdjKind::Void => "a void",
    };
    let approver = by.approved(ctx, store_id, what)?;
    let line = match n.order_item_id {
        Some(id) => Some(
            rows.lines
                .iter()
                .find(|l| l.order_item_id == id)
                .ok_or_else(|| AppError::validation("order_item_id", "is not a line of this check"))?
                .clone(),
        ),
        None if n.kind == AdjKind::Discount => None,
        None => return Err(AppError::validation("order_item_id", "is required for a comp or a void")),
    };
    if line.as_ref().is_some_and(|l| l.cancelled) {
        return Err(AppError::validation("order_item_id", "belongs to a cancelled order"));
    }
    let before = rows.totals();
    // A comp or void of "all of it" is fixed to the units the line has left now.
    let quantity = match (n.kind, &line) {
        (AdjKind::Discount, _) => None,
        (_, Some(l)) => {
            let lt = before.lines.iter().find(|x| x.order_item_id == l.order_item_id).cloned().unwrap_or_default();
            let left = l.quantity - lt.voided_qty - lt.comped_qty;
            let q = n.quantity.unwrap_or(left);
            if q < 1 || q > left {
                return Err(AppError::validation(
                    "quantity",
                    format!("must be from 1 to {left} (what the line has left)"),
                ));
            }
            Some(q)
        }
        _ => None,
    };
    let mut trial = rows.clone();
    let probe = Adj {
        id: i64::MAX,
        kind: n.kind,
        order_item_id: n.order_item_id,
        percent: n.percent,
        amount: n.amount,
        quantity,
    };
    trial.adjustments.push((
        probe.clone(),
        AdjustmentDto {
            id: probe.id,
            kind: n.kind.as_str().into(),
            reason: String::new(),
            order_item_id: None,
            percent: None,
            quantity: None,
            amount: 0,
            staff_name: None,
            approver_name: None,
            at: String::new(),
        },
    ));
    let after = trial.totals();
    let amount = after.adjustments.iter().find(|(id, _)| *id == i64::MAX).map(|(_, a)| *a).unwrap_or(0);
    if let Some(asked) = n.amount
        && amount < asked
    {
        let field = if n.order_item_id.is_some() { "the line" } else { "the check" };
        return Err(AppError::validation("amount", format!("is more than {field} comes to ({amount} left)")));
    }
    if amount == 0 {
        return Err(AppError::validation("amount", "takes nothing off: the line or the check is at 0 already"));
    }
    if after.balance < 0 {
        return Err(AppError::Conflict(format!(
            "the check is paid beyond this ({} to give back); refund a payment first",
            -after.balance
        )));
    }
    ctx.conn.execute(
        "INSERT INTO adjustments (store_id, session_id, kind, order_item_id, percent, amount, quantity, reason,
                                  staff_id, approver_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            store_id,
            session_id,
            n.kind.as_str(),
            n.order_item_id,
            n.percent,
            n.amount,
            quantity,
            n.reason,
            by.who.staff_id,
            approver.as_ref().map(|a| a.staff_id),
            ctx.now_ms
        ],
    )?;
    let id = ctx.conn.last_insert_rowid();
    let kind = match n.kind {
        AdjKind::Discount => "discount_added",
        AdjKind::Comp => "comp_added",
        AdjKind::Void => "line_voided",
    };
    let mut a = Audit::by(kind, by.who, approver.as_ref());
    a.table_number = Some(rows.table_number);
    a.order_id = line.as_ref().map(|l| l.order_id);
    a.amount = Some(amount);
    a.reason = Some(n.reason.clone());
    a.detail = json!({
        "adjustment_id": id, "session_id": session_id, "order_item_id": n.order_item_id,
        "item": line.as_ref().map(|l| l.name.clone()), "percent": n.percent, "quantity": quantity,
    });
    audit::record(ctx, store_id, a)?;
    changed(ctx, store_id, session_id)
}

/// Removes an adjustment (managers), with its audit row.
pub fn remove_adjustment(ctx: &mut WriteCtx, store_id: &str, id: i64, who: &Who) -> AppResult<CheckDto> {
    let row: Option<(i64, String, String)> = ctx
        .conn
        .query_row(
            "SELECT session_id, kind, reason FROM adjustments WHERE store_id = ?1 AND id = ?2 AND removed_at IS NULL",
            params![store_id, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (session_id, kind, reason) = row.ok_or(AppError::NotFound("adjustment"))?;
    let rows = open_rows(ctx.conn, store_id, session_id)?;
    let amount = rows.totals().adjustments.iter().find(|(a, _)| *a == id).map(|(_, v)| *v).unwrap_or(0);
    ctx.conn.execute(
        "UPDATE adjustments SET removed_at = ?3, removed_by = ?4 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, ctx.now_ms, who.staff_id],
    )?;
    let mut a = Audit::by("adjustment_removed", who, None);
    a.table_number = Some(rows.table_number);
    a.amount = Some(amount);
    a.reason = Some(reason);
    a.detail = json!({ "adjustment_id": id, "kind": kind, "session_id": session_id });
    audit::record(ctx, store_id, a)?;
    changed(ctx, store_id, session_id)
}

/// A payment, as asked.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub method: String,
    /// `None`: the split's next amount.
    pub amount: Option<i64>,
    pub tendered: Option<i64>,
    pub reference: Option<String>,
    pub split: Option<Split>,
}

/// Takes a payment (idempotent by `key`: the same key again answers the same check and
/// makes no second payment). Answers the check and whether the payment is new. With the
/// store's `checkout` on and `end_when_paid`, a check paid in full ends its visit here.
pub fn pay(
    ctx: &mut WriteCtx,
    store_id: &str,
    session_id: i64,
    key: Option<&str>,
    n: &NewPayment,
    who: &Who,
) -> AppResult<(CheckDto, bool)> {
    rows(ctx.conn, store_id, session_id)?;
    let key = key.ok_or_else(|| AppError::BadRequest("the Idempotency-Key header is required".into()))?;
    let existing: Option<i64> = ctx
        .conn
        .query_row(
            "SELECT id FROM payments WHERE store_id = ?1 AND session_id = ?2 AND idempotency_key = ?3",
            params![store_id, session_id, key],
            |r| r.get(0),
        )
        .optional()?;
    if existing.is_some() {
        return Ok((get(ctx.conn, store_id, session_id, n.split.as_ref())?, false));
    }
    let rows = open_rows(ctx.conn, store_id, session_id)?;
    let t = rows.totals();
    if let Some(Split::Items(ids)) = &n.split
        && let Some(bad) = ids.iter().find(|id| !rows.lines.iter().any(|l| l.order_item_id == **id))
    {
        return Err(AppError::validation("split.order_item_ids", format!("{bad} is not a line of this check")));
    }
    let amount = match (n.amount, &n.split) {
        (Some(a), _) => a,
        (None, Some(s)) => rows.split(&t, s).next_amount,
        (None, None) => return Err(AppError::validation("amount", "is required (or a split to compute it)")),
    };
    if t.balance <= 0 {
        return Err(AppError::Conflict("nothing is left to pay on this check".into()));
    }
    if amount < 1 || amount > t.balance {
        return Err(AppError::validation("amount", format!("must be from 1 to the balance ({})", t.balance)));
    }
    let change = match n.tendered {
        Some(tendered) if tendered < amount => {
            return Err(AppError::validation("tendered", "must be at least the amount"));
        }
        Some(tendered) => tendered - amount,
        None => 0,
    };
    let day_id = crate::db::days::ensure_open(ctx, store_id)?;
    let (split_parts, split_items) = match &n.split {
        Some(Split::Equal(p)) => (Some(*p), None),
        Some(Split::Items(ids)) => (None, Some(serde_json::to_string(ids).map_err(AppError::internal)?)),
        None => (None, None),
    };
    ctx.conn.execute(
        "INSERT INTO payments (store_id, session_id, day_id, method, amount, tendered, change, reference, split_parts,
                               split_items, staff_id, idempotency_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            store_id,
            session_id,
            day_id,
            n.method,
            amount,
            n.tendered,
            change,
            n.reference,
            split_parts,
            split_items,
            who.staff_id,
            key,
            ctx.now_ms
        ],
    )?;
    // The check as it now is, from the rows read above and this payment (no second read).
    let mut rows = rows;
    rows.payments.push(PaymentDto {
        id: ctx.conn.last_insert_rowid(),
        method: n.method.clone(),
        amount,
        tendered: n.tendered,
        change,
        reference: n.reference.clone(),
        refunded: 0,
        staff_name: Some(who.name.clone()),
        at: rfc3339(ctx.now_ms),
        split_parts,
        split_items: match &n.split {
            Some(Split::Items(ids)) => ids.clone(),
            _ => vec![],
        },
        business_date: crate::db::days::open_day(ctx.conn, store_id)?.map(|d| d.business_date),
    });
    let check = rows.dto(None);
    emit_changed(ctx, store_id, &check)?;
    let settings = crate::db::stores::settings(ctx.conn, store_id)?;
    if check.balance == 0 && settings.checkout_on() && settings.end_when_paid {
        crate::db::flows::end_session(ctx, store_id, rows.table_id, None)?;
        return Ok((get(ctx.conn, store_id, session_id, n.split.as_ref())?, true));
    }
    let check = match &n.split {
        Some(s) => rows.dto(Some(s)),
        None => check,
    };
    Ok((check, true))
}

/// Refunds (part of) a payment (managers): it belongs to the day it is made in.
pub fn refund(
    ctx: &mut WriteCtx,
    store_id: &str,
    payment_id: i64,
    amount: Option<i64>,
    reason: &str,
    who: &Who,
) -> AppResult<CheckDto> {
    let row: Option<(i64, i64, String)> = ctx
        .conn
        .query_row(
            "SELECT session_id, amount, method FROM payments WHERE store_id = ?1 AND id = ?2",
            params![store_id, payment_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (session_id, paid, method) = row.ok_or(AppError::NotFound("payment"))?;
    let refunded: i64 = ctx.conn.query_row(
        "SELECT coalesce(sum(amount), 0) FROM refunds WHERE store_id = ?1 AND payment_id = ?2",
        params![store_id, payment_id],
        |r| r.get(0),
    )?;
    let left = paid - refunded;
    if left == 0 {
        return Err(AppError::Conflict("this payment has been refunded in full".into()));
    }
    let amount = amount.unwrap_or(left);
    if amount < 1 || amount > left {
        return Err(AppError::validation("amount", format!("must be from 1 to what is left of the payment ({left})")));
    }
    let day_id = crate::db::days::ensure_open(ctx, store_id)?;
    ctx.conn.execute(
        "INSERT INTO refunds (store_id, payment_id, day_id, amount, reason, staff_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![store_id, payment_id, day_id, amount, reason, who.staff_id, ctx.now_ms],
    )?;
    let table_number: i64 = ctx.conn.query_row(
        "SELECT t.number FROM table_sessions s JOIN tables t ON t.id = s.table_id WHERE s.id = ?1",
        [session_id],
        |r| r.get(0),
    )?;
    let mut a = Audit::by("payment_refunded", who, None);
    a.table_number = Some(table_number);
    a.amount = Some(amount);
    a.reason = Some(reason.to_string());
    a.detail = json!({ "payment_id": payment_id, "method": method, "session_id": session_id });
    audit::record(ctx, store_id, a)?;
    changed(ctx, store_id, session_id)
}

/// Two checks become one (합석): the source's payments and adjustments join the target.
pub fn merge_sessions(conn: &Connection, store_id: &str, from: i64, into: i64) -> AppResult<()> {
    for table in ["payments", "adjustments"] {
        conn.execute(
            &format!("UPDATE {table} SET session_id = ?3 WHERE store_id = ?1 AND session_id = ?2"),
            params![store_id, from, into],
        )?;
    }
    Ok(())
}

/// An order moves to another check: its lines' adjustments go with it. A check with
/// payments keeps its orders (the money was taken for them): 409.
pub fn move_order(conn: &Connection, store_id: &str, order_id: i64, from: i64, to: i64) -> AppResult<()> {
    let paid: i64 = conn.query_row(
        "SELECT count(*) FROM payments WHERE store_id = ?1 AND session_id = ?2",
        params![store_id, from],
        |r| r.get(0),
    )?;
    if paid > 0 {
        return Err(AppError::Conflict("this check has payments; an order cannot leave it".into()));
    }
    conn.execute(
        "UPDATE adjustments SET session_id = ?4 WHERE store_id = ?1 AND session_id = ?2
           AND order_item_id IN (SELECT id FROM order_items WHERE store_id = ?1 AND order_id = ?3)",
        params![store_id, from, order_id, to],
    )?;
    Ok(())
}
