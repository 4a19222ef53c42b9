//! The changes that touch several aggregates at once, in one place. Each runs inside the
//! caller's write job, so everything it changes commits together or not at all:
//! - placing an order writes the order, its session, its event and its kitchen tickets;
//! - a status change by staff goes through the state machine, then closes or cancels the
//!   order's tickets;
//! - a bump or its undo at the kitchen display changes the ticket, then moves the order as
//!   the kitchen may ([`Actor::Kitchen`]);
//! - ending a session closes its calls;
//! - moving a party, merging two, or moving one order takes orders and calls along and
//!   tells both tables;
//! - what the audit trail records (cancellations, prices, sold-out, moves) is written with
//!   the action it records.

use crate::db::audit::{self, Approver, Audit, Who};
use crate::db::events::{EventType, NewEvent};
use crate::db::kitchen::{self, TicketDto};
use crate::db::orders::{self, OrderDto, OrderRequest, Placed};
use crate::db::tables::{self, EndedSession, SessionSummary, TableDto};
use crate::db::writer::WriteCtx;
use crate::domain::{Actor, OrderStatus, Role};
use crate::error::{AppError, AppResult};
use crate::wire::{SessionMoved, TableChanged};
use rusqlite::params;
use serde_json::json;

/// Places an order with its kitchen tickets: no order without its tickets.
pub fn place_order(
    ctx: &mut WriteCtx,
    store_id: &str,
    new: &OrderRequest,
    rate_limit: impl FnOnce() -> AppResult<()>,
) -> AppResult<Placed> {
    let placed = orders::place(ctx, store_id, new, rate_limit)?;
    if placed.created {
        kitchen::order_tickets(ctx, store_id, &placed.order)?;
        // The first order of a day opens it.
        crate::db::days::ensure_open(ctx, store_id)?;
    }
    Ok(placed)
}

/// Who asks for a change, with what a server brings for what needs a manager: the tag of
/// a manager's approval PIN (see [`crate::auth::PinKey`]).
pub struct Staff<'a> {
    pub who: &'a Who,
    pub role: Role,
    pub approval: Option<&'a str>,
}

impl Staff<'_> {
    /// The approver of an action that needs a manager: none needed for a manager or owner;
    /// for a server, the manager or owner whose PIN was given (403 without one or with a
    /// wrong one).
    pub fn approved(&self, ctx: &WriteCtx, store_id: &str, what: &str) -> AppResult<Option<Approver>> {
        if self.role.approves() {
            return Ok(None);
        }
        let Some(tag) = self.approval else {
            return Err(AppError::Approval { what: what.to_string(), wrong_pin: false });
        };
        match crate::db::staff::approver(ctx.conn, store_id, tag)? {
            Some(a) => Ok(Some(a)),
            None => Err(AppError::Approval { what: what.to_string(), wrong_pin: true }),
        }
    }
}

/// Staff move an order to `to`: 409 for an order of an ended session or a transition the
/// state machine refuses. Cancelling prints cancel tickets and is audited (a server needs a
/// manager's approval to cancel an order that is no longer pending); completing closes the
/// open tickets.
pub fn set_status(ctx: &mut WriteCtx, store_id: &str, id: i64, to: OrderStatus, by: &Staff) -> AppResult<OrderDto> {
    let mut order = orders::get(ctx.conn, store_id, id)?;
    if !orders::session_open(ctx.conn, store_id, order.session_id)? {
        return Err(AppError::Conflict("the order belongs to an ended session and can no longer change".into()));
    }
    if !order.status.can_become(to, Actor::Staff) {
        return Err(AppError::InvalidTransition { from: order.status.as_str().into(), to: to.as_str().into() });
    }
    let from = order.status;
    let approver = if to == OrderStatus::Cancelled && from != OrderStatus::Pending {
        by.approved(ctx, store_id, "cancelling an order that is being prepared")?
    } else {
        None
    };
    orders::record_status(ctx, store_id, &mut order, to)?;
    match to {
        OrderStatus::Cancelled => {
            kitchen::cancel_tickets(ctx, store_id, &order)?;
            let mut a = Audit::by("order_cancelled", by.who, approver.as_ref());
            a.table_number = Some(order.table_number);
            a.order_id = Some(order.id);
            a.amount = Some(order.total);
            a.detail = json!({ "order_no": order.order_no, "from": from });
            audit::record(ctx, store_id, a)?;
        }
        OrderStatus::Completed => kitchen::close_open(ctx, store_id, order.id)?,
        _ => {}
    }
    Ok(order)
}

