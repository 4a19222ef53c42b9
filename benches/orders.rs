//! Placing orders under load: the real server in-process, clients over loopback HTTP with
//! keep-alive, every order durable (`synchronous=FULL`) before it is answered.
//!
//! `cargo bench --bench orders`. Environment: `BENCH_SECS` (default 5) for the closed-loop
//! runs, `BENCH_PACED_SECS` (default 10) and `BENCH_RATE` (default 100) for the paced run,
//! `BENCH_SESSION_ORDERS` (default 20; 0 = never): staff end a table's session after this
//! many of its orders, as guests leave, so sessions stay the size they have in a restaurant;
//! `BENCH_SERVER_THREADS` / `BENCH_CLIENT_THREADS` (default 2 each): the runtimes' workers;
//! `BENCH_OPTIONS=1`: every item offers two option groups (맵기, pick 1; 추가, up to 2) and
//! every line chooses two options, so each order carries 3 lines × 2 options;
//! `BENCH_CHECKOUT=1`: staff pay each table's check after every 5th order (they read the
//! check and pay its balance by card, over HTTP, untimed, alongside the orders).
//!
//! 1. one table-token client placing 3-line orders back to back: orders/s, p50/p99 latency;
//! 2. 64 clients (distinct tables) back to back: orders/s (the writer's group commit);
//! 3. a paced run at `BENCH_RATE` orders/s, open loop (a late answer does not delay the next
//!    order; latency counts from the scheduled send time): p50/p99/max latency;
//! 4. for comparison, the writer alone: 64 jobs in flight calling `db::orders::place`
//!    directly, no HTTP, no JSON, no client (what the database side costs);
//! 5. reads once the store holds every order above: a table's `GET /api/v1/orders` and the
//!    staff's `GET /api/v1/admin/orders` (they must not slow down as history grows);
//! 6. a business day's report (마감 정산) of a day with 5,000 orders in 1,000 paid checks,
//!    computed as the close does.
//!
//! At the end the database must hold exactly one order (and three lines) per 201 answer.
//! Client and server share the machine's cores; each side has its own runtime.

// The allocator the shipped binary uses (src/main.rs), so that the in-process server
// is measured as it runs on a box.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tableorder::app::{App, Options};
use tableorder::auth::Claims;
use tableorder::config::Config;
use tableorder::db::menu::ItemFields;
use tableorder::db::options::{GroupFields, NewOption};
use tableorder::db::orders::{Line, OrderRequest};
use tableorder::state::AppState;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

const STORE: &str = "bench";
const TABLES: i64 = 64;
/// No request may take longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Most orders one run may place, whatever the time.
const MAX_ORDERS_PER_RUN: u64 = 2_000_000;
/// Requests per read measurement.
const READS: usize = 500;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runtime(name: &str, workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}

/// What one run measured.
struct Run {
    name: String,
    created: u64,
    errors: u64,
    elapsed: Duration,
    /// Latencies of the answered requests, in microseconds.
    latencies_us: Vec<u64>,
}

impl Run {
    fn new(name: &str) -> Run {
        Run { name: name.into(), created: 0, errors: 0, elapsed: Duration::ZERO, latencies_us: Vec::new() }
    }

    fn rate(&self) -> f64 {
        self.created as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let mut v = self.latencies_us.clone();
        v.sort_unstable();
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v[i.min(v.len() - 1)] as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.latencies_us.iter().max().map(|&m| m as f64 / 1000.0).unwrap_or(f64::NAN)
    }

    fn print(&self) {
        println!(
            "{:<30} {:>8} {:>7.2} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>7}",
            self.name,
            self.created,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.max_ms(),
            self.errors
        );
    }
}

