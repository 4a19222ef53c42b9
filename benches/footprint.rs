//! Appliance footprint: start-up time on an existing database, idle memory, cached menu
//! reads per second with the server pinned to one core, memory during and after 100
//! tablets logging in at once, memory after a saturation order load with 1,000 open
//! streams, and memory with many open event streams. Runs the real release binary as a
//! child process on 127.0.0.1.
//!
//! `cargo bench --bench footprint` (BENCH_SECS, BENCH_STREAMS to change the load).

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::client::{open_streams, rss_kib, sample_peak};
use support::proc::{BIN, Server, base_command};
use tableorder::auth::{Claims, Keys};
use tokio::io::AsyncReadExt;

const SECRET: &str = "footprint-benchmark-secret-with-enough-length-0123456789";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Starts the binary (pinned to CPU 0 when `pin`), returns it once `ready` is logged.
fn start(dir: &std::path::Path, pin: bool) -> (Server, Duration) {
    let mut cmd = if pin {
        let mut c = base_command("taskset");
        c.args(["-c", "0", BIN]);
        c
    } else {
        base_command(BIN)
    };
    cmd.args(["serve", "--no-mdns", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("TABLEORDER_JWT_SECRET", SECRET)
        .env("TABLEORDER_MAX_STAFF_STREAMS", "0")
        .env("TABLEORDER_MAX_STREAMS", "0")
        .env("TABLEORDER_MAX_CONNECTIONS_PER_ADDRESS", "0")
        .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0")
        .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_ORDERS_PER_MINUTE", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0");
    let server = Server::spawn(cmd);
    let took = server.ready_after;
    (server, took)
}

fn seed(dir: &std::path::Path) {
    let mut conn = tableorder::db::open_and_migrate(dir).unwrap();
    let tx = conn.transaction().unwrap();
    let hash = tableorder::auth::hash_password("benchmark").unwrap();
    tableorder::db::stores::create_store(&tx, "bench", "Bench", "Asia/Seoul", 0).unwrap();
    tableorder::db::stores::create_admin(&tx, "bench", "admin", &hash, 0).unwrap();
    for n in 1..=100 {
        tx.execute(
            "INSERT INTO tables (store_id, number, password_hash, created_at) VALUES ('bench', ?1, ?2, 0)",
            (n, &hash),
        )
        .unwrap();
    }
    for c in 0..5 {
        tx.execute(
            "INSERT INTO categories (store_id, name, sort_order, created_at) VALUES ('bench', ?1, ?2, 0)",
            (format!("Category {c}"), c),
        )
        .unwrap();
        let cat = tx.last_insert_rowid();
        for i in 0..8 {
            tx.execute(
                "INSERT INTO menu_items (store_id, category_id, name, description, price, sort_order, created_at, updated_at)
                 VALUES ('bench', ?1, ?2, 'A dish the house is proud of, with rice and three side dishes', ?3, ?4, 0, 0)",
                (cat, format!("메뉴 {c}-{i}"), 1000 * (i + 1), i),
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Cached menu reads for `secs` seconds from `clients` keep-alive connections.
async fn menu_load(port: u16, token: &str, clients: usize, secs: u64, etag: Option<String>) -> (u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let token = token.to_string();
        let etag = etag.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut ok, mut other) = (0u64, 0u64);
            while Instant::now() < deadline {
                let mut req = client.get(format!("http://127.0.0.1:{port}/api/v1/menu")).bearer_auth(&token);
                if let Some(e) = &etag {
                    req = req.header("if-none-match", e);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() || r.status() == 304 => {
                        let _ = r.bytes().await;
                        ok += 1
                    }
                    _ => other += 1,
                }
            }
            (ok, other)
        }));
    }
    let mut total = (0, 0);
    for t in tasks {
        let (a, b) = t.await.unwrap();
        total.0 += a;
        total.1 += b;
    }
    total
}

/// 100 tablets logging in at the same moment (opening time): (all succeeded, seconds).
async fn logins_at_once(port: u16, n: i64) -> (usize, f64) {
    let client = reqwest::Client::new();
    let t = Instant::now();
    let tasks: Vec<_> = (1..=n)
        .map(|table| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .post(format!("http://127.0.0.1:{port}/api/v1/auth/table/login"))
                    .json(&serde_json::json!({"store_id": "bench", "table_number": table, "password": "benchmark"}))
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap() as usize;
    }
    (ok, t.elapsed().as_secs_f64())
}

