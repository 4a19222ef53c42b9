//! Signed releases: `scripts/sign-release.sh` signs with Debian's minisign, and
//! `tableorder update verify` accepts only a release signed by a trusted key, for this kind of
//! board, and newer than the binary that checks it (unless going back on purpose).

use crate::proc::{BIN, base_command, run_within, skip_or_fail_test, text};
use crate::support::releases::{Group, Keys, here, keypair, keys, real_release, script_release, sign, signed};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn verify(binary: &Path, key: &Path, extra: &[&str]) -> Output {
    let mut cmd = base_command(BIN);
    cmd.args(["update", "verify", "--binary"]).arg(binary).arg("--public-key").arg(key).args(extra);
    run_within(cmd, Duration::from_secs(30))
}

#[test]
fn only_a_newer_release_signed_by_a_trusted_key_for_this_board_is_accepted() {
    if Command::new("minisign").arg("-v").output().is_err() {
        return skip_or_fail_test("the signed-release test", "minisign is missing (apt-get install minisign)");
    }
    let dir = tempfile::tempdir().unwrap();
    let (public, secret) = keypair(dir.path(), "release");
    let (_, stranger) = keypair(dir.path(), "stranger");
    let here = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let other =
        if std::env::consts::ARCH == "aarch64" { "x86_64-unknown-linux-gnu" } else { "aarch64-unknown-linux-gnu" };
    let running = env!("CARGO_PKG_VERSION");
    let next = "99.0.0";
    // What the release contains does not matter to `verify`, its signature does.
    let bin = &dir.path().join("tableorder");
    std::fs::write(bin, vec![0x7f; 1 << 20]).unwrap();

    let good = sign(&secret, &dir.path().join("good"), bin, &here, next);
    let o = verify(&good, &public, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), format!("release {next} for {here}: signature good"));

    let refused = |o: Output, why: &str| {
        assert!(!o.status.success(), "accepted: {}", text(&o.stdout));
        let e = text(&o.stderr);
        assert!(e.contains("release refused") && e.contains(why), "{why}: {e}");
    };
    // Signed by a key the box does not trust.
    refused(
        verify(&sign(&stranger, &dir.path().join("s"), bin, &here, next), &public, &[]),
        "not signed by a trusted key",
    );
    // For another board.
    refused(verify(&sign(&secret, &dir.path().join("o"), bin, other, next), &public, &[]), "this box is");
    // Not newer: refused, unless asked for as a rollback.
    let old = sign(&secret, &dir.path().join("old"), bin, &here, "0.0.1");
    refused(verify(&old, &public, &[]), "not newer");
    assert!(verify(&old, &public, &["--rollback"]).status.success());
    refused(verify(&sign(&secret, &dir.path().join("same"), bin, &here, running), &public, &[]), "not newer");
    // Changed after signing (one byte of the binary), or its trusted comment edited.
    let tampered = dir.path().join("tampered");
    let mut bytes = std::fs::read(&good).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&tampered, &bytes).unwrap();
    std::fs::copy(format!("{}.minisig", good.display()), format!("{}.minisig", tampered.display())).unwrap();
    refused(verify(&tampered, &public, &[]), "changed since it was signed");
    let sig = std::fs::read_to_string(format!("{}.minisig", good.display())).unwrap();
    let edited = dir.path().join("edited");
    std::fs::copy(&good, &edited).unwrap();
    std::fs::write(format!("{}.minisig", edited.display()), sig.replace(next, "100.0.0")).unwrap();
    refused(verify(&edited, &public, &[]), "changed since it was signed");
    // No key at all: said so (this build has none built in).
    let mut cmd = base_command(BIN);
    cmd.args(["update", "verify", "--binary"]).arg(&good);
    let o = run_within(cmd, Duration::from_secs(30));
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("no trusted release key"), "{}", text(&o.stderr));
}

// ---------------------------------------------------------------------------------------
// Installing and switching, with the real binary
// ---------------------------------------------------------------------------------------

use crate::faults::{free_port, login_admin, login_table, menu_items, orders_by_key};
use crate::proc::Server;
use reqwest::Client;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const PROBATION: &str = "3";

/// A box under test load: no order or login limits, no scheduled backups.
const NO_LIMITS: [(&str, &str); 5] = [
    ("TABLEORDER_ORDERS_PER_MINUTE", "0"),
    ("TABLEORDER_MAX_ACTIVE_ORDERS", "0"),
    ("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0"),
    ("TABLEORDER_LOGINS_PER_MINUTE", "0"),
    ("TABLEORDER_BACKUP_INTERVAL_HOURS", "0"),
];

fn start_box(data: &Path, keys: &Keys) -> (Server, Group) {
    let mut cmd = base_command(BIN);
    cmd.arg("serve")
        .args(["--demo", "--no-mdns", "--listen", &format!("127.0.0.1:{}", free_port()), "--data-dir"])
        .arg(data)
        .args(["--update-public-keys", &keys.public, "--update-probation-secs", PROBATION])
        .args(["--max-staff-streams", "200"])
        .envs(NO_LIMITS)
        .process_group(0);
    let server = Server::spawn(cmd);
    let group = Group(server.child.id());
    (server, group)
}

async fn version(client: &Client, base: &str) -> Option<String> {
    let r = client.get(format!("{base}/healthz")).send().await.ok()?;
    let v: Value = r.json().await.ok()?;
    v["version"].as_str().map(String::from)
}