fn header(first: &str) {
    println!(
        "{:<30} {:>8} {:>7} {:>10} {:>8} {:>8} {:>8} {:>7}",
        first, "count", "secs", "per s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    println!("{}", "-".repeat(94));
}

/// A client of one table: its token, its order and the staff token that ends its sessions.
#[derive(Clone)]
struct Tablet {
    client: Client,
    addr: String,
    token: String,
    admin: String,
    body: Arc<Value>,
    table_id: i64,
    lines: Arc<Vec<(i64, i64)>>,
    /// The options of each line (empty without `BENCH_OPTIONS=1`).
    options: Arc<Vec<Vec<i64>>>,
}

static KEYS: AtomicU64 = AtomicU64::new(0);

impl Tablet {
    /// Places one order with a fresh key; its session and total when it was created (201).
    async fn order(&self) -> Result<(i64, i64), String> {
        let key = format!("b-{}", KEYS.fetch_add(1, Ordering::Relaxed));
        let r = self
            .client
            .post(format!("{}/api/v1/orders", self.addr))
            .bearer_auth(&self.token)
            .header("idempotency-key", key)
            .json(&*self.body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        if status == StatusCode::CREATED {
            let v: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            Ok((v["session_id"].as_i64().unwrap_or(0), v["total"].as_i64().unwrap_or(0)))
        } else {
            Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)))
        }
    }

    /// Staff take a card payment of `amount` on the session's check (not timed): what the
    /// counter's check screen, kept current by `check_changed`, shows as the balance.
    async fn pay(&self, session_id: i64, amount: i64) -> Result<(), String> {
        if amount <= 0 {
            return Ok(());
        }
        let balance = amount;
        let r = self
            .client
            .post(format!("{}/api/v1/admin/sessions/{session_id}/payments", self.addr))
            .bearer_auth(&self.admin)
            .header("idempotency-key", format!("p-{}", KEYS.fetch_add(1, Ordering::Relaxed)))
            .json(&json!({"method": "card", "amount": balance}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        if status == StatusCode::CREATED {
            Ok(())
        } else {
            Err(format!("payment {status}: {}", String::from_utf8_lossy(&bytes)))
        }
    }

    /// Staff end this table's session (not timed).
    async fn end_session(&self) -> Result<(), String> {
        let r = self
            .client
            .post(format!("{}/api/v1/admin/tables/{}/end-session", self.addr, self.table_id))
            .bearer_auth(&self.admin)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(format!("end-session {status}: {}", String::from_utf8_lossy(&bytes)))
        }
    }

    /// One GET; Ok when it answered 200.
    async fn get(&self, path: &str, token: &str) -> Result<(), String> {
        let r = self
            .client
            .get(format!("{}{path}", self.addr))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(format!("GET {path} {status}: {}", String::from_utf8_lossy(&bytes)))
        }
    }
}

/// Creates the store, a menu of a few items and the tables; returns the tablets' clients.
async fn seed(state: &AppState, addr: &str, client: &Client) -> Vec<Tablet> {
    let admin = tableorder::auth::hash_password("bench-admin-password").unwrap();
    let table = tableorder::auth::hash_password("1234").unwrap();
    let with_options = env_u64("BENCH_OPTIONS", 0) == 1;
    let (admin_id, items, tables, choices) = state
        .writer
        .write(move |ctx| {
            tableorder::db::stores::create_store(ctx.conn, STORE, "Bench store", "Asia/Seoul", ctx.now_ms)?;
            let admin_id = tableorder::db::stores::create_admin(ctx.conn, STORE, "admin", &admin, ctx.now_ms)?;
            let cat = tableorder::db::menu::create_category(ctx, STORE, "Meals", None, None, None, 0)?;
            let mut groups = Vec::new();
            let mut choices = Vec::new();
            if with_options {
                let limits = tableorder::db::options::Limits { groups: 0, options_per_group: 0 };
                for (name, min, max, opts) in [
                    ("맵기", 1, 1, [("순한맛", 0), ("보통", 0), ("매운맛", 500)]),
                    ("추가", 0, 2, [("라면사리", 1500), ("치즈", 2000), ("떡", 1000)]),
                ] {
                    let options: Vec<NewOption> = opts
                        .iter()
                        .map(|(n, d)| NewOption {
                            name: n.to_string(),
                            price_delta: *d,
                            available: true,
                            sort_order: None,
                            translations: "{}".into(),
                        })
                        .collect();
                    let f =
                        GroupFields { name: Some(name.into()), min: Some(min), max: Some(max), ..Default::default() };
                    let g = tableorder::db::options::create_group(ctx, STORE, &f, &options, limits)?;
                    choices.push(g.options.iter().map(|o| o.id).collect::<Vec<_>>());
                    groups.push(g.id);
                }
            }
            let mut items = Vec::new();
            for (name, price) in
                [("김치찌개", 9000), ("된장찌개", 8500), ("공기밥", 1000), ("콜라", 2000), ("맥주", 5000)]
            {
                let f = ItemFields {
                    category_id: Some(cat.id),
                    name: Some(name.into()),
                    price: Some(price),
                    option_group_ids: Some(groups.clone()),
                    ..Default::default()
                };
                items.push(tableorder::db::menu::create_item(ctx, STORE, &f, 0)?.id);
            }
            let mut tables = Vec::new();
            for n in 1..=TABLES {
                tables.push(tableorder::db::tables::create(ctx, STORE, n, &table, 0)?.id);
            }
            Ok((admin_id, items, tables, choices))
        })
        .await
        .expect("seed");
    let now_s = state.clock.now_ms() / 1000;
    let admin = state.keys.issue(&Claims::admin(STORE, admin_id, 0, now_s)).unwrap();
    tables
        .iter()
        .enumerate()
        .map(|(i, &table_id)| {
            // Three lines, varying by table.
            let lines: Vec<(i64, i64)> =
                (0..3).map(|j| (items[(i + j) % items.len()], 1 + ((i + j) % 3) as i64)).collect();
            // With options: one spice level and one extra per line.
            let options: Vec<Vec<i64>> =
                (0..3).map(|j| choices.iter().map(|c: &Vec<i64>| c[(i + j) % c.len()]).collect()).collect();
            let body: Vec<Value> = lines
                .iter()
                .zip(&options)
                .map(|((id, q), o)| json!({"menu_item_id": id, "quantity": q, "option_ids": o}))
                .collect();
            Tablet {
                client: client.clone(),
                addr: addr.to_string(),
                token: state.keys.issue(&Claims::table(STORE, table_id, 0, now_s)).unwrap(),
                admin: admin.clone(),
                body: Arc::new(json!({ "items": body })),
                table_id,
                lines: Arc::new(lines),
                options: Arc::new(options),
            }
        })
        .collect()
}

