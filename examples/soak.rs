//! Soak test of the real binary on loopback: orders, 1,000 open event streams (some of them
//! reconnecting all the time) and logins, for a bounded time. It samples the server's RSS,
//! open file descriptors and threads, and fails when they still grow after the warm-up, when
//! an order is refused, or when an open stream stops receiving events.
//!
//! ```text
//! cargo build --release && cargo run --release --example soak -- --secs 600 --bin target/release/tableorder
//! cargo run --example soak -- --secs 60                       # what CI runs (debug binary)
//! ```
//! Options: `--secs N` (default 600), `--streams N` (default 1000), `--rate N` orders per
//! second (default 60), `--bin PATH` (default target/debug/tableorder).

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::client::{Sample, post, read_frames, sample, stream_request};
use support::proc::{Server, base_command};

struct Opts {
    secs: u64,
    streams: usize,
    rate: u64,
    bin: String,
}

fn opts() -> Opts {
    let mut o = Opts { secs: 600, streams: 1000, rate: 60, bin: "target/debug/tableorder".into() };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--secs" => o.secs = v.parse().expect("--secs N"),
            "--streams" => o.streams = v.parse().expect("--streams N"),
            "--rate" => o.rate = v.parse().expect("--rate N"),
            "--bin" => o.bin = v,
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    o
}

