//! What HQ reads: the stores with today's figures, orders (newest first, in keyset pages),
//! sales grouped by store, item or day, and the CSV export's lines. Reads go to the report
//! pool (a replica when one is configured).

use crate::domain::OrderStatus;
use crate::error::{AppError, AppResult};
use crate::wire::{OrderDto, StoreOrder};
use deadpool_postgres::Pool;
use serde::Serialize;

/// A store as HQ sees it.
#[derive(Debug, Clone, Serialize)]
pub struct StoreRow {
    pub store_id: String,
    pub name: String,
    pub timezone: String,
    pub last_seen_at: Option<String>,
    pub acked_event_id: i64,
    pub backlog: i64,
    pub orders_today: i64,
    pub sales_today: i64,
    /// The version its box runs, and how its updates stand (`idle`, `pending`, `probation`,
    /// `rolled_back`, `failed`), as the box last said.
    pub version: Option<String>,
    pub update_state: Option<String>,
    pub update_error: Option<String>,
    /// The release the chain assigned it, while its rollout goes on.
    pub assigned_version: Option<String>,
}

pub async fn stores(pool: &Pool) -> AppResult<Vec<StoreRow>> {
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT s.store_id, s.name, s.timezone, s.last_seen_at::text,
                    coalesce(max(b.acked_event_id), 0), coalesce(max(b.head_event_id - b.acked_event_id), 0),
                    (SELECT count(*) FROM orders o WHERE o.store_id = s.store_id AND o.status <> 'cancelled'
                       AND o.business_day = (now() AT TIME ZONE s.timezone)::date),
                    (SELECT coalesce(sum(o.total), 0)::bigint FROM orders o WHERE o.store_id = s.store_id AND o.status <> 'cancelled'
                       AND o.business_day = (now() AT TIME ZONE s.timezone)::date),
                    (array_agg(b.version ORDER BY b.last_seen_at DESC NULLS LAST))[1],
                    (array_agg(b.update_state ORDER BY b.last_seen_at DESC NULLS LAST))[1],
                    (array_agg(b.update_error ORDER BY b.last_seen_at DESC NULLS LAST))[1],
                    (array_agg(b.assigned_version ORDER BY b.last_seen_at DESC NULLS LAST))[1]
             FROM stores s LEFT JOIN box_stores bs ON bs.store_id = s.store_id LEFT JOIN boxes b ON b.id = bs.box_id
             GROUP BY s.store_id ORDER BY s.store_id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| StoreRow {
            store_id: r.get(0),
            name: r.get(1),
            timezone: r.get(2),
            last_seen_at: r.get::<_, Option<String>>(3).map(|t| rfc3339_pg(&t)),
            acked_event_id: r.get(4),
            backlog: r.get::<_, i64>(5).max(0),
            orders_today: r.get(6),
            sales_today: r.get(7),
            version: r.get(8),
            update_state: r.get(9),
            update_error: r.get(10),
            assigned_version: r.get(11),
        })
        .collect())
}

/// PostgreSQL's `timestamptz::text` ("2030-06-14 03:04:05.123+00") as RFC 3339.
pub fn rfc3339_pg(t: &str) -> String {
    t.parse::<jiff::Timestamp>().map(|ts| format!("{ts:.3}")).unwrap_or_else(|_| {
        let fixed = t.replacen(' ', "T", 1);
        let fixed = if fixed.ends_with("+00") { format!("{fixed}:00") } else { fixed };
        fixed.parse::<jiff::Timestamp>().map(|ts| format!("{ts:.3}")).unwrap_or(fixed)
    })
}

/// Which orders: one store or all, business days from and to (both inclusive, optional).
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub store_id: Option<String>,
    pub from: Option<jiff::civil::Date>,
    pub to: Option<jiff::civil::Date>,
}

/// Where a page of orders ends: (created_at as PostgreSQL prints it, store, order id).
pub type OrderKey = (String, String, i64);

