//! Event streams under load: the real server in-process, N staff and table streams over
//! loopback, orders placed at a fixed rate from the tables, and for every delivery the time
//! from the commit (the moment the hub hands the event out) to the client reading it.
//!
//! `cargo bench --bench sse`. Environment: `BENCH_SECS` (default 10), `BENCH_RATE` orders
//! per second (default 100), `BENCH_SCENARIOS` as `staff+tables,…` (default `10+90,100+900`).
//!
//! The commit instant is taken by a probe: an in-process hub subscriber on its own thread,
//! woken by the same publish call as every stream. Client and server share the machine;
//! each gets its own two-worker runtime.

// The allocator the shipped binary uses (src/main.rs), so that the in-process server
// is measured as it runs on a box.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tableorder::app::{App, Options};
use tableorder::auth::Claims;
use tableorder::config::Config;
use tableorder::db::events::EventType;
use tableorder::events::Audience;
use tableorder::state::AppState;
use tokio::runtime::Runtime;
use tokio::sync::watch;

const STORE: &str = "bench";
/// The longest wait for the last events after the final order.
const DRAIN: Duration = Duration::from_secs(30);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let secs = env_u64("BENCH_SECS", 10);
    let rate = env_u64("BENCH_RATE", 100).max(1);
    let scenarios = std::env::var("BENCH_SCENARIOS").unwrap_or_else(|_| "10+90,100+900".into());
    println!(
        "sse bench: {rate} orders/s for {secs} s per scenario, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for s in scenarios.split(',').filter(|s| !s.trim().is_empty()) {
        let (staff, tables) = s.trim().split_once('+').expect("a scenario is staff+tables");
        let (staff, tables) = (staff.parse().expect("staff count"), tables.parse().expect("table count"));
        run(staff, tables, secs, rate);
    }
}

fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}

/// What one stream read: (order id, when its frame arrived).
type Received = Vec<(i64, Instant)>;

struct Placed {
    order_id: i64,
    table_id: i64,
    sent: Instant,
    answered: Instant,
}

fn run(staff: usize, tables: usize, secs: u64, rate: u64) {
    let server_rt = runtime("server");
    let client_rt = runtime("client");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_data_dir(dir.path());
    config.limits.orders_per_minute = 0;
    config.limits.max_active_orders = 0;
    config.limits.max_active_orders_per_table = 0;
    config.limits.max_staff_streams = 0;
    config.limits.max_tables = 0;
    config.limits.logins_per_minute = 0;
    config.limits.max_streams = 0;
    config.limits.max_connections_per_address = 0;

    let app = server_rt.block_on(App::build_with(config, Options::default())).expect("server builds");
    let state = app.state().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let server = server_rt.spawn(app.run_until(async move {
        let _ = stop_rx.wait_for(|v| *v).await;
    }));

    let (admin, table_tokens) = server_rt.block_on(seed(&state, tables.max(1)));
    let probe = Probe::start(&state);

    let total = (secs * rate) as usize;
    let report = client_rt.block_on(async {
        let http = reqwest::Client::builder().build().expect("client");
        let item = menu(&http, &base, &admin).await;

        // Open the streams (a few at a time, as devices would reconnect after a restart).
        let streams = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
        let mut audiences: Vec<(Option<i64>, String)> = (0..staff).map(|_| (None, admin.clone())).collect();
        audiences.extend(table_tokens.iter().take(tables).map(|(id, t)| (Some(*id), t.clone())));
        let opened = Instant::now();
        let ready = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = futures_util::stream::iter(audiences)
            .map(|(table, token)| {
                let (streams, base, ready) = (streams.clone(), base.clone(), ready.clone());
                async move {
                    let path = if table.is_some() { "/api/v1/events" } else { "/api/v1/admin/events" };
                    let resp =
                        streams.get(format!("{base}{path}")).bearer_auth(token).send().await.expect("stream opens");
                    assert_eq!(resp.status(), 200, "stream refused");
                    ready.fetch_add(1, Ordering::Relaxed);
                    (table, tokio::spawn(read_stream(resp)))
                }
            })
            .buffer_unordered(50)
            .collect()
            .await;
        let open_time = opened.elapsed();
        assert_eq!(ready.load(Ordering::Relaxed), staff + tables);

        // Orders at a fixed rate, round-robin over the tables that have a stream (or table 1).
        let ordering: Vec<(i64, String)> = table_tokens.iter().take(tables.max(1)).cloned().collect();
        let placed = Arc::new(Mutex::new(Vec::with_capacity(total)));
        let mut tick = tokio::time::interval(Duration::from_secs(1) / rate as u32);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut posts = Vec::with_capacity(total);
        let started = Instant::now();
        for i in 0..total {
            tick.tick().await;
            let (table_id, token) = ordering[i % ordering.len()].clone();
            let (http, url, placed) = (http.clone(), format!("{base}/api/v1/orders"), placed.clone());
            posts.push(tokio::spawn(async move {
                let sent = Instant::now();
                let r = http
                    .post(url)
                    .bearer_auth(token)
                    .header("idempotency-key", format!("bench-{i}"))
                    .json(&json!({"items": [{"menu_item_id": item, "quantity": 1}]}))
                    .send()
                    .await
                    .expect("order answered");
                let answered = Instant::now();
                assert_eq!(r.status(), 201, "order refused: {}", r.text().await.unwrap_or_default());
                let body: Value = r.json().await.expect("order JSON");
                let order_id = body["id"].as_i64().expect("order id");
                placed.lock().unwrap().push(Placed { order_id, table_id, sent, answered });
            }));
        }
        for p in posts {
            p.await.expect("order task");
        }
        let produced = started.elapsed();

        // A final event every stream receives: each reader stops at it, having read all before it.
        end_marker(&state).await;
        let mut received = Vec::with_capacity(readers.len());
        for (table, h) in readers {
            received.push((table, tokio::time::timeout(DRAIN, h).await.expect("streams drain").expect("reader")));
        }
        let placed = std::mem::take(&mut *placed.lock().unwrap());
        Report { placed, received, produced, open_time }
    });

    let committed = probe.finish();
    let hub = &state.fanout.stats;
    let (sent, lagging) = (hub.events_sent.get(), hub.dropped_lagging.get());
    let _ = stop_tx.send(true);
    server_rt.block_on(server).expect("server task").expect("server stops");
    report.print(staff, tables, rate, &committed, sent, lagging);
}