/// The kitchen moves an order, when its session is open and the kitchen may make that
/// step; otherwise the order stays as it is (a bump never fails for its order's sake).
fn kitchen_moves(ctx: &mut WriteCtx, store_id: &str, order_id: i64, to: Option<OrderStatus>) -> AppResult<()> {
    let Some(to) = to else { return Ok(()) };
    let mut order = orders::get(ctx.conn, store_id, order_id)?;
    if orders::session_open(ctx.conn, store_id, order.session_id)? && order.status.can_become(to, Actor::Kitchen) {
        orders::record_status(ctx, store_id, &mut order, to)?;
    }
    Ok(())
}

/// Bumps a ticket; its order starts or, with every station done, is completed.
pub fn bump(ctx: &mut WriteCtx, store_id: &str, ticket_id: i64) -> AppResult<TicketDto> {
    let (t, to) = kitchen::bump(ctx, store_id, ticket_id)?;
    kitchen_moves(ctx, store_id, t.order_id, to)?;
    Ok(t)
}

/// Undoes a bump; its order steps back.
pub fn unbump(ctx: &mut WriteCtx, store_id: &str, ticket_id: i64) -> AppResult<TicketDto> {
    let (t, to) = kitchen::unbump(ctx, store_id, ticket_id)?;
    kitchen_moves(ctx, store_id, t.order_id, to)?;
    Ok(t)
}

/// Ending a visit whose check is not paid, with the store's `checkout` on: who does it
/// (a manager) and why.
pub struct Forced<'a> {
    pub who: &'a Who,
    pub role: Role,
    pub reason: &'a str,
}

/// Ends a table's session; the guests who called have left, so their calls close with it,
/// and so do their kitchen tickets still open.
/// (Each call's `call_acked` comes before `session_ended`; a table with no open session
/// is 409 and, the job failing, closes nothing.) With the store's `checkout` on, a check
/// with a balance is 409 `unpaid_balance` unless a manager forces it with a reason
/// (audited); with it off, ending is as it always was.
pub fn end_session(
    ctx: &mut WriteCtx,
    store_id: &str,
    table_id: i64,
    force: Option<&Forced>,
) -> AppResult<EndedSession> {
    if crate::db::stores::settings(ctx.conn, store_id)?.checkout_on()
        && let Some(sid) = tables::open_session_id(ctx.conn, store_id, table_id)?
    {
        let balance = crate::db::check::rows(ctx.conn, store_id, sid)?.totals().balance;
        if balance != 0 {
            let Some(f) = force else { return Err(AppError::UnpaidBalance { balance }) };
            if !f.role.approves() {
                return Err(AppError::Forbidden("ending a visit with a balance needs a manager".into()));
            }
            let number = tables::get(ctx.conn, store_id, table_id)?.number;
            let mut a = Audit::by("session_forced_end", f.who, None);
            a.table_number = Some(number);
            a.amount = Some(balance);
            a.reason = Some(f.reason.to_string());
            a.detail = json!({ "session_id": sid });
            audit::record(ctx, store_id, a)?;
        }
    }
    crate::db::calls::close_for_table(ctx, store_id, table_id)?;
    // The party has left: no ticket of theirs stays up on a kitchen display next to the
    // next party's (each closed with its `ticket_bumped`; the orders keep their status).
    if let Some(sid) = tables::open_session_id(ctx.conn, store_id, table_id)? {
        for o in orders::session_orders(ctx.conn, store_id, sid)? {
            kitchen::close_open(ctx, store_id, o.id)?;
        }
    }
    tables::end_session(ctx, store_id, table_id)
}

// ---- guests, moving and merging ---------------------------------------------------------

fn table_changed(ctx: &mut WriteCtx, store_id: &str, table_id: i64, change: &str) -> AppResult<TableDto> {
    let t = tables::get(ctx.conn, store_id, table_id)?;
    let data = TableChanged { change: change.to_string(), table: t.clone() };
    ctx.emit(NewEvent::new(store_id, Some(table_id), EventType::TableChanged, data))?;
    Ok(t)
}

/// `session_moved` on both tables' streams, and `table_changed` for both.
fn tell_both(ctx: &mut WriteCtx, store_id: &str, moved: SessionMoved) -> AppResult<()> {
    for table in [moved.from_table_id, moved.to_table_id] {
        ctx.emit(NewEvent::new(store_id, Some(table), EventType::SessionMoved, &moved))?;
    }
    table_changed(ctx, store_id, moved.from_table_id, "moved")?;
    table_changed(ctx, store_id, moved.to_table_id, "moved")?;
    Ok(())
}

/// Orders changed table or session: each one's `order_updated`, so every screen and the
/// chain hub see where it is now (ids and numbers never change).
fn orders_moved(ctx: &mut WriteCtx, store_id: &str, session_id: i64) -> AppResult<()> {
    for o in orders::session_orders(ctx.conn, store_id, session_id)?.into_iter().rev() {
        orders::record_moved(ctx, store_id, &o)?;
    }
    Ok(())
}

