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
/// `tableorder update verify`: checks a release and says what it is, or why it is refused.
pub fn update_verify(
    binary: &std::path::Path,
    signature: Option<&std::path::Path>,
    public_keys: &[String],
    rollback: bool,
) -> Result<(), String> {
    // A key given as a file name is read from it.
    let keys: Vec<String> = public_keys
        .iter()
        .map(|k| match std::fs::read_to_string(k) {
            Ok(text) if std::path::Path::new(k).is_file() => text,
            _ => k.clone(),
        })
        .collect();
    let keys = crate::update::trusted_keys(&keys)?;
    if keys.is_empty() {
        return Err("no trusted release key: this binary has none built in; give one with --public-key".into());
    }
    let sig_path = signature
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from(format!("{}.minisig", binary.display())));
    let bin = std::fs::read(binary).map_err(|e| format!("cannot read {}: {e}", binary.display()))?;
    let sig = std::fs::read_to_string(&sig_path).map_err(|e| format!("cannot read {}: {e}", sig_path.display()))?;
    let r = crate::update::verify(&bin, &sig, &keys, crate::update::this_arch(), crate::version::get(), rollback)
        .map_err(|e| format!("release refused: {e}"))?;
    println!("release {} for {}: signature good", r.version, r.target);
    Ok(())
}

/// `tableorder update apply`: verifies and installs a release, then asks for the switch.
pub fn update_apply(
    binary: &std::path::Path,
    signature: Option<&std::path::Path>,
    when: &str,
    rollback: bool,
    settings: Settings,
) -> Result<(), String> {
    use crate::update::{self, state::When};
    let config = settings.resolve()?;
    let when = match when {
        "now" => When::Now,
        "idle" => When::Idle,
        other => return Err(format!("--when is now or idle, not {other:?}")),
    };
    let keys = update::trusted_keys(&config.update_public_keys)?;
    if keys.is_empty() {
        return Err("no trusted release key: this binary has none built in; set update_public_keys".into());
    }
    let sig_path = signature
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from(format!("{}.minisig", binary.display())));
    let sig = std::fs::read_to_string(&sig_path).map_err(|e| format!("cannot read {}: {e}", sig_path.display()))?;
    let staged =
        update::staging_path(&config.data_dir).map_err(|e| format!("cannot write to the data directory: {e}"))?;
    std::fs::copy(binary, &staged).map_err(|e| {
        let _ = std::fs::remove_file(&staged);
        format!("cannot copy {}: {e}", binary.display())
    })?;
    let r = update::install(&config.data_dir, &staged, &sig, &keys, rollback).map_err(|e| e.to_string())?;
    update::request(&config.data_dir, Some(r.version.clone()), when, rollback)
        .map_err(|e| format!("cannot record the update: {e}"))?;
    println!(
        "release {} installed; the box switches to it {} (a box that is not running: at its next start)",
        r.version,
        if when == When::Now { "now" } else { "when no visit is open or the day is closed" }
    );
    Ok(())
}

/// `tableorder update status`.
pub fn update_status(settings: Settings) -> Result<(), String> {
    let config = settings.resolve()?;
    let st = crate::update::state::load(&config.data_dir);
    let name = |b: &crate::update::state::Build| {
        st.version_of(b).map(|v| if b.is_none() { format!("{v} (packaged)") } else { v }).unwrap_or_else(|| "-".into())
    };
    println!("current:  {}", name(&st.current));
    println!(
        "previous: {}",
        if st.previous.is_some() || st.current.is_some() { name(&st.previous) } else { "-".into() }
    );
    println!(
        "state:    {}",
        serde_json::to_value(st.phase).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    );
    if let Some(p) = &st.pending {
        println!("pending:  {} ({:?})", name(&p.to), p.when);
    }
    if let Some(e) = &st.last_error {
        println!("last error: {e}");
    }
    Ok(())
}