/// Orders newest first, after `after` (keyset paging: a long export never skips or repeats
/// an order, whatever arrives meanwhile).
pub async fn order_page(
    pool: &Pool,
    f: &OrderFilter,
    after: Option<&OrderKey>,
    limit: i64,
) -> AppResult<(Vec<StoreOrder>, Option<OrderKey>)> {
    let (from, to) = (f.from.map(|d| d.to_string()), f.to.map(|d| d.to_string()));
    let (at, store, id) = match after {
        Some((a, s, i)) => (Some(a.clone()), Some(s.clone()), Some(*i)),
        None => (None, None, None),
    };
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT store_id, order_id, order_no, table_id, table_number, session_id, status, total,
                    created_at::text, updated_at::text, items::text
             FROM orders
             WHERE ($1::text IS NULL OR store_id = $1)
               AND ($2::text IS NULL OR business_day >= $2::text::date)
               AND ($3::text IS NULL OR business_day <= $3::text::date)
               AND ($5::text IS NULL OR (created_at, store_id, order_id) < ($5::text::timestamptz, $6::text, $7::int8))
             ORDER BY created_at DESC, store_id DESC, order_id DESC LIMIT $4",
            &[&f.store_id, &from, &to, &limit, &at, &store, &id],
        )
        .await?;
    let last = rows.last().map(|r| (r.get::<_, String>(8), r.get::<_, String>(0), r.get::<_, i64>(1)));
    let list = rows
        .iter()
        .map(|r| StoreOrder {
            store_id: r.get(0),
            order: OrderDto {
                id: r.get(1),
                order_no: r.get(2),
                table_id: r.get(3),
                table_number: r.get(4),
                session_id: r.get(5),
                status: OrderStatus::parse(&r.get::<_, String>(6)).unwrap_or(OrderStatus::Pending),
                total: r.get(7),
                created_at: rfc3339_pg(&r.get::<_, String>(8)),
                updated_at: rfc3339_pg(&r.get::<_, String>(9)),
                items: serde_json::from_str(&r.get::<_, String>(10)).unwrap_or_default(),
            },
        })
        .collect();
    Ok((list, last))
}

/// How sales are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Store,
    Item,
    Day,
}