/// Sets the guests of an open session.
pub fn set_guests(ctx: &mut WriteCtx, store_id: &str, session_id: i64, guests: i64) -> AppResult<SessionSummary> {
    let table_id: i64 = ctx
        .conn
        .query_row(
            "UPDATE table_sessions SET guests = ?3 WHERE store_id = ?1 AND id = ?2 AND ended_at IS NULL RETURNING table_id",
            params![store_id, session_id, guests],
            |r| r.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => AppError::NotFound("open session"),
            e => e.into(),
        })?;
    table_changed(ctx, store_id, table_id, "guests")?;
    tables::session_summary(ctx.conn, store_id, session_id)?.ok_or(AppError::NotFound("open session"))
}

/// A party moves from one table to another that is free (이동): its session, orders and
/// open calls go along; ids and order numbers stay.
pub fn move_table(ctx: &mut WriteCtx, store_id: &str, from: i64, to: i64, who: &Who) -> AppResult<SessionSummary> {
    let src = tables::get(ctx.conn, store_id, from)?;
    let dst = tables::get(ctx.conn, store_id, to)?;
    if from == to {
        return Err(AppError::validation("to_table_id", "is the same table"));
    }
    let s = src.session.ok_or_else(|| AppError::Conflict(format!("table {} has no open session", src.number)))?;
    if dst.session.is_some() {
        return Err(AppError::Conflict(format!("table {} has guests; merge the tables instead", dst.number)));
    }
    ctx.conn.execute(
        "UPDATE table_sessions SET table_id = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, s.id, to],
    )?;
    ctx.conn.execute(
        "UPDATE staff_calls SET table_id = ?3 WHERE store_id = ?1 AND table_id = ?2 AND acked_at IS NULL",
        params![store_id, from, to],
    )?;
    orders_moved(ctx, store_id, s.id)?;
    let moved = SessionMoved {
        session_id: s.id,
        from_table_id: from,
        from_table_number: src.number,
        to_table_id: to,
        to_table_number: dst.number,
        merged: false,
        order_id: None,
    };
    tell_both(ctx, store_id, moved)?;
    let mut a = Audit::by("table_moved", who, None);
    a.table_number = Some(dst.number);
    a.amount = Some(s.total);
    a.detail = json!({ "session_id": s.id, "from_table": src.number, "to_table": dst.number });
    audit::record(ctx, store_id, a)?;
    tables::session_summary(ctx.conn, store_id, s.id)?.ok_or(AppError::NotFound("session"))
}

/// Two parties join (합석): the source table's orders, open calls (and, with the check, its
/// payments and adjustments) join the target's session, whose guests add up; the source
/// table is free.
pub fn merge_tables(ctx: &mut WriteCtx, store_id: &str, from: i64, into: i64, who: &Who) -> AppResult<SessionSummary> {
    let src = tables::get(ctx.conn, store_id, from)?;
    let dst = tables::get(ctx.conn, store_id, into)?;
    if from == into {
        return Err(AppError::validation("into_table_id", "is the same table"));
    }
    let s = src.session.ok_or_else(|| AppError::Conflict(format!("table {} has no open session", src.number)))?;
    let d = dst.session.ok_or_else(|| AppError::Conflict(format!("table {} has no open session", dst.number)))?;
    ctx.conn.execute(
        "UPDATE orders SET session_id = ?3 WHERE store_id = ?1 AND session_id = ?2",
        params![store_id, s.id, d.id],
    )?;
    ctx.conn.execute(
        "UPDATE staff_calls SET table_id = ?3, session_id = ?4 WHERE store_id = ?1 AND table_id = ?2 AND acked_at IS NULL",
        params![store_id, from, into, d.id],
    )?;
    crate::db::check::merge_sessions(ctx.conn, store_id, s.id, d.id)?;
    let guests = match (s.guests, d.guests) {
        (None, None) => None,
        (a, b) => Some((a.unwrap_or(0) + b.unwrap_or(0)).min(99)),
    };
    ctx.conn.execute(
        "UPDATE table_sessions SET guests = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, d.id, guests],
    )?;
    ctx.conn.execute(
        "UPDATE table_sessions SET ended_at = max(?3, started_at), merged_into = ?4 WHERE store_id = ?1 AND id = ?2",
        params![store_id, s.id, ctx.now_ms, d.id],
    )?;
    orders_moved(ctx, store_id, d.id)?;
    let moved = SessionMoved {
        session_id: d.id,
        from_table_id: from,
        from_table_number: src.number,
        to_table_id: into,
        to_table_number: dst.number,
        merged: true,
        order_id: None,
    };
    tell_both(ctx, store_id, moved)?;
    let mut a = Audit::by("tables_merged", who, None);
    a.table_number = Some(dst.number);
    a.amount = Some(s.total);
    a.detail = json!({ "from_table": src.number, "into_table": dst.number, "from_session": s.id, "session_id": d.id });
    audit::record(ctx, store_id, a)?;
    tables::session_summary(ctx.conn, store_id, d.id)?.ok_or(AppError::NotFound("session"))
}

