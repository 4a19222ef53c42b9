//! Reliability and security of the box: lockouts, token invalidation, backups that stay
//! with their owner, a clock that steps back, writer health, slow and oversized
//! requests, bounded password hashing and the metrics an operator reads.

use crate::helpers::*;
use crate::proc::*;
use crate::sse::{Next, Sse, WAIT};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tableorder::events::{Audience, sse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn table_login(app: &TestApp, store: &str, number: i64, password: &str) -> Resp {
    app.post("/api/v1/auth/table/login", None, json!({"store_id": store, "table_number": number, "password": password}))
        .await
}

async fn admin_login(app: &TestApp, store: &str, username: &str, password: &str) -> Resp {
    app.post("/api/v1/auth/admin/login", None, json!({"store_id": store, "username": username, "password": password}))
        .await
}

fn token(r: &Resp) -> String {
    r.body["token"].as_str().unwrap_or_else(|| panic!("no token: {} {}", r.status, r.body)).to_string()
}

fn table_id(r: &Resp) -> i64 {
    r.body["table_id"].as_i64().unwrap()
}

// ---- lockout ------------------------------------------------------------------------------

#[tokio::test]
async fn only_ten_failed_logins_in_a_row_lock_an_account() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    // Nine wrong, then right: the run of failures is over.
    for _ in 0..9 {
        assert_eq!(table_login(&app, "a", 1, "0000").await.status, StatusCode::UNAUTHORIZED);
    }
    settle(&app).await;
    assert_eq!(table_login(&app, "a", 1, TABLE_PASSWORD).await.status, StatusCode::OK);
    settle(&app).await;
    // One more wrong and right again: still fine (it was "10 ever" before).
    assert_eq!(table_login(&app, "a", 1, "0000").await.status, StatusCode::UNAUTHORIZED);
    settle(&app).await;
    assert_eq!(table_login(&app, "a", 1, TABLE_PASSWORD).await.status, StatusCode::OK);
    settle(&app).await;
    // Ten in a row do lock it.
    for _ in 0..10 {
        assert_eq!(table_login(&app, "a", 1, "0000").await.status, StatusCode::UNAUTHORIZED);
    }
    settle(&app).await;
    assert_eq!(table_login(&app, "a", 1, TABLE_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_locked_account_answers_exactly_like_an_unknown_one() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    for _ in 0..tableorder::db::stores::LOCKOUT_AFTER {
        admin_login(&app, "a", "admin", "wrong-password").await;
    }
    settle(&app).await;
    let locked = admin_login(&app, "a", "admin", ADMIN_PASSWORD).await;
    let unknown = admin_login(&app, "a", "nobody", ADMIN_PASSWORD).await;
    let wrong = admin_login(&app, "a", "admin", "another-wrong").await;
    for r in [&locked, &unknown, &wrong] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.header("retry-after").is_none());
    }
    assert_eq!(locked.body, unknown.body);
    assert_eq!(wrong.body, unknown.body);
}

// ---- tokens end with a password change or a deletion -----------------------------------------

