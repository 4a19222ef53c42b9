//! The appliance: backups and restore, upgrades and the downgrade refusal, first-run
//! setup, systemd readiness and watchdog, clean shutdown, the healthcheck command and
//! mDNS discovery from another network namespace.
//!
//! Tests named `the_binary_…` run the real `tableorder` executable (never with mDNS on,
//! except inside the private network namespaces of the mDNS test).

use crate::helpers::{ADMIN_PASSWORD, TestApp, png, store_with_menu};
use crate::proc::*;
use futures_util::StreamExt;
use reqwest::StatusCode;
use rusqlite::{Connection, OpenFlags, types::ValueRef};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use std::time::{Duration, Instant};
use tableorder::config::Config;
use tableorder::db::{self, backup, migrate};

const VERSION: &str = env!("CARGO_PKG_VERSION");

// ---------------------------------------------------------------------------------------
// Comparing databases
// ---------------------------------------------------------------------------------------

/// What makes two databases "the same": row counts of every table, a checksum of the
/// orders and their lines, and the full content of every table.
#[derive(Debug, PartialEq)]
pub(crate) struct Fingerprint {
    user_version: i64,
    counts: BTreeMap<String, i64>,
    orders_checksum: u64,
    content: BTreeMap<String, Vec<String>>,
}

pub(crate) fn read_only(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).unwrap()
}

pub(crate) fn rows(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(match r.get_ref(i)? {
                ValueRef::Null => "NULL".to_string(),
                ValueRef::Integer(v) => v.to_string(),
                ValueRef::Real(v) => v.to_string(),
                ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                ValueRef::Blob(b) => {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    b.hash(&mut h);
                    format!("blob:{}:{:x}", b.len(), h.finish())
                }
            });
        }
        Ok(cells.join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

pub(crate) fn fingerprint(path: &Path) -> Fingerprint {
    let conn = read_only(path);
    let user_version = migrate::current(&conn).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut counts = BTreeMap::new();
    let mut content = BTreeMap::new();
    for t in &tables {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0)).unwrap();
        counts.insert(t.clone(), n);
        let mut all = rows(&conn, &format!("SELECT * FROM \"{t}\""));
        all.sort();
        content.insert(t.clone(), all);
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rows(
        &conn,
        "SELECT id, store_id, table_id, session_id, business_day, order_no, status, total, idempotency_key, created_at, updated_at FROM orders ORDER BY id",
    )
    .hash(&mut h);
    rows(&conn, "SELECT id, store_id, order_id, menu_item_id, name, unit_price, quantity FROM order_items ORDER BY id")
        .hash(&mut h);
    Fingerprint { user_version, counts, orders_checksum: h.finish(), content }
}