/// Whether staff end the session after a table's `placed`-th order.
fn session_ends(placed: u64, session_orders: u64) -> bool {
    session_orders > 0 && placed.is_multiple_of(session_orders)
}

fn note_error(errors: &mut u64, e: &str) {
    if *errors == 0 {
        eprintln!("request failed: {e}");
    }
    *errors += 1;
}

/// Each tablet ordering back to back for `secs`; every `session_orders` orders staff end
/// the table's session; with `pay_every`, staff pay the check after every so many orders.
async fn closed_loop(name: &str, tablets: &[Tablet], secs: u64, session_orders: u64, pay_every: u64) -> Run {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let per_client = MAX_ORDERS_PER_RUN / tablets.len() as u64;
    let start = Instant::now();
    let tasks: Vec<_> = tablets
        .iter()
        .cloned()
        .map(|t| {
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let (mut created, mut errors) = (0u64, 0u64);
                let mut owed = 0;
                // Payments are taken at the counter while the table goes on ordering: they
                // run beside the tablet's orders; the visit ends once they are done.
                let mut paying: Vec<tokio::task::JoinHandle<Result<(), String>>> = Vec::new();
                while Instant::now() < deadline && created + errors < per_client {
                    let t0 = Instant::now();
                    match t.order().await {
                        Ok((session, total)) => {
                            lat.push(t0.elapsed().as_micros() as u64);
                            created += 1;
                            owed += total;
                            if pay_every > 0 && created.is_multiple_of(pay_every) {
                                let (counter, amount) = (t.clone(), owed);
                                paying.push(tokio::spawn(async move { counter.pay(session, amount).await }));
                                owed = 0;
                            }
                            if session_ends(created, session_orders) {
                                for p in paying.drain(..) {
                                    if let Err(e) = p.await.expect("payment task") {
                                        note_error(&mut errors, &e);
                                    }
                                }
                                if let Err(e) = t.end_session().await {
                                    note_error(&mut errors, &e);
                                }
                                owed = 0;
                            }
                        }
                        Err(e) => note_error(&mut errors, &e),
                    }
                }
                for p in paying {
                    if let Err(e) = p.await.expect("payment task") {
                        note_error(&mut errors, &e);
                    }
                }
                (created, errors, lat)
            })
        })
        .collect();
    let mut run = Run::new(name);
    for t in tasks {
        let (c, e, l) = t.await.expect("client task");
        run.created += c;
        run.errors += e;
        run.latencies_us.extend(l);
    }
    run.elapsed = start.elapsed();
    run
}

