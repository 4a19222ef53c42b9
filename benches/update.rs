//! Switching releases under load: the real binary (release build) serves 8 tablets ordering
//! back to back and 100 staff event streams while `tableorder update apply` switches it to a
//! newer release (a copy of itself stamped with another version, signed with a key made
//! for the run), several times in a row. For each switch: how long from the request to the
//! new release's first answer, the longest time no order was answered (the pause the switch
//! makes), the longest any order waited across it, the p50/p99 of the
//! orders answered around it, connections refused (the goal is none), and the resident
//! memory of the new release once it serves.
//!
//! `cargo bench --bench update` (BENCH_SWITCHES to change the count; needs minisign).

#[path = "../tests/support/mod.rs"]
mod support;

use reqwest::Client;
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::client::{read_frames, rss_kib, sample_peak, stream_request};
use support::proc::{BIN, Server, base_command, tableorder_async};
use support::releases::{Group, keys, real_release};

async fn version(client: &Client, base: &str) -> Option<String> {
    let v: Value = client.get(format!("{base}/healthz")).send().await.ok()?.json().await.ok()?;
    v["version"].as_str().map(String::from)
}

async fn login(client: &Client, base: &str, path: &str, body: Value) -> String {
    let r: Value = client.post(format!("{base}{path}")).json(&body).send().await.unwrap().json().await.unwrap();
    r["token"].as_str().unwrap().to_string()
}

fn percentile(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v.get((v.len() * p).div_ceil(100).saturating_sub(1)).copied().unwrap_or_default()
}

