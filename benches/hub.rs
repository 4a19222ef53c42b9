//! The chain hub under load, with the real engines (PostgreSQL 15, Redis) started like the
//! tests start them (root needed, as in tests/api/hub.rs):
//!
//! 1. ingest throughput into PostgreSQL: boxes posting 1,000-event batches of orders;
//! 2. sync lag: a real box linked to the hub takes orders at 20/s; time from the box's
//!    answer (the commit) to the order's arrival on the HQ live feed (the hub's API);
//! 3. HQ live fan-out: 1,000 SSE clients spread over two hub processes while orders are
//!    ingested; time from the ingest request to each client's receipt.
//!
//! `cargo bench --bench hub` (BENCH_SECS for the lag run, BENCH_CLIENTS for the fan-out).

#[path = "../tests/support/mod.rs"]
mod support;
use support::{proc, services};

use futures_util::StreamExt;
use reqwest::Client;
use serde_json::{Value, json};
use services::*;
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// An order_created event as a box writes it (3 lines, options).
fn event(id: i64, store: &str) -> Value {
    let at = jiff::Timestamp::now().to_string();
    json!({
        "id": id, "store_id": store, "table_id": 1 + id % 20, "type": "order_created", "created_at": at,
        "data": {
            "id": id, "order_no": id, "table_id": 1 + id % 20, "table_number": 1 + id % 20, "session_id": 1 + id / 20,
            "status": "pending", "total": 31000, "created_at": at, "updated_at": at, "store_id": store,
            "items": [
                {"menu_item_id": 1, "name": "김치찌개", "unit_price": 10500, "quantity": 2, "note": "덜 맵게",
                 "options": [{"option_id": 3, "group": "맵기", "name": "매운맛", "price_delta": 0},
                             {"option_id": 5, "group": "사리 추가", "name": "라면사리", "price_delta": 1500}]},
                {"menu_item_id": 7, "name": "콜라", "unit_price": 2000, "quantity": 1, "note": "", "options": []},
                {"menu_item_id": 8, "name": "맥주", "unit_price": 5000, "quantity": 1, "note": "", "options": []}],
            "session": {"id": 1 + id / 20, "started_at": at, "total": 31000, "order_count": 1}
        }
    })
}

async fn sse_until(resp: reqwest::Response, n: usize, wait: Duration) -> Vec<(Instant, i64)> {
    let mut body = resp.bytes_stream();
    let mut buf = String::new();
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while got.len() < n {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await else { break };
        let now = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let f: String = buf.drain(..end + 2).collect();
            if f.contains("event: order_created")
                && let Some(d) = f.lines().find_map(|l| l.strip_prefix("data: "))
                && let Ok(v) = serde_json::from_str::<Value>(d)
            {
                got.push((now, v["id"].as_i64().unwrap_or(0)));
            }
        }
    }
    got
}