/// Orders at `rate` per second for `secs`, round robin over the tablets, open loop.
async fn paced(name: &str, tablets: &[Tablet], rate: u64, secs: u64) -> Run {
    let total = (rate * secs).min(MAX_ORDERS_PER_RUN);
    let period = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let t = tablets[i as usize % tablets.len()].clone();
        tasks.push(tokio::spawn(async move {
            let r = t.order().await;
            (r, due.elapsed())
        }));
    }
    let mut run = Run::new(name);
    for t in tasks {
        let (r, lat) = t.await.expect("client task");
        match r {
            Ok(_) => {
                run.created += 1;
                run.latencies_us.push(lat.as_micros() as u64);
            }
            Err(e) => note_error(&mut run.errors, &e),
        }
    }
    run.elapsed = start.elapsed();
    run
}

/// The writer alone: one job in flight per tablet, for `secs`, sessions ended as above.
async fn writer_only(name: &str, state: &AppState, tablets: &[Tablet], secs: u64, session_orders: u64) -> Run {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let per_client = MAX_ORDERS_PER_RUN / tablets.len() as u64;
    let start = Instant::now();
    let tasks: Vec<_> = tablets
        .iter()
        .cloned()
        .map(|t| {
            let writer = state.writer.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline && (lat.len() as u64) + errors < per_client {
                    let key = format!("w-{}", KEYS.fetch_add(1, Ordering::Relaxed));
                    let lines: Vec<Line> = t
                        .lines
                        .iter()
                        .zip(t.options.iter())
                        .map(|(&(menu_item_id, quantity), o)| Line {
                            menu_item_id,
                            quantity,
                            option_ids: o.clone(),
                            note: String::new(),
                        })
                        .collect();
                    let table_id = t.table_id;
                    let t0 = Instant::now();
                    match writer
                        .write(move |ctx| {
                            let new = OrderRequest {
                                table_id,
                                key: &key,
                                lines: &lines,
                                guests: None,
                                max_active: 0,
                                max_active_per_table: 0,
                            };
                            tableorder::db::flows::place_order(ctx, STORE, &new, || Ok(()))
                        })
                        .await
                    {
                        Ok(p) if p.created => {
                            lat.push(t0.elapsed().as_micros() as u64);
                            if session_ends(lat.len() as u64, session_orders) {
                                let ended = writer
                                    .write(move |ctx| tableorder::db::flows::end_session(ctx, STORE, table_id, None))
                                    .await;
                                if let Err(e) = ended {
                                    note_error(&mut errors, &e.to_string());
                                }
                            }
                        }
                        Ok(_) => note_error(&mut errors, "a new key answered as a retry"),
                        Err(e) => note_error(&mut errors, &e.to_string()),
                    }
                }
                (errors, lat)
            })
        })
        .collect();
    let mut run = Run::new(name);
    for t in tasks {
        let (e, l) = t.await.expect("writer task");
        run.created += l.len() as u64;
        run.errors += e;
        run.latencies_us.extend(l);
    }
    run.elapsed = start.elapsed();
    run
}

/// `READS` GETs of `path`, one after the other.
async fn reads(name: &str, tablet: &Tablet, path: &str, token: &str) -> Run {
    let mut run = Run::new(name);
    let start = Instant::now();
    for _ in 0..READS {
        let t0 = Instant::now();
        match tablet.get(path, token).await {
            Ok(()) => {
                run.created += 1;
                run.latencies_us.push(t0.elapsed().as_micros() as u64);
            }
            Err(e) => note_error(&mut run.errors, &e),
        }
    }
    run.elapsed = start.elapsed();
    run
}