/// `tableorder update rollback`: back to the build that ran before, now.
pub fn update_rollback(settings: Settings) -> Result<(), String> {
    let config = settings.resolve()?;
    let to = crate::update::rollback_target(&config.data_dir)?;
    crate::update::request(&config.data_dir, to.clone(), crate::update::state::When::Now, true)
        .map_err(|e| format!("cannot record the rollback: {e}"))?;
    println!("going back to {}", to.unwrap_or_else(|| "the packaged binary".into()));
    Ok(())
}

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
/// The demo's other staff: (username, display name, role, PIN); their password is the owner's.
pub const DEMO_STAFF: &[(&str, &str, crate::domain::Role, &str)] = &[
    ("manager", "김매니저", crate::domain::Role::Manager, "1111"),
    ("server", "이서버", crate::domain::Role::Server, "2222"),
    ("kitchen", "박주방", crate::domain::Role::Kitchen, "3333"),
];
pub const DEMO_TABLE_PASSWORD: &str = "1234";
pub const DEMO_TABLES: i64 = 12;

/// Creates the demo store if absent. Returns whether it was created.
pub fn seed_demo(ctx: &mut WriteCtx, admin_hash: &str, table_hash: &str) -> Result<bool, AppError> {
    if db::stores::store_exists(ctx.conn, DEMO_STORE)? {
        return Ok(false);
    }
    db::stores::create_store(ctx.conn, DEMO_STORE, "데모 식당 (Demo)", "Asia/Seoul", ctx.now_ms)?;
    db::stores::create_admin(ctx.conn, DEMO_STORE, DEMO_ADMIN, admin_hash, ctx.now_ms)?;
    // One person of each other role, with the owner's password and a PIN to try terminals.
    let pins = crate::auth::PinKey::load(ctx.conn).map_err(AppError::Internal)?;
    for (username, name, role, pin) in DEMO_STAFF {
        let s = db::staff::NewStaff {
            username: username.to_string(),
            display_name: name.to_string(),
            role: *role,
            password_hash: admin_hash.to_string(),
            pin_tag: Some(pins.tag(DEMO_STORE, pin)),
        };
        ctx.conn.execute(
            "INSERT INTO admins (store_id, username, display_name, role, password_hash, pin_tag, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![DEMO_STORE, s.username, s.display_name, s.role.as_str(), s.password_hash, s.pin_tag, ctx.now_ms],
        )?;
    }
    db::stores::accounts_changed(ctx.conn)?;
    for n in 1..=DEMO_TABLES {
        db::tables::create(ctx, DEMO_STORE, n, table_hash, 0)?;
    }
    demo_menu(ctx)?;
    Ok(true)
}

/// One demo menu item: Korean name and description, price, translations (en, ja, zh of
/// name and description), the option groups it offers (by key).
struct DemoItem {
    name: &'static str,
    price: i64,
    desc: &'static str,
    tr: [(&'static str, &'static str); 3],
    groups: &'static [&'static str],
}