/// One order moves to another table's open session (opened for it when there is none).
pub fn move_order(ctx: &mut WriteCtx, store_id: &str, order_id: i64, to: i64, who: &Who) -> AppResult<OrderDto> {
    let order = orders::get(ctx.conn, store_id, order_id)?;
    if !orders::session_open(ctx.conn, store_id, order.session_id)? {
        return Err(AppError::Conflict("the order belongs to an ended session and can no longer move".into()));
    }
    let dst = tables::get(ctx.conn, store_id, to)?;
    if dst.id == order.table_id {
        return Err(AppError::validation("to_table_id", "is the order's table already"));
    }
    let session_id = match &dst.session {
        Some(s) => s.id,
        None => {
            ctx.conn.execute(
                "INSERT INTO table_sessions (store_id, table_id, started_at) VALUES (?1, ?2, ?3)",
                params![store_id, to, ctx.now_ms],
            )?;
            ctx.conn.last_insert_rowid()
        }
    };
    crate::db::check::move_order(ctx.conn, store_id, order_id, order.session_id, session_id)?;
    ctx.conn.execute(
        "UPDATE orders SET session_id = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, order_id, session_id],
    )?;
    let moved = orders::get(ctx.conn, store_id, order_id)?;
    orders::record_moved(ctx, store_id, &moved)?;
    tell_both(
        ctx,
        store_id,
        SessionMoved {
            session_id,
            from_table_id: order.table_id,
            from_table_number: order.table_number,
            to_table_id: to,
            to_table_number: dst.number,
            merged: false,
            order_id: Some(order_id),
        },
    )?;
    let mut a = Audit::by("order_moved", who, None);
    a.table_number = Some(dst.number);
    a.order_id = Some(order_id);
    a.amount = Some(order.total);
    a.detail = json!({ "order_no": order.order_no, "from_table": order.table_number, "to_table": dst.number });
    audit::record(ctx, store_id, a)?;
    Ok(moved)
}

// ---- the menu's prices and availability ----------------------------------------------------

/// Updates a menu item; a new price is audited (`price_changed`), a sold-out toggle too
/// (`item_sold_out`).
pub fn update_item(
    ctx: &mut WriteCtx,
    store_id: &str,
    id: i64,
    f: &crate::db::menu::ItemFields,
    who: &Who,
) -> AppResult<crate::db::menu::MenuItemDto> {
    let before = crate::db::menu::item(ctx.conn, store_id, id)?;
    let after = crate::db::menu::update_item(ctx, store_id, id, f)?;
    if after.price != before.price {
        let mut a = Audit::by("price_changed", who, None);
        a.amount = Some(after.price);
        a.detail = json!({ "menu_item_id": id, "name": after.name, "from": before.price, "to": after.price });
        audit::record(ctx, store_id, a)?;
    }
    if after.available != before.available {
        sold_out_audit(
            ctx,
            store_id,
            who,
            json!({ "menu_item_id": id, "name": after.name, "available": after.available }),
        )?;
    }
    Ok(after)
}

fn sold_out_audit(ctx: &mut WriteCtx, store_id: &str, who: &Who, detail: serde_json::Value) -> AppResult<()> {
    let mut a = Audit::by("item_sold_out", who, None);
    a.detail = detail;
    audit::record(ctx, store_id, a)?;
    Ok(())
}

/// Updates an option; a new price delta or a sold-out toggle is audited.
pub fn update_option(
    ctx: &mut WriteCtx,
    store_id: &str,
    id: i64,
    f: &crate::db::options::OptionFields,
    who: &Who,
) -> AppResult<crate::db::options::GroupDto> {
    let find = |g: &crate::db::options::GroupDto| g.options.iter().find(|o| o.id == id).cloned();
    let group_id = crate::db::options::group_of_option(ctx.conn, store_id, id)?;
    let before = find(&crate::db::options::group(ctx.conn, store_id, group_id)?).ok_or(AppError::NotFound("option"))?;
    let g = crate::db::options::update_option(ctx, store_id, id, f)?;
    let after = find(&g).ok_or(AppError::NotFound("option"))?;
    if after.price_delta != before.price_delta {
        let mut a = Audit::by("price_changed", who, None);
        a.amount = Some(after.price_delta);
        a.detail = json!({ "option_id": id, "name": after.name, "group": g.name, "from": before.price_delta, "to": after.price_delta });
        audit::record(ctx, store_id, a)?;
    }
    if after.available != before.available {
        sold_out_audit(
            ctx,
            store_id,
            who,
            json!({ "option_id": id, "name": after.name, "group": g.name, "available": after.available }),
        )?;
    }
    Ok(g)
}