#[tokio::test]
async fn a_table_password_change_ends_the_old_token_on_every_table_route_and_its_stream() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 2).await;
    let login = table_login(&app, "a", 1, TABLE_PASSWORD).await;
    let (old, id) = (token(&login), table_id(&login));
    let other = app.table_token("a", 2).await;
    assert_eq!(app.order(&old, "before", &[(menu.stew, 1)]).await.status, StatusCode::CREATED);
    let (mut stream, _) = Sse::open(&app, "/api/v1/events", &old).await;

    let r = app.patch(&format!("/api/v1/admin/tables/{id}"), Some(&menu.admin), json!({"password": "9876"})).await;
    assert_eq!(r.status, StatusCode::OK);

    // The open stream ends at once.
    stream.assert_ends("the table's stream after its password changed").await;
    // Every table route refuses the old token; nothing is written.
    assert_eq!(app.get("/api/v1/menu", Some(&old)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/orders", Some(&old)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.order(&old, "after", &[(menu.stew, 1)]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/api/v1/calls", Some(&old), json!({})).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        Sse::try_open(&app, "/api/v1/events", Some(&old), crate::sse::Via::Query, None).await.err().unwrap().status,
        StatusCode::UNAUTHORIZED
    );
    let orders: i64 = app.state.pool.get().unwrap().query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).unwrap();
    assert_eq!(orders, 1);
    // The new password works, and another table was not affected.
    let fresh = token(&table_login(&app, "a", 1, "9876").await);
    assert_eq!(app.get("/api/v1/orders", Some(&fresh)).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/menu", Some(&other)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deleted_tables_token_reads_and_streams_nothing() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 2).await;
    let login = table_login(&app, "a", 2, TABLE_PASSWORD).await;
    let (tk, id) = (token(&login), table_id(&login));
    let (mut stream, _) = Sse::open(&app, "/api/v1/events", &tk).await;
    assert_eq!(
        app.delete(&format!("/api/v1/admin/tables/{id}"), Some(&menu.admin)).await.status,
        StatusCode::NO_CONTENT
    );
    stream.assert_ends("a deleted table's stream").await;
    for path in ["/api/v1/menu", "/api/v1/orders", "/api/v1/events"] {
        assert_eq!(app.get(path, Some(&tk)).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(app.order(&tk, "k", &[(menu.stew, 1)]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_staff_password_change_ends_older_logins_and_gives_the_caller_a_new_token() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let first = app.admin_token("a").await;
    let second = app.admin_token("a").await;
    let (mut stream, _) = Sse::open(&app, "/api/v1/admin/events", &second).await;
    let wrong = app
        .post(
            "/api/v1/admin/password",
            Some(&first),
            json!({"current_password": "nope", "new_password": "a-new-one-1"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body["error"]["fields"]["current_password"].is_string());
    let r = app
        .post(
            "/api/v1/admin/password",
            Some(&first),
            json!({"current_password": ADMIN_PASSWORD, "new_password": "a-new-one-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fresh = token(&r);
    stream.assert_ends("the dashboard of the old login").await;
    for old in [&first, &second] {
        assert_eq!(app.get("/api/v1/admin/tables", Some(old)).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.get("/api/v1/admin/tables", Some(&fresh)).await.status, StatusCode::OK);
    assert_eq!(admin_login(&app, "a", "admin", ADMIN_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(admin_login(&app, "a", "admin", "a-new-one-1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_cli_resets_a_password_unlocks_the_account_and_the_running_server_ends_old_logins() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let old = app.admin_token("a").await;
    for _ in 0..tableorder::db::stores::LOCKOUT_AFTER {
        admin_login(&app, "a", "admin", "wrong-password").await;
    }
    settle(&app).await;
    assert_eq!(admin_login(&app, "a", "admin", ADMIN_PASSWORD).await.status, StatusCode::UNAUTHORIZED);

    let dir = app.dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = base_command(BIN);
        cmd.args(["admin", "reset-password", "--store", "a", "--username", "admin", "--data-dir"])
            .arg(&dir)
            .env("TABLEORDER_ADMIN_PASSWORD", "reset-by-owner");
        run_within(cmd, Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let unknown = tokio::task::spawn_blocking(|| {
        let mut cmd = base_command(BIN);
        cmd.args(["admin", "reset-password", "--store", "a", "--username", "ghost", "--data-dir", "/nonexistent"])
            .env("TABLEORDER_ADMIN_PASSWORD", "whatever-123");
        run_within(cmd, Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert!(!unknown.status.success());

    // Unlocked, with the new password, at once.
    assert_eq!(admin_login(&app, "a", "admin", "reset-by-owner").await.status, StatusCode::OK);
    // The login made before the reset stops working within the refresh period.
    let deadline = tokio::time::Instant::now() + tableorder::auth::ACCOUNTS_REFRESH * 3;
    loop {
        let s = app.get("/api/v1/admin/tables", Some(&old)).await.status;
        if s == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the old login still works: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---- backups ------------------------------------------------------------------------------

#[tokio::test]
async fn backups_belong_to_the_box_owner_and_other_stores_staff_are_refused() {
    let app = TestApp::spawn_with(|c| c.backup_min_interval_secs = 0).await;
    app.seed_store("first", 1).await;
    app.seed_store("second", 1).await;
    let owner = app.admin_token("first").await;
    let other = app.admin_token("second").await;

    let made = app.post("/api/v1/admin/backups", Some(&owner), json!({})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let name = made.body["name"].as_str().unwrap().to_string();

    let r = app.post("/api/v1/admin/backups", Some(&other), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");
    assert_eq!(app.get("/api/v1/admin/backups", Some(&other)).await.status, StatusCode::FORBIDDEN);
    let r = app.get(&format!("/api/v1/admin/backups/{name}"), Some(&other)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.bytes.len() < 1000, "no database bytes for another store's staff");
    let sys = app.get("/api/v1/admin/system", Some(&other)).await;
    assert_eq!(sys.body["backups"], json!([]));
    assert_eq!(sys.body["box_owner"], json!(false));
    // Only the backup the owner made exists: the refused one wrote nothing.
    assert_eq!(tableorder::db::backup::list(app.dir.path()).len(), 1);

    let list = app.get("/api/v1/admin/backups", Some(&owner)).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let file = app.get(&format!("/api/v1/admin/backups/{name}"), Some(&owner)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.bytes.starts_with(b"SQLite format 3\0"));
    let m = String::from_utf8(app.get("/metrics", None).await.bytes).unwrap();
    assert!(m.contains("tableorder_backups_written_total{kind=\"manual\"} 1"), "{m}");
}

#[tokio::test]
async fn backups_are_made_one_at_a_time_not_too_often_and_only_with_free_disk() {
    let app = TestApp::spawn_with(|c| c.backup_min_interval_secs = 3600).await;
    app.seed_store("a", 1).await;
    let owner = app.admin_token("a").await;
    // One is being written: another is refused at once.
    {
        let _writing = app.state.backups.running.lock().await;
        let r = app.post("/api/v1/admin/backups", Some(&owner), json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
    }
    assert_eq!(app.post("/api/v1/admin/backups", Some(&owner), json!({})).await.status, StatusCode::CREATED);
    let r = app.post("/api/v1/admin/backups", Some(&owner), json!({})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 3000);
    assert_eq!(tableorder::db::backup::list(app.dir.path()).len(), 1);

    // A box whose disk would be left with less than the margin refuses, clearly.
    let full = TestApp::spawn_with(|c| c.backup_min_free_mb = 1 << 40).await;
    full.seed_store("a", 1).await;
    let owner = full.admin_token("a").await;
    let r = full.post("/api/v1/admin/backups", Some(&owner), json!({})).await;
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE);
    assert_eq!(r.code(), "insufficient_storage");
    assert!(tableorder::db::backup::list(full.dir.path()).is_empty());
}

// ---- time, health, bad input ----------------------------------------------------------------

#[tokio::test]
async fn a_clock_that_steps_back_leaves_end_session_and_history_working() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let login = table_login(&app, "a", 1, TABLE_PASSWORD).await;
    let (tk, id) = (token(&login), table_id(&login));
    assert_eq!(app.order(&tk, "k1", &[(menu.stew, 1)]).await.status, StatusCode::CREATED);
    // The box's clock is corrected backwards by an hour (no real-time clock, NTP arrives).
    app.clock.advance(-3_600_000);
    assert_eq!(app.order(&tk, "k2", &[(menu.cola, 1)]).await.status, StatusCode::CREATED);
    let r = app.post(&format!("/api/v1/admin/tables/{id}/end-session"), Some(&menu.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["ended_at"].as_str().unwrap() >= r.body["started_at"].as_str().unwrap());
    let h = app.get("/api/v1/admin/history", Some(&menu.admin)).await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.body.as_array().unwrap().len(), 1);
    assert_eq!(h.body[0]["total"], json!(11000));
}

#[tokio::test]
async fn health_says_so_when_the_writer_is_stuck() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz", None).await.body["writer"], json!("ok"));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let writer = app.state.writer.clone();
    let stuck = tokio::spawn(async move {
        writer
            .write(move |_| {
                let _ = started_tx.send(());
                let _ = rx.recv_timeout(Duration::from_secs(30));
                Ok(())
            })
            .await
    });
    started_rx.await.unwrap();
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["writer"], json!("error"));
    assert_eq!(r.body["db"], json!("ok"));
    tx.send(()).unwrap();
    stuck.await.unwrap().unwrap();
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_call_reason_with_control_characters_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let tk = app.table_token("a", 1).await;
    let r = app.post("/api/v1/calls", Some(&tk), json!({"reason": "water\u{1b}[31m please"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["reason"].is_string());
    let n: i64 = app.state.pool.get().unwrap().query_row("SELECT count(*) FROM staff_calls", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0);
}

// ---- event streams and pruning ----------------------------------------------------------------

#[tokio::test]
async fn pruning_while_a_stream_replays_sends_resync_instead_of_skipping_events() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    // 450 events: more than two replay pages.
    for i in 0..450 {
        let r = app
            .patch(&format!("/api/v1/admin/menu-items/{}", menu.cola), Some(&menu.admin), json!({"price": 1000 + i}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let who = sse::Who { store_id: "a".into(), audience: Audience::Staff, admin_id: None, kitchen: false };
    let resp =
        sse::open(&app.state.fanout, &app.state.pool, app.state.shutdown.clone(), who, Some(0), None).await.unwrap();
    let mut body = resp.into_body().into_data_stream();
    let hello = String::from_utf8(body.next().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(hello.contains("event: hello"));
    let page = String::from_utf8(body.next().await.unwrap().unwrap().to_vec()).unwrap();
    let last_sent: i64 = page.lines().filter_map(|l| l.strip_prefix("id: ")).next_back().unwrap().parse().unwrap();
    // Every event is old enough to be pruned, and is, while the stream is between pages.
    app.state.writer.write(|ctx| Ok(tableorder::db::events::prune(ctx.conn, i64::MAX, None)?)).await.unwrap();
    let next = String::from_utf8(body.next().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(
        next.starts_with("event: resync"),
        "after id {last_sent} the stream went on with: {}",
        &next[..next.len().min(200)]
    );
}

// ---- slow and oversized requests ----------------------------------------------------------------

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = TestApp::spawn_with(|c| c.header_timeout_secs = 1).await;
    let mut socks = Vec::new();
    for _ in 0..5 {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a").await.unwrap();
        socks.push(s);
    }
    for mut s in socks {
        let mut buf = Vec::new();
        // The server closes it (perhaps after a 408) well before the wait runs out.
        let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
        assert!(n.is_ok(), "the connection is still open after 5 s");
    }
    // An idle keep-alive connection goes the same way.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(n.is_ok(), "an idle keep-alive connection stayed open");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn oversized_request_headers_are_refused() {
    let app = TestApp::spawn().await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let big = "x".repeat(64 * 1024);
    let req = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let _ = s.write_all(req.as_bytes()).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let head = String::from_utf8_lossy(&buf);
    assert!(head.is_empty() || head.starts_with("HTTP/1.1 431"), "{head}");
    // And the server is fine.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

// ---- hashing and login limits ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_tablets_logging_in_at_once_all_succeed_with_two_hashes_at_a_time() {
    let app = TestApp::spawn_with(|c| c.hash_concurrency = 2).await;
    app.seed_store("a", 50).await;
    let metrics = app.state.metrics.clone();
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = tokio::spawn({
        let sampling = sampling.clone();
        async move {
            let mut most = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(metrics.hash_running.get());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            most
        }
    });
    let logins = (1..=50).map(|n| {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/table/login");
        async move {
            client
                .post(url)
                .json(&json!({"store_id": "a", "table_number": n, "password": TABLE_PASSWORD}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(logins).await;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let most = sampler.await.unwrap();
    assert!((1..=2).contains(&most), "{most} hashes ran at once");
    assert_eq!(app.state.metrics.hash_waiting.get(), 0);
}

#[tokio::test]
async fn the_box_wide_login_limit_answers_429_whatever_the_address() {
    let app = TestApp::spawn_with(|c| c.limits.box_logins_per_minute = 3).await;
    app.seed_store("a", 1).await;
    for _ in 0..3 {
        assert_eq!(table_login(&app, "a", 1, TABLE_PASSWORD).await.status, StatusCode::OK);
    }
    let r = table_login(&app, "a", 1, TABLE_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some());
    let m = String::from_utf8(app.get("/metrics", None).await.bytes).unwrap();
    assert!(m.contains("tableorder_logins_refused_total{kind=\"box\"} 1"), "{m}");
}

// ---- metrics ------------------------------------------------------------------------------------

fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
}

#[tokio::test]
async fn metrics_show_route_latency_writer_batches_hashing_and_disk() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let tk = app.table_token("a", 1).await;
    for i in 0..3 {
        assert_eq!(app.order(&tk, &format!("m{i}"), &[(menu.stew, 1)]).await.status, StatusCode::CREATED);
    }
    app.get(&format!("/api/v1/admin/orders?table_id={}", 1), Some(&menu.admin)).await;
    let m = String::from_utf8(app.get("/metrics", None).await.bytes).unwrap();
    assert!(
        metric(&m, "tableorder_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/orders\"}") >= 3.0
    );
    assert!(m.contains("route=\"/api/v1/admin/orders\""), "routes are labelled by pattern");
    assert!(metric(&m, "tableorder_db_write_batch_jobs_count") >= 3.0);
    assert!(metric(&m, "tableorder_db_write_batch_seconds_sum") > 0.0);
    assert!(metric(&m, "tableorder_password_hash_wait_seconds_count") >= 2.0);
    assert_eq!(metric(&m, "tableorder_password_hash_waiting"), 0.0);
    assert!(metric(&m, "tableorder_disk_free_bytes") > 0.0);
    assert_eq!(metric(&m, "tableorder_orders_created_total"), 3.0);
    assert!(m.contains("# TYPE tableorder_sse_resumed counter"));
}

// ---- logs -----------------------------------------------------------------------------------------

#[test]
fn logs_have_no_colour_codes_off_a_terminal_and_no_timestamps_under_journald() {
    let dir = tempfile::tempdir().unwrap();
    for journald in [false, true] {
        let mut server_cmd = base_command(BIN);
        server_cmd.env_remove("NO_COLOR");
        if journald {
            server_cmd.env("JOURNAL_STREAM", "8:12345");
        } else {
            server_cmd.env_remove("JOURNAL_STREAM");
        }
        server_cmd.arg("serve").args(["--no-mdns", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.path());
        let server = Server::spawn(server_cmd);
        let log = server.log();
        drop(server);
        assert!(!log.contains('\u{1b}'), "colour codes in a log written to a pipe:\n{log}");
        let ready = log.lines().find(|l| l.contains("ready")).unwrap();
        let starts_with_time = ready.as_bytes().first().is_some_and(|b| b.is_ascii_digit());
        assert_eq!(starts_with_time, !journald, "{ready}");
    }
}

#[tokio::test]
async fn an_sse_client_reading_after_a_password_change_gets_nothing_more() {
    // The table's stream ends, and what was published after the change never reaches it.
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let login = table_login(&app, "a", 1, TABLE_PASSWORD).await;
    let (tk, id) = (token(&login), table_id(&login));
    let (mut stream, _) = Sse::open(&app, "/api/v1/events", &tk).await;
    app.patch(&format!("/api/v1/admin/tables/{id}"), Some(&menu.admin), json!({"password": "5555"})).await;
    app.patch(&format!("/api/v1/admin/menu-items/{}", menu.cola), Some(&menu.admin), json!({"available": false})).await;
    loop {
        match stream.next_within(WAIT).await {
            Next::Frame(f) => {
                assert_ne!(f.event, "menu_changed", "a change after the password change reached the old stream")
            }
            Next::Ended | Next::Failed(_) => break,
            Next::TimedOut => panic!("the stream did not end"),
        }
    }
}

#[tokio::test]
async fn a_password_hashed_with_older_settings_still_logs_in_and_is_rehashed_with_todays() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let salt = SaltString::encode_b64(&[5u8; 16]).unwrap();
    let old = argon2::Argon2::default().hash_password(b"1234", &salt).unwrap().to_string();
    let hash_of_table = || -> String {
        app.state
            .pool
            .get()
            .unwrap()
            .query_row("SELECT password_hash FROM tables WHERE number = 1", [], |r| r.get(0))
            .unwrap()
    };
    let o = old.clone();
    app.state
        .writer
        .write(move |ctx| Ok(ctx.conn.execute("UPDATE tables SET password_hash = ?1", [&o])?))
        .await
        .unwrap();
    let first = table_login(&app, "a", 1, "1234").await;
    assert_eq!(first.status, StatusCode::OK);
    // The upgrade happens after the answer; wait for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while hash_of_table() == old {
        assert!(tokio::time::Instant::now() < deadline, "the hash was not upgraded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!tableorder::auth::needs_rehash(&hash_of_table()));
    // The token from before the upgrade still works, and so does the password.
    assert_eq!(app.get("/api/v1/menu", Some(&token(&first))).await.status, StatusCode::OK);
    assert_eq!(table_login(&app, "a", 1, "1234").await.status, StatusCode::OK);
}