/// The binary with the demo store and every limit that would get in the way lifted.
fn start(bin: &str, dir: &std::path::Path) -> Server {
    let mut cmd = base_command(bin);
    cmd.args(["serve", "--demo", "--no-mdns", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_BOX_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_ORDERS_PER_MINUTE", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0")
        .env("TABLEORDER_MAX_STAFF_STREAMS", "0")
        .env("TABLEORDER_MAX_STREAMS", "0")
        .env("TABLEORDER_MAX_CONNECTIONS_PER_ADDRESS", "0")
        .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0")
        .env("TABLEORDER_LOG", "warn,tableorder=info");
    Server::spawn(cmd)
}

/// One open staff stream, counting the events it receives, reconnecting (with its last id)
/// when told to.
async fn stream(port: u16, token: String, events: Arc<AtomicU64>, stop: Arc<AtomicBool>, max_life: Option<Duration>) {
    let mut last_id: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = stream_request(port, "/api/v1/admin/events", &token, last_id.as_deref()).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        read_frames(&mut s, &stop, max_life, |frame| {
            if frame.contains("event: order_created") {
                events.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(id) = frame.lines().find_map(|l| l.strip_prefix("id: ")) {
                last_id = Some(id.to_string());
            }
        })
        .await;
    }
}

fn main() {
    let o = opts();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(&o.bin, dir.path());
    let (port, pid) = (server.port, server.child.id());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let started = Instant::now();
    let warmup = Duration::from_secs((o.secs / 5).max(10));
    println!(
        "soak: {} s ({} s warm-up), {} streams, {} orders/s, server pid {pid}",
        o.secs,
        warmup.as_secs(),
        o.streams,
        o.rate
    );

    let failed = rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let (s, admin) =
            post(&client, format!("{base}/api/v1/auth/admin/login"), None, json!({"store_id": "demo", "username": "admin", "password": "demo1234"})).await;
        assert_eq!(s, 200, "admin login");
        let admin = admin["token"].as_str().unwrap().to_string();
        let mut tables = Vec::new();
        for n in 1..=12 {
            let (s, t) = post(&client, format!("{base}/api/v1/auth/table/login"), None, json!({"store_id": "demo", "table_number": n, "password": "1234"})).await;
            assert_eq!(s, 200);
            tables.push((t["token"].as_str().unwrap().to_string(), t["table_id"].as_i64().unwrap()));
        }
        let menu: Value = client.get(format!("{base}/api/v1/menu")).bearer_auth(&tables[0].0).send().await.unwrap().json().await.unwrap();
        // Every item with the choices it needs (the first available option of each required group),
        // so items with 맵기 or a drink size are ordered like any other.
        let items: Vec<Value> = menu["categories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["items"].as_array().unwrap().iter())
            .filter(|i| i["available"].as_bool().unwrap_or(true))
            .map(|i| {
                let mut chosen = Vec::new();
                for g in i["option_groups"].as_array().into_iter().flatten() {
                    let min = g["min"].as_u64().unwrap_or(0) as usize;
                    chosen.extend(g["options"].as_array().unwrap().iter().filter(|o| o["available"].as_bool().unwrap_or(true)).take(min).map(|o| o["id"].clone()));
                }
                json!({"menu_item_id": i["id"], "option_ids": chosen})
            })
            .collect();

        let stop = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + Duration::from_secs(o.secs);
        // Streams: a tenth of them reconnect every 20 s (as tablets on flaky Wi-Fi do).
        let mut counters = Vec::new();
        let mut tasks = Vec::new();
        for i in 0..o.streams {
            let events = Arc::new(AtomicU64::new(0));
            counters.push(events.clone());
            let life = (i % 10 == 0).then(|| Duration::from_secs(20));
            tasks.push(tokio::spawn(stream(port, admin.clone(), events, stop.clone(), life)));
        }
        let bad = Arc::new(AtomicU64::new(0));
        let placed = Arc::new(AtomicU64::new(0));
        // Orders at the rate, spread over the tables; staff end a session after 20 orders.
        let orders = {
            let (client, base, tables, items, admin, stop, bad, placed) =
                (client.clone(), base.clone(), tables.clone(), items.clone(), admin.clone(), stop.clone(), bad.clone(), placed.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / o.rate.max(1)));
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    n += 1;
                    let (token, table_id) = &tables[(n % tables.len() as u64) as usize];
                    let lines: Vec<Value> = (0..3)
                        .map(|i| {
                            let mut line = items[((n + i) % items.len() as u64) as usize].clone();
                            line["quantity"] = json!(1);
                            line
                        })
                        .collect();
                    let r = client
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(token)
                        .header("idempotency-key", format!("soak-{n}"))
                        .json(&json!({ "items": lines }))
                        .send()
                        .await;
                    match r.map(|r| r.status().as_u16()) {
                        Ok(201) => {
                            placed.fetch_add(1, Ordering::Relaxed);
                        }
                        other => {
                            bad.fetch_add(1, Ordering::Relaxed);
                            eprintln!("order soak-{n}: {other:?}");
                        }
                    }
                    if n.is_multiple_of(20 * tables.len() as u64) {
                        let _ = post(&client, format!("{base}/api/v1/admin/tables/{table_id}/end-session"), Some(&admin), json!({})).await;
                    }
                }
            })
        };
        // Logins: a table every 2 s, the staff every 10 s.
        let logins = {
            let (client, base, stop, bad) = (client.clone(), base.clone(), stop.clone(), bad.clone());
            tokio::spawn(async move {
                let mut n: u64 = 0;
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    n += 1;
                    let (s, _) = post(&client, format!("{base}/api/v1/auth/table/login"), None, json!({"store_id": "demo", "table_number": 1 + n % 12, "password": "1234"})).await;
                    if n.is_multiple_of(5) {
                        let (a, _) = post(&client, format!("{base}/api/v1/auth/admin/login"), None, json!({"store_id": "demo", "username": "admin", "password": "demo1234"})).await;
                        if a != 200 {
                            bad.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if s != 200 {
                        bad.fetch_add(1, Ordering::Relaxed);
                        eprintln!("login: {s}");
                    }
                }
            })
        };

        let mut samples: Vec<Sample> = Vec::new();
        let mut at_warmup: Option<(Sample, Vec<u64>)> = None;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let s = sample(pid, started);
            println!("  {:>5} s  RSS {:>6.1} MB  fds {:>5}  threads {:>3}  orders {}", s.at_s, s.rss_kib as f64 / 1024.0, s.fds, s.threads, placed.load(Ordering::Relaxed));
            samples.push(s);
            if at_warmup.is_none() && started.elapsed() >= warmup {
                at_warmup = Some((s, counters.iter().map(|c| c.load(Ordering::Relaxed)).collect()));
            }
        }
        stop.store(true, Ordering::Relaxed);
        let _ = orders.await;
        let _ = logins.await;
        for t in tasks {
            let _ = t.await;
        }

        let mut failed = Vec::new();
        let (base_s, base_counts) = at_warmup.expect("the run outlasted the warm-up");
        // RSS and threads move with the load (allocator purges, blocking threads that come
        // and go), so the highest value of the warm-up is compared with the highest value of
        // the last quarter of the run: a leak keeps climbing past the first.
        let warm: Vec<&Sample> = samples.iter().filter(|s| s.at_s <= base_s.at_s && s.at_s > 5).collect();
        let after: Vec<&Sample> = samples.iter().filter(|s| s.at_s > base_s.at_s).collect();
        let last_window = &after[after.len().saturating_sub((after.len() / 4).max(1))..];
        let top = |v: &[&Sample], f: fn(&Sample) -> u64| v.iter().map(|s| f(s)).max().unwrap_or(0);
        let (rss_warm, fds_warm, threads_warm) =
            (top(&warm, |s| s.rss_kib), top(&warm, |s| s.fds), top(&warm, |s| s.threads));
        let (rss_end, fds_end, threads_end) =
            (top(last_window, |s| s.rss_kib), top(last_window, |s| s.fds), top(last_window, |s| s.threads));
        if rss_end > rss_warm + rss_warm / 10 + 4 * 1024 {
            failed.push(format!("RSS grew after the warm-up: highest {rss_warm} KiB, then {rss_end} KiB"));
        }
        // The read pool may still grow towards its 20 connections (three descriptors each).
        if fds_end > fds_warm + 3 * 20 {
            failed.push(format!("open descriptors grew: {fds_warm} → {fds_end}"));
        }
        if threads_end > threads_warm + 4 {
            failed.push(format!("threads grew: {threads_warm} → {threads_end}"));
        }
        let n_bad = bad.load(Ordering::Relaxed);
        if n_bad > 0 {
            failed.push(format!("{n_bad} orders or logins failed"));
        }
        let placed_after = placed.load(Ordering::Relaxed);
        let stalled = counters.iter().zip(&base_counts).filter(|(c, b)| c.load(Ordering::Relaxed) <= **b).count();
        if placed_after > 0 && stalled > 0 {
            failed.push(format!("{stalled} streams received no order event after the warm-up"));
        }
        println!(
            "soak: {placed_after} orders; highest during the warm-up / at the end: RSS {:.1} / {:.1} MB, fds {fds_warm} / {fds_end}, threads {threads_warm} / {threads_end}",
            rss_warm as f64 / 1024.0,
            rss_end as f64 / 1024.0,
        );
        failed
    });
    drop(server);
    if failed.is_empty() {
        println!("soak: passed");
    } else {
        for f in &failed {
            eprintln!("soak: FAILED: {f}");
        }
        std::process::exit(1);
    }
}
