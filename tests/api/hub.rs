//! The chain hub end to end, with the real engines: PostgreSQL 15, Redis, two hub processes
//! behind HAProxy, and two boxes (the real binary) with different stores. Every order
//! reaches PostgreSQL exactly once through hub and box crashes, duplicate batches, a hub
//! that is away and a Redis restart; the HQ live feed crosses processes and resumes.
//!
//! Needs root and Debian's postgresql-15, redis-server and haproxy: skips with a printed
//! reason elsewhere, never under `CI=true`.

use crate::proc::*;
use crate::services::*;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const HQ_PASSWORD: &str = "head-office-1";

/// A box: the real `tableorder serve` on a fixed port, linked to the hub.
struct BoxProc {
    dir: tempfile::TempDir,
    port: u16,
    hub_url: String,
    token: String,
    store: String,
    demo: bool,
    /// More settings for the box (e.g. `TABLEORDER_HUB_CA_FILE`).
    env: Vec<(String, String)>,
    server: Option<Server>,
}

impl BoxProc {
    fn new(store: &str, demo: bool, hub_url: &str, token: &str) -> BoxProc {
        BoxProc::new_with(store, demo, hub_url, token, &[])
    }

    fn new_with(store: &str, demo: bool, hub_url: &str, token: &str, env: &[(&str, &str)]) -> BoxProc {
        let dir = tempfile::tempdir().unwrap();
        if !demo {
            let mut cmd = base_command(BIN);
            cmd.args([
                "store",
                "create",
                "--id",
                store,
                "--name",
                &format!("Store {store}"),
                "--admin",
                "admin",
                "--data-dir",
            ])
            .arg(dir.path())
            .env("TABLEORDER_ADMIN_PASSWORD", "demo1234");
            let out = run_within(cmd, Duration::from_secs(60));
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        let mut b = BoxProc {
            dir,
            port: free_port(),
            hub_url: hub_url.into(),
            token: token.into(),
            store: store.into(),
            demo,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            server: None,
        };
        b.start();
        b
    }

    fn start(&mut self) {
        let mut cmd = base_command(BIN);
        cmd.arg("serve")
            .args(["--no-mdns", "--listen", &format!("127.0.0.1:{}", self.port), "--data-dir"])
            .arg(self.dir.path());
        if !self.hub_url.is_empty() {
            cmd.args(["--hub-url", &self.hub_url, "--hub-token", &self.token]);
        }
        cmd.env("TABLEORDER_ORDERS_PER_MINUTE", "0")
            .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
            .env("TABLEORDER_BOX_LOGINS_PER_MINUTE", "0")
            .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
            .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0")
            .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if self.demo {
            cmd.arg("--demo");
        }
        self.server = Some(spawn_until_port(cmd, self.port));
    }

    fn kill(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("tableorder.db")
    }

    /// The box's own orders: id → (total, items).
    fn orders(&self) -> BTreeMap<i64, (i64, Value)> {
        self.orders_of("%")
    }

    /// The box's orders of the stores whose id is `like` (SQL LIKE).
    fn orders_of(&self, like: &str) -> BTreeMap<i64, (i64, Value)> {
        let conn =
            rusqlite::Connection::open_with_flags(self.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let mut out = BTreeMap::new();
        let ids: Vec<(i64, i64)> = conn
            .prepare("SELECT id, total FROM orders WHERE store_id LIKE ?1 ORDER BY id")
            .unwrap()
            .query_map([like], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, total) in ids {
            let lines: Vec<Value> = conn
                .prepare("SELECT name, unit_price, quantity, note, options FROM order_items WHERE order_id = ?1 ORDER BY id")
                .unwrap()
                .query_map([id], |r| {
                    Ok(json!({
                        "name": r.get::<_, String>(0)?, "unit_price": r.get::<_, i64>(1)?, "quantity": r.get::<_, i64>(2)?,
                        "note": r.get::<_, String>(3)?,
                        "options": serde_json::from_str::<Value>(&r.get::<_, String>(4)?).unwrap(),
                    }))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            out.insert(id, (total, Value::Array(lines)));
        }
        out
    }

    /// The newest event id on the box.
    fn head(&self) -> i64 {
        let conn =
            rusqlite::Connection::open_with_flags(self.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0)).unwrap()
    }

    /// The box's events as it would send them.
    fn events(&self, from: i64, to: i64) -> Vec<Value> {
        let conn =
            rusqlite::Connection::open_with_flags(self.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.prepare("SELECT id, store_id, table_id, type, payload, created_at FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id")
            .unwrap()
            .query_map([from, to], |r| {
                Ok(json!({
                    "id": r.get::<_, i64>(0)?, "store_id": r.get::<_, String>(1)?, "table_id": r.get::<_, Option<i64>>(2)?,
                    "type": r.get::<_, String>(3)?, "data": serde_json::from_str::<Value>(&r.get::<_, String>(4)?).unwrap(),
                    "created_at": tableorder::db::rfc3339(r.get(5)?),
                }))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

impl Drop for BoxProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A tablet of a box: token and a menu item it can order without options.
struct Tablet {
    client: Client,
    base: String,
    token: String,
    plain: i64,
    stew: Option<(i64, Vec<i64>)>,
    n: std::sync::atomic::AtomicUsize,
}

impl Tablet {
    async fn new(b: &BoxProc, client: &Client) -> Tablet {
        Tablet::for_store(b, client, &b.store, b.demo).await
    }

    /// A tablet of `store` on box `b` (a store made by the CLI gets a table and a menu first).
    async fn for_store(b: &BoxProc, client: &Client, store: &str, demo: bool) -> Tablet {
        let base = b.url("");
        if !demo {
            // A table and a small menu for the second store.
            let admin: Value = client
                .post(format!("{base}/api/v1/auth/admin/login"))
                .json(&json!({"store_id": store, "username": "admin", "password": "demo1234"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let at = admin["token"].as_str().unwrap();
            client
                .post(format!("{base}/api/v1/admin/tables"))
                .bearer_auth(at)
                .json(&json!({"number": 1, "password": "1234"}))
                .send()
                .await
                .unwrap();
            let cat: Value = client
                .post(format!("{base}/api/v1/admin/categories"))
                .bearer_auth(at)
                .json(&json!({"name": "식사"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            client
                .post(format!("{base}/api/v1/admin/menu-items"))
                .bearer_auth(at)
                // A name a spreadsheet would run as a formula: the hub's CSV keeps it text.
                .json(&json!({"category_id": cat["id"], "name": FORMULA_NAME, "price": 9500}))
                .send()
                .await
                .unwrap();
        }
        let login: Value = client
            .post(format!("{base}/api/v1/auth/table/login"))
            .json(&json!({"store_id": store, "table_number": 1, "password": "1234"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_string();
        let menu: Value =
            client.get(format!("{base}/api/v1/menu")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let items: Vec<Value> = menu["categories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["items"].as_array().unwrap().clone())
            .collect();
        let plain =
            items.iter().find(|i| i["option_groups"].as_array().unwrap().is_empty()).unwrap()["id"].as_i64().unwrap();
        let stew = items.iter().find(|i| i["name"] == "김치찌개").map(|i| {
            let opts = vec![
                i["option_groups"][0]["options"][2]["id"].as_i64().unwrap(),
                i["option_groups"][1]["options"][0]["id"].as_i64().unwrap(),
            ];
            (i["id"].as_i64().unwrap(), opts)
        });
        Tablet { client: client.clone(), base, token, plain, stew, n: Default::default() }
    }

    /// Places an order (retrying with its key until answered); returns its id.
    async fn order(&self) -> i64 {
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = format!("hub-{n}");
        let mut items = vec![json!({"menu_item_id": self.plain, "quantity": 1 + n % 3})];
        if let Some((stew, opts)) = &self.stew {
            items.push(json!({"menu_item_id": stew, "quantity": 1, "option_ids": opts, "note": "덜 맵게"}));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = self
                .client
                .post(format!("{}/api/v1/orders", self.base))
                .bearer_auth(&self.token)
                .header("idempotency-key", &key)
                .json(&json!({ "items": items }))
                .send()
                .await;
            if let Ok(r) = r
                && r.status().is_success()
            {
                return r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
            }
            assert!(Instant::now() < deadline, "the box did not take order {key}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

const FORMULA_NAME: &str = "=HYPERLINK(\"http://evil.example\",\"국밥\")";

/// The hub's orders of a store: box order id → (total, items as the box wrote them).
fn hub_orders(pg: &Postgres, store: &str) -> BTreeMap<i64, (i64, Value)> {
    pg.query(&format!(
        "SELECT order_id, total, (SELECT coalesce(jsonb_agg(jsonb_build_object('name', i->'name', 'unit_price', i->'unit_price',
             'quantity', i->'quantity', 'note', i->'note', 'options', i->'options')), '[]') FROM jsonb_array_elements(items) i)
         FROM orders WHERE store_id = '{store}' ORDER BY order_id"
    ))
    .into_iter()
    .map(|l| {
        let mut p = l.splitn(3, '|');
        let id = p.next().unwrap().parse().unwrap();
        let total = p.next().unwrap().parse().unwrap();
        (id, (total, serde_json::from_str(p.next().unwrap()).unwrap()))
    })
    .collect()
}

/// Waits until the hub holds exactly the box's orders, and has acknowledged all its events.
async fn synced(pg: &Postgres, b: &BoxProc, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (mine, theirs) = (b.orders(), hub_orders(pg, &b.store));
        let acked: i64 = pg
            .one(&format!(
                "SELECT acked_event_id FROM boxes WHERE id = (SELECT box_id FROM box_stores WHERE store_id = '{}')",
                b.store
            ))
            .parse()
            .unwrap_or(0);
        if mine == theirs && acked >= b.head() {
            return;
        }
        if Instant::now() > deadline {
            let missing: Vec<&i64> = mine.keys().filter(|k| !theirs.contains_key(k)).collect();
            let differ: Vec<&i64> = mine.keys().filter(|k| theirs.get(k).is_some_and(|t| t != &mine[k])).collect();
            panic!(
                "{what}: store {} not synced: box {} orders, hub {}; missing {missing:?}, different {differ:?}; acked {acked} of {}",
                b.store,
                mine.len(),
                theirs.len(),
                b.head()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Reads SSE frames from a response for `wait`: (id, event, data).
async fn frames(
    resp: reqwest::Response,
    wait: Duration,
    until: impl Fn(&[(i64, String, Value)]) -> bool,
) -> Vec<(i64, String, Value)> {
    use futures_util::StreamExt;
    let mut body = resp.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !until(&out) {
        let chunk = match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(c))) => c,
            _ => break,
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let f: String = buf.drain(..end + 2).collect();
            let (mut id, mut ev, mut data) = (None, String::new(), Value::Null);
            for line in f.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse().ok();
                } else if let Some(v) = line.strip_prefix("event: ") {
                    ev = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(v).unwrap_or(Value::Null);
                }
            }
            if let Some(id) = id
                && !ev.is_empty()
            {
                out.push((id, ev, data));
            }
        }
    }
    out
}

async fn hq_stream(client: &Client, port: u16, token: &str, resume: Option<i64>) -> reqwest::Response {
    let mut req = client.get(format!("http://127.0.0.1:{port}/hub/v1/events")).bearer_auth(token);
    if let Some(id) = resume {
        req = req.header("last-event-id", id.to_string());
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_order_of_two_boxes_reaches_the_hub_exactly_once_through_crashes_outages_and_restarts() {
    const TEST: &str = "the hub test";
    if let Some(why) = unavailable() {
        return skip_or_fail_test(TEST, &why);
    }
    let pg = Postgres::start();
    let mut redis = Redis::start();
    let db = pg.url();
    hub_cli(&["migrate", "--database-url", &db], &[]);
    let token_a = hub_cli(&["box", "add", "--store", "demo", "--name", "A", "--database-url", &db], &[]);
    let token_b = hub_cli(&["box", "add", "--store", "second", "--name", "B", "--database-url", &db], &[]);
    hub_cli(&["user", "add", "--username", "hq", "--database-url", &db], &[("TABLEORDER_HUB_PASSWORD", HQ_PASSWORD)]);
    let (p1, p2) = (free_port(), free_port());
    let mut h1 = Some(hub_process(p1, &db, &redis.url()));
    let mut h2 = Some(hub_process(p2, &db, &redis.url()));
    let lb = Haproxy::start(&[p1, p2]);
    let box_a = BoxProc::new("demo", true, &lb.url(), &token_a);
    let mut box_b = BoxProc::new("second", false, &lb.url(), &token_b);
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let ta = Tablet::new(&box_a, &client).await;
    let tb = Tablet::new(&box_b, &client).await;

    // 1. Orders of both boxes arrive, once, with lines, options and totals.
    for _ in 0..5 {
        ta.order().await;
        tb.order().await;
    }
    synced(&pg, &box_a, "first orders").await;
    synced(&pg, &box_b, "first orders").await;
    let stew = pg.one("SELECT items FROM orders WHERE store_id = 'demo' ORDER BY order_id LIMIT 1");
    assert!(stew.contains("라면사리") && stew.contains("덜 맵게"), "{stew}");

    // 2. A box token cannot put another store's events into HQ's figures: events of a store
    // it is not bound to are held, never shown (and these ids are box B's own, held already).
    let before = pg.one("SELECT count(*) FROM events");
    let foreign = box_a.events(1, 3);
    let r = client
        .post(format!("{}/hub/v1/ingest", lb.url()))
        .bearer_auth(&token_b)
        .json(&json!({ "events": foreign }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(pg.one("SELECT count(*) FROM events"), before);
    assert_eq!(pg.one("SELECT count(*) FROM held_events"), "0");
    assert_eq!(pg.one("SELECT count(*) FROM orders WHERE box_id = 2 AND store_id = 'demo'"), "0");
    // HQ tokens and box tokens are not interchangeable.
    let r = client
        .post(format!("{}/hub/v1/ingest", lb.url()))
        .bearer_auth("not-a-box")
        .json(&json!({"events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client.get(format!("{}/hub/v1/stores", lb.url())).bearer_auth(&token_a).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // 3. Duplicate and overlapping batches change nothing.
    let head = box_a.head();
    for (from, to) in [(1, 10), (5, 15), (1, head)] {
        let r = client
            .post(format!("{}/hub/v1/ingest", lb.url()))
            .bearer_auth(&token_a)
            .json(&json!({ "events": box_a.events(from, to) }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.json::<Value>().await.unwrap()["acked"].as_i64().unwrap() >= head);
    }
    synced(&pg, &box_a, "after duplicate batches").await;
    let box_a_id = pg.one("SELECT box_id FROM box_stores WHERE store_id = 'demo'");
    assert_eq!(
        pg.one(&format!("SELECT count(*) FROM events WHERE box_id = {box_a_id}")).parse::<i64>().unwrap(),
        box_a.head()
    );

    // 4. HQ live: an order ingested through any process reaches a client on process 2;
    //    after a disconnect, resuming on process 1 misses nothing.
    let login: Value = client
        .post(format!("{}/hub/v1/auth/login", lb.url()))
        .json(&json!({"username": "hq", "password": HQ_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hq = login["token"].as_str().unwrap().to_string();
    let on2 = hq_stream(&client, p2, &hq, None).await;
    let id = ta.order().await;
    let got = frames(on2, Duration::from_secs(10), |f| {
        f.iter().any(|(_, e, d)| e == "order_created" && d["id"] == id && d["store_id"] == "demo")
    })
    .await;
    let seen =
        got.iter().find(|(_, e, d)| e == "order_created" && d["id"] == id).expect("the order reached process 2").0;
    let mut later = Vec::new();
    for _ in 0..3 {
        later.push(tb.order().await);
    }
    synced(&pg, &box_b, "before resume").await;
    let on1 = hq_stream(&client, p1, &hq, Some(seen)).await;
    let expected: Vec<i64> = pg
        .query(&format!(
            "SELECT hub_id FROM events WHERE hub_id > {seen} AND type IN ('order_created','order_updated','order_cancelled','session_ended') ORDER BY hub_id"
        ))
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let resumed =
        frames(on1, Duration::from_secs(10), |f| f.iter().filter(|(_, e, _)| e != "hello").count() >= expected.len())
            .await;
    let ids: Vec<i64> = resumed.iter().filter(|(_, e, _)| e != "hello").map(|(i, _, _)| *i).collect();
    assert_eq!(ids, expected, "resume after {seen} on the other process");
    for o in &later {
        assert!(resumed.iter().any(|(_, e, d)| e == "order_created" && d["id"] == *o && d["store_id"] == "second"));
    }

    // 5. A hub process killed in the middle of ingest, then restarted: exactly once.
    let load = {
        let (ta, tb) = (std::sync::Arc::new(ta), std::sync::Arc::new(tb));
        let (a2, b2) = (ta.clone(), tb.clone());
        let task = tokio::spawn(async move {
            for _ in 0..30 {
                a2.order().await;
                b2.order().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut dead = h1.take().unwrap();
        let _ = dead.child.kill(); // SIGKILL
        let _ = dead.child.wait();
        tokio::time::sleep(Duration::from_millis(700)).await;
        h1 = Some(hub_process(p1, &db, &redis.url()));
        task.await.unwrap();
        (ta, tb)
    };
    let (ta, tb) = load;
    synced(&pg, &box_a, "after a hub process was killed").await;
    synced(&pg, &box_b, "after a hub process was killed").await;

    // 6. A box killed in the middle of an upload, then restarted: exactly once.
    for _ in 0..40 {
        tb.order().await;
    }
    box_b.kill();
    box_b.start();
    synced(&pg, &box_b, "after the box was killed").await;

    // 7. Both hub processes away while a box takes 200 orders: the backlog drains after.
    for h in [h1.take(), h2.take()].into_iter().flatten() {
        let mut h = h;
        let _ = h.child.kill();
        let _ = h.child.wait();
    }
    let mut taken = BTreeSet::new();
    for _ in 0..200 {
        taken.insert(ta.order().await);
    }
    let hub = hub_state(&client, &box_a).await;
    assert_eq!(hub["state"], "offline", "{hub}");
    assert!(hub["backlog"].as_i64().unwrap() >= 200);
    h1 = Some(hub_process(p1, &db, &redis.url()));
    h2 = Some(hub_process(p2, &db, &redis.url()));
    synced(&pg, &box_a, "after the hub came back").await;
    let in_hub = hub_orders(&pg, "demo");
    assert!(taken.iter().all(|id| in_hub.contains_key(id)));

    // 8. Redis restarted while running: the live feed goes on, nothing is lost.
    let on2 = hq_stream(&client, p2, &hq, None).await;
    redis.down();
    // Without Redis a process still serves: the load balancer keeps both.
    let health = client.get(format!("http://127.0.0.1:{p1}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let health: Value = health.json().await.unwrap();
    assert_eq!((health["status"].as_str(), health["redis"].as_str()), (Some("degraded"), Some("error")), "{health}");
    let during = ta.order().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.up();
    let after = tb.order().await;
    let got = frames(on2, Duration::from_secs(20), |f| {
        f.iter().any(|(_, e, d)| e == "order_created" && d["id"] == during && d["store_id"] == "demo")
            && f.iter().any(|(_, e, d)| e == "order_created" && d["id"] == after && d["store_id"] == "second")
    })
    .await;
    assert!(got.iter().any(|(_, _, d)| d["id"] == during && d["store_id"] == "demo"), "order during the Redis restart");
    assert!(got.iter().any(|(_, _, d)| d["id"] == after && d["store_id"] == "second"), "order after the Redis restart");
    synced(&pg, &box_a, "end").await;
    synced(&pg, &box_b, "end").await;

    // Reports: stores, sales, CSV.
    let stores: Value =
        client.get(format!("{}/hub/v1/stores", lb.url())).bearer_auth(&hq).send().await.unwrap().json().await.unwrap();
    let a = stores.as_array().unwrap().iter().find(|s| s["store_id"] == "demo").unwrap();
    assert_eq!(a["orders_today"].as_i64().unwrap() as usize, box_a.orders().len());
    assert_eq!(a["backlog"], 0);
    let sales: Value = client
        .get(format!("{}/hub/v1/sales?group_by=store", lb.url()))
        .bearer_auth(&hq)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total: i64 = box_a.orders().values().map(|(t, _)| t).sum();
    assert_eq!(sales.as_array().unwrap().iter().find(|s| s["key"] == "demo").unwrap()["total"], total);
    let csv = client
        .get(format!("{}/hub/v1/orders.csv?token={hq}&store_id=second", lb.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), box_b.orders().len() + 1, "{}", &csv[..csv.len().min(500)]);
    // The item named like a formula is in every line, as text (prefixed with ').
    for line in csv.lines().skip(1) {
        assert!(line.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"국밥\"\") x"), "{line}");
        assert!(!line.split(',').any(|f| f.starts_with('=') || f.starts_with("\"=")), "{line}");
    }
    // Every order of a store exactly once, across pages of the export.
    let csv = client
        .get(format!("{}/hub/v1/orders.csv?token={hq}&store_id=demo", lb.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ids: Vec<i64> = csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "no order twice");
    assert_eq!(unique, box_a.orders().keys().copied().collect::<BTreeSet<i64>>());

    // The audit trail travels too: a cancellation on a box is on HQ's list with who did it.
    let admin: Value = client
        .post(format!("{}/api/v1/auth/admin/login", box_a.url("")))
        .json(&json!({"store_id": "demo", "username": "admin", "password": "demo1234"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let victim = *box_a.orders().keys().next().unwrap();
    let r = client
        .delete(format!("{}/api/v1/admin/orders/{victim}", box_a.url("")))
        .bearer_auth(admin["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    synced(&pg, &box_a, "after a cancellation").await;
    let audit: Value = client
        .get(format!("{}/hub/v1/audit?store_id=demo&kind=order_cancelled,line_voided", lb.url()))
        .bearer_auth(&hq)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = audit.as_array().unwrap().iter().find(|a| a["order_id"] == victim).unwrap_or_else(|| panic!("{audit}"));
    assert_eq!((row["store_id"].as_str(), row["staff_name"].as_str()), (Some("demo"), Some("admin")));
    let again = client.get(format!("{}/hub/v1/audit?kind=nonsense", lb.url())).bearer_auth(&hq).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Payments and the day's close travel too: HQ sees each store's closed day and net sales.
    let at = admin["token"].as_str().unwrap();
    let base = box_a.url("");
    let tables: Value =
        client.get(format!("{base}/api/v1/admin/tables")).bearer_auth(at).send().await.unwrap().json().await.unwrap();
    let mut paid = 0;
    for t in tables.as_array().unwrap().iter().filter(|t| !t["session"].is_null()) {
        let sid = t["session"]["id"].as_i64().unwrap();
        let check: Value = client
            .get(format!("{base}/api/v1/admin/sessions/{sid}/check"))
            .bearer_auth(at)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let balance = check["balance"].as_i64().unwrap();
        let r = client
            .post(format!("{base}/api/v1/admin/sessions/{sid}/payments"))
            .bearer_auth(at)
            .header("idempotency-key", format!("hub-pay-{sid}"))
            .json(&json!({"method": "card", "amount": balance}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        paid += balance;
        let r = client
            .post(format!("{base}/api/v1/admin/tables/{}/end-session", t["id"]))
            .bearer_auth(at)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let closed: Value = client
        .post(format!("{base}/api/v1/admin/days/close"))
        .bearer_auth(at)
        .json(&json!({"counted_cash": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(closed["payments"][0]["amount"], paid, "{closed}");
    synced(&pg, &box_a, "after the day's close").await;
    let days: Value = client
        .get(format!("{}/hub/v1/days?store_id=demo", lb.url()))
        .bearer_auth(&hq)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(days.as_array().unwrap().len(), 1, "{days}");
    assert_eq!((days[0]["net"].clone(), days[0]["store_id"].clone()), (closed["net"].clone(), json!("demo")));
    let date = closed["business_date"].as_str().unwrap();
    let pays: Value = client
        .get(format!("{}/hub/v1/payments?from={date}&to={date}", lb.url()))
        .bearer_auth(&hq)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let card = pays.as_array().unwrap().iter().find(|p| p["key"] == "card").unwrap_or_else(|| panic!("{pays}"));
    assert_eq!(card["amount"], paid);
    let sales: Value = client
        .get(format!("{}/hub/v1/sales?group_by=store&from={date}&to={date}", lb.url()))
        .bearer_auth(&hq)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sales.as_array().unwrap().iter().find(|s| s["key"] == "demo").unwrap()["net"], closed["net"]);
    let csv =
        client.get(format!("{}/hub/v1/days.csv?token={hq}", lb.url())).send().await.unwrap().text().await.unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with(&format!("demo,{date},")), "{csv}");

    // 9. A store joining the chain with old history (its events long pruned): the box sends
    //    a backfill of its orders first, then its events from the oldest it still has.
    let token_c = hub_cli(&["box", "add", "--store", "third", "--name", "C", "--database-url", &db], &[]);
    // Not linked to the hub yet.
    let mut box_c = BoxProc::new("third", false, "", "");
    let tc = Tablet::new(&box_c, &client).await;
    let mut old = BTreeSet::new();
    for _ in 0..4 {
        old.insert(tc.order().await);
    }
    box_c.kill();
    {
        // What a week of pruning leaves: no events, a floor above them.
        let conn = rusqlite::Connection::open(box_c.db()).unwrap();
        let head: i64 = conn.query_row("SELECT max(id) FROM events", [], |r| r.get(0)).unwrap();
        conn.execute("DELETE FROM events", []).unwrap();
        conn.execute("INSERT INTO meta (key, value) VALUES ('events_floor', ?1)", [head.to_string()]).unwrap();
    }
    box_c.hub_url = lb.url();
    box_c.token = token_c;
    box_c.start();
    let newer = tc.order().await;
    synced(&pg, &box_c, "after the backfill").await;
    let held = hub_orders(&pg, "third");
    assert!(old.iter().all(|id| held.contains_key(id)) && held.contains_key(&newer));

    // 10. The hub's database restored from last night's dump: every box sends again what
    //     the hub lost, and what a box has pruned since comes back as a backfill.
    let stop_hubs = |h1: &mut Option<Server>, h2: &mut Option<Server>| {
        for h in [h1.take(), h2.take()].into_iter().flatten() {
            let mut h = h;
            let _ = h.child.kill();
            let _ = h.child.wait();
        }
    };
    let dumps = tempfile::tempdir().unwrap();
    let nightly = dumps.path().join("nightly.dump");
    pg.dump(&nightly);
    let mut since = BTreeSet::new();
    for _ in 0..5 {
        since.insert(tb.order().await);
    }
    synced(&pg, &box_b, "before the first restore").await;
    stop_hubs(&mut h1, &mut h2);
    pg.restore(&nightly);
    assert!(since.iter().all(|id| !hub_orders(&pg, "second").contains_key(id)), "the dump is older");
    h1 = Some(hub_process(p1, &db, &redis.url()));
    h2 = Some(hub_process(p2, &db, &redis.url()));
    tb.order().await;
    synced(&pg, &box_b, "after the hub was restored").await;

    // Again, but the box pruned its events up to the hub's acknowledgement before the
    // restore: those events are gone everywhere; their orders come back by backfill.
    pg.dump(&nightly);
    let mut pruned = BTreeSet::new();
    for _ in 0..5 {
        pruned.insert(tb.order().await);
    }
    synced(&pg, &box_b, "before the second restore").await;
    box_b.kill();
    {
        let conn = rusqlite::Connection::open(box_b.db()).unwrap();
        let head: i64 = conn.query_row("SELECT max(id) FROM events", [], |r| r.get(0)).unwrap();
        conn.execute("DELETE FROM events", []).unwrap();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('events_floor', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [head.to_string()],
        )
        .unwrap();
    }
    stop_hubs(&mut h1, &mut h2);
    pg.restore(&nightly);
    assert!(pruned.iter().all(|id| !hub_orders(&pg, "second").contains_key(id)));
    h1 = Some(hub_process(p1, &db, &redis.url()));
    h2 = Some(hub_process(p2, &db, &redis.url()));
    box_b.start();
    tb.order().await;
    synced(&pg, &box_b, "after a restore older than the box's pruning").await;
    drop((h1, h2));
}

/// The box's hub state as its System page shows it.
async fn hub_state(client: &Client, b: &BoxProc) -> Value {
    let admin: Value = client
        .post(b.url("/api/v1/auth/admin/login"))
        .json(&json!({"store_id": b.store, "username": "admin", "password": "demo1234"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sys: Value = client
        .get(b.url("/api/v1/admin/system"))
        .bearer_auth(admin["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sys["hub"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_box_uploads_over_tls_to_a_hub_whose_certificate_the_chains_own_ca_signed() {
    const TEST: &str = "the hub TLS test";
    if let Some(why) = unavailable() {
        return skip_or_fail_test(TEST, &why);
    }
    let pg = Postgres::start();
    let redis = Redis::start();
    let db = pg.url();
    hub_cli(&["migrate", "--database-url", &db], &[]);
    let token = hub_cli(&["box", "add", "--store", "demo", "--name", "A", "--database-url", &db], &[]);
    let port = free_port();
    let _hub = hub_process(port, &db, &redis.url());
    let certs = tempfile::tempdir().unwrap();
    let (ca, hub_pem) = private_ca(certs.path());
    let lb = Haproxy::start_tls(&[port], &hub_pem);
    assert!(lb.url().starts_with("https://"));
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // Without the chain's CA the box does not trust the hub: nothing leaves it, and the
    // System page says why.
    let mut b = BoxProc::new("demo", true, &lb.url(), &token);
    let tablet = Tablet::new(&b, &client).await;
    tablet.order().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let hub = loop {
        let hub = hub_state(&client, &b).await;
        if hub["last_error"].as_str().is_some_and(|e| e.contains("certificate")) {
            break hub;
        }
        assert!(Instant::now() < deadline, "the box did not report the untrusted certificate: {hub}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(hub["state"], "offline", "{hub}");
    assert_eq!(pg.one("SELECT count(*) FROM events"), "0");

    // Given the CA file, the same box sends everything, once.
    b.kill();
    b.env.push(("TABLEORDER_HUB_CA_FILE".into(), ca.display().to_string()));
    b.start();
    tablet.order().await;
    synced(&pg, &b, "over TLS").await;
    assert_eq!(hub_state(&client, &b).await["state"], "ok");

    // A CA file that holds no certificate stops the box at start, with the reason.
    let empty = certs.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let mut cmd = base_command(BIN);
    cmd.args(["config", "--hub-url", &lb.url(), "--hub-token", "x", "--hub-ca-file"]).arg(&empty);
    let out = run_within(cmd, Duration::from_secs(30));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no certificate"), "{}", text(&out.stderr));
}

/// Waits until the hub holds exactly the box's orders of `store` (by LIKE on the box side).
async fn store_synced(pg: &Postgres, b: &BoxProc, store: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (mine, theirs) = (b.orders_of(store), hub_orders(pg, store));
        if !mine.is_empty() && mine == theirs {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: store {store}: box {} orders, hub {}", mine.len(), theirs.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_the_hub_is_not_bound_to_waits_at_the_hub_while_the_boxs_other_stores_flow() {
    const TEST: &str = "the hub's held-store test";
    if let Some(why) = unavailable() {
        return skip_or_fail_test(TEST, &why);
    }
    let pg = Postgres::start();
    let redis = Redis::start();
    let db = pg.url();
    hub_cli(&["migrate", "--database-url", &db], &[]);
    // A food court box: the hub knows it for "second" only; "third" was added on the box later.
    let token = hub_cli(&["box", "add", "--store", "second", "--name", "court", "--database-url", &db], &[]);
    let port = free_port();
    let hub = hub_process(port, &db, &redis.url());
    let mut court = BoxProc::new("second", false, &format!("http://127.0.0.1:{port}"), &token);
    court.kill();
    let mut cmd = base_command(BIN);
    cmd.args(["store", "create", "--id", "third", "--name", "Store third", "--admin", "admin", "--data-dir"])
        .arg(court.dir.path())
        .env("TABLEORDER_ADMIN_PASSWORD", "demo1234");
    let out = run_within(cmd, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    court.start();
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let second = Tablet::new(&court, &client).await;
    let third = Tablet::for_store(&court, &client, "third", false).await;
    for _ in 0..4 {
        third.order().await;
        second.order().await;
    }
    // The bound store's orders flow, the other's wait at the hub, unseen by HQ.
    store_synced(&pg, &court, "second", "the bound store").await;
    assert!(hub_orders(&pg, "third").is_empty());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state = hub_state(&client, &court).await;
        if state["refused_stores"] == json!(["third"]) && state["backlog"] == 0 {
            assert_eq!(state["state"], "ok", "{state}");
            break;
        }
        assert!(Instant::now() < deadline, "the System page does not name the refused store: {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(pg.one("SELECT count(*) FROM held_events WHERE store_id = 'third'").parse::<i64>().unwrap() > 0);
    let listed = hub_cli(&["box", "list", "--database-url", &db], &[]);
    assert!(listed.lines().any(|l| l.starts_with("1\tcourt") && l.ends_with("\tthird")), "{listed}");

    // HQ binds "third": its orders arrive, each once, in order, and nothing stays held.
    let bound = hub_cli(&["box", "bind", "--id", "1", "--store", "third", "--database-url", &db], &[]);
    assert!(bound.contains("held events"), "{bound}");
    third.order().await;
    store_synced(&pg, &court, "third", "after binding").await;
    store_synced(&pg, &court, "second", "after binding").await;
    assert_eq!(pg.one("SELECT count(*) FROM held_events"), "0");
    let deadline = Instant::now() + Duration::from_secs(30);
    while hub_state(&client, &court).await["refused_stores"] != json!([]) {
        assert!(Instant::now() < deadline, "the System page still names a refused store");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let dup =
        pg.one("SELECT count(*) FROM (SELECT event_id FROM events GROUP BY box_id, event_id HAVING count(*) > 1) d");
    assert_eq!(dup, "0");

    // Eight gzip bombs at once (64 KB each, 64 MB of JSON whitespace inflated): each is
    // refused, inflated as a stream a few at a time, and the hub's memory hardly moves.
    let bomb = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..64 {
            gz.write_all(&spaces).unwrap();
        }
        gz.finish().unwrap()
    };
    assert!(bomb.len() < 128 * 1024, "{}", bomb.len());
    let pid = hub.child.id();
    let idle = crate::support::client::rss_kib(pid);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let peak = crate::support::client::sample_peak(pid, stop.clone());
    let mut sent = Vec::new();
    let started = std::time::Instant::now();
    // Each bomb is inflated to the limit before it is refused: minutes on a slow machine
    // in an unoptimised build, so these requests wait longer than the others.
    let slow = Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
    for _ in 0..8 {
        let (c, url, token, body) =
            (slow.clone(), format!("http://127.0.0.1:{port}/hub/v1/ingest"), token.clone(), bomb.clone());
        sent.push(tokio::spawn(async move {
            let r = c.post(url).bearer_auth(token).header("content-encoding", "gzip").body(body).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }));
    }
    let health = client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
    for s in sent {
        let (status, body) = s.await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = peak.join().unwrap();
    let growth = peak.saturating_sub(idle) / 1024;
    println!(
        "hub under 8 gzip bombs: idle {} MiB, peak {} MiB, all refused in {:?}",
        idle / 1024,
        peak / 1024,
        started.elapsed()
    );
    assert!(growth < 32, "eight gzip bombs grew the hub by {growth} MiB");
}