/// A store with one admin and `tables` tables; tokens are issued directly (no logins).
async fn seed(state: &AppState, tables: usize) -> (String, Vec<(i64, String)>) {
    let hash = tokio::task::spawn_blocking(|| tableorder::auth::hash_password("bench-password").expect("hash"))
        .await
        .expect("hash task");
    let (admin_id, table_ids) = state
        .writer
        .write(move |ctx| {
            tableorder::db::stores::create_store(ctx.conn, STORE, "Bench", "Asia/Seoul", ctx.now_ms)?;
            let admin = tableorder::db::stores::create_admin(ctx.conn, STORE, "admin", &hash, ctx.now_ms)?;
            let mut ids = Vec::with_capacity(tables);
            for n in 1..=tables as i64 {
                ids.push(tableorder::db::tables::create(ctx, STORE, n, &hash, 0)?.id);
            }
            Ok((admin, ids))
        })
        .await
        .expect("seed");
    let now = state.clock.now_ms() / 1000;
    let admin = state.keys.issue(&Claims::admin(STORE, admin_id, 0, now)).expect("token");
    let tokens = table_ids
        .into_iter()
        .map(|id| (id, state.keys.issue(&Claims::table(STORE, id, 0, now)).expect("token")))
        .collect();
    (admin, tokens)
}

/// Creates a category and an item in it; returns the item id.
async fn menu(http: &reqwest::Client, base: &str, admin: &str) -> i64 {
    let r: Value = http
        .post(format!("{base}/api/v1/admin/categories"))
        .bearer_auth(admin)
        .json(&json!({"name": "Meals"}))
        .send()
        .await
        .expect("category")
        .json()
        .await
        .expect("category JSON");
    let category = r["id"].as_i64().expect("category id");
    let r: Value = http
        .post(format!("{base}/api/v1/admin/menu-items"))
        .bearer_auth(admin)
        .json(&json!({"category_id": category, "name": "김치찌개", "price": 9000, "description": "돼지고기 김치찌개와 공깃밥"}))
        .send()
        .await
        .expect("item")
        .json()
        .await
        .expect("item JSON");
    r["id"].as_i64().expect("item id")
}

async fn end_marker(state: &AppState) {
    state
        .writer
        .write(|ctx| {
            ctx.emit(tableorder::db::events::NewEvent::new(
                STORE,
                None,
                EventType::MenuChanged,
                tableorder::wire::MenuChanged {
                    change: "bench_end".into(),
                    version: 0,
                    detail: json!({"bench_end": true}).as_object().cloned().unwrap_or_default(),
                },
            ))?;
            Ok(())
        })
        .await
        .expect("end marker");
}

/// The order id in an `order_created` frame's data.
fn order_id(data: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    serde_json::from_slice::<Id>(data).ok().map(|v| v.id)
}