/// Orders (3 lines each) from `tokens.len()` tables back to back for `secs`: orders placed.
async fn order_load(port: u16, tokens: &[String], secs: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let body = serde_json::json!({"items": [
                    {"menu_item_id": 1 + (n % 40) as i64, "quantity": 1},
                    {"menu_item_id": 1 + ((n + 7) % 40) as i64, "quantity": 2},
                    {"menu_item_id": 1 + ((n + 13) % 40) as i64, "quantity": 1}]});
                let r = client
                    .post(format!("http://127.0.0.1:{port}/api/v1/orders"))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("fp-{i}-{n}"))
                    .json(&body)
                    .send()
                    .await;
                if r.map(|r| r.status().as_u16() == 201).unwrap_or(false) {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total
}

fn main() {
    let secs = env_num("BENCH_SECS", 5);
    let streams = env_num("BENCH_STREAMS", 10_000) as usize;
    // Both this process and the server need many descriptors for the stream test.
    let _ = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string(), "--nofile=65536:65536"])
        .stderr(Stdio::null())
        .status();
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let now = jiff::Timestamp::now().as_second();
    let keys = Keys::new(SECRET.as_bytes());
    let admin = keys.issue(&Claims::admin("bench", 1, 0, now)).unwrap();
    let table = keys.issue(&Claims::table("bench", 1, 0, now)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    // Start-up on an existing database: best of five.
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let (s, took) = start(dir.path(), false);
        best = best.min(took);
        drop(s);
    }
    println!("start to ready (existing database, best of 5): {:.1} ms", best.as_secs_f64() * 1000.0);

    let (server, _) = start(dir.path(), true);
    std::thread::sleep(Duration::from_secs(1));
    println!("idle RSS: {:.1} MB", rss_kib(server.child.id()) as f64 / 1024.0);

    rt.block_on(async {
        let first = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{}/api/v1/menu", server.port))
            .bearer_auth(&table)
            .send()
            .await
            .unwrap();
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let size = first.bytes().await.unwrap().len();
        for (label, tag) in [("200, full menu", None), ("304, If-None-Match", Some(etag))] {
            let (ok, other) = menu_load(server.port, &table, 32, secs, tag).await;
            println!(
                "cached menu reads ({label}, {size} B body), server on 1 core, 32 clients: {:.0} req/s ({other} failed)",
                ok as f64 / secs as f64
            );
        }
        println!("RSS after menu load: {:.1} MB", rss_kib(server.child.id()) as f64 / 1024.0);

        // 100 tablets log in at once.
        let pid = server.child.id();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = sample_peak(pid, stop.clone());
        let (ok, took) = logins_at_once(server.port, 100).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.join().unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        println!(
            "100 logins at once: {ok} succeeded in {took:.2} s; peak RSS {:.1} MB, {:.1} MB 2 s after",
            peak as f64 / 1024.0,
            rss_kib(pid) as f64 / 1024.0
        );

        // A saturation order load from 64 tables with 1,000 streams open, then quiet.
        let tokens: Vec<String> =
            (1..=64).map(|t| keys.issue(&Claims::table("bench", t, 0, now)).unwrap()).collect();
        let socks = open_streams(server.port, &admin, 1000).await;
        let readers: Vec<_> = socks
            .into_iter()
            .map(|mut s| {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                })
            })
            .collect();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = sample_peak(pid, stop.clone());
        let placed = order_load(server.port, &tokens, 10).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.join().unwrap();
        for r in &readers {
            r.abort();
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!(
            "10 s order load, 64 tables, 1,000 streams: {placed} orders ({:.0}/s); peak RSS {:.1} MB, {:.1} MB after (streams closed)",
            placed as f64 / 10.0,
            peak as f64 / 1024.0,
            rss_kib(pid) as f64 / 1024.0
        );

        let t = Instant::now();
        let socks = open_streams(server.port, &admin, streams).await;
        println!(
            "opened {} event streams in {:.1} s; server RSS {:.1} MB",
            socks.len(),
            t.elapsed().as_secs_f64(),
            rss_kib(server.child.id()) as f64 / 1024.0
        );
        drop(socks);
    });
}