/// Waits (at most `limit`) until the box answers as `want`.
async fn wait_version(client: &Client, base: &str, want: &str, limit: Duration) -> Duration {
    let t = Instant::now();
    loop {
        if version(client, base).await.as_deref() == Some(want) {
            return t.elapsed();
        }
        assert!(t.elapsed() < limit, "the box did not answer as {want} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn update_status(client: &Client, base: &str, admin: &str) -> Value {
    let r = client.get(format!("{base}/api/v1/admin/system/update")).bearer_auth(admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The trail's `update_applied` rows, newest first.
async fn update_audit(client: &Client, base: &str, admin: &str) -> Vec<Value> {
    let r =
        client.get(format!("{base}/api/v1/admin/audit?kind=update_applied")).bearer_auth(admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

/// Waits until the update state is `want`; answers the status.
async fn wait_state(client: &Client, base: &str, admin: &str, want: &str, limit: Duration) -> Value {
    let t = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/api/v1/admin/system/update")).bearer_auth(admin).send().await
            && let Ok(v) = r.json::<Value>().await
            && v["state"] == want
        {
            return v;
        }
        assert!(t.elapsed() < limit, "update state not {want} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn upload(client: &Client, base: &str, admin: &str, rel: &(PathBuf, PathBuf), when: &str) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .part("binary", reqwest::multipart::Part::bytes(std::fs::read(&rel.0).unwrap()).file_name("tableorder"))
        .part("signature", reqwest::multipart::Part::bytes(std::fs::read(&rel.1).unwrap()))
        .text("when", when.to_string());
    let r = client
        .post(format!("{base}/api/v1/admin/system/update"))
        .bearer_auth(admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A client that finds the door shut: every connection refused is counted.
fn refused(e: &reqwest::Error) -> bool {
    e.is_connect()
}

/// Probes `/healthz` every 50 ms until stopped; counts refused connections.
fn prober(
    client: Client,
    base: String,
    stop: Arc<AtomicBool>,
    refusals: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            if let Err(e) = client.get(format!("{base}/healthz")).send().await
                && refused(&e)
            {
                refusals.fetch_add(1, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

#[test]
fn a_refused_release_changes_nothing_and_says_why() {
    let Some(keys) = keys() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let (server, _group) = start_box(&data, &keys);
    let base = server.url("");
    let running = env!("CARGO_PKG_VERSION");
    let other =
        if std::env::consts::ARCH == "aarch64" { "x86_64-unknown-linux-gnu" } else { "aarch64-unknown-linux-gnu" };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let admin = login_admin(&client, &base).await;
        let cases = [
            // Signed by a key the box does not trust.
            (
                {
                    let script = "#!/bin/sh\necho tableorder 9.0.0\n";
                    signed(&rels, &keys, &keys.stranger, script.as_bytes(), "stranger", "9.0.0", &here())
                },
                "bad_signature",
            ),
            // For another board.
            (script_release(&rels, &keys, "9.0.0", "9.0.0", other, "exit 0"), "wrong_target"),
            // Not the version its signature names.
            (script_release(&rels, &keys, "9.0.0", "9.1.0", &here(), "exit 0"), "bad_signature"),
            // Older than what runs, and the same.
            (script_release(&rels, &keys, "0.0.1", "0.0.1", &here(), "exit 0"), "not_newer"),
            (script_release(&rels, &keys, running, running, &here(), "exit 0"), "not_newer"),
        ];
        for (rel, code) in &cases {
            let (status, body) = upload(&client, &base, &admin, rel, "now").await;
            assert_eq!((status, body["error"]["code"].as_str()), (422, Some(*code)), "{body}");
            assert!(body["error"]["message"].as_str().unwrap().starts_with("release refused: "), "{body}");
        }
        // A signature that is not one.
        let garbage = (cases[1].0.0.clone(), {
            let p = rels.join("garbage.minisig");
            std::fs::write(&p, "untrusted comment: x\nnot base64\n").unwrap();
            p
        });
        let (status, body) = upload(&client, &base, &admin, &garbage, "now").await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("bad_signature")), "{body}");
        // Nothing changed: nothing installed, nothing pending, the same version answering.
        let st = update_status(&client, &base, &admin).await;
        assert_eq!((st["state"].as_str(), st["current"].as_str()), (Some("idle"), Some(running)), "{st}");
        assert_eq!(st["previous"], Value::Null);
        let installed: Vec<String> = std::fs::read_dir(data.join("releases"))
            .map(|d| {
                d.flatten().filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().to_string()).collect()
            })
            .unwrap_or_default();
        assert!(installed.is_empty(), "installed: {installed:?}");
        assert_eq!(version(&client, &base).await.as_deref(), Some(running));
        // Staff other than the box owner may not update it.
        let server_login = client
            .post(format!("{base}/api/v1/auth/admin/login"))
            .json(&json!({"store_id": "demo", "username": "manager", "password": "demo1234"}))
            .send()
            .await
            .unwrap();
        let manager = server_login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
        let (status, _) = upload(&client, &base, &manager, &cases[3].0, "now").await;
        assert_eq!(status, 403);
        // Nothing was applied, so the trail has no update in it.
        assert_eq!(update_audit(&client, &base, &admin).await, Vec::<Value>::new());
    });
}

#[derive(Default)]
struct Load {
    /// Acknowledged orders: key → order id.
    acked: BTreeMap<String, i64>,
    /// (when acknowledged, how long it took from the first try).
    latencies: Vec<(Instant, Duration)>,
    errors: Vec<String>,
    retried: usize,
}

/// One tablet: orders until stopped, every order retried with its key until answered.
async fn tablet(
    (client, base): (Client, String),
    token: String,
    t: usize,
    items: Vec<(i64, i64)>,
    stop: Arc<AtomicBool>,
    load: Arc<Mutex<Load>>,
    refusals: Arc<AtomicUsize>,
) {
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let key = format!("t{t}-{i}");
        let body = json!({"items": [{"menu_item_id": items[i % items.len()].0, "quantity": 1}]});
        let first = Instant::now();
        loop {
            let r = client
                .post(format!("{base}/api/v1/orders"))
                .bearer_auth(&token)
                .header("idempotency-key", &key)
                .json(&body)
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => {
                    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
                    let mut l = load.lock().unwrap();
                    if let Some(before) = l.acked.insert(key.clone(), id)
                        && before != id
                    {
                        l.errors.push(format!("{key} acknowledged as {before}, then {id}"));
                    }
                    l.latencies.push((Instant::now(), first.elapsed()));
                    break;
                }
                Ok(r) => {
                    let s = r.status();
                    let text = r.text().await.unwrap_or_default();
                    load.lock().unwrap().errors.push(format!("{key}: {s} {text}"));
                    break;
                }
                Err(e) => {
                    if refused(&e) {
                        refusals.fetch_add(1, Ordering::Relaxed);
                    }
                    load.lock().unwrap().retried += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// What one staff stream saw: every event id, and the orders announced.
#[derive(Default, Clone)]
struct Seen {
    ids: Vec<i64>,
    orders: Vec<i64>,
    reconnects: usize,
    resyncs: usize,
}

/// One staff stream: reads until stopped, resuming with `Last-Event-ID` whenever it ends.
async fn stream(port: u16, token: String, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>, refusals: Arc<AtomicUsize>) {
    let mut last: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        let mut s =
            match crate::support::client::stream_request(port, "/api/v1/admin/events", &token, last.as_deref()).await {
                Ok(s) => s,
                Err(e) => {
                    if e.kind() == std::io::ErrorKind::ConnectionRefused {
                        refusals.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
        crate::support::client::read_frames(&mut s, &stop, None, |f| {
            let mut id = None;
            let mut event = "";
            let mut data = "";
            for line in f.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.trim().parse::<i64>().ok();
                } else if let Some(v) = line.strip_prefix("event: ") {
                    event = v.trim();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = v;
                }
            }
            let mut s = seen.lock().unwrap();
            if event == "resync" {
                s.resyncs += 1;
            }
            // `hello` repeats the id a stream starts or resumes from.
            if let Some(id) = id
                && event != "hello"
            {
                s.ids.push(id);
                if event == "order_created" {
                    s.orders.push(serde_json::from_str::<Value>(data).unwrap()["id"].as_i64().unwrap());
                }
            }
            if let Some(id) = id {
                last = Some(id.to_string());
            }
        })
        .await;
        seen.lock().unwrap().reconnects += 1;
    }
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get((v.len() * 99).div_ceil(100).saturating_sub(1)).copied().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_under_load_refuses_no_one_loses_no_order_and_every_stream_resumes() {
    let Some(keys) = keys() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let old = env!("CARGO_PKG_VERSION");
    let new = "77.0.0";
    let rel = real_release(&rels, &keys, new);
    let (server, _group) = start_box(&data, &keys);
    let (port, base) = (server.port, server.url(""));
    let client = Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(0).build().unwrap();
    let admin = login_admin(&client, &base).await;
    let mut tablets = Vec::new();
    for n in 1..=8 {
        tablets.push(login_table(&client, &base, n).await);
    }
    let items = menu_items(&client, &base, &tablets[0]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_streams = Arc::new(AtomicBool::new(false));
    let refusals = Arc::new(AtomicUsize::new(0));
    let load = Arc::new(Mutex::new(Load::default()));
    // 100 staff screens watching the orders arrive.
    let mut streams = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..100 {
        let s = Arc::new(Mutex::new(Seen::default()));
        seen.push(s.clone());
        streams.push(tokio::spawn(stream(port, admin.clone(), stop_streams.clone(), s, refusals.clone())));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Eight tablets ordering all along (keep-alive connections, as browsers hold them).
    let tablet_client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut tasks = Vec::new();
    for (t, token) in tablets.iter().enumerate() {
        tasks.push(tokio::spawn(tablet(
            (tablet_client.clone(), base.clone()),
            token.clone(),
            t,
            items.clone(),
            stop.clone(),
            load.clone(),
            refusals.clone(),
        )));
    }
    let probe = prober(client.clone(), base.clone(), stop.clone(), refusals.clone());
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The owner applies the update from the command line while all this goes on.
    let asked = Instant::now();
    let out = crate::proc::tableorder_async(vec![
        "update".into(),
        "apply".into(),
        rel.0.display().to_string(),
        "--signature".into(),
        rel.1.display().to_string(),
        "--data-dir".into(),
        data.display().to_string(),
        "--update-public-keys".into(),
        keys.public.clone(),
    ])
    .await;
    assert!(out.status.success(), "update apply: {}", text(&out.stderr));
    let installed = asked.elapsed();
    let switched_after = wait_version(&client, &base, new, Duration::from_secs(30)).await;
    let switched_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Kept after its probation.
    let st = wait_state(&client, &base, &admin, "idle", Duration::from_secs(20)).await;
    assert_eq!((st["current"].as_str(), st["previous"].as_str()), (Some(new), Some(old)), "{st}");
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    probe.await.unwrap();

    let l = std::mem::take(&mut *load.lock().unwrap());
    assert!(l.errors.is_empty(), "orders refused or failed: {:?}", l.errors);
    // Orders answered from a second before the switch began to a second after it ended.
    let window: Vec<Duration> = l
        .latencies
        .iter()
        .filter(|(at, _)| {
            *at + Duration::from_secs(1) >= asked + installed && *at <= switched_at + Duration::from_secs(1)
        })
        .map(|(_, d)| *d)
        .collect();
    let worst = window.iter().max().copied().unwrap_or_default();
    println!(
        "update under load: installed in {installed:?}; from the switch request to the new release's first answer {switched_after:?}; {} orders in all, {} around the switch (p99 {:?}, worst {worst:?}); {} retried after a closed keep-alive connection; {} connections refused",
        l.acked.len(),
        window.len(),
        p99(window.clone()),
        l.retried,
        refusals.load(Ordering::Relaxed)
    );
    assert_eq!(refusals.load(Ordering::Relaxed), 0, "connections were refused during the update");
    assert!(l.acked.len() > 50, "the tablets ordered too little: {}", l.acked.len());
    // Every acknowledged order is in the database once, with the id it was given.
    let stored = orders_by_key(&data.join("tableorder.db"));
    for (key, id) in &l.acked {
        assert_eq!(stored.get(key).map(|o| o.0), Some(*id), "order {key}");
    }
    let acked_ids: BTreeSet<i64> = l.acked.values().copied().collect();

    // Every stream saw every order once, in order, across the switch.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let behind =
            seen.iter().filter(|s| !acked_ids.is_subset(&s.lock().unwrap().orders.iter().copied().collect())).count();
        if behind == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{behind} streams never saw every order");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop_streams.store(true, Ordering::Relaxed);
    for s in streams {
        s.await.unwrap();
    }
    let mut resumed = 0;
    for s in &seen {
        let s = s.lock().unwrap();
        if let Some(i) = s.ids.windows(2).position(|w| w[0] >= w[1]) {
            panic!(
                "a stream saw an event twice or out of order: {:?} (reconnects {})",
                &s.ids[i.saturating_sub(5)..(i + 6).min(s.ids.len())],
                s.reconnects
            );
        }
        let orders: BTreeSet<i64> = s.orders.iter().copied().collect();
        assert_eq!(orders.len(), s.orders.len(), "a stream saw an order twice");
        assert_eq!(s.resyncs, 0, "a stream could not resume where it was");
        resumed += usize::from(s.reconnects >= 1);
    }
    assert_eq!(resumed, 100, "every stream ended at the switch and resumed");

    // Going back on purpose: the previous release serves again, with every order.
    let out = crate::proc::tableorder_async(vec![
        "update".into(),
        "rollback".into(),
        "--data-dir".into(),
        data.display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "update rollback: {}", text(&out.stderr));
    wait_version(&client, &base, old, Duration::from_secs(30)).await;
    let st = update_status(&client, &base, &admin).await;
    assert_eq!((st["state"].as_str(), st["previous"].as_str()), (Some("idle"), Some(new)), "{st}");
    let after = orders_by_key(&data.join("tableorder.db"));
    assert!(acked_ids.iter().all(|id| after.values().any(|o| o.0 == *id)));
    let _ = server;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_that_fails_its_probation_is_rolled_back_by_itself() {
    let Some(keys) = keys() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let old = env!("CARGO_PKG_VERSION");
    let (server, _group) = start_box(&data, &keys);
    let base = server.url("");
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let admin = login_admin(&client, &base).await;
    let table = login_table(&client, &base, 1).await;
    let items = menu_items(&client, &base, &table).await;
    let stop = Arc::new(AtomicBool::new(false));
    let refusals = Arc::new(AtomicUsize::new(0));
    let probe = prober(client.clone(), base.clone(), stop.clone(), refusals.clone());
    let probation = Duration::from_secs(PROBATION.parse().unwrap());
    let cases = [
        ("50.0.0", "exit 3", "exited"),
        // Starts, holds the socket, never answers.
        ("51.0.0", "exec sleep 60", "health check"),
    ];
    for (v, body, why) in cases {
        let rel = script_release(&rels, &keys, v, v, &here(), body);
        let (status, answer) = upload(&client, &base, &admin, &rel, "now").await;
        assert_eq!(status, 202, "{answer}");
        assert_eq!((answer["version"].as_str(), answer["state"].as_str()), (Some(v), Some("pending")));
        let t = Instant::now();
        let st = wait_state(&client, &base, &admin, "rolled_back", probation + Duration::from_secs(10)).await;
        println!("release {v} ({body}) rolled back after {:?}: {}", t.elapsed(), st["last_error"]);
        assert!(st["last_error"].as_str().unwrap().contains(why), "{st}");
        assert_eq!(st["current"].as_str(), Some(old));
        assert_eq!(version(&client, &base).await.as_deref(), Some(old));
        // The box serves as before.
        let r = client
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(&table)
            .header("idempotency-key", format!("after-{v}"))
            .json(&json!({"items": [{"menu_item_id": items[0].0, "quantity": 1}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    stop.store(true, Ordering::Relaxed);
    probe.await.unwrap();
    assert_eq!(refusals.load(Ordering::Relaxed), 0, "connections were refused while going back");
    // Going back "again" would run the release that just failed: refused.
    let r =
        client.post(format!("{base}/api/v1/admin/system/update/rollback")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 409, "{}", r.text().await.unwrap());
    let _ = server;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_for_an_idle_moment_waits_for_the_last_visit_to_end() {
    let Some(keys) = keys() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let old = env!("CARGO_PKG_VERSION");
    let new = "78.0.0";
    let rel = real_release(&rels, &keys, new);
    let (server, _group) = start_box(&data, &keys);
    let base = server.url("");
    let client = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let admin = login_admin(&client, &base).await;
    let table = login_table(&client, &base, 1).await;
    let items = menu_items(&client, &base, &table).await;
    let r = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&table)
        .header("idempotency-key", "visit")
        .json(&json!({"items": [{"menu_item_id": items[0].0, "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Uploaded through the System page, for when the restaurant is quiet.
    let (status, answer) = upload(&client, &base, &admin, &rel, "idle").await;
    assert_eq!(status, 202, "{answer}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let st = update_status(&client, &base, &admin).await;
    assert_eq!(
        (st["state"].as_str(), st["pending"].as_str(), st["when"].as_str()),
        (Some("pending"), Some(new), Some("idle")),
        "{st}"
    );
    assert_eq!(version(&client, &base).await.as_deref(), Some(old), "switched while a table was open");
    // The last table leaves.
    let tables: Value = client
        .get(format!("{base}/api/v1/admin/tables"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = tables.as_array().unwrap().iter().find(|t| t["number"] == 1).unwrap()["id"].as_i64().unwrap();
    let r = client
        .post(format!("{base}/api/v1/admin/tables/{id}/end-session"))
        .bearer_auth(&admin)
        .json(&json!({"force": true, "reason": "closing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    wait_version(&client, &base, new, Duration::from_secs(20)).await;
    let st = wait_state(&client, &base, &admin, "idle", Duration::from_secs(20)).await;
    assert_eq!((st["current"].as_str(), st["previous"].as_str()), (Some(new), Some(old)), "{st}");
    // The owner goes back from the System page; the trail names who asked for each.
    let admin = login_admin(&client, &base).await;
    let r =
        client.post(format!("{base}/api/v1/admin/system/update/rollback")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    wait_version(&client, &base, old, Duration::from_secs(20)).await;
    let admin = login_admin(&client, &base).await;
    let rows = update_audit(&client, &base, &admin).await;
    let facts: Vec<(&str, &str, &str, bool)> = rows
        .iter()
        .map(|r| {
            assert!(r["staff_id"].is_i64(), "{r}");
            let d = &r["detail"];
            (
                d["from"].as_str().unwrap(),
                d["version"].as_str().unwrap(),
                d["when"].as_str().unwrap(),
                d["rollback"] == true,
            )
        })
        .collect();
    assert_eq!(facts, [(new, old, "now", true), (old, new, "idle", false)], "{rows:?}");
    let _ = server;
}

/// Socket activation as systemd does it (`systemd-socket-activate` holds the socket and
/// hands it over with `LISTEN_FDS`, as `tableorder.socket` does): the box serves on the
/// socket it was given, and an update switches releases on that same socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_handed_over_by_systemd_serves_and_stays_open_across_an_update() {
    let Some(keys) = keys() else { return };
    if Command::new("systemd-socket-activate").arg("--version").output().is_err() {
        return skip_or_fail_test(
            "the socket activation test",
            "systemd-socket-activate is missing (apt-get install systemd)",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let new = "79.0.0";
    let rel = real_release(&rels, &keys, new);
    let port = free_port();
    let mut cmd = base_command("systemd-socket-activate");
    cmd.args(["-l", &format!("127.0.0.1:{port}"), BIN, "serve", "--demo", "--no-mdns", "--data-dir"])
        .arg(&data)
        .args(["--listen", "127.0.0.1:1"]) // ignored: the socket comes from systemd
        .args(["--update-public-keys", &keys.public, "--update-probation-secs", PROBATION])
        .process_group(0);
    // systemd-socket-activate starts the program when the first connection arrives.
    let knock = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let server = Server::spawn(cmd);
    let _group = Group(server.child.id());
    knock.join().unwrap();
    assert_eq!(server.port, port, "the box serves on the socket it was given");
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    assert_eq!(version(&client, &base).await.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    let stop = Arc::new(AtomicBool::new(false));
    let refusals = Arc::new(AtomicUsize::new(0));
    let probe = prober(client.clone(), base.clone(), stop.clone(), refusals.clone());
    let out = crate::proc::tableorder_async(vec![
        "update".into(),
        "apply".into(),
        rel.0.display().to_string(),
        "--data-dir".into(),
        data.display().to_string(),
        "--update-public-keys".into(),
        keys.public.clone(),
    ])
    .await;
    assert!(out.status.success(), "update apply: {}", text(&out.stderr));
    wait_version(&client, &base, new, Duration::from_secs(30)).await;
    let admin = login_admin(&client, &base).await;
    wait_state(&client, &base, &admin, "idle", Duration::from_secs(20)).await;
    stop.store(true, Ordering::Relaxed);
    probe.await.unwrap();
    assert_eq!(refusals.load(Ordering::Relaxed), 0);
    let _ = server;
}

/// Under a real systemd (PID 1 of namespaces the test makes) running the unit and the socket
/// as the package ships them: while tablets order, the port keeps accepting when systemd
/// restarts the service (as a package upgrade does), when the box switches to a new release
/// (in the same process: systemd sees no restart, the watchdog keeps being fed), when a
/// restart goes back into that release, and when a release that exits at start, or one that
/// never answers, makes systemd restart the service, which goes back. Every acknowledged
/// order is kept, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_systemd_the_port_stays_open_across_restarts_updates_and_rollbacks() {
    use crate::support::systemd::{Systemd, host_runs_systemd, unavailable};
    let Some(keys) = keys() else { return };
    if host_runs_systemd() {
        eprintln!("skipping the systemd test: this host runs systemd itself (it boots its own only where it does not)");
        return;
    }
    if let Some(why) = unavailable() {
        return skip_or_fail_test("the systemd test", &why);
    }
    // Not under /tmp: the unit gives the service a private /tmp.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let old = env!("CARGO_PKG_VERSION");
    let new = "81.0.0";
    let rel = real_release(&rels, &keys, new);
    let port = free_port();
    let mut env = vec![
        ("TABLEORDER_DEMO", "true"),
        ("TABLEORDER_NO_MDNS", "true"),
        ("TABLEORDER_UPDATE_PUBLIC_KEYS", &keys.public),
        ("TABLEORDER_UPDATE_PROBATION_SECS", PROBATION),
        ("TABLEORDER_LOG", "info"),
    ];
    env.extend(NO_LIMITS);
    let sd = Systemd::boot(
        &dir.path().join("sd"),
        &rels.join("stripped"),
        &env,
        &[
            // As `systemctl edit tableorder.socket` would (docs/appliance.md): a test port.
            ("tableorder.socket", &format!("[Socket]\nListenStream=\nListenStream=127.0.0.1:{port}\n")),
            // No journal in the namespace: the box's log goes to a file. A short watchdog, so
            // that a release which stops feeding it is caught within the test.
            (
                "tableorder.service",
                "[Service]\nStandardOutput=append:/run/tableorder-test/service.log\nStandardError=inherit\n\
                 WatchdogSec=4s\n",
            ),
        ],
    );
    let service_log = || std::fs::read_to_string(sd.path("/run/tableorder-test/service.log")).unwrap_or_default();
    sd.ctl(&["start", "tableorder.socket", "tableorder.service"]);
    assert_eq!(sd.show("tableorder.service", "ActiveState"), "active", "{}", service_log());
    assert_eq!(sd.show("tableorder.service", "User"), "tableorder");

    let base = format!("http://127.0.0.1:{port}");
    let client = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    assert_eq!(version(&client, &base).await.as_deref(), Some(old));
    let admin = login_admin(&client, &base).await;
    let items = menu_items(&client, &base, &login_table(&client, &base, 1).await).await;
    let stop = Arc::new(AtomicBool::new(false));
    let refusals = Arc::new(AtomicUsize::new(0));
    let load = Arc::new(Mutex::new(Load::default()));
    let probe = prober(client.clone(), base.clone(), stop.clone(), refusals.clone());
    let mut tablets = Vec::new();
    for t in 1..=4 {
        let token = login_table(&client, &base, t).await;
        let io = (client.clone(), base.clone());
        tablets.push(tokio::spawn(tablet(
            io,
            token,
            t as usize,
            items.clone(),
            stop.clone(),
            load.clone(),
            refusals.clone(),
        )));
    }
    let acked = |load: &Arc<Mutex<Load>>| load.lock().unwrap().acked.len();
    let ordering_goes_on = |load: Arc<Mutex<Load>>| async move {
        let before = acked(&load);
        let t = Instant::now();
        while acked(&load) < before + 8 {
            assert!(t.elapsed() < Duration::from_secs(30), "orders stopped being taken");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    ordering_goes_on(load.clone()).await;

    // 1. systemd restarts the service, as a package upgrade does.
    let pid = sd.show("tableorder.service", "MainPID");
    let t = Instant::now();
    sd.ctl(&["restart", "tableorder.service"]);
    println!("systemctl restart took {:?}", t.elapsed());
    assert_ne!(sd.show("tableorder.service", "MainPID"), pid, "a new process serves");
    ordering_goes_on(load.clone()).await;

    // 2. An update switches releases in the same process: no restart for systemd.
    let pid = sd.show("tableorder.service", "MainPID");
    let restarts = sd.show("tableorder.service", "NRestarts");
    let (status, answer) = upload(&client, &base, &admin, &rel, "now").await;
    assert_eq!(status, 202, "{answer}");
    let took = wait_version(&client, &base, new, Duration::from_secs(60)).await;
    println!("the new release answered {took:?} after the upload");
    let st = wait_state(&client, &base, &admin, "idle", Duration::from_secs(30)).await;
    assert_eq!((st["current"].as_str(), st["previous"].as_str()), (Some(new), Some(old)), "{st}");
    assert_eq!(sd.show("tableorder.service", "MainPID"), pid, "the switch is an exec, not a restart");
    assert_eq!(sd.show("tableorder.service", "NRestarts"), restarts);
    assert_eq!(sd.show("tableorder.service", "ActiveState"), "active", "{}", service_log());
    ordering_goes_on(load.clone()).await;
    // The new release feeds the watchdog it inherited: twice its period later, still the
    // same process.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(sd.show("tableorder.service", "MainPID"), pid, "{}", service_log());
    assert_eq!(sd.show("tableorder.service", "NRestarts"), restarts);

    // 3. A restart starts the packaged binary, which goes on into the installed release.
    sd.ctl(&["restart", "tableorder.service"]);
    assert_eq!(version(&client, &base).await.as_deref(), Some(new));
    ordering_goes_on(load.clone()).await;

    // 4. A release that exits at start: systemd restarts the service, and that start goes back.
    let failing = "82.0.0";
    let rel = script_release(&rels, &keys, failing, failing, &here(), "exit 3");
    let (status, answer) = upload(&client, &base, &admin, &rel, "now").await;
    assert_eq!(status, 202, "{answer}");
    let probation = Duration::from_secs(PROBATION.parse().unwrap());
    let t = Instant::now();
    let st = wait_state(&client, &base, &admin, "rolled_back", probation + Duration::from_secs(10)).await;
    println!("release {failing} rolled back after {:?}: {}", t.elapsed(), st["last_error"]);
    assert_eq!((st["current"].as_str(), st["previous"].as_str()), (Some(new), Some(failing)), "{st}");
    // Told by systemd to the unit's ExecStopPost.
    assert!(st["last_error"].as_str().is_some_and(|e| e.contains("exited with status 3")), "{st}");
    assert_eq!(version(&client, &base).await.as_deref(), Some(new));
    assert!(
        sd.show("tableorder.service", "NRestarts").parse::<u32>().unwrap() > restarts.parse::<u32>().unwrap(),
        "systemd restarted the service"
    );
    ordering_goes_on(load.clone()).await;

    // 5. A release that starts and never answers: its guard stops it once probation is over
    //    (3 s), or systemd's watchdog (4 s) kills it, whichever comes first; systemd restarts
    //    the service, and that start goes back.
    let hanging = "83.0.0";
    let rel = script_release(&rels, &keys, hanging, hanging, &here(), "exec sleep 60");
    let (status, answer) = upload(&client, &base, &admin, &rel, "now").await;
    assert_eq!(status, 202, "{answer}");
    let t = Instant::now();
    let st = wait_state(&client, &base, &admin, "rolled_back", probation + Duration::from_secs(10)).await;
    println!("release {hanging} rolled back after {:?}: {}", t.elapsed(), st["last_error"]);
    assert_eq!((st["current"].as_str(), st["previous"].as_str()), (Some(new), Some(hanging)), "{st}");
    let why = st["last_error"].as_str().unwrap_or_default();
    assert!(why.contains("health check") || why.contains("watchdog"), "{st}");
    assert_eq!(version(&client, &base).await.as_deref(), Some(new));
    ordering_goes_on(load.clone()).await;

    stop.store(true, Ordering::Relaxed);
    for t in tablets {
        t.await.unwrap();
    }
    probe.await.unwrap();
    sd.ctl(&["stop", "tableorder.service"]);
    let load = load.lock().unwrap();
    assert!(load.errors.is_empty(), "orders answered with errors: {:?}", load.errors);
    assert_eq!(refusals.load(Ordering::Relaxed), 0, "connections were refused:\n{}", service_log());
    let stored = orders_by_key(&dir.path().join("sd/data/tableorder.db"));
    for (key, id) in &load.acked {
        assert_eq!(stored.get(key).map(|o| o.0), Some(*id), "acknowledged order {key} is not stored as {id}");
    }
    println!("{} orders acknowledged and kept once, {} tries repeated, 0 refused", load.acked.len(), load.retried);
}

// ---------------------------------------------------------------------------------------
// Rollouts from the chain's hub
// ---------------------------------------------------------------------------------------

/// A box linked to the hub, with the release key, in its own process group.
fn linked_box(data: &Path, keys: &Keys, hub: &str, token: &str, demo: bool) -> (Server, Group) {
    let mut cmd = base_command(BIN);
    cmd.arg("serve")
        .args(["--no-mdns", "--listen", &format!("127.0.0.1:{}", free_port()), "--data-dir"])
        .arg(data)
        .args(["--update-public-keys", &keys.public, "--update-probation-secs", PROBATION])
        .args(["--hub-url", hub, "--hub-token", token])
        .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0")
        .process_group(0);
    if demo {
        cmd.arg("--demo");
    }
    let server = Server::spawn(cmd);
    let group = Group(server.child.id());
    (server, group)
}

static NUDGES: AtomicUsize = AtomicUsize::new(0);

/// Something for the box to upload now (a new category: a `menu_changed` event), so that
/// it talks to the hub without waiting for its heartbeat.
async fn nudge(client: &Client, base: &str, admin: &str) {
    let r = client
        .post(format!("{base}/api/v1/admin/categories"))
        .bearer_auth(admin)
        .json(&json!({"name": format!("c{}", NUDGES.fetch_add(1, Ordering::Relaxed))}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_from_the_hub_updates_the_stores_it_names_stops_at_a_failure_and_hq_shows_it() {
    use crate::services::{Postgres, Redis, hub_cli, hub_process, unavailable};
    let Some(keys) = keys() else { return };
    if let Some(why) = unavailable() {
        return skip_or_fail_test("the hub rollout test", &why);
    }
    let dir = tempfile::tempdir().unwrap();
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let old = env!("CARGO_PKG_VERSION");
    let new = "80.0.0";
    let rel = real_release(&rels, &keys, new);

    let pg = Postgres::start();
    let redis = Redis::start();
    let db = pg.url();
    hub_cli(&["migrate", "--database-url", &db], &[]);
    let token_a = hub_cli(&["box", "add", "--store", "demo", "--name", "A", "--database-url", &db], &[]);
    let token_b = hub_cli(&["box", "add", "--store", "second", "--name", "B", "--database-url", &db], &[]);
    hub_cli(
        &["user", "add", "--username", "hq", "--database-url", &db],
        &[("TABLEORDER_HUB_PASSWORD", "head-office-1")],
    );
    let hub_port = free_port();
    let _hub = hub_process(hub_port, &db, &redis.url());
    let hub = format!("http://127.0.0.1:{hub_port}");

    let data_a = dir.path().join("a");
    let (box_a, _ga) = linked_box(&data_a, &keys, &hub, token_a.trim(), true);
    let data_b = dir.path().join("b");
    let mut create = base_command(BIN);
    create
        .args(["store", "create", "--id", "second", "--name", "Second", "--admin", "admin", "--data-dir"])
        .arg(&data_b)
        .env("TABLEORDER_ADMIN_PASSWORD", "demo1234");
    assert!(run_within(create, Duration::from_secs(60)).status.success());
    let (box_b, _gb) = linked_box(&data_b, &keys, &hub, token_b.trim(), false);
    let (a, b) = (box_a.url(""), box_b.url(""));
    let client = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let admin_a = login_admin(&client, &a).await;

    // The chain stores the release and rolls it out to the store "demo" only.
    let out = hub_cli(
        &[
            "release",
            "add",
            &rel.0.display().to_string(),
            "--signature",
            &rel.1.display().to_string(),
            "--database-url",
            &db,
        ],
        &[],
    );
    assert!(out.contains(&format!("release {new} for {}", here())), "{out}");
    let out = hub_cli(&["rollout", new, "--stores", "demo", "--database-url", &db], &[]);
    assert!(out.contains("assigned to box 1"), "{out}");
    nudge(&client, &a, &admin_a).await;
    // Box A fetches it, checks it with its own key, applies it (nobody is seated) and keeps it.
    wait_version(&client, &a, new, Duration::from_secs(60)).await;
    let admin_a = login_admin(&client, &a).await;
    wait_state(&client, &a, &admin_a, "idle", Duration::from_secs(30)).await;
    assert_eq!(version(&client, &b).await.as_deref(), Some(old), "box B was not in the rollout");
    // Box A's trail says the chain's hub asked for it (nobody at the store did).
    let rows = update_audit(&client, &a, &admin_a).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["staff_id"], Value::Null, "{rows:?}");
    let d = &rows[0]["detail"];
    assert_eq!((d["source"].as_str(), d["version"].as_str(), d["from"].as_str()), (Some("hub"), Some(new), Some(old)));

    // HQ sees each store's version and update state.
    let login: Value = client
        .post(format!("{hub}/hub/v1/auth/login"))
        .json(&json!({"username": "hq", "password": "head-office-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hq = login["token"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        nudge(&client, &a, &admin_a).await;
        let stores: Value =
            client.get(format!("{hub}/hub/v1/stores")).bearer_auth(&hq).send().await.unwrap().json().await.unwrap();
        let of =
            |id: &str| stores.as_array().unwrap().iter().find(|s| s["store_id"] == id).cloned().unwrap_or_default();
        let (sa, sb) = (of("demo"), of("second"));
        if sa["version"] == new && sa["update_state"] == "idle" && sb["version"] == old {
            assert_eq!(sb["update_state"], "idle", "{sb}");
            break;
        }
        assert!(Instant::now() < deadline, "HQ never showed the versions: {stores}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // A release that fails, rolled out to every box: the first box it reaches goes back by
    // itself, and the rollout stops there.
    let bad = script_release(&rels, &keys, "81.0.0", "81.0.0", &here(), "exit 3");
    hub_cli(
        &[
            "release",
            "add",
            &bad.0.display().to_string(),
            "--signature",
            &bad.1.display().to_string(),
            "--database-url",
            &db,
        ],
        &[],
    );
    // HQ's stores report, cached once the last upload has settled (no box has anything to
    // send now, and their heartbeat is 30 s away)…
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stores_now = || async {
        client.get(format!("{hub}/hub/v1/stores")).bearer_auth(&hq).send().await.unwrap().json::<Value>().await.unwrap()
    };
    let assigned = |stores: &Value| -> Vec<String> {
        stores.as_array().unwrap().iter().filter_map(|s| s["assigned_version"].as_str().map(String::from)).collect()
    };
    let before = stores_now().await;
    assert!(assigned(&before).iter().all(|v| v != "81.0.0"), "{before}");
    let out = hub_cli(&["rollout", "81.0.0", "--percent", "100", "--database-url", &db], &[]);
    assert!(out.contains("boxes 1, 2"), "{out}");
    // …shows the rollout at once: it changes what the stores show without an upload.
    let after = stores_now().await;
    assert_eq!(assigned(&after), ["81.0.0", "81.0.0"], "{after}");
    nudge(&client, &a, &admin_a).await;
    let st = wait_state(&client, &a, &admin_a, "rolled_back", Duration::from_secs(60)).await;
    assert_eq!(st["current"].as_str(), Some(new), "{st}");
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        nudge(&client, &a, &admin_a).await;
        let halted = pg.one("SELECT halted_at IS NOT NULL FROM rollouts WHERE version = '81.0.0'");
        if halted == "t" {
            break;
        }
        assert!(Instant::now() < deadline, "the rollout was never halted");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Box B, not reached yet, is no longer assigned it; box A keeps what it runs.
    assert_eq!(pg.one("SELECT coalesce(assigned_version, '-') FROM boxes WHERE name = 'B'"), "-");
    assert_eq!(version(&client, &b).await.as_deref(), Some(old));
    assert_eq!(version(&client, &a).await.as_deref(), Some(new));
    let out = hub_cli(&["release", "list", "--database-url", &db], &[]);
    assert!(out.contains("81.0.0") && out.contains("box 1"), "{out}");
}