/// Reads one stream until the end marker; records when each `order_created` arrived.
async fn read_stream(resp: reqwest::Response) -> Received {
    let mut body = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    while let Some(Ok(chunk)) = body.next().await {
        let at = Instant::now();
        buf.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(p) = buf[start..].windows(2).position(|w| w == b"\n\n") {
            let frame = &buf[start..start + p];
            start += p + 2;
            let mut kind: &[u8] = b"";
            let mut data: &[u8] = b"";
            for line in frame.split(|b| *b == b'\n') {
                if let Some(v) = line.strip_prefix(b"event: ") {
                    kind = v;
                } else if let Some(v) = line.strip_prefix(b"data: ") {
                    data = v;
                }
            }
            match kind {
                b"order_created" => out.push((order_id(data).expect("order id in data"), at)),
                b"menu_changed" if data.windows(9).any(|w| w == b"bench_end") => return out,
                _ => {}
            }
        }
        buf.drain(..start);
    }
    out
}

/// An in-process hub subscriber on its own thread: when each order's event was handed out.
struct Probe {
    thread: std::thread::JoinHandle<HashMap<i64, Instant>>,
}

impl Probe {
    fn start(state: &AppState) -> Probe {
        let sub = state.fanout.subscribe(STORE, Audience::Staff, None, None, false).expect("probe subscribes");
        let thread = std::thread::spawn(move || {
            let (mut rx, _guard) = (sub.rx, sub.guard);
            let mut at = HashMap::new();
            while let Some(ev) = rx.blocking_recv() {
                let t = Instant::now();
                let frame = &ev.frame[..];
                let data = frame.windows(6).position(|w| w == b"data: ").map(|p| &frame[p + 6..]).unwrap_or(b"");
                match ev.kind {
                    EventType::OrderCreated => {
                        at.insert(order_id(data.trim_ascii_end()).expect("order id"), t);
                    }
                    EventType::MenuChanged if data.windows(9).any(|w| w == b"bench_end") => break,
                    _ => {}
                }
            }
            at
        });
        Probe { thread }
    }

    fn finish(self) -> HashMap<i64, Instant> {
        self.thread.join().expect("probe thread")
    }
}

struct Report {
    placed: Vec<Placed>,
    received: Vec<(Option<i64>, Received)>,
    produced: Duration,
    open_time: Duration,
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn line(name: &str, mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "  {name:<28} n={:<7} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        v.len(),
        ms(pct(&v, 0.5)),
        ms(pct(&v, 0.99)),
        ms(v.last().copied().unwrap_or_default())
    )
}

impl Report {
    fn print(
        &self,
        staff: usize,
        tables: usize,
        rate: u64,
        committed: &HashMap<i64, Instant>,
        events_sent: u64,
        lagging: u64,
    ) {
        let by_order: HashMap<i64, &Placed> = self.placed.iter().map(|p| (p.order_id, p)).collect();
        let mut from_commit = Vec::new();
        let mut from_send = Vec::new();
        let (mut expected, mut missing, mut duplicate, mut foreign) = (0usize, 0usize, 0usize, 0usize);
        for (table, got) in &self.received {
            let should: Vec<i64> =
                self.placed.iter().filter(|p| table.is_none_or(|t| t == p.table_id)).map(|p| p.order_id).collect();
            expected += should.len();
            let mut seen: HashMap<i64, usize> = HashMap::new();
            for (id, at) in got {
                *seen.entry(*id).or_default() += 1;
                match by_order.get(id) {
                    Some(p) if table.is_none_or(|t| t == p.table_id) => {
                        from_send.push(at.saturating_duration_since(p.sent));
                        if let Some(c) = committed.get(id) {
                            from_commit.push(at.saturating_duration_since(*c));
                        }
                    }
                    _ => foreign += 1,
                }
            }
            missing += should.iter().filter(|id| !seen.contains_key(id)).count();
            duplicate += seen.values().filter(|n| **n > 1).map(|n| n - 1).sum::<usize>();
        }
        let post: Vec<Duration> = self.placed.iter().map(|p| p.answered - p.sent).collect();
        let delivered: usize = self.received.iter().map(|(_, r)| r.len()).sum();
        println!(
            "\n{} connections ({staff} staff + {tables} table), {} orders in {:.2} s (target {rate}/s), streams opened in {:.2} s",
            staff + tables,
            self.placed.len(),
            self.produced.as_secs_f64(),
            self.open_time.as_secs_f64()
        );
        println!("{}", line("commit -> client receive", from_commit));
        println!("{}", line("POST sent -> client receive", from_send));
        println!("{}", line("POST latency", post));
        println!(
            "  deliveries {delivered} of {expected} expected: missing {missing}, duplicated {duplicate}, to the wrong stream {foreign}; \
             probe saw {} commits; hub: events_sent {events_sent}, dropped_lagging {lagging}",
            committed.len()
        );
        let ok = missing == 0 && duplicate == 0 && foreign == 0 && lagging == 0 && delivered == expected;
        println!("  {}", if ok { "every stream got every event it should, once" } else { "LOSS OR DUPLICATION" });
    }
}