impl GroupBy {
    pub fn parse(s: &str) -> AppResult<GroupBy> {
        match s {
            "store" => Ok(GroupBy::Store),
            "item" => Ok(GroupBy::Item),
            "day" => Ok(GroupBy::Day),
            _ => Err(AppError::validation("group_by", "must be store, item or day")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Store => "store",
            GroupBy::Item => "item",
            GroupBy::Day => "day",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SalesRow {
    pub key: String,
    pub orders: i64,
    pub quantity: i64,
    pub total: i64,
    /// By store or day: the net sales of the closed business days in the range (after
    /// discounts, comps, voids and refunds); null by item, and where no business day in the
    /// range is closed yet (nothing to count is not the same as a day that made nothing).
    pub net: Option<i64>,
}

/// Sales (cancelled orders excluded); with no dates, today in each store's own timezone.
pub async fn sales(
    pool: &Pool,
    group: GroupBy,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> AppResult<Vec<SalesRow>> {
    let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
    let when = "CASE WHEN $1::text IS NULL AND $2::text IS NULL
                     THEN o.business_day = (now() AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date
                     ELSE ($1::text IS NULL OR o.business_day >= $1::text::date)
                      AND ($2::text IS NULL OR o.business_day <= $2::text::date) END";
    let sql = match group {
        GroupBy::Item => format!(
            "SELECT i->>'name' AS k, count(DISTINCT (o.store_id, o.box_id, o.order_id))::bigint,
                    coalesce(sum((i->>'quantity')::bigint), 0)::bigint,
                    coalesce(sum((i->>'quantity')::bigint * (i->>'unit_price')::bigint), 0)::bigint
             FROM orders o LEFT JOIN stores s ON s.store_id = o.store_id, jsonb_array_elements(o.items) i
             WHERE o.status <> 'cancelled' AND {when}
             GROUP BY k ORDER BY 4 DESC, k"
        ),
        GroupBy::Store | GroupBy::Day => {
            let key = if group == GroupBy::Store { "o.store_id" } else { "o.business_day::text" };
            format!(
                "SELECT {key} AS k, count(*)::bigint,
                        coalesce(sum((SELECT sum((i->>'quantity')::bigint) FROM jsonb_array_elements(o.items) i)), 0)::bigint,
                        coalesce(sum(o.total), 0)::bigint
                 FROM orders o LEFT JOIN stores s ON s.store_id = o.store_id
                 WHERE o.status <> 'cancelled' AND {when}
                 GROUP BY k ORDER BY k"
            )
        }
    };
    let c = pool.get().await?;
    let rows = c.query(&sql, &[&from, &to]).await?;
    let mut out: Vec<SalesRow> = rows
        .iter()
        .map(|r| SalesRow { key: r.get(0), orders: r.get(1), quantity: r.get(2), total: r.get(3), net: None })
        .collect();
    if group != GroupBy::Item {
        // Net sales come from the closed days (their frozen reports).
        let key = if group == GroupBy::Store { "d.store_id" } else { "d.business_date::text" };
        let when = "CASE WHEN $1::text IS NULL AND $2::text IS NULL
                         THEN d.business_date = (now() AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date
                         ELSE ($1::text IS NULL OR d.business_date >= $1::text::date)
                          AND ($2::text IS NULL OR d.business_date <= $2::text::date) END";
        let nets = c
            .query(
                &format!(
                    "SELECT {key}, sum(d.net)::bigint FROM days d LEFT JOIN stores s ON s.store_id = d.store_id
                     WHERE {when} GROUP BY 1"
                ),
                &[&from, &to],
            )
            .await?;
        for n in nets {
            let (k, v): (String, i64) = (n.get(0), n.get(1));
            match out.iter_mut().find(|r| r.key == k) {
                Some(row) => row.net = Some(v),
                None => out.push(SalesRow { key: k, orders: 0, quantity: 0, total: 0, net: Some(v) }),
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
    }
    Ok(out)
}

/// A store's closed business day as HQ reads it.
#[derive(Debug, Clone, Serialize)]
pub struct StoreDay {
    pub store_id: String,
    #[serde(flatten)]
    pub report: crate::wire::DayReport,
}

/// Closed business days, newest first: one store or all, business dates from and to.
pub async fn days(
    pool: &Pool,
    store_id: Option<&str>,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> AppResult<Vec<StoreDay>> {
    let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT store_id, report::text FROM days
             WHERE ($1::text IS NULL OR store_id = $1)
               AND ($2::text IS NULL OR business_date >= $2::text::date)
               AND ($3::text IS NULL OR business_date <= $3::text::date)
             ORDER BY business_date DESC, store_id, day_id DESC LIMIT 5000",
            &[&store_id, &from, &to],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let report = serde_json::from_str(&r.get::<_, String>(1)).ok()?;
            Some(StoreDay { store_id: r.get(0), report })
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentRow {
    pub key: String,
    pub count: i64,
    pub amount: i64,
    pub refunded: i64,
}

/// Payments by method or by store, by the business day they were taken in (default today).
pub async fn payments(
    pool: &Pool,
    by_store: bool,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> AppResult<Vec<PaymentRow>> {
    let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
    let key = if by_store { "p.store_id" } else { "p.method" };
    let c = pool.get().await?;
    let rows = c
        .query(
            &format!(
                "SELECT {key}, count(*)::bigint, sum(p.amount)::bigint, sum(p.refunded)::bigint
                 FROM payments p LEFT JOIN stores s ON s.store_id = p.store_id
                 WHERE CASE WHEN $1::text IS NULL AND $2::text IS NULL
                            THEN p.business_date = (now() AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date
                            ELSE ($1::text IS NULL OR p.business_date >= $1::text::date)
                             AND ($2::text IS NULL OR p.business_date <= $2::text::date) END
                 GROUP BY 1 ORDER BY 3 DESC, 1"
            ),
            &[&from, &to],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| PaymentRow { key: r.get(0), count: r.get(1), amount: r.get(2), refunded: r.get(3) })
        .collect())
}

/// The closed days as CSV lines (one a day and store).
pub fn days_csv(days: &[StoreDay]) -> String {
    let mut out = String::from(
        "\u{feff}store_id,business_date,orders,sessions,guests,gross,discounts,comps,voids,refunds,net,cash,card,other_payments,cash_difference\n",
    );
    for d in days {
        let r = &d.report;
        let paid = |m: &str| r.payments.iter().filter(|p| p.method == m).map(|p| p.amount).sum::<i64>();
        let other: i64 = r.payments.iter().filter(|p| p.method != "cash" && p.method != "card").map(|p| p.amount).sum();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            csv_field(&d.store_id),
            r.day.business_date,
            r.orders,
            r.sessions,
            r.guests,
            r.gross,
            r.discounts,
            r.comps,
            r.voids,
            r.refunds,
            r.net,
            paid("cash"),
            paid("card"),
            other,
            r.cash.difference.map(|v| v.to_string()).unwrap_or_default()
        ));
    }
    out
}

/// The CSV export's header line (with a byte order mark, so spreadsheets read UTF-8).
pub const CSV_HEADER: &str = "\u{feff}store_id,order_id,order_no,created_at,table_number,status,total,items\n";

use crate::csv::field as csv_field;

/// One order as a CSV line.
pub fn csv_line(o: &StoreOrder) -> String {
    let items: Vec<String> = o
        .order
        .items
        .iter()
        .map(|i| {
            let mut s = format!("{} x{}", i.name, i.quantity);
            if !i.options.is_empty() {
                let names: Vec<&str> = i.options.iter().map(|x| x.name.as_str()).collect();
                s.push_str(&format!(" ({})", names.join("/")));
            }
            s
        })
        .collect();
    let d = &o.order;
    format!(
        "{},{},{},{},{},{},{},{}\n",
        csv_field(&o.store_id),
        d.id,
        d.order_no,
        d.created_at,
        d.table_number,
        d.status.as_str(),
        d.total,
        csv_field(&items.join("; "))
    )
}

/// `orders[_store][_from][_to].csv`, from the checked filters only.
pub fn csv_name(f: &OrderFilter) -> String {
    let mut name = String::from("orders");
    let store = f.store_id.as_deref().filter(|s| {
        !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if let Some(s) = store {
        name.push('_');
        name.push_str(s);
    }
    for d in [f.from, f.to].into_iter().flatten() {
        name.push('_');
        name.push_str(&d.to_string());
    }
    name + ".csv"
}

/// Which audit rows: one store or all, kinds, business days (the store's timezone).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub store_id: Option<String>,
    pub kinds: Vec<String>,
    pub from: Option<jiff::civil::Date>,
    pub to: Option<jiff::civil::Date>,
    pub limit: i64,
}

/// An audit row as HQ reads it: the box's entry with its store.
#[derive(Debug, Clone, Serialize)]
pub struct StoreAudit {
    pub store_id: String,
    #[serde(flatten)]
    pub entry: crate::wire::AuditEntry,
}

/// The stores' audit trails, newest first (voids, discounts, refunds… by `kinds`).
pub async fn audit(pool: &Pool, f: &AuditFilter) -> AppResult<Vec<StoreAudit>> {
    let (from, to) = (f.from.map(|d| d.to_string()), f.to.map(|d| d.to_string()));
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT a.store_id, a.audit_id, a.at::text, a.kind, a.staff_name, a.approver_name, a.table_number,
                    a.order_id, a.amount, a.reason, a.detail::text
             FROM audit a LEFT JOIN stores s ON s.store_id = a.store_id
             WHERE ($1::text IS NULL OR a.store_id = $1)
               AND (cardinality($2::text[]) = 0 OR a.kind = ANY($2))
               AND ($3::text IS NULL OR (a.at AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date >= $3::text::date)
               AND ($4::text IS NULL OR (a.at AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date <= $4::text::date)
             ORDER BY a.at DESC, a.store_id, a.audit_id DESC LIMIT $5",
            &[&f.store_id, &f.kinds, &from, &to, &f.limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| StoreAudit {
            store_id: r.get(0),
            entry: crate::wire::AuditEntry {
                id: r.get(1),
                at: rfc3339_pg(&r.get::<_, String>(2)),
                kind: r.get(3),
                staff_id: None,
                staff_name: r.get(4),
                approver_id: None,
                approver_name: r.get(5),
                table_number: r.get(6),
                order_id: r.get(7),
                amount: r.get(8),
                reason: r.get(9),
                detail: serde_json::from_str(&r.get::<_, String>(10)).unwrap_or_default(),
            },
        })
        .collect())
}