/// The demo store's menu: stews with 맵기 and 사리 추가, 곱빼기 on rice dishes, drink sizes,
/// everything translated into English, Japanese and Chinese.
fn demo_menu(ctx: &mut WriteCtx) -> Result<(), AppError> {
    use serde_json::json;
    let t3 = |en: (&str, &str), ja: (&str, &str), zh: (&str, &str)| -> String {
        let one = |(n, d): (&str, &str)| {
            if d.is_empty() { json!({ "name": n }) } else { json!({ "name": n, "description": d }) }
        };
        json!({ "en": one(en), "ja": one(ja), "zh": one(zh) }).to_string()
    };
    let opts = db::options::Limits { groups: 0, options_per_group: 0 };
    // Option groups: key, name, min, max, translations, options (name, delta, en, ja, zh).
    type Opt = (&'static str, i64, &'static str, &'static str, &'static str);
    type Group = (&'static str, &'static str, i64, i64, [&'static str; 3], &'static [Opt]);
    let groups: [Group; 4] = [
        (
            "spice",
            "맵기",
            1,
            1,
            ["Spice level", "辛さ", "辣度"],
            &[
                ("순한맛", 0, "Mild", "マイルド", "微辣"),
                ("보통", 0, "Medium", "普通", "中辣"),
                ("매운맛", 0, "Hot", "辛口", "特辣"),
                ("아주 매운맛", 500, "Extra hot", "激辛", "超辣"),
            ],
        ),
        (
            "extras",
            "사리 추가",
            0,
            2,
            ["Add-ons", "トッピング", "加料"],
            &[
                ("라면사리", 1500, "Ramen noodles", "ラーメン麺", "拉面"),
                ("떡사리", 1500, "Rice cakes", "トック", "年糕"),
                ("치즈", 2000, "Cheese", "チーズ", "芝士"),
            ],
        ),
        (
            "large",
            "곱빼기",
            0,
            1,
            ["Large portion", "大盛り", "加大份"],
            &[("곱빼기", 2000, "Large", "大盛り", "大份")],
        ),
        (
            "size",
            "사이즈",
            1,
            1,
            ["Size", "サイズ", "杯型"],
            &[("보통", 0, "Regular", "レギュラー", "中杯"), ("큰 사이즈", 1000, "Large", "ラージ", "大杯")],
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for (key, name, min, max, tr, options) in groups {
        let gtr = json!({ "en": { "name": tr[0] }, "ja": { "name": tr[1] }, "zh": { "name": tr[2] } }).to_string();
        let options: Vec<db::options::NewOption> = options
            .iter()
            .map(|(n, d, en, ja, zh)| db::options::NewOption {
                name: n.to_string(),
                price_delta: *d,
                available: true,
                sort_order: None,
                translations: json!({ "en": { "name": en }, "ja": { "name": ja }, "zh": { "name": zh } }).to_string(),
            })
            .collect();
        let f = db::options::GroupFields {
            name: Some(name.into()),
            min: Some(min),
            max: Some(max),
            sort_order: None,
            translations: Some(gtr),
        };
        let g = db::options::create_group(ctx, DEMO_STORE, &f, &options, opts)?;
        ids.insert(key, g.id);
    }
    let menu: [(&str, [&str; 3], &[DemoItem]); 3] = [
        (
            "식사",
            ["Meals", "お食事", "主食"],
            &[
                DemoItem {
                    name: "김치찌개",
                    price: 9000,
                    desc: "돼지고기와 두부를 넣고 푹 끓인 김치찌개",
                    tr: [
                        ("Kimchi stew", "Aged kimchi stew with pork and tofu"),
                        ("キムチチゲ", "豚肉と豆腐入りのキムチ鍋"),
                        ("泡菜汤", "猪肉豆腐泡菜汤"),
                    ],
                    groups: &["spice", "extras"],
                },
                DemoItem {
                    name: "된장찌개",
                    price: 8000,
                    desc: "구수한 된장에 애호박과 두부를 넣은 찌개",
                    tr: [
                        ("Soybean paste stew", "Doenjang stew with zucchini and tofu"),
                        ("テンジャンチゲ", "ズッキーニと豆腐の味噌チゲ"),
                        ("大酱汤", "西葫芦豆腐大酱汤"),
                    ],
                    groups: &["spice", "extras"],
                },
                DemoItem {
                    name: "비빔밥",
                    price: 10000,
                    desc: "제철 나물과 달걀, 고추장을 곁들인 비빔밥",
                    tr: [
                        ("Bibimbap", "Rice with seasonal vegetables, egg and gochujang"),
                        ("ビビンバ", "季節のナムルと卵、コチュジャン"),
                        ("拌饭", "时令蔬菜、鸡蛋配辣椒酱拌饭"),
                    ],
                    groups: &["large"],
                },
                DemoItem {
                    name: "불고기 정식",
                    price: 13000,
                    desc: "달콤한 간장 양념 불고기와 밥, 반찬",
                    tr: [
                        ("Bulgogi set", "Soy-marinated beef with rice and side dishes"),
                        ("プルコギ定食", "甘辛いプルコギとご飯、おかず"),
                        ("烤肉套餐", "酱烤牛肉配米饭和小菜"),
                    ],
                    groups: &["large"],
                },
            ],
        ),
        (
            "안주",
            ["Sides", "おつまみ", "下酒菜"],
            &[
                DemoItem {
                    name: "해물파전",
                    price: 15000,
                    desc: "오징어와 새우를 듬뿍 넣은 바삭한 파전",
                    tr: [
                        ("Seafood pancake", "Crispy green onion pancake with squid and shrimp"),
                        ("海鮮チヂミ", "イカとエビたっぷりのチヂミ"),
                        ("海鲜葱饼", "鱿鱼虾仁香脆葱饼"),
                    ],
                    groups: &[],
                },
                DemoItem {
                    name: "계란말이",
                    price: 7000,
                    desc: "부드럽게 말아 낸 계란말이",
                    tr: [
                        ("Rolled omelette", "Soft rolled egg omelette"),
                        ("卵焼き", "ふんわり卵焼き"),
                        ("鸡蛋卷", "嫩滑鸡蛋卷"),
                    ],
                    groups: &[],
                },
            ],
        ),
        (
            "음료",
            ["Drinks", "お飲み物", "饮料"],
            &[
                DemoItem {
                    name: "콜라",
                    price: 2000,
                    desc: "시원한 콜라",
                    tr: [("Cola", "Ice-cold cola"), ("コーラ", "冷たいコーラ"), ("可乐", "冰镇可乐")],
                    groups: &["size"],
                },
                DemoItem {
                    name: "사이다",
                    price: 2000,
                    desc: "시원한 사이다",
                    tr: [
                        ("Lemon-lime soda", "Ice-cold lemon-lime soda"),
                        ("サイダー", "冷たいサイダー"),
                        ("雪碧", "冰镇雪碧"),
                    ],
                    groups: &["size"],
                },
                DemoItem {
                    name: "맥주",
                    price: 5000,
                    desc: "생맥주 500ml",
                    tr: [("Draft beer", "500 ml"), ("生ビール", "500ml"), ("生啤", "500毫升")],
                    groups: &[],
                },
            ],
        ),
    ];
    // Two stations without printers (a printer is added in the dashboard): drinks go to 바.
    let kitchen = crate::db::kitchen::StationFields { name: Some("주방".into()), ..Default::default() };
    crate::db::kitchen::create_station(ctx, DEMO_STORE, &kitchen)?;
    let bar = crate::db::kitchen::StationFields { name: Some("바".into()), ..Default::default() };
    let bar = crate::db::kitchen::create_station(ctx, DEMO_STORE, &bar)?;
    for (ci, (cat, ctr, items)) in menu.iter().enumerate() {
        let ctr = json!({ "en": { "name": ctr[0] }, "ja": { "name": ctr[1] }, "zh": { "name": ctr[2] } }).to_string();
        let station = (*cat == "음료").then_some(bar.id);
        let c = db::menu::create_category(ctx, DEMO_STORE, cat, Some(ci as i64), Some(&ctr), station, 0)?;
        for (ii, it) in items.iter().enumerate() {
            let f = db::menu::ItemFields {
                category_id: Some(c.id),
                name: Some(it.name.to_string()),
                description: Some(it.desc.to_string()),
                price: Some(it.price),
                available: Some(true),
                sort_order: Some(ii as i64),
                translations: Some(t3(it.tr[0], it.tr[1], it.tr[2])),
                option_group_ids: Some(it.groups.iter().map(|k| ids[k]).collect()),
                station_id: None,
            };
            db::menu::create_item(ctx, DEMO_STORE, &f, 0)?;
        }
    }
    Ok(())
}