fn main() {
    if let Some(why) = unavailable() {
        eprintln!("hub benchmark skipped: {why}");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let pg = Postgres::start();
    let redis = Redis::start();
    let db = pg.url();
    hub_cli(&["migrate", "--database-url", &db], &[]);
    let stores = ["s1", "s2", "s3", "s4"];
    let tokens: Vec<String> =
        stores.iter().map(|s| hub_cli(&["box", "add", "--store", s, "--database-url", &db], &[])).collect();
    hub_cli(
        &["user", "add", "--username", "hq", "--database-url", &db],
        &[("TABLEORDER_HUB_PASSWORD", "bench-password")],
    );
    let (p1, p2) = (free_port(), free_port());
    let _h1 = hub_process(p1, &db, &redis.url());
    let _h2 = hub_process(p2, &db, &redis.url());
    let client = Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(64).build().unwrap();

    rt.block_on(async {
        // 1. Ingest throughput: four boxes, 1,000-event batches, gzip as boxes send them.
        let batches = env_num("BENCH_BATCHES", 25) as i64;
        // The bodies are made first (a box makes its own on its own hardware): the timing
        // is the hub's, from request to answer.
        let bodies: Vec<Vec<Vec<u8>>> = stores
            .iter()
            .map(|store| {
                (0..batches)
                    .map(|b| {
                        let events: Vec<Value> = (1..=1000).map(|k| event(b * 1000 + k, store)).collect();
                        let body = json!({ "events": events }).to_string();
                        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                        std::io::Write::write_all(&mut gz, body.as_bytes()).unwrap();
                        gz.finish().unwrap()
                    })
                    .collect()
            })
            .collect();
        let t = Instant::now();
        let mut tasks = Vec::new();
        for (i, (token, bodies)) in tokens.iter().zip(bodies).enumerate() {
            let (client, token) = (client.clone(), token.clone());
            let port = if i % 2 == 0 { p1 } else { p2 };
            tasks.push(tokio::spawn(async move {
                for body in bodies {
                    let r = client
                        .post(format!("http://127.0.0.1:{port}/hub/v1/ingest"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .header("content-encoding", "gzip")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        let n = pg.one("SELECT count(*) FROM events").parse::<f64>().unwrap();
        let orders = pg.one("SELECT count(*) FROM orders").parse::<f64>().unwrap();
        println!(
            "ingest: {n:.0} events (4 boxes × {batches} batches of 1,000, orders with options) in {secs:.2} s: {:.0} events/s; {orders:.0} orders projected",
            n / secs
        );

        // 2. Sync lag from a real box.
        let token = hub_cli(&["box", "add", "--store", "demo", "--database-url", &db], &[]);
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = proc::base_command(proc::BIN);
        cmd.arg("serve")
            .args(["--demo", "--no-mdns", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir.path())
            .args(["--hub-url", &format!("http://127.0.0.1:{p1}"), "--hub-token", &token])
            .env("TABLEORDER_ORDERS_PER_MINUTE", "0")
            .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
            .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0");
        let _box = spawn_until_port(cmd, port);
        let login: Value = client
            .post(format!("http://127.0.0.1:{p1}/hub/v1/auth/login"))
            .json(&json!({"username": "hq", "password": "bench-password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let hq = login["token"].as_str().unwrap().to_string();
        let tl: Value = client
            .post(format!("http://127.0.0.1:{port}/api/v1/auth/table/login"))
            .json(&json!({"store_id": "demo", "table_number": 1, "password": "1234"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let table = tl["token"].as_str().unwrap().to_string();
        let menu: Value = client.get(format!("http://127.0.0.1:{port}/api/v1/menu")).bearer_auth(&table).send().await.unwrap().json().await.unwrap();
        let item = menu["categories"][1]["items"][0]["id"].as_i64().unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let secs = env_num("BENCH_SECS", 10);
        let n = (secs * 20) as usize;
        let feed = client.get(format!("http://127.0.0.1:{p2}/hub/v1/events")).bearer_auth(&hq).send().await.unwrap();
        let recv = tokio::spawn(sse_until(feed, n, Duration::from_secs(secs + 30)));
        let mut sent = std::collections::HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        for k in 0..n {
            tick.tick().await;
            let r: Value = client
                .post(format!("http://127.0.0.1:{port}/api/v1/orders"))
                .bearer_auth(&table)
                .header("idempotency-key", format!("lag-{k}"))
                .json(&json!({"items": [{"menu_item_id": item, "quantity": 1}]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            sent.insert(r["id"].as_i64().unwrap(), Instant::now());
        }
        let got = recv.await.unwrap();
        let mut lag: Vec<f64> =
            got.iter().filter_map(|(at, id)| sent.get(id).map(|s| at.saturating_duration_since(*s).as_secs_f64() * 1000.0)).collect();
        println!(
            "sync lag, box commit → HQ live feed (process 2), 20 orders/s for {secs} s: {} of {n} seen; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            lag.len(),
            pct(&mut lag, 0.5),
            pct(&mut lag, 0.99),
            pct(&mut lag, 1.0)
        );

        // 3. Fan-out to many HQ clients over both processes.
        let clients = env_num("BENCH_CLIENTS", 1000) as usize;
        let rounds = 20usize;
        let mut receivers = Vec::new();
        let sse_client = Client::builder().pool_max_idle_per_host(0).build().unwrap();
        for i in 0..clients {
            let p = if i % 2 == 0 { p1 } else { p2 };
            let r = sse_client.get(format!("http://127.0.0.1:{p}/hub/v1/events")).bearer_auth(&hq).send().await.unwrap();
            receivers.push(tokio::spawn(sse_until(r, rounds, Duration::from_secs(120))));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let base = 10_000_000i64;
        let mut stamps = std::collections::HashMap::new();
        for k in 0..rounds as i64 {
            let ev = event(base + k, "s1");
            stamps.insert(base + k, Instant::now());
            let r = client
                .post(format!("http://127.0.0.1:{p1}/hub/v1/ingest"))
                .bearer_auth(&tokens[0])
                .json(&json!({ "events": [ev] }))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut lat = Vec::new();
        let mut complete = 0;
        for r in receivers {
            let got = r.await.unwrap();
            if got.len() >= rounds {
                complete += 1;
            }
            for (at, id) in got {
                if let Some(s) = stamps.get(&id) {
                    lat.push(at.saturating_duration_since(*s).as_secs_f64() * 1000.0);
                }
            }
        }
        println!(
            "HQ live fan-out, {clients} clients over 2 processes, {rounds} orders: {complete} clients got all; ingest request → receipt p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            pct(&mut lat, 0.5),
            pct(&mut lat, 0.99),
            pct(&mut lat, 1.0)
        );
    });
}