/// A day of 5,000 orders in 1,000 checks (each paid, a tenth with a discount), then its
/// report computed as the close computes it: the median and slowest of 20.
async fn day_report(state: &AppState) -> String {
    const STORE_R: &str = "report";
    let hash = tableorder::auth::hash_password("1234").unwrap();
    let seeded = state
        .writer
        .write(move |ctx| {
            tableorder::db::stores::create_store(ctx.conn, STORE_R, "Report store", "Asia/Seoul", ctx.now_ms)?;
            let admin = tableorder::db::stores::create_admin(ctx.conn, STORE_R, "owner", &hash, ctx.now_ms)?;
            let cat = tableorder::db::menu::create_category(ctx, STORE_R, "식사", None, None, None, 0)?;
            let mut items = Vec::new();
            for (name, price) in
                [("김치찌개", 9000), ("된장찌개", 8500), ("공기밥", 1000), ("콜라", 2000), ("맥주", 5000)]
            {
                let f = ItemFields {
                    category_id: Some(cat.id),
                    name: Some(name.into()),
                    price: Some(price),
                    ..Default::default()
                };
                items.push(tableorder::db::menu::create_item(ctx, STORE_R, &f, 0)?.id);
            }
            let mut tables = Vec::new();
            for n in 1..=50 {
                tables.push(tableorder::db::tables::create(ctx, STORE_R, n, &hash, 0)?.id);
            }
            Ok((items, tables, admin))
        })
        .await;
    let Ok((items, tables, admin)) = seeded else { return "day report: could not seed".into() };
    let who = tableorder::db::audit::Who { staff_id: admin, name: "bench".into() };
    let mut spent = [Duration::ZERO; 4];
    for check in 0..1000i64 {
        let (items, table_id, who) = (items.clone(), tables[(check % 50) as usize], who.clone());
        let r = state
            .writer
            .write(move |ctx| {
                let mut session = 0;
                let t0 = Instant::now();
                for o in 0..5 {
                    let lines: Vec<Line> = (0..3)
                        .map(|j| Line {
                            menu_item_id: items[((check + o + j) % 5) as usize],
                            quantity: 1 + (j % 2),
                            option_ids: vec![],
                            note: String::new(),
                        })
                        .collect();
                    let key = format!("r-{check}-{o}");
                    let new = OrderRequest {
                        table_id,
                        key: &key,
                        lines: &lines,
                        guests: Some(2),
                        max_active: 0,
                        max_active_per_table: 0,
                    };
                    session = tableorder::db::flows::place_order(ctx, STORE_R, &new, || Ok(()))?.order.session_id;
                }
                let t1 = Instant::now();
                if check % 10 == 0 {
                    let by = tableorder::db::flows::Staff {
                        who: &who,
                        role: tableorder::domain::Role::Owner,
                        approval: None,
                    };
                    let n = tableorder::db::check::NewAdjustment {
                        kind: tableorder::domain::check::AdjKind::Discount,
                        reason: "단골".into(),
                        order_item_id: None,
                        percent: Some(10),
                        amount: None,
                        quantity: None,
                    };
                    tableorder::db::check::adjust(ctx, STORE_R, session, &n, &by)?;
                }
                let t2 = Instant::now();
                let c = tableorder::db::check::get(ctx.conn, STORE_R, session, None)?;
                let n = tableorder::db::check::NewPayment {
                    method: if check % 3 == 0 { "cash".into() } else { "card".into() },
                    amount: Some(c.balance),
                    tendered: None,
                    reference: None,
                    split: None,
                };
                let t3 = Instant::now();
                tableorder::db::check::pay(ctx, STORE_R, session, Some(&format!("rp-{check}")), &n, &who)?;
                let t4 = Instant::now();
                tableorder::db::flows::end_session(ctx, STORE_R, table_id, None)?;
                Ok([t1 - t0, t3 - t2, t4 - t3, t4.elapsed()])
            })
            .await;
        match r {
            Ok(d) => {
                for i in 0..4 {
                    spent[i] += d[i];
                }
            }
            Err(e) => return format!("day report: seeding failed: {e}"),
        }
    }
    eprintln!(
        "per check: 5 orders {:?}, get check {:?}, pay {:?}, end {:?}",
        spent[0] / 1000,
        spent[1] / 1000,
        spent[2] / 1000,
        spent[3] / 1000
    );
    let pool = state.pool.clone();
    tableorder::db::blocking(move || {
        let conn = pool.get()?;
        let day = tableorder::db::days::open_day(&conn, STORE_R)?.expect("a day opened by the first order");
        let mut times = Vec::new();
        let mut report = None;
        for _ in 0..20 {
            let t0 = Instant::now();
            report = Some(tableorder::db::days::compute(&conn, STORE_R, &day)?);
            times.push(t0.elapsed());
        }
        times.sort();
        let r = report.unwrap();
        Ok(format!(
            "day report (마감 정산) of {} orders in {} checks, net {} won: median {:.1} ms, slowest {:.1} ms (20 runs)",
            r.orders,
            r.sessions,
            r.net,
            times[10].as_secs_f64() * 1000.0,
            times[19].as_secs_f64() * 1000.0
        ))
    })
    .await
    .unwrap_or_else(|e| format!("day report failed: {e}"))
}

