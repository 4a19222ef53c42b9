//! Faults injected into the real binary: a full disk under concurrent load, SIGKILL after
//! SIGKILL while tablets keep ordering, and tablets that vanish from the network.
//!
//! The disk and network tests need root (a tmpfs mount, network namespaces); they skip with
//! a printed reason elsewhere, never under `CI=true`.

use crate::proc::*;
use futures_util::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) async fn login_table(client: &Client, base: &str, number: i64) -> String {
    let r = client
        .post(format!("{base}/api/v1/auth/table/login"))
        .json(&json!({"store_id": "demo", "table_number": number, "password": "1234"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

pub(crate) async fn login_admin(client: &Client, base: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/auth/admin/login"))
        .json(&json!({"store_id": "demo", "username": "admin", "password": "demo1234"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// The demo menu's item ids and prices (items that need no option choice).
pub(crate) async fn menu_items(client: &Client, base: &str, token: &str) -> Vec<(i64, i64)> {
    let menu: Value =
        client.get(format!("{base}/api/v1/menu")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    menu["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["items"].as_array().unwrap().iter())
        .filter(|i| i["option_groups"].as_array().unwrap().iter().all(|g| g["min"] == 0))
        .map(|i| (i["id"].as_i64().unwrap(), i["price"].as_i64().unwrap()))
        .collect()
}

/// Orders in the database by idempotency key: (id, total, lines as "item x qty").
pub(crate) fn orders_by_key(db: &Path) -> BTreeMap<String, (i64, i64, Vec<String>)> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut out = BTreeMap::new();
    let mut s = conn.prepare("SELECT id, idempotency_key, total FROM orders").unwrap();
    let rows: Vec<(i64, String, i64)> =
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap();
    let mut lines =
        conn.prepare("SELECT menu_item_id, quantity FROM order_items WHERE order_id = ?1 ORDER BY id").unwrap();
    for (id, key, total) in rows {
        let l: Vec<String> = lines
            .query_map([id], |r| Ok(format!("{}x{}", r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(out.insert(key.clone(), (id, total, l)).is_none(), "idempotency key {key} twice in the database");
    }
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    out
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------
// A full disk
// ---------------------------------------------------------------------------------------

/// A small tmpfs mounted on a new directory; unmounted and removed on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_mb: u64) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}m"), "tableorder-test"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount: {}", text(&out.stderr).trim()));
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Writes a file until the filesystem is full.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5au8; 64 * 1024];
    let mut total = 0;
    while f.write_all(&chunk).is_ok() {
        total += chunk.len() as u64;
    }
    // The last partial chunk may have gone in; make sure nothing is left.
    while f.write_all(&[0u8; 512]).is_ok() {}
    let _ = f.sync_all();
    total
}

#[derive(Debug, Clone)]
struct Attempt {
    key: String,
    status: u16,
    id: Option<i64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_under_load_loses_nothing_and_answers_match_what_is_on_disk() {
    const TEST: &str = "the full-disk test";
    if !is_root() {
        return skip_or_fail_test(TEST, "it needs root to mount a small tmpfs");
    }
    let fs = match Tmpfs::mount(48) {
        Ok(f) => f,
        Err(e) => return skip_or_fail_test(TEST, &format!("cannot mount a tmpfs: {e}")),
    };
    let data = fs.path().join("data");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = base_command(BIN);
    cmd.arg("serve")
        .args(["--demo", "--no-mdns", "--listen", &listen, "--data-dir"])
        .arg(&data)
        .env("TABLEORDER_ORDERS_PER_MINUTE", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0")
        .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0");
    let server = Server::spawn(cmd);
    let base = format!("http://{listen}");
    let client = Client::new();
    let admin = login_admin(&client, &base).await;
    let mut tables = Vec::new();
    for n in 1..=8 {
        tables.push(login_table(&client, &base, n).await);
    }
    let items = menu_items(&client, &base, &tables[0]).await;

    // The dashboard: every event it receives.
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::new(Mutex::new(Vec::new()));
    let stream = client.get(format!("{base}/api/v1/admin/events")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let reader = tokio::spawn({
        let seen = seen.clone();
        async move {
            let mut body = stream.bytes_stream();
            let mut buf = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    let mut event = None;
                    let mut data = None;
                    for line in frame.lines() {
                        if let Some(e) = line.strip_prefix("event: ") {
                            event = Some(e.to_string());
                        }
                        if let Some(d) = line.strip_prefix("data: ") {
                            data = serde_json::from_str::<Value>(d).ok();
                        }
                    }
                    if let (Some(e), Some(d)) = (event, data) {
                        seen.lock().unwrap().push((e, d));
                    }
                }
            }
        }
    });

    let attempts: Arc<Mutex<Vec<Attempt>>> = Arc::new(Mutex::new(Vec::new()));
    let images: Arc<Mutex<Vec<u16>>> = Arc::new(Mutex::new(Vec::new()));
    let running = Arc::new(AtomicBool::new(true));
    let next = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for (t, token) in tables.iter().enumerate() {
        let (client, base, token, items) = (client.clone(), base.clone(), token.clone(), items.clone());
        let (attempts, running, next) = (attempts.clone(), running.clone(), next.clone());
        load.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let key = format!("t{t}-o{n}");
                let lines: Vec<Value> = (0..3)
                    .map(|i| json!({"menu_item_id": items[(n + i) % items.len()].0, "quantity": 1 + i}))
                    .collect();
                let r = client
                    .post(format!("{base}/api/v1/orders"))
                    .bearer_auth(&token)
                    .header("idempotency-key", &key)
                    .json(&json!({ "items": lines }))
                    .send()
                    .await;
                let (status, id) = match r {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        (s, body["id"].as_i64())
                    }
                    Err(_) => (0, None),
                };
                attempts.lock().unwrap().push(Attempt { key, status, id });
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }
    // Image uploads too: a failed one must not announce a menu change.
    let uploader = tokio::spawn({
        let (client, base, admin, item, images, running) =
            (client.clone(), base.clone(), admin.clone(), items[0].0, images.clone(), running.clone());
        async move {
            let png = crate::helpers::photo(320, 320, image::ImageFormat::Png);
            while running.load(Ordering::Relaxed) {
                let r = client
                    .put(format!("{base}/api/v1/admin/menu-items/{item}/image"))
                    .bearer_auth(&admin)
                    .header("content-type", "image/png")
                    .body(png.clone())
                    .send()
                    .await;
                images.lock().unwrap().push(r.map(|r| r.status().as_u16()).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }
    });

    tokio::time::sleep(Duration::from_millis(500)).await;
    let filler = fs.path().join("filler");
    let filled = tokio::task::spawn_blocking({
        let f = filler.clone();
        move || fill(&f)
    })
    .await
    .unwrap();
    assert!(filled > 0);
    // Full for a while, under load.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during_full = attempts.lock().unwrap().len();
    std::fs::remove_file(&filler).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    uploader.await.unwrap();

    // The box is healthy again and takes orders.
    let h = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(h.status(), StatusCode::OK);
    // Let the dashboard receive the last events, then stop the server cleanly.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.terminate();
    let mut server = server;
    assert!(server.wait_exit(Duration::from_secs(10)).success());
    reader.abort();

    let attempts = attempts.lock().unwrap().clone();
    let refused = attempts.iter().filter(|a| a.status == 503).count();
    let accepted = attempts.iter().filter(|a| a.status == 201).count();
    assert!(refused > 0, "the full disk refused no order ({} attempts while full)", during_full);
    assert!(accepted > 0);
    let other: Vec<&Attempt> = attempts.iter().filter(|a| a.status != 201 && a.status != 503).collect();
    assert!(other.is_empty(), "answers other than 201 and 503: {other:?}");

    let in_db = orders_by_key(&data.join("tableorder.db"));
    for a in &attempts {
        match (a.status, in_db.get(&a.key)) {
            (201, Some((id, _, _))) => assert_eq!(Some(*id), a.id, "{} answered another id", a.key),
            (201, None) => panic!("order {} was acknowledged but is not in the database", a.key),
            (_, Some(_)) => panic!("order {} answered {} but is in the database", a.key, a.status),
            (_, None) => {}
        }
    }
    assert_eq!(in_db.len(), accepted, "orders in the database that nobody was told about");

    // Every committed order reached the dashboard, once; no event for anything rolled back.
    let seen = seen.lock().unwrap().clone();
    let created: Vec<i64> =
        seen.iter().filter(|(e, _)| e == "order_created").map(|(_, d)| d["id"].as_i64().unwrap()).collect();
    let created_set: BTreeSet<i64> = created.iter().copied().collect();
    assert_eq!(created.len(), created_set.len(), "an order_created arrived twice");
    let db_ids: BTreeSet<i64> = in_db.values().map(|(id, _, _)| *id).collect();
    assert_eq!(created_set, db_ids, "the dashboard's orders differ from the database's");
    let images = images.lock().unwrap().clone();
    let uploaded = images.iter().filter(|s| **s == 200).count();
    let menu_events = seen.iter().filter(|(e, _)| e == "menu_changed").count();
    assert_eq!(menu_events, uploaded, "menu_changed events vs successful uploads ({images:?})");
    eprintln!(
        "full disk: {} orders acknowledged, {refused} refused with 503, {} image uploads ({uploaded} stored)",
        accepted,
        images.len()
    );
}

// ---------------------------------------------------------------------------------------
// SIGKILL loop
// ---------------------------------------------------------------------------------------

fn start_at(data: &Path, listen: &str) -> Server {
    let mut cmd = base_command(BIN);
    cmd.arg("serve")
        .args(["--demo", "--no-mdns", "--listen", listen, "--data-dir"])
        .arg(data)
        .env("TABLEORDER_ORDERS_PER_MINUTE", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0")
        .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0");
    Server::spawn(cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_after_sigkill_under_load_every_acknowledged_order_exists_exactly_once() {
    let rounds: usize = std::env::var("SIGKILL_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("data");
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let server = Arc::new(Mutex::new(Some(start_at(&data, &listen))));
    let client = Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut tokens = Vec::new();
    for n in 1..=8 {
        tokens.push(login_table(&client, &base, n).await);
    }
    let items = menu_items(&client, &base, &tokens[0]).await;
    let prices: HashMap<i64, i64> = items.iter().copied().collect();

    // What each client was told: key → (order id, total).
    let acked: Arc<Mutex<BTreeMap<String, (i64, i64)>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let sent: Arc<Mutex<BTreeSet<String>>> = Arc::new(Mutex::new(BTreeSet::new()));
    let running = Arc::new(AtomicBool::new(true));
    let mut clients = Vec::new();
    for (t, token) in tokens.iter().enumerate() {
        let (client, base, token, items) = (client.clone(), base.clone(), token.clone(), items.clone());
        let (acked, sent, running) = (acked.clone(), sent.clone(), running.clone());
        clients.push(tokio::spawn(async move {
            let mut n = 0usize;
            while running.load(Ordering::Relaxed) {
                n += 1;
                let key = format!("c{t}-{n}");
                let lines: Vec<Value> = (0..3)
                    .map(|i| json!({"menu_item_id": items[(n + i + t) % items.len()].0, "quantity": 1 + (n + i) % 3}))
                    .collect();
                sent.lock().unwrap().insert(key.clone());
                // A tablet retries an unacknowledged order with the same key until it is answered.
                loop {
                    let r = client
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(&token)
                        .header("idempotency-key", &key)
                        .json(&json!({ "items": lines }))
                        .send()
                        .await;
                    if let Ok(r) = r {
                        let status = r.status();
                        if status.is_success() {
                            if let Ok(body) = r.json::<Value>().await {
                                let got = (body["id"].as_i64().unwrap(), body["total"].as_i64().unwrap());
                                let mut a = acked.lock().unwrap();
                                if let Some(prev) = a.insert(key.clone(), got) {
                                    assert_eq!(prev, got, "a retry of {key} answered another order");
                                }
                                break;
                            }
                        } else {
                            assert!(
                                status.is_server_error(),
                                "order {key} refused with {status}: only 5xx (a stopping server) may be retried"
                            );
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }

    let mut kills = 0;
    let started = Instant::now();
    while kills < rounds {
        tokio::time::sleep(Duration::from_millis(250 + (kills as u64 * 37) % 300)).await;
        let mut s = server.lock().unwrap().take().unwrap();
        let _ = s.child.kill(); // SIGKILL
        let _ = s.child.wait();
        kills += 1;
        *server.lock().unwrap() = Some(start_at(&data, &listen));
    }
    running.store(false, Ordering::Relaxed);
    for c in clients {
        tokio::time::timeout(Duration::from_secs(60), c).await.expect("clients finish").unwrap();
    }
    let mut s = server.lock().unwrap().take().unwrap();
    s.terminate();
    assert!(s.wait_exit(Duration::from_secs(10)).success());

    let acked = acked.lock().unwrap().clone();
    let sent = sent.lock().unwrap().clone();
    let in_db = orders_by_key(&data.join("tableorder.db"));
    assert_eq!(acked.len(), sent.len(), "every order sent was acknowledged in the end");
    for (key, (id, total)) in &acked {
        let (db_id, db_total, lines) = in_db.get(key).unwrap_or_else(|| panic!("acknowledged order {key} is missing"));
        assert_eq!((db_id, db_total), (id, total), "order {key}");
        let sum: i64 = lines
            .iter()
            .map(|l| {
                let (item, qty) = l.split_once('x').unwrap();
                prices[&item.parse::<i64>().unwrap()] * qty.parse::<i64>().unwrap()
            })
            .sum();
        assert_eq!(sum, *total, "order {key}'s lines do not add up to its total");
        assert_eq!(lines.len(), 3);
    }
    let phantom: Vec<&String> = in_db.keys().filter(|k| !sent.contains(*k)).collect();
    assert!(phantom.is_empty(), "orders nobody sent: {phantom:?}");
    assert_eq!(in_db.len(), acked.len());
    eprintln!("{kills} SIGKILLs in {:?}: {} acknowledged orders, all exactly once", started.elapsed(), acked.len());
}

// ---------------------------------------------------------------------------------------
// Vanished tablets
// ---------------------------------------------------------------------------------------

/// `curl` inside a namespace.
fn curl(ns: &Namespaces, which: &str, args: &[&str]) -> Command {
    let mut cmd = ns.exec(which, "curl");
    cmd.args(["-sS", "--max-time", "20"]).args(args);
    cmd
}

#[test]
fn dashboards_that_vanish_from_the_network_free_their_stream_slots() {
    const TEST: &str = "the vanished-dashboard test";
    if !is_root() {
        return skip_or_fail_test(TEST, "it needs root for network namespaces");
    }
    if Command::new("curl").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return skip_or_fail_test(TEST, "curl is missing");
    }
    let mut ns = match Namespaces::create() {
        Ok(ns) => ns,
        Err(e) => return skip_or_fail_test(TEST, &format!("network namespaces cannot be made here: {e}")),
    };
    let data = tempfile::tempdir().unwrap();
    let listen = format!("{}:8080", Namespaces::SRV_ADDR);
    let mut cmd = ns.exec(&ns.srv, BIN);
    cmd.arg("serve")
        .args(["--demo", "--no-mdns", "--listen", &listen, "--data-dir"])
        .arg(data.path())
        .env("TABLEORDER_DEAD_PEER_TIMEOUT_SECS", "4")
        // Five staff slots: three for dashboards, two kept for kitchen displays.
        .env("TABLEORDER_MAX_STAFF_STREAMS", "5");
    ns.server = Some(Server::spawn(cmd));
    let base = format!("http://{listen}");
    let login = curl(
        &ns,
        &ns.cli,
        &[
            "-H",
            "content-type: application/json",
            "-d",
            r#"{"store_id":"demo","username":"admin","password":"demo1234"}"#,
            &format!("{base}/api/v1/auth/admin/login"),
        ],
    )
    .output()
    .unwrap();
    let token: Value = serde_json::from_slice(&login.stdout).expect("login answer");
    let token = token["token"].as_str().unwrap().to_string();
    let events = format!("{base}/api/v1/admin/events?token={token}");

    // Three dashboards on the client's side fill the store's stream slots.
    let mut dashboards = Vec::new();
    let logs = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let mut c = curl(&ns, &ns.cli, &["-N", "--max-time", "120", &events]);
        let out = std::fs::File::create(logs.path().join(format!("d{i}"))).unwrap();
        let err = std::fs::File::create(logs.path().join(format!("e{i}"))).unwrap();
        dashboards.push(c.stdout(out).stderr(err).spawn().unwrap());
        // Each one has its stream (hello received) before the next starts.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !std::fs::read_to_string(logs.path().join(format!("d{i}"))).unwrap_or_default().contains("event: hello") {
            assert!(
                Instant::now() < deadline,
                "dashboard {i} got no stream: {}",
                std::fs::read_to_string(logs.path().join(format!("e{i}"))).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let dashboard_logs = || -> String {
        (0..3).map(|i| std::fs::read_to_string(logs.path().join(format!("e{i}"))).unwrap_or_default()).collect()
    };
    let status = |ns: &Namespaces| -> String {
        let o =
            curl(ns, &ns.srv, &["-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", &events]).output().unwrap();
        text(&o.stdout)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while status(&ns) != "409" {
        assert!(
            Instant::now() < deadline,
            "the three dashboards never filled the slots ({}); dashboards: {}; server log:\n{}",
            status(&ns),
            dashboard_logs(),
            ns.server.as_ref().unwrap().log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The client side drops off the network (Wi-Fi gone): nothing it sent ever says goodbye.
    ip(&["-n", &ns.cli, "link", "set", &ns.cli_dev, "down"]).unwrap();
    for mut d in dashboards {
        let _ = d.kill();
        let _ = d.wait();
    }
    let cut = Instant::now();
    // "-w %{http_code}" with --max-time 2 on a stream prints 200 once the headers arrived.
    loop {
        let s = status(&ns);
        if s == "200" {
            break;
        }
        assert!(
            cut.elapsed() < Duration::from_secs(40),
            "slots still held {:?} after the network went ({s})",
            cut.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!("stream slots of vanished dashboards freed {:?} after the link went down", cut.elapsed());
}