/// The box's PID now: after a handover it is the same process; after a rollback by the
/// guard it would not be, so it is looked up by the port.
fn pid_on(port: u16) -> Option<u32> {
    let out = std::process::Command::new("ss").args(["-Htlnp", &format!("sport = :{port}")]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("pid=")? + 4;
    text[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(keys) = keys() else { return };
    let switches: usize = std::env::var("BENCH_SWITCHES").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rels = dir.path().join("rels");
    std::fs::create_dir_all(&rels).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = base_command(BIN);
    cmd.arg("serve")
        .args(["--demo", "--no-mdns", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&data)
        .args(["--update-public-keys", &keys.public, "--update-probation-secs", "2", "--max-staff-streams", "200"])
        .env("TABLEORDER_ORDERS_PER_MINUTE", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS", "0")
        .env("TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE", "0")
        .env("TABLEORDER_LOGINS_PER_MINUTE", "0")
        .env("TABLEORDER_BACKUP_INTERVAL_HOURS", "0")
        .process_group(0);
    let server = Server::spawn(cmd);
    let _group = Group(server.child.id());
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let admin = login(
        &client,
        &base,
        "/api/v1/auth/admin/login",
        json!({"store_id": "demo", "username": "admin", "password": "demo1234"}),
    )
    .await;
    let mut tablets = Vec::new();
    for n in 1..=8 {
        tablets.push(
            login(
                &client,
                &base,
                "/api/v1/auth/table/login",
                json!({"store_id": "demo", "table_number": n, "password": "1234"}),
            )
            .await,
        );
    }
    let menu: Value =
        client.get(format!("{base}/api/v1/menu")).bearer_auth(&tablets[0]).send().await.unwrap().json().await.unwrap();
    let item = menu["categories"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["option_groups"].as_array().unwrap().iter().all(|g| g["min"] == 0))
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicUsize::new(0));
    // (answered at, waited) of every order.
    let answered: Arc<Mutex<Vec<(Instant, Duration)>>> = Arc::default();
    for s in 0..100 {
        let (stop, refused, admin) = (stop.clone(), refused.clone(), admin.clone());
        tokio::spawn(async move {
            let mut last: Option<String> = None;
            while !stop.load(Ordering::Relaxed) {
                match stream_request(port, "/api/v1/admin/events", &admin, last.as_deref()).await {
                    Ok(mut sock) => {
                        read_frames(&mut sock, &stop, None, |f| {
                            if let Some(id) = f.lines().find_map(|l| l.strip_prefix("id: ")) {
                                last = Some(id.trim().to_string());
                            }
                        })
                        .await
                    }
                    Err(e) => {
                        if e.kind() == std::io::ErrorKind::ConnectionRefused {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        tokio::time::sleep(Duration::from_millis(20 + s % 10)).await;
                    }
                }
            }
        });
    }
    let tablet_client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    for (t, token) in tablets.iter().enumerate() {
        let (client, base, token, stop, refused, answered) =
            (tablet_client.clone(), base.clone(), token.clone(), stop.clone(), refused.clone(), answered.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let key = format!("b{t}-{i}");
                let first = Instant::now();
                loop {
                    let r = client
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(&token)
                        .header("idempotency-key", &key)
                        .json(&json!({"items": [{"menu_item_id": item, "quantity": 1}]}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            answered.lock().unwrap().push((Instant::now(), first.elapsed()));
                            break;
                        }
                        Ok(r) => panic!("order refused: {}", r.status()),
                        Err(e) => {
                            if e.is_connect() {
                                refused.fetch_add(1, Ordering::Relaxed);
                            }
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                // A busy evening: each tablet orders about 10 times a second.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The box keeps its PID across every switch (each release execs the next): its highest
    // resident memory over the whole run, the switches and the load included.
    let box_pid = pid_on(port).expect("the box's PID");
    let peak = sample_peak(box_pid, stop.clone());

    println!(
        "switch | request → new release answers | no order answered for | longest order wait | orders around it | p50 | p99 | refused | new release RSS"
    );
    for n in 1..=switches {
        let v = format!("90.0.{n}");
        let rel = real_release(&rels, &keys, &v);
        let refused_before = refused.load(Ordering::Relaxed);
        let asked = Instant::now();
        let out = tableorder_async(vec![
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
        assert!(out.status.success(), "update apply: {}", String::from_utf8_lossy(&out.stderr));
        while version(&client, &base).await.as_deref() != Some(v.as_str()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let switched = asked.elapsed();
        // Past the probation, so that the next switch starts from a kept release.
        tokio::time::sleep(Duration::from_secs(4)).await;
        let rss = pid_on(port).map(rss_kib).unwrap_or(0);
        let window: Vec<(Instant, Duration)> = answered
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, _)| *at >= asked && *at <= asked + switched + Duration::from_secs(1))
            .copied()
            .collect();
        // The pause the switch makes: the longest time without any order answered.
        let mut times: Vec<Instant> = window.iter().map(|(at, _)| *at).collect();
        times.sort();
        let pause = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default();
        let mut around: Vec<Duration> = window.iter().map(|(_, d)| *d).collect();
        let longest = around.iter().max().copied().unwrap_or_default();
        let count = around.len();
        let (p50, p99) = (percentile(&mut around, 50), percentile(&mut around, 99));
        println!(
            "{n} | {:.0} ms | {:.0} ms | {:.0} ms | {count} | {:.1} ms | {:.0} ms | {} | {:.1} MiB",
            switched.as_secs_f64() * 1000.0,
            pause.as_secs_f64() * 1000.0,
            longest.as_secs_f64() * 1000.0,
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0,
            refused.load(Ordering::Relaxed) - refused_before,
            rss as f64 / 1024.0
        );
    }
    stop.store(true, Ordering::Relaxed);
    let peak = peak.join().unwrap();
    let total = answered.lock().unwrap().len();
    println!("{total} orders in all, {} connections refused", refused.load(Ordering::Relaxed));
    println!(
        "box RSS: peak {:.1} MiB across the run, {:.1} MiB after it",
        peak as f64 / 1024.0,
        rss_kib(box_pid) as f64 / 1024.0
    );
    drop(server);
}