fn main() {
    let secs = env_u64("BENCH_SECS", 5).clamp(1, 600);
    let paced_secs = env_u64("BENCH_PACED_SECS", 10).clamp(1, 600);
    let rate = env_u64("BENCH_RATE", 100).clamp(1, 100_000);
    let session_orders = env_u64("BENCH_SESSION_ORDERS", 20);
    let server_threads = env_u64("BENCH_SERVER_THREADS", 2) as usize;
    let client_threads = env_u64("BENCH_CLIENT_THREADS", 2) as usize;

    // On the target directory's disk, so that fsync costs what it costs (not a tmpfs).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let server_rt = runtime("bench-server", server_threads);
    let client_rt = runtime("bench-client", client_threads);

    let mut config = Config::for_data_dir(dir.path());
    config.limits.orders_per_minute = 0;
    config.limits.max_active_orders = 0;
    config.limits.max_tables = 0;
    config.limits.max_active_orders_per_table = 0;
    let app = server_rt.block_on(App::build_with(config, Options::default())).expect("server builds");
    let addr = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = server_rt.spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));

    let (writes, read_runs) = client_rt.block_on(async {
        let client = Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .expect("client");
        let tablets = seed(&state, &addr, &client).await;
        // Warm up connections and caches.
        let warm = closed_loop("warm-up, 8 clients", &tablets[..8], 1, session_orders, 0).await;

        let one = closed_loop("1 client, back to back", &tablets[..1], secs, session_orders, 0).await;
        let many = closed_loop(&format!("{TABLES} clients, back to back"), &tablets, secs, session_orders, 0).await;
        let mut runs = vec![warm, one, many];
        if env_u64("BENCH_CHECKOUT", 0) == 1 {
            let name = format!("{TABLES} clients, paying 1 in 5");
            runs.push(closed_loop(&name, &tablets, secs, session_orders, 5).await);
        }
        let slow = paced(&format!("paced {rate}/s, open loop"), &tablets, rate, paced_secs).await;
        let direct =
            writer_only(&format!("writer only, {TABLES} in flight"), &state, &tablets, secs, session_orders).await;

        let t = &tablets[0];
        let mine = reads("GET /api/v1/orders (table)", t, "/api/v1/orders", &t.token).await;
        let staff = reads("GET /api/v1/admin/orders", t, "/api/v1/admin/orders", &t.admin).await;
        runs.extend([slow, direct]);
        (runs, vec![mine, staff])
    });

    // Every 201 is exactly one order with its three lines (warm-up included).
    let conn = state.pool.get().expect("read connection");
    let count = |sql: &str| -> u64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let in_db = count("SELECT count(*) FROM orders");
    let lines = count("SELECT count(*) FROM order_items");
    let events = count("SELECT count(*) FROM events WHERE type = 'order_created'");
    let sessions = count("SELECT count(*) FROM table_sessions");
    drop(conn);
    let server_created = state.metrics.orders_created.get();

    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!();
    println!(
        "orders of 3 lines, synchronous=FULL; {cpus} CPUs shared by the client ({client_threads} workers) and the server ({server_threads} workers + writer thread)"
    );
    println!(
        "sessions end every {} orders of a table; database in {}",
        if session_orders == 0 { "(never)".to_string() } else { session_orders.to_string() },
        dir.path().display()
    );
    println!();
    header("orders");
    for r in &writes {
        r.print();
    }
    println!();
    header(&format!("reads, {in_db} orders in {sessions} sessions"));
    for r in &read_runs {
        r.print();
    }
    println!();
    let answered: u64 = writes.iter().map(|r| r.created).sum();
    let over_http: u64 = writes[..writes.len() - 1].iter().map(|r| r.created).sum();
    let ok = in_db == answered && server_created == over_http && lines == 3 * in_db && events == in_db;
    println!(
        "check: {over_http} answers 201 over HTTP (server counted {server_created}) + {} placed by the writer alone; \
         database holds {in_db} orders, {lines} lines, {events} order_created events: {}",
        answered - over_http,
        if ok { "OK" } else { "MISMATCH" }
    );

    let report = server_rt.block_on(day_report(&state));

    let _ = stop_tx.send(());
    server_rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    });
    println!();
    println!("{report}");
    let errors: u64 = writes.iter().chain(&read_runs).map(|r| r.errors).sum();
    if !ok || errors > 0 {
        eprintln!("orders bench: {errors} errors, database check {}", if ok { "ok" } else { "failed" });
        std::process::exit(1);
    }
}
