//! Power cuts under load: the box's data directory lives on a file system that forgets
//! whatever was not synced (tests/api/powercut_fs.rs), and the power goes again and again
//! while tablets order, staff work, photos upload, backups are written, tickets print and
//! days close. After every cut the box must start and answer without a 5xx; at the end
//! every acknowledged order exists exactly once, every acknowledged photo and backup is
//! there and whole, every closed day is still closed with the same figures, and every
//! acknowledged order's ticket came out of the printer.

use crate::faults::{free_port, login_admin, login_table, menu_items, orders_by_key};
use crate::powercut_fs::PowerCutFs;
use crate::printer::FakePrinter;
use crate::proc::{BIN, Server, base_command, is_root, skip_or_fail_test};
use crate::services::{Postgres, Redis, hub_cli, hub_process, unavailable};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tableorder::kitchen::escpos::Encoding;

fn start(data: &Path, listen: &str, hub: &(String, String)) -> Server {
    let mut cmd = base_command(BIN);
    cmd.arg("serve")
        .args(["--demo", "--no-mdns", "--listen", listen, "--data-dir"])
        .arg(data)
        .args(["--hub-url", &hub.0, "--hub-token", &hub.1])
        .env("TABLEORDER_ORDERS_PER_MINUTE", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0")
        .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_BOX_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_BACKUP_MIN_INTERVAL_SECS", "0")
        .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0");
    Server::spawn(cmd)
}

fn signal(pid: u32, sig: &str) {
    let st = Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status().expect("kill runs");
    assert!(st.success(), "kill -{sig} {pid}");
}

/// A GET with a token, its JSON answer.
async fn get_json(client: &Client, url: String, token: &str) -> Value {
    client.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

/// Waits until every thread of `pid` has stopped (a signal is delivered to each thread on
/// its way back from the kernel, a moment after `kill` returns).
fn wait_stopped(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stopped = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().flatten().all(|t| {
            let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').map(|(_, r)| r.trim_start().chars().next()).unwrap_or_default();
            matches!(state, Some('T' | 't'))
        });
        if stopped {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What the load got acknowledged, and every 5xx it saw.
#[derive(Default)]
struct Acked {
    /// Order idempotency key → the order id it was acknowledged with (None: not yet).
    orders: BTreeMap<String, Option<(i64, i64)>>,
    /// Items whose photo upload was acknowledged.
    photos: BTreeSet<i64>,
    /// Backups acknowledged (their names).
    backups: Vec<String>,
    /// Days closed: id → net.
    days: BTreeMap<i64, i64>,
    /// Every 5xx: what and which status.
    errors: Vec<String>,
}

/// An order attempt with `key`; true when the box acknowledged it.
async fn order(
    client: &Client,
    base: &str,
    token: &str,
    key: &str,
    items: &[(i64, i64)],
    acked: &Mutex<Acked>,
) -> bool {
    let n = key.len();
    let lines: Vec<Value> =
        (0..2).map(|i| json!({"menu_item_id": items[(n + i) % items.len()].0, "quantity": 1 + i})).collect();
    let r = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({ "items": lines }))
        .send()
        .await;
    let Ok(r) = r else { return false };
    let status = r.status();
    let Ok(body) = r.json::<Value>().await else { return false };
    let mut a = acked.lock().unwrap();
    if status.is_server_error() {
        a.errors.push(format!("order {key}: {status} {body}"));
        return false;
    }
    if !status.is_success() {
        a.errors.push(format!("order {key} refused: {status} {body}"));
        return false;
    }
    let got = (body["id"].as_i64().unwrap(), body["order_no"].as_i64().unwrap());
    match a.orders.insert(key.to_string(), Some(got)) {
        Some(Some(before)) if before != got => {
            a.errors.push(format!("order {key} acknowledged as {before:?}, later answered {got:?}"));
        }
        _ => {}
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn power_cuts_under_load_lose_nothing_acknowledged_and_the_box_always_starts_again() {
    const TEST: &str = "the power-cut test";
    if !is_root() {
        return skip_or_fail_test(TEST, "it mounts a FUSE file system, which needs root");
    }
    if !Path::new("/dev/fuse").exists() {
        return skip_or_fail_test(TEST, "/dev/fuse is missing");
    }
    let cuts: usize = std::env::var("POWERCUT_CUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mut fs = match PowerCutFs::mount(&mnt) {
        Ok(fs) => fs,
        Err(e) => return skip_or_fail_test(TEST, &format!("the FUSE file system does not mount: {e}")),
    };
    let data = mnt.join("data");
    std::fs::create_dir(&data).unwrap();
    // The empty data directory is there before the box is ever started.
    fs.sync_all();

    if let Some(why) = unavailable() {
        return skip_or_fail_test(TEST, &why);
    }
    // The chain's hub, which the box uploads to all along.
    let pg = Postgres::start();
    let redis = Redis::start();
    let db = pg.url();
    hub_cli(&["migrate", "--database-url", &db], &[]);
    let token = hub_cli(&["box", "add", "--store", "demo", "--name", "A", "--database-url", &db], &[]);
    let hub_port = free_port();
    let _hub_server = hub_process(hub_port, &db, &redis.url());
    let hub = (format!("http://127.0.0.1:{hub_port}"), token.trim().to_string());

    let printer = FakePrinter::start().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let mut server = start(&data, &listen, &hub);
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let admin = login_admin(&client, &base).await;
    // Every station prints on the fake printer.
    let stations: Value = get_json(&client, format!("{base}/api/v1/admin/stations"), &admin).await;
    for s in stations.as_array().unwrap() {
        let r = client
            .patch(format!("{base}/api/v1/admin/stations/{}", s["id"]))
            .bearer_auth(&admin)
            .json(&json!({"printer": {"host": "127.0.0.1", "port": printer.port}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let mut tables = Vec::new();
    for n in 1..=4 {
        tables.push(login_table(&client, &base, n).await);
    }
    let items = menu_items(&client, &base, &tables[0]).await;
    let photo = crate::helpers::photo(320, 240, image::ImageFormat::Jpeg);
    let acked = Arc::new(Mutex::new(Acked::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();

    for cut in 0..cuts {
        let running = Arc::new(AtomicBool::new(true));
        let mut load = Vec::new();
        // Tablets: new orders, and the ones whose answer never came, again with their key.
        for (t, token) in tables.iter().enumerate() {
            let (client, base, token, items, acked, running, next) = (
                client.clone(),
                base.clone(),
                token.clone(),
                items.clone(),
                acked.clone(),
                running.clone(),
                next.clone(),
            );
            load.push(tokio::spawn(async move {
                while running.load(Ordering::Relaxed) {
                    let unanswered = {
                        let a = acked.lock().unwrap();
                        let mine = format!("t{t}-");
                        a.orders.iter().find(|(k, v)| v.is_none() && k.starts_with(&mine)).map(|(k, _)| k.clone())
                    };
                    let key = unanswered.unwrap_or_else(|| {
                        let key = format!("t{t}-{}", next.fetch_add(1, Ordering::Relaxed));
                        acked.lock().unwrap().orders.insert(key.clone(), None);
                        key
                    });
                    order(&client, &base, &token, &key, &items, &acked).await;
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            }));
        }
        // Staff: the oldest waiting orders move on.
        load.push(tokio::spawn({
            let (client, base, admin, acked, running) =
                (client.clone(), base.clone(), admin.clone(), acked.clone(), running.clone());
            async move {
                while running.load(Ordering::Relaxed) {
                    let Ok(r) = client
                        .get(format!("{base}/api/v1/admin/orders?status=pending"))
                        .bearer_auth(&admin)
                        .send()
                        .await
                    else {
                        break;
                    };
                    if r.status().is_server_error() {
                        acked.lock().unwrap().errors.push(format!("orders list: {}", r.status()));
                    }
                    let list: Value = r.json().await.unwrap_or(Value::Null);
                    for o in list.as_array().into_iter().flatten().take(3) {
                        let r = client
                            .patch(format!("{base}/api/v1/admin/orders/{}", o["id"]))
                            .bearer_auth(&admin)
                            .json(&json!({"status": "preparing"}))
                            .send()
                            .await;
                        if let Ok(r) = r
                            && r.status().is_server_error()
                        {
                            acked.lock().unwrap().errors.push(format!("status change: {}", r.status()));
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
        // The owner: a photo, a backup, and every fifth round the day's close.
        load.push(tokio::spawn({
            let (client, base, admin, acked, photo) =
                (client.clone(), base.clone(), admin.clone(), acked.clone(), photo.clone());
            let item = items[cut % items.len()].0;
            async move {
                let r = client
                    .put(format!("{base}/api/v1/admin/menu-items/{item}/image"))
                    .bearer_auth(&admin)
                    .header("content-type", "image/jpeg")
                    .body(photo)
                    .send()
                    .await;
                if let Ok(r) = r {
                    let mut a = acked.lock().unwrap();
                    match r.status() {
                        s if s.is_success() => {
                            a.photos.insert(item);
                        }
                        s => a.errors.push(format!("photo: {s}")),
                    }
                }
                let r = client
                    .post(format!("{base}/api/v1/admin/backups"))
                    .bearer_auth(&admin)
                    .json(&json!({}))
                    .send()
                    .await;
                if let Ok(r) = r {
                    let s = r.status();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    let mut a = acked.lock().unwrap();
                    if s.is_success() {
                        a.backups.push(body["name"].as_str().unwrap_or_default().to_string());
                    } else {
                        a.errors.push(format!("backup: {s} {body}"));
                    }
                }
                if cut % 5 == 4 {
                    let r = client
                        .post(format!("{base}/api/v1/admin/days/close"))
                        .bearer_auth(&admin)
                        .json(&json!({"counted_cash": 0, "force": true, "reason": "power-cut test"}))
                        .send()
                        .await;
                    if let Ok(r) = r {
                        let s = r.status();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        let mut a = acked.lock().unwrap();
                        if s.is_success() {
                            a.days.insert(
                                body["id"].as_i64().or(body["day"]["id"].as_i64()).unwrap_or(-1),
                                body["net"].as_i64().unwrap_or(-1),
                            );
                        } else {
                            a.errors.push(format!("day close: {s} {body}"));
                        }
                    }
                }
            }
        }));

        // Some time under load (between 0.2 and 1.9 s: some rounds end mid-photo or
        // mid-backup, others after them), then the power goes: the box is
        // frozen first so that it writes nothing more, the unsynced data is dropped, and
        // the box dies with it.
        tokio::time::sleep(Duration::from_millis(200 + (cut as u64 * 337) % 1700)).await;
        let pid = server.child.id();
        signal(pid, "STOP");
        wait_stopped(pid);
        fs.cut();
        signal(pid, "KILL");
        let _ = server.child.wait();
        running.store(false, Ordering::Relaxed);
        for l in load {
            let _ = l.await;
        }
        drop(server);
        fs.restore_power().expect("the file system mounts again");
        // The box boots on what is left.
        server = start(&data, &listen, &hub);
        let h = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(h.status(), StatusCode::OK, "after cut {cut}: {}", server.log());
    }
    let cut_time = started.elapsed();

    // Every order whose answer never came is sent again until it is answered.
    let pending: Vec<String> =
        acked.lock().unwrap().orders.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k.clone()).collect();
    for key in &pending {
        let t: usize = key[1..key.find('-').unwrap()].parse().unwrap();
        assert!(order(&client, &base, &tables[t], key, &items, &acked).await, "order {key} again");
    }
    // Every acknowledged order answers again with the same order (exactly once).
    let all: Vec<(String, (i64, i64))> =
        acked.lock().unwrap().orders.iter().map(|(k, v)| (k.clone(), v.expect("answered"))).collect();
    for (key, _) in &all {
        let t: usize = key[1..key.find('-').unwrap()].parse().unwrap();
        assert!(order(&client, &base, &tables[t], key, &items, &acked).await, "order {key} replayed");
    }
    let a = {
        let a = acked.lock().unwrap();
        Acked {
            orders: BTreeMap::new(),
            photos: a.photos.clone(),
            backups: a.backups.clone(),
            days: a.days.clone(),
            errors: a.errors.clone(),
        }
    };
    assert!(a.errors.is_empty(), "errors under power cuts:\n{}", a.errors.join("\n"));
    assert!(all.len() > cuts * 2, "only {} orders in {cuts} cuts", all.len());

    // Photos: each acknowledged one is on the menu and its picture is served whole.
    let menu: Value = get_json(&client, format!("{base}/api/v1/menu"), &tables[0]).await;
    let menu_items: Vec<&Value> =
        menu["categories"].as_array().unwrap().iter().flat_map(|c| c["items"].as_array().unwrap().iter()).collect();
    for id in &a.photos {
        let item = menu_items.iter().find(|i| i["id"] == *id).unwrap();
        for field in ["image_url", "card_image_url"] {
            let url = item[field].as_str().unwrap_or_else(|| panic!("item {id} lost its photo ({field})"));
            let r = client.get(format!("{base}{url}")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{url}");
            image::load_from_memory(&r.bytes().await.unwrap()).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    // Backups: every acknowledged one is listed, and every listed one restores.
    let list: Value = get_json(&client, format!("{base}/api/v1/admin/backups"), &admin).await;
    let listed: Vec<String> =
        list.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap().to_string()).collect();
    for name in a.backups.iter().rev().take(3) {
        // The newest ones (older ones may have been pruned, as the box keeps a few).
        assert!(listed.contains(name), "backup {name} was acknowledged but is gone: {listed:?}");
    }
    for name in &listed {
        let bytes = client
            .get(format!("{base}/api/v1/admin/backups/{name}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let copy = tmp.path().join(name);
        std::fs::write(&copy, &bytes).unwrap();
        let conn = rusqlite::Connection::open(&copy).unwrap();
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok", "backup {name}");
        let orders: i64 = conn.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).unwrap();
        assert!(orders >= 0);
    }

    // Closed days stay closed, with the figures they were closed with.
    let days: Value =
        get_json(&client, format!("{base}/api/v1/admin/days?from=2000-01-01&to=2100-01-01"), &admin).await;
    for (id, net) in &a.days {
        let d = days
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == *id)
            .unwrap_or_else(|| panic!("day {id} is gone: {days}"));
        assert!(d["closed_at"].is_string(), "day {id} was closed: {d}");
        let report: Value = get_json(&client, format!("{base}/api/v1/admin/days/{id}/report"), &admin).await;
        assert_eq!(report["net"].as_i64(), Some(*net), "day {id}'s report changed");
    }

    // The kitchen: every acknowledged order's ticket came out (a reprint may say 재출력).
    let deadline = Instant::now() + Duration::from_secs(60);
    let want: BTreeSet<i64> = all.iter().map(|(_, (_, no))| *no).collect();
    loop {
        let printed: BTreeSet<i64> = printer
            .complete(Encoding::Cp949)
            .iter()
            .flat_map(|p| p.lines.iter())
            .filter_map(|l| l.text.strip_prefix("주문 #"))
            .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
            .collect();
        let missing: Vec<&i64> = want.difference(&printed).collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "tickets never printed for orders {missing:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let orders = all.len();
    let (photos, backups, days_closed) = (a.photos.len(), a.backups.len(), a.days.len());

    // The hub: every order once (the box sends again what a cut left unconfirmed; the hub
    // keeps each event once).
    let want: BTreeSet<i64> = all.iter().map(|(_, (id, _))| *id).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let at_hub: BTreeSet<i64> = pg
            .query("SELECT order_id FROM orders WHERE store_id = 'demo'")
            .iter()
            .map(|l| l.parse().unwrap())
            .collect();
        if at_hub == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the hub has {} orders, the box {} (missing {:?}, unknown {:?})",
            at_hub.len(),
            want.len(),
            want.difference(&at_hub).take(10).collect::<Vec<_>>(),
            at_hub.difference(&want).take(10).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let dup =
        pg.one("SELECT count(*) FROM (SELECT event_id FROM events GROUP BY box_id, event_id HAVING count(*) > 1) d");
    assert_eq!(dup, "0", "events twice at the hub");

    // The database: whole, and each acknowledged order once, with the id it was given.
    server.terminate();
    assert!(server.wait_exit(Duration::from_secs(10)).success());
    let in_db = orders_by_key(&data.join("tableorder.db"));
    for (key, (id, _)) in &all {
        assert_eq!(in_db.get(key).map(|o| o.0), Some(*id), "order {key}");
    }
    assert_eq!(in_db.len(), all.len(), "orders in the database that nobody asked for");
    let c = fs.counts();
    println!(
        "{cuts} power cuts in {cut_time:?}: {orders} orders, {photos} photos, {backups} backups, {days_closed} days \
         closed, all kept; the cuts dropped unsynced data of {} files and {} directories; {} file and {} directory syncs",
        c.lost_files, c.lost_entries, c.file_syncs, c.dir_syncs
    );
    let lost = fs.lost_paths();
    println!("unsynced data the cuts threw away, by file: {lost:?}");
    // Only SQLite's own files (its write-ahead log replays whatever a cut mid-checkpoint
    // took from the database; its shared-memory index is rebuilt at open) and temporary
    // files never renamed into place (removed at the next start) may lose data in a cut:
    // every other file the box writes is synced before anything points at it.
    for path in lost.keys() {
        let name = path.rsplit('/').next().unwrap_or_default();
        assert!(
            name.starts_with("tableorder.db") || name.starts_with(".partial-") || path.starts_with("(unlinked"),
            "{path} lost unsynced data"
        );
    }
    // And no temporary file outlives the start after the cut.
    let leftovers: Vec<_> = std::fs::read_dir(data.join("backups"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".partial-"))
        .map(|e| e.file_name())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
