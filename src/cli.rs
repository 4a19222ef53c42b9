//! Subcommands other than `serve`, and the demo store.

use crate::auth;
use crate::config::Settings;
use crate::db::{self, writer::WriteCtx};
use crate::domain;
use crate::error::AppError;
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

/// `tableorder store create`.
pub fn store_create(id: &str, name: &str, admin: &str, timezone: &str, settings: Settings) -> Result<(), String> {
    let cfg = settings.resolve()?;
    let id = domain::store_id(id).map_err(msg)?;
    let name = domain::store_name(name).map_err(msg)?;
    let admin = domain::username(admin).map_err(msg)?;
    let tz = domain::timezone(timezone).map_err(msg)?;
    let password = domain::admin_password(&read_password()?).map_err(msg)?;
    let hash = auth::hash_password(&password).map_err(msg)?;
    let mut conn = db::open_and_migrate(&cfg.data_dir)?;
    let now = jiff::Timestamp::now().as_millisecond();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(|e| e.to_string())?;
    db::stores::create_store(&tx, &id, &name, &tz, now).map_err(msg)?;
    db::stores::create_admin(&tx, &id, &admin, &hash, now).map_err(msg)?;
    tx.commit().map_err(|e| e.to_string())?;
    println!("created store {id} ({name}) with admin {admin}");
    Ok(())
}

/// A new password from TABLEORDER_ADMIN_PASSWORD or the first line of stdin.
fn read_password() -> Result<String, String> {
    match std::env::var("TABLEORDER_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
            Ok(line.trim_end_matches(['\r', '\n']).to_string())
        }
    }
}

/// `tableorder admin reset-password`: new password, lock lifted, older logins ended. A
/// running server notices within seconds (through `meta.accounts_version`).
pub fn reset_password(store: &str, username: &str, settings: Settings) -> Result<(), String> {
    let cfg = settings.resolve()?;
    let password = domain::admin_password(&read_password()?).map_err(msg)?;
    let hash = auth::hash_password(&password).map_err(msg)?;
    let path = db::db_path(&cfg.data_dir);
    if !path.exists() {
        return Err(format!("no database at {}", path.display()));
    }
    let mut conn = db::open_and_migrate(&cfg.data_dir)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(|e| e.to_string())?;
    let done = db::stores::set_admin_password(&tx, store, username, &hash).map_err(|e| e.to_string())?;
    if done.is_none() {
        return Err(format!("store {store:?} has no staff member {username:?}"));
    }
    tx.commit().map_err(|e| e.to_string())?;
    println!("password of {username} in store {store} set; the account is unlocked and older logins have ended");
    Ok(())
}

fn msg(e: AppError) -> String {
    match e {
        AppError::Validation(f) => f.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// `tableorder migrate`.
pub fn migrate(settings: Settings) -> Result<(), String> {
    let cfg = settings.resolve()?;
    let conn = db::open_and_migrate(&cfg.data_dir)?;
    let v = db::migrate::current(&conn).map_err(|e| e.to_string())?;
    println!("database {} is at schema version {v}", db::db_path(&cfg.data_dir).display());
    Ok(())
}

/// `tableorder backup --out FILE`: an online backup, safe while the server runs.
pub fn backup(out: &Path, settings: Settings) -> Result<(), String> {
    let cfg = settings.resolve()?;
    let path = db::db_path(&cfg.data_dir);
    if !path.exists() {
        return Err(format!("no database at {}", path.display()));
    }
    let conn = db::open(&path).map_err(|e| e.to_string())?;
    db::backup::vacuum_into(&conn, out)?;
    println!("backup written to {}", out.display());
    Ok(())
}

/// `tableorder healthcheck`: GET /healthz, success on 200.
pub fn healthcheck(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs are supported")?;
    let (hostport, base) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let hostport = if hostport.contains(':') { hostport.to_string() } else { format!("{hostport}:80") };
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&hostport)
        .map_err(|e| format!("cannot resolve {hostport}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {hostport}"))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .map_err(|e| format!("cannot connect to {hostport}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let path = format!("{}healthz", if base.ends_with('/') { base } else { format!("{base}/") });
    write!(s, "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).map_err(|e| e.to_string())?;
    let status = resp.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") {
        println!("healthy: {}", resp.split("\r\n\r\n").nth(1).unwrap_or_default());
        Ok(())
    } else {
        Err(format!("unhealthy: {status}"))
    }
}

pub const DEMO_STORE: &str = "demo";
pub const DEMO_ADMIN: &str = "admin";
pub const DEMO_PASSWORD: &str = "demo1234";
pub const DEMO_TABLE_PASSWORD: &str = "1234";
pub const DEMO_TABLES: i64 = 12;

/// Creates the demo store if absent. Returns whether it was created.
pub fn seed_demo(ctx: &mut WriteCtx, admin_hash: &str, table_hash: &str) -> Result<bool, AppError> {
    if db::stores::store_exists(ctx.conn, DEMO_STORE)? {
        return Ok(false);
    }
    db::stores::create_store(ctx.conn, DEMO_STORE, "데모 식당 (Demo)", "Asia/Seoul", ctx.now_ms)?;
    db::stores::create_admin(ctx.conn, DEMO_STORE, DEMO_ADMIN, admin_hash, ctx.now_ms)?;
    for n in 1..=DEMO_TABLES {
        db::tables::create(ctx, DEMO_STORE, n, table_hash, 0)?;
    }
    type Items = &'static [(&'static str, i64, &'static str)];
    let menu: [(&str, Items); 3] = [
        (
            "식사 Meals",
            &[
                ("김치찌개", 9000, "Kimchi stew with pork and tofu"),
                ("된장찌개", 8000, "Soybean paste stew"),
                ("비빔밥", 10000, "Rice with vegetables, egg and gochujang"),
                ("불고기 정식", 13000, "Bulgogi set with rice and side dishes"),
            ],
        ),
        (
            "안주 Sides",
            &[("해물파전", 15000, "Seafood and green onion pancake"), ("계란말이", 7000, "Rolled omelette")],
        ),
        ("음료 Drinks", &[("콜라", 2000, "Cola"), ("사이다", 2000, "Lemon-lime soda"), ("맥주", 5000, "Beer 500 ml")]),
    ];
    for (ci, (cat, items)) in menu.iter().enumerate() {
        let c = db::menu::create_category(ctx, DEMO_STORE, cat, Some(ci as i64), 0)?;
        for (ii, (name, price, desc)) in items.iter().enumerate() {
            let f = db::menu::ItemFields {
                category_id: Some(c.id),
                name: Some(name.to_string()),
                description: Some(desc.to_string()),
                price: Some(*price),
                available: Some(true),
                sort_order: Some(ii as i64),
            };
            db::menu::create_item(ctx, DEMO_STORE, &f, 0)?;
        }
    }
    Ok(true)
}