/// A store with a menu, orders on two tables (one preparing, one cancelled, one in an
/// ended session), a staff call and an image; returns the admin token.
async fn busy_store(app: &TestApp) -> String {
    let m = store_with_menu(app, "bistro", 3).await;
    let t1 = app.table_token("bistro", 1).await;
    let t2 = app.table_token("bistro", 2).await;
    let mut ids = Vec::new();
    for (i, (table, lines)) in [
        (&t1, vec![(m.stew, 2), (m.cola, 1)]),
        (&t2, vec![(m.cola, 3)]),
        (&t1, vec![(m.stew, 1)]),
        (&t2, vec![(m.stew, 1), (m.cola, 2)]),
    ]
    .into_iter()
    .enumerate()
    {
        let r = app.order(table, &format!("key-{i}"), &lines).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let r =
        app.patch(&format!("/api/v1/admin/orders/{}", ids[0]), Some(&m.admin), json!({"status": "preparing"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.delete(&format!("/api/v1/admin/orders/{}", ids[1]), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    let r = app.post("/api/v1/calls", Some(&t1), json!({"reason": "water"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Table 2's session ends: its orders go to history.
    let tables = app.get("/api/v1/admin/tables", Some(&m.admin)).await;
    let t2_id = tables.body.as_array().unwrap().iter().find(|t| t["number"] == 2).unwrap()["id"].as_i64().unwrap();
    let r = app.post(&format!("/api/v1/admin/tables/{t2_id}/end-session"), Some(&m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // An image, so that blobs are part of the comparison.
    let png = png();
    let r = app
        .raw(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/menu-items/{}/image", m.stew),
            Some(&m.admin),
            "image/png",
            png.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    m.admin
}

/// The restore procedure of the README, on an installed box whose data directory
/// already holds a database: stop the service, copy the backup over
/// DATA_DIR/tableorder.db, delete tableorder.db-wal and -shm, start.
async fn restore_onto_existing_box(backup_file: &Path) -> TestApp {
    let other = TestApp::spawn().await;
    other.seed_store("other-store", 1).await;
    let dir = other.stop().await; // 1. stop
    let db_file = db::db_path(dir.path());
    std::fs::copy(backup_file, &db_file).unwrap(); // 2. copy over tableorder.db
    for ext in ["db-wal", "db-shm"] {
        let p = db_file.with_extension(ext);
        if p.exists() {
            std::fs::remove_file(p).unwrap(); // 3. delete -wal and -shm
        }
    }
    TestApp::spawn_in(dir, |_| {}).await // 4. start
}

// ---------------------------------------------------------------------------------------
// Backups and restore
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn backups_from_the_cli_and_the_dashboard_restore_to_an_identical_database() {
    let app = TestApp::spawn().await;
    let admin = busy_store(&app).await;
    let live_db = db::db_path(app.dir.path());
    let before = fingerprint(&live_db);
    assert_eq!(before.counts["orders"], 4);
    assert_eq!(before.counts["order_items"], 6);
    assert!(before.content["orders"].iter().any(|r| r.contains("\"cancelled\"")));
    assert_eq!(before.counts["images"], 1);
    let orders_before = app.get("/api/v1/admin/orders", Some(&admin)).await;
    let history_before = app.get("/api/v1/admin/history", Some(&admin)).await;
    assert_eq!(history_before.body.as_array().unwrap().len(), 1);

    // 1. `tableorder backup --out` while the server runs.
    let out_dir = tempfile::tempdir().unwrap();
    let cli_file = out_dir.path().join("from-cli.db");
    let o = tableorder_async(vec![
        "backup".into(),
        "--out".into(),
        cli_file.display().to_string(),
        "--data-dir".into(),
        app.dir.path().display().to_string(),
    ])
    .await;
    assert!(o.status.success(), "backup failed: {}", text(&o.stderr));
    assert!(text(&o.stdout).contains("backup written to"));
    // It never overwrites a file.
    let o = tableorder_async(vec![
        "backup".into(),
        "--out".into(),
        cli_file.display().to_string(),
        "--data-dir".into(),
        app.dir.path().display().to_string(),
    ])
    .await;
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("already exists"), "{}", text(&o.stderr));

    // 2. The dashboard: create, list, download.
    let r = app.post("/api/v1/admin/backups", Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let name = r.body["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("manual-") && name.ends_with(".db"), "{name}");
    assert!(r.body["bytes"].as_u64().unwrap() > 0);
    let list = app.get("/api/v1/admin/backups", Some(&admin)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.as_array().unwrap().iter().any(|b| b["name"] == name.as_str()), "{:?}", list.body);
    // Nothing changed while backing up.
    assert_eq!(fingerprint(&live_db), before);
    let dl = app.get(&format!("/api/v1/admin/backups/{name}"), Some(&admin)).await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.header("content-type").as_deref(), Some("application/vnd.sqlite3"));
    assert!(dl.header("content-disposition").unwrap().contains(&name));
    assert!(dl.bytes.starts_with(b"SQLite format 3\0"));
    let downloaded = out_dir.path().join("downloaded.db");
    std::fs::write(&downloaded, &dl.bytes).unwrap();
    // Names that are not plain backup names are not served.
    for bad in ["..%2Ftableorder.db", "jwt.key", "nope.db"] {
        let r = app.get(&format!("/api/v1/admin/backups/{bad}"), Some(&admin)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
    // Table tokens cannot reach backups.
    let table = app.table_token("bistro", 1).await;
    assert_eq!(app.get("/api/v1/admin/backups", Some(&table)).await.status, StatusCode::FORBIDDEN);

    // The download itself is on the audit trail (one row and its event), nothing else changed.
    let now = fingerprint(&live_db);
    assert_eq!(now.counts["audit_log"], before.counts["audit_log"] + 1);
    assert!(now.content["audit_log"].iter().any(|r| r.contains("backup_downloaded") && r.contains(&name)));
    assert_eq!(now.counts["events"], before.counts["events"] + 1);
    for t in ["orders", "order_items", "table_sessions", "menu_items", "images", "admins", "tables"] {
        assert_eq!(now.content[t], before.content[t], "{t} after the download");
    }
    app.stop().await;

    for file in [&cli_file, &downloaded] {
        let restored = restore_onto_existing_box(file).await;
        let after = fingerprint(&db::db_path(restored.dir.path()));
        assert_eq!(after.counts, before.counts, "row counts after restoring {}", file.display());
        assert_eq!(after.orders_checksum, before.orders_checksum, "orders checksum after restoring {}", file.display());
        assert_eq!(after, before, "content after restoring {}", file.display());
        // The restored box serves the same orders and history; the other store is gone.
        let admin = restored.admin_token("bistro").await;
        assert_eq!(restored.get("/api/v1/admin/orders", Some(&admin)).await.body, orders_before.body);
        assert_eq!(restored.get("/api/v1/admin/history", Some(&admin)).await.body, history_before.body);
        let r = restored
            .post(
                "/api/v1/auth/admin/login",
                None,
                json!({"store_id": "other-store", "username": "admin", "password": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        restored.stop().await;
    }
}

#[test]
fn scheduled_backups_keep_only_the_newest_backup_keep_files() {
    let dir = tempfile::tempdir().unwrap();
    let bdir = backup::backup_dir(dir.path());
    std::fs::create_dir_all(&bdir).unwrap();
    for i in 0..10 {
        std::fs::write(bdir.join(format!("scheduled-20250101T00000{i}-000Z.db")), b"x").unwrap();
    }
    for other in ["manual-20240101T000000-000Z.db", "pre-migrate-v1-to-v2-20240101T000000Z.db", "notes.txt"] {
        std::fs::write(bdir.join(other), b"x").unwrap();
    }
    backup::prune_scheduled(dir.path(), 3);
    let mut left: Vec<String> =
        std::fs::read_dir(&bdir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    left.sort();
    assert_eq!(
        left,
        [
            "manual-20240101T000000-000Z.db",
            "notes.txt",
            "pre-migrate-v1-to-v2-20240101T000000Z.db",
            "scheduled-20250101T000007-000Z.db",
            "scheduled-20250101T000008-000Z.db",
            "scheduled-20250101T000009-000Z.db",
        ]
    );
    // New names sort by time, so "newest" by name is newest by time.
    let a = backup::new_name("scheduled");
    std::thread::sleep(Duration::from_millis(5));
    let b = backup::new_name("scheduled");
    assert!(a < b, "{a} < {b}");
    assert!(backup::valid_name(&a));
}

// ---------------------------------------------------------------------------------------
// Upgrades and downgrades
// ---------------------------------------------------------------------------------------

fn newer_database(dir: &Path) -> PathBuf {
    let path = db::db_path(dir);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE from_the_future (x INTEGER); PRAGMA user_version = 99;").unwrap();
    path
}

#[test]
fn the_binary_refuses_a_database_from_a_newer_version_and_names_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = newer_database(dir.path());
    let latest = migrate::latest();
    for args in [
        vec!["serve", "--no-mdns", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()],
        vec!["migrate", "--data-dir", dir.path().to_str().unwrap()],
    ] {
        let o = tableorder(&args);
        let err = text(&o.stderr);
        assert!(!o.status.success(), "{args:?} must fail; stderr:\n{err}");
        assert!(err.contains("schema version 99"), "{err}");
        assert!(err.contains(&format!("tableorder {VERSION}")), "{err}");
        assert!(err.contains(&format!("schema version {latest}")), "{err}");
        assert!(!err.contains("ready"), "it must not start serving: {err}");
    }
    // The database is left as it was.
    let conn = read_only(&path);
    assert_eq!(migrate::current(&conn).unwrap(), 99);
    let n: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'from_the_future'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    assert!(!backup::backup_dir(dir.path()).exists(), "no backup of a database it does not understand");
}

#[tokio::test]
async fn app_build_refuses_a_database_from_a_newer_version() {
    let dir = tempfile::tempdir().unwrap();
    newer_database(dir.path());
    let err = match tableorder::app::App::build(Config::for_data_dir(dir.path())).await {
        Ok(_) => panic!("a newer database must be refused"),
        Err(e) => e,
    };
    assert!(err.contains("schema version 99") && err.contains(VERSION), "{err}");
}

fn schema(conn: &Connection) -> Vec<String> {
    rows(conn, "SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
}

/// A database at schema version 1 holding a store, as an older release left it.
fn version_one_database(dir: &Path) -> Connection {
    let mut conn = db::open(&db::db_path(dir)).unwrap();
    assert_eq!(migrate::apply(&mut conn, dir, &migrate::MIGRATIONS[..1]).unwrap(), 1);
    conn.execute("INSERT INTO stores (id, name, created_at) VALUES ('bistro', 'Bistro', 0)", []).unwrap();
    // A brand-new database needs no backup before its first migration.
    assert!(backup::list(dir).is_empty());
    conn
}

#[test]
fn a_newer_schema_is_applied_after_a_pre_migrate_backup() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = version_one_database(dir.path());
    let m2 = (
        "0002_test",
        "ALTER TABLE stores ADD COLUMN motto TEXT NOT NULL DEFAULT ''; CREATE TABLE test_extra (id INTEGER PRIMARY KEY);",
    );
    let list = [migrate::MIGRATIONS[0], m2];
    assert_eq!(migrate::apply(&mut conn, dir.path(), &list).unwrap(), 1);
    assert_eq!(migrate::current(&conn).unwrap(), 2);
    let motto: String = conn.query_row("SELECT motto FROM stores WHERE id = 'bistro'", [], |r| r.get(0)).unwrap();
    assert_eq!(motto, "");
    // Running again changes nothing and backs up nothing more.
    assert_eq!(migrate::apply(&mut conn, dir.path(), &list).unwrap(), 0);

    let backups = backup::list(dir.path());
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(backups[0].name.starts_with("pre-migrate-v1-to-v2-"), "{}", backups[0].name);
    let old = read_only(&backup::backup_dir(dir.path()).join(&backups[0].name));
    assert_eq!(migrate::current(&old).unwrap(), 1);
    let stores: i64 = old.query_row("SELECT count(*) FROM stores", [], |r| r.get(0)).unwrap();
    assert_eq!(stores, 1);
    assert!(old.prepare("SELECT motto FROM stores").is_err(), "the backup holds the old schema");
}

#[test]
fn a_failed_migration_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = version_one_database(dir.path());
    let before = schema(&conn);
    let broken = (
        "0002_broken",
        "ALTER TABLE stores ADD COLUMN motto TEXT; CREATE TABLE half_done (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1);",
    );
    let err = migrate::apply(&mut conn, dir.path(), &[migrate::MIGRATIONS[0], broken]).unwrap_err();
    assert!(err.contains("0002_broken") && err.contains("version 1"), "{err}");
    assert_eq!(migrate::current(&conn).unwrap(), 1);
    assert_eq!(schema(&conn), before);
    let stores: i64 = conn.query_row("SELECT count(*) FROM stores", [], |r| r.get(0)).unwrap();
    assert_eq!(stores, 1);
    // The connection is usable and the real migrations still apply cleanly.
    assert_eq!(migrate::apply(&mut conn, dir.path(), migrate::MIGRATIONS).unwrap(), migrate::MIGRATIONS.len() - 1);
    assert_eq!(migrate::current(&conn).unwrap(), migrate::latest());
}

/// The real migrations and then `more`: a newer release's list.
fn newer_list(more: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    migrate::MIGRATIONS.iter().copied().chain(more.iter().copied()).collect()
}

const ADDS: (&str, &str) = (
    "0090_adds",
    "-- additive\nALTER TABLE stores ADD COLUMN motto TEXT NOT NULL DEFAULT ''; CREATE TABLE loyalty (id INTEGER PRIMARY KEY, store_id TEXT NOT NULL);",
);
const BREAKS: (&str, &str) = ("0091_breaks", "ALTER TABLE stores RENAME COLUMN name TO title;");

fn event(conn: &Connection, store: &str) {
    conn.execute(
        "INSERT INTO events (store_id, type, payload, created_at) VALUES (?1, 'menu_changed', '{}', 0)",
        [store],
    )
    .unwrap();
}

#[test]
fn an_older_release_runs_on_a_database_a_newer_one_only_added_to_and_keeps_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = db::open(&db::db_path(dir.path())).unwrap();
    migrate::run(&mut conn, dir.path()).unwrap();
    conn.execute("INSERT INTO stores (id, name, created_at) VALUES ('old', 'Old', 0)", []).unwrap();
    // The new release adds a column and a table, and writes with them.
    let newer = newer_list(&[ADDS]);
    assert_eq!(migrate::apply(&mut conn, dir.path(), &newer).unwrap(), 1);
    assert_eq!(migrate::floor(&conn).unwrap(), migrate::latest(), "additive: the floor stays");
    conn.execute("INSERT INTO stores (id, name, created_at, motto) VALUES ('new', 'New', 0, 'fresh')", []).unwrap();
    // Back on the previous release: it opens the database as it is and writes as before.
    assert_eq!(migrate::apply(&mut conn, dir.path(), migrate::MIGRATIONS).unwrap(), 0);
    assert_eq!(migrate::current(&conn).unwrap(), migrate::latest() + 1, "nothing undone");
    conn.execute("INSERT INTO stores (id, name, created_at) VALUES ('after', 'After', 0)", []).unwrap();
    let names = rows(&conn, "SELECT id, motto FROM stores ORDER BY id");
    assert_eq!(names.len(), 3, "{names:?}");
    drop(conn);
    // So does the real binary.
    let o = tableorder(&["migrate", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // A change that is not additive raises the floor: the previous release is refused.
    let mut conn = db::open(&db::db_path(dir.path())).unwrap();
    assert_eq!(migrate::apply(&mut conn, dir.path(), &newer_list(&[ADDS, BREAKS])).unwrap(), 1);
    assert_eq!(migrate::floor(&conn).unwrap(), migrate::latest() + 2);
    let err = migrate::apply(&mut conn, dir.path(), migrate::MIGRATIONS).unwrap_err();
    assert!(err.contains("newer than this binary"), "{err}");
}

#[test]
fn going_back_across_a_schema_change_restores_the_backup_only_while_nothing_was_written() {
    use tableorder::update::switch::database_for;
    let latest = migrate::latest();
    // Additive: nothing to do.
    let dir = tempfile::tempdir().unwrap();
    let mut conn = db::open(&db::db_path(dir.path())).unwrap();
    migrate::run(&mut conn, dir.path()).unwrap();
    conn.execute("INSERT INTO stores (id, name, created_at) VALUES ('s', 'S', 0)", []).unwrap();
    event(&conn, "s");
    migrate::apply(&mut conn, dir.path(), &newer_list(&[ADDS])).unwrap();
    drop(conn);
    assert_eq!(database_for(dir.path(), latest).unwrap(), None);

    // Not additive, nothing written since: the pre-migrate backup is put back.
    let mut conn = db::open(&db::db_path(dir.path())).unwrap();
    migrate::apply(&mut conn, dir.path(), &newer_list(&[ADDS, BREAKS])).unwrap();
    drop(conn);
    let restored = database_for(dir.path(), latest + 1).unwrap().expect("restored");
    assert!(restored.starts_with(&format!("pre-migrate-v{}-to-v{}-", latest + 1, latest + 2)), "{restored}");
    let mut conn = db::open(&db::db_path(dir.path())).unwrap();
    assert_eq!(migrate::current(&conn).unwrap(), latest + 1);
    assert_eq!(
        migrate::apply(&mut conn, dir.path(), &newer_list(&[ADDS])).unwrap(),
        0,
        "the previous release opens it"
    );
    let name: String = conn.query_row("SELECT name FROM stores", [], |r| r.get(0)).unwrap();
    assert_eq!(name, "S");

    // Not additive, and an order (an event) written since: it cannot go back.
    migrate::apply(&mut conn, dir.path(), &newer_list(&[ADDS, BREAKS])).unwrap();
    event(&conn, "s");
    drop(conn);
    let err = database_for(dir.path(), latest + 1).unwrap_err();
    assert!(err.contains("written"), "{err}");
    let conn = db::open(&db::db_path(dir.path())).unwrap();
    assert_eq!(migrate::current(&conn).unwrap(), latest + 2, "left as it was");
    let events: i64 = conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(events, 2);
}

// ---------------------------------------------------------------------------------------
// First run
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn first_run_setup_needs_the_one_time_code_and_works_once() {
    let app = TestApp::spawn().await;
    let code = app.state.setup_code.lock().unwrap().clone().expect("a code while no store exists");
    assert_eq!(code.len(), 8);
    let body = |code: &str| json!({"code": code, "store_id": "bistro", "store_name": "Bistro", "username": "owner", "password": "long-enough-pw"});
    let wrong = if code == "00000000" { "00000001" } else { "00000000" };
    let r = app.post("/api/v1/setup", None, body(wrong)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "forbidden");
    let r = app.post("/api/v1/setup", None, body(&code)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["store_id"], "bistro");
    let r = app
        .post(
            "/api/v1/auth/admin/login",
            None,
            json!({"store_id": "bistro", "username": "owner", "password": "long-enough-pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The code is spent.
    assert!(app.state.setup_code.lock().unwrap().is_none());
    let r = app.post("/api/v1/setup", None, body(&code)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);

    // After a restart with a store present there is no code at all.
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |_| {}).await;
    assert!(app.state.setup_code.lock().unwrap().is_none());
    let r = app.post("/api/v1/setup", None, body(&code)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    app.stop().await;
}

#[test]
fn the_binary_prints_the_setup_code_only_while_no_store_exists() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &[], &[]);
    srv.terminate();
    assert!(srv.wait_exit(Duration::from_secs(10)).success());
    assert!(srv.log().contains("setup_code="), "{}", srv.log());

    let mut srv = Server::start(dir.path(), &["--demo"], &[]);
    srv.terminate();
    assert!(srv.wait_exit(Duration::from_secs(10)).success());
    assert!(!srv.log().contains("setup_code="), "{}", srv.log());
}

// ---------------------------------------------------------------------------------------
// systemd: readiness, watchdog, stop
// ---------------------------------------------------------------------------------------

#[test]
fn the_binary_notifies_ready_feeds_the_watchdog_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let data = dir.path().join("data");
    let mut srv =
        Server::start(&data, &[], &[("NOTIFY_SOCKET", sock_path.to_str().unwrap()), ("WATCHDOG_USEC", "200000")]);

    let mut seen: Vec<String> = Vec::new();
    let count = |seen: &[String], what: &str| seen.iter().filter(|m| *m == what).count();
    receive_until(&sock, &mut seen, Duration::from_secs(20), |s| count(s, "READY=1") == 1);
    receive_until(&sock, &mut seen, Duration::from_secs(10), |s| count(s, "WATCHDOG=1") >= 2);
    assert_eq!(seen[0], "READY=1", "readiness comes before any watchdog ping: {seen:?}");

    srv.terminate();
    let status = srv.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit {status:?}; log:\n{}", srv.log());
    receive_until(&sock, &mut seen, Duration::from_secs(2), |s| s.iter().any(|m| m == "STOPPING=1"));
    assert_eq!(count(&seen, "READY=1"), 1);
    // The WAL was checkpointed on the way out.
    let wal = db::db_path(&data).with_extension("db-wal");
    assert!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0, "WAL left behind");
}

/// Collects sd_notify messages from `sock` until `done` holds, failing after `limit`.
fn receive_until(sock: &UnixDatagram, seen: &mut Vec<String>, limit: Duration, done: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    while !done(seen) {
        assert!(Instant::now() < deadline, "notifications so far: {seen:?}");
        if let Ok(n) = sock.recv(&mut buf) {
            seen.extend(text(&buf[..n]).lines().map(str::to_string));
        }
    }
}

#[tokio::test]
async fn sigterm_ends_open_event_streams_and_the_binary_exits_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &["--demo"], &[]);
    let client = reqwest::Client::new();
    let login = client
        .post(srv.url("/api/v1/auth/admin/login"))
        .json(&json!({"store_id": "demo", "username": "admin", "password": "demo1234"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let resp = client.get(srv.url("/api/v1/admin/events")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    let mut got = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !got.contains("event: hello") {
            let chunk = stream.next().await.expect("stream open").unwrap();
            got.push_str(&text(&chunk));
        }
    })
    .await
    .expect("hello event");

    srv.terminate();
    // The stream ends (rather than hanging until the drain timeout)…
    let ended = tokio::time::timeout(Duration::from_secs(4), async {
        while let Some(chunk) = stream.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the event stream was still open after SIGTERM");
    // …and the process exits 0 without waiting out the drain timeout.
    let status = tokio::task::spawn_blocking(move || {
        let s = srv.wait_exit(Duration::from_secs(10));
        (s, srv.log())
    })
    .await
    .unwrap();
    assert!(status.0.success(), "exit {:?}; log:\n{}", status.0, status.1);
    assert!(!status.1.contains("drain timeout"), "{}", status.1);
    assert!(status.1.contains("stopped"), "{}", status.1);
}

// ---------------------------------------------------------------------------------------
// healthcheck
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn healthcheck_exits_zero_for_a_running_server_and_non_zero_for_a_closed_port() {
    let app = TestApp::spawn().await;
    let o = tableorder_async(vec!["healthcheck".into(), "--url".into(), app.addr.clone()]).await;
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("\"ok\""), "{}", text(&o.stdout));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    app.stop().await;
    let o = tableorder_async(vec!["healthcheck".into(), "--url".into(), format!("http://127.0.0.1:{closed}")]).await;
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("cannot connect"), "{}", text(&o.stderr));
}

// ---------------------------------------------------------------------------------------
// mDNS, between two network namespaces
// ---------------------------------------------------------------------------------------

/// Why the mDNS test cannot run here, if it cannot.
fn mdns_test_unavailable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().map(|o| text(&o.stdout).trim().to_string()).unwrap_or_default();
    if uid != "0" {
        return Some("it needs root for network namespaces".into());
    }
    if Command::new("ip").arg("-V").output().map(|o| !o.status.success()).unwrap_or(true) {
        return Some("`ip` (iproute2) is missing".into());
    }
    if Command::new("python3").args(["-c", "import zeroconf"]).output().map(|o| !o.status.success()).unwrap_or(true) {
        return Some("python3 with zeroconf is missing (pip install zeroconf)".into());
    }
    None
}

fn skip_or_fail(reason: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the mDNS test must run under CI=true, but {reason}");
    }
    eprintln!("skipping the mDNS test: {reason}");
}

fn mdns_failure(what: &str, server_log: &str, browser_stderr: std::thread::JoinHandle<String>) -> ! {
    panic!("{what}\nserver log:\n{server_log}\nbrowser stderr:\n{}", browser_stderr.join().unwrap_or_default());
}

#[test]
fn mdns_advertises_the_box_to_another_network_namespace_and_withdraws_it_on_stop() {
    if let Some(reason) = mdns_test_unavailable() {
        return skip_or_fail(&reason);
    }
    let mut ns = match Namespaces::create() {
        Ok(ns) => ns,
        Err(e) => return skip_or_fail(&format!("network namespaces cannot be made here: {e}")),
    };
    let data = tempfile::tempdir().unwrap();
    let name = format!("to-test-{}", std::process::id());

    // The server, with mDNS on, inside the server namespace only.
    let mut cmd = ns.exec(&ns.srv, BIN);
    cmd.arg("serve").arg("--data-dir").arg(data.path()).args([
        "--listen",
        "0.0.0.0:8080",
        "--mdns-name",
        &name,
        "--demo",
    ]);
    let srv = ns.server.insert(Server::spawn(cmd));
    assert_eq!(srv.port, 8080);

    // The client, a real mDNS browser, in the other namespace.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mdns_browse.py");
    let mut cmd = ns.exec(&ns.cli, "python3");
    cmd.arg(&script).args([&name, "20"]).stdout(Stdio::piped()).stderr(Stdio::piped());
    let browser = ns.browser.insert(cmd.spawn().expect("python3 starts"));
    let stdout = browser.stdout.take().unwrap();
    let mut stderr = browser.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let srv = ns.server.as_mut().unwrap();

    let found = match rx.recv_timeout(Duration::from_secs(40)) {
        Ok(v) if v.get("error").is_none() => v,
        Ok(v) => mdns_failure(&format!("browser: {v}"), &srv.log(), err_t),
        Err(_) => mdns_failure("the browser printed nothing", &srv.log(), err_t),
    };
    assert_eq!(found["name"], format!("{name}._tableorder._tcp.local."), "{found}");
    assert_eq!(found["port"], 8080, "{found}");
    assert_eq!(found["http_port"], 8080, "{found}");
    assert!(found["addresses"].as_array().unwrap().iter().any(|a| a == Namespaces::SRV_ADDR), "{found}");
    assert_eq!(found["properties"]["path"], "/", "{found}");
    assert_eq!(found["properties"]["version"], VERSION, "{found}");
    assert_eq!(found["properties"]["stores"], "demo", "{found}");
    assert_eq!(found["healthz"]["status"], 200, "{found}");
    assert!(
        found["healthz"]["url"].as_str().unwrap().starts_with(&format!("http://{}:8080/", Namespaces::SRV_ADDR)),
        "{found}"
    );
    let health: Value = serde_json::from_str(found["healthz"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(health["status"], "ok", "{found}");

    // Stop: exit 0, and the browser sees the goodbye.
    srv.terminate();
    let status = srv.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "server exit {status:?}\n{}", srv.log());
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(v) if v["removed"] == true => {}
        Ok(v) => mdns_failure(&format!("the service was not withdrawn: {v}"), &srv.log(), err_t),
        Err(_) => mdns_failure("the browser said nothing after the stop", &srv.log(), err_t),
    }
    assert!(srv.log().contains("mDNS advertisement withdrawn"), "{}", srv.log());
}
