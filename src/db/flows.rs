//! The changes that touch several aggregates at once, in one place. Each runs inside the
//! caller's write job, so everything it changes commits together or not at all:
//! - placing an order writes the order, its session, its event and its kitchen tickets;
//! - a status change by staff goes through the state machine, then closes or cancels the
//!   order's tickets;
//! - a bump or its undo at the kitchen display changes the ticket, then moves the order as
//!   the kitchen may ([`Actor::Kitchen`]);
//! - ending a session closes its calls.

use crate::db::kitchen::{self, TicketDto};
use crate::db::orders::{self, Line, OrderDto, Placed};
use crate::db::tables::{self, EndedSession};
use crate::db::writer::WriteCtx;
use crate::domain::{Actor, OrderStatus};
use crate::error::{AppError, AppResult};

/// Places an order with its kitchen tickets: no order without its tickets.
pub fn place_order(
    ctx: &mut WriteCtx,
    store_id: &str,
    table_id: i64,
    key: &str,
    lines: &[Line],
    max_active: u64,
    rate_limit: impl FnOnce() -> AppResult<()>,
) -> AppResult<Placed> {
    let placed = orders::place(ctx, store_id, table_id, key, lines, max_active, rate_limit)?;
    if placed.created {
        kitchen::order_tickets(ctx, store_id, &placed.order)?;
    }
    Ok(placed)
}

/// Staff move an order to `to`: 409 for an order of an ended session or a transition the
/// state machine refuses. Cancelling prints cancel tickets; completing closes the open ones.
pub fn set_status(ctx: &mut WriteCtx, store_id: &str, id: i64, to: OrderStatus) -> AppResult<OrderDto> {
    let mut order = orders::get(ctx.conn, store_id, id)?;
    if !orders::session_open(ctx.conn, store_id, order.session_id)? {
        return Err(AppError::Conflict("the order belongs to an ended session and can no longer change".into()));
    }
    if !order.status.can_become(to, Actor::Staff) {
        return Err(AppError::InvalidTransition { from: order.status.as_str().into(), to: to.as_str().into() });
    }
    orders::record_status(ctx, store_id, &mut order, to)?;
    match to {
        OrderStatus::Cancelled => kitchen::cancel_tickets(ctx, store_id, &order)?,
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

/// Ends a table's session; the guests who called have left, so their calls close with it.
/// (Each call's `call_acked` comes before `session_ended`; a table with no open session
/// is 409 and, the job failing, closes nothing.)
pub fn end_session(ctx: &mut WriteCtx, store_id: &str, table_id: i64) -> AppResult<EndedSession> {
    crate::db::calls::close_for_table(ctx, store_id, table_id)?;
    tables::end_session(ctx, store_id, table_id)
}
