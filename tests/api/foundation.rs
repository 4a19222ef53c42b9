//! Foundation: migrations, logins, tokens, configuration precedence and bad input.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tableorder::auth::{Claims, Keys};

#[tokio::test]
async fn migrations_create_the_whole_schema_from_empty_and_rerun_as_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = tableorder::db::open_and_migrate(dir.path()).unwrap();
    assert_eq!(tableorder::db::migrate::current(&conn).unwrap(), tableorder::db::migrate::latest());
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in [
        "admins",
        "categories",
        "events",
        "images",
        "menu_items",
        "meta",
        "order_counters",
        "order_items",
        "orders",
        "staff_calls",
        "stores",
        "table_sessions",
        "tables",
    ] {
        assert!(tables.contains(&t.to_string()), "missing table {t}: {tables:?}");
    }
    // Every store-scoped table carries store_id.
    for t in &tables {
        if t == "stores" || t == "meta" {
            continue;
        }
        let cols: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(cols.contains(&"store_id".to_string()), "{t} has no store_id");
    }
    // Every index on a store-scoped table leads with store_id, except the box-wide prune
    // index and the keys of what is presented before its store is known: a tablet's setup
    // code, a shared terminal's token.
    let idx: Vec<(String, String)> = conn
        .prepare(
            "SELECT il.name, ii.name FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii
             WHERE m.type = 'table' AND ii.seqno = 0 AND m.name NOT IN ('stores', 'meta')",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (index, first) in idx {
        if ["idx_events_created", "sqlite_autoindex_setup_codes_1", "sqlite_autoindex_terminals_1"]
            .contains(&index.as_str())
        {
            continue;
        }
        assert_eq!(first, "store_id", "index {index} leads with {first}");
    }
    let applied = tableorder::db::migrate::run(&mut conn, dir.path()).unwrap();
    assert_eq!(applied, 0);
    drop(conn);
    let conn = tableorder::db::open_and_migrate(dir.path()).unwrap();
    assert_eq!(tableorder::db::migrate::current(&conn).unwrap(), tableorder::db::migrate::latest());
}

#[tokio::test]
async fn a_database_written_by_a_newer_binary_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = tableorder::db::open_and_migrate(dir.path()).unwrap();
        conn.pragma_update(None, "user_version", 42).unwrap();
        // Its migrations were not all additive: a binary must know schema 42 to open it.
        conn.execute("UPDATE meta SET value = '42' WHERE key = 'schema_floor'", []).unwrap();
    }
    let err = tableorder::app::App::build(tableorder::config::Config::for_data_dir(dir.path())).await.err().unwrap();
    assert!(err.contains("schema version 42"), "{err}");
    assert!(err.contains(&format!("schema version {}", tableorder::db::migrate::latest())), "{err}");
    assert!(err.contains(env!("CARGO_PKG_VERSION")), "{err}");
}

#[tokio::test]
async fn staff_and_tables_log_in_with_the_right_password_only() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 2).await;
    let ok = app
        .post(
            "/api/v1/auth/admin/login",
            None,
            json!({"store_id": "a", "username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["store_id"], "a");
    assert_eq!(ok.body["username"], "admin");
    assert!(ok.body["expires_at"].as_str().unwrap().ends_with('Z'));
    for (store, user, pw) in
        [("a", "admin", "wrong-password"), ("a", "nobody", ADMIN_PASSWORD), ("b", "admin", ADMIN_PASSWORD)]
    {
        let r = app
            .post("/api/v1/auth/admin/login", None, json!({"store_id": store, "username": user, "password": pw}))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{store}/{user}");
        assert_eq!(r.code(), "unauthorized");
    }
    let t = app
        .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 2, "password": TABLE_PASSWORD}))
        .await;
    assert_eq!(t.status, StatusCode::OK);
    assert_eq!(t.body["table_number"], 2);
    assert!(t.body["table_id"].as_i64().is_some());
    for (n, pw) in [(2, "9999"), (3, TABLE_PASSWORD)] {
        let r = app
            .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": n, "password": pw}))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The tokens carry the documented claims.
    let claims = claims_of(t.body["token"].as_str().unwrap());
    assert_eq!(claims["user_type"], "table");
    assert_eq!(claims["store_id"], "a");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 16 * 3600);
    let claims = claims_of(ok.body["token"].as_str().unwrap());
    assert_eq!(claims["user_type"], "admin");
    assert!(claims["admin_id"].as_i64().is_some());
}

fn claims_of(token: &str) -> Value {
    use base64_url::decode;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&decode(part)).unwrap()
}

pub(crate) mod base64_url {
    /// Decodes unpadded base64url (enough for JWT segments).
    pub fn decode(s: &str) -> Vec<u8> {
        let val = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => (c - b'A') as u32,
                b'a'..=b'z' => (c - b'a' + 26) as u32,
                b'0'..=b'9' => (c - b'0' + 52) as u32,
                b'-' => 62,
                b'_' => 63,
                _ => panic!("bad base64url"),
            }
        };
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for &c in s.as_bytes() {
            acc = (acc << 6) | val(c);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        out
    }

    pub fn encode(b: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = chunk.iter().fold(0u32, |a, &x| (a << 8) | x as u32) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

#[tokio::test]
async fn expired_and_tampered_tokens_answer_401() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let admin = app.admin_token("a").await;
    assert_eq!(app.get("/api/v1/admin/tables", Some(&admin)).await.status, StatusCode::OK);

    // Signed with another key.
    let now = app.clock.now_ms() / 1000;
    let foreign = Keys::new(&[7u8; 64]).issue(&Claims::admin("a", 1, 0, now)).unwrap();
    // alg: none, no signature.
    let header = base64_url::encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = base64_url::encode(serde_json::to_string(&Claims::admin("a", 1, 0, now)).unwrap().as_bytes());
    let none = format!("{header}.{body}.");
    // Claims edited after signing (another store).
    let parts: Vec<&str> = admin.split('.').collect();
    let mut claims = claims_of(&admin);
    claims["store_id"] = json!("b");
    let edited = format!("{}.{}.{}", parts[0], base64_url::encode(claims.to_string().as_bytes()), parts[2]);
    for (what, token) in
        [("foreign key", foreign.as_str()), ("alg none", &none), ("edited claims", &edited), ("garbage", "abc.def.ghi")]
    {
        let r = app.get("/api/v1/admin/tables", Some(token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(r.code(), "unauthorized", "{what}");
    }
    let r = app.get("/api/v1/admin/tables", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .client
        .get(app.url("/api/v1/admin/tables"))
        .header("authorization", format!("Basic {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Expiry follows the server's clock.
    app.clock.advance(16 * 3600 * 1000 + 1000);
    let r = app.get("/api/v1/admin/tables", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_token_of_the_wrong_kind_answers_403() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let table = app.table_token("a", 1).await;
    let admin = app.admin_token("a").await;
    for path in ["/api/v1/admin/tables", "/api/v1/admin/orders", "/api/v1/admin/system", "/api/v1/admin/categories"] {
        let r = app.get(path, Some(&table)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.code(), "forbidden");
    }
    for path in ["/api/v1/menu", "/api/v1/orders"] {
        let r = app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn bad_input_to_the_login_endpoints_answers_4xx_json() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let long = "x".repeat(200);
    let cases: Vec<(&str, &str, Value, u16, &str)> = vec![
        (
            "/api/v1/auth/admin/login",
            "missing field",
            json!({"store_id": "a", "username": "admin"}),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/auth/admin/login",
            "wrong type",
            json!({"store_id": 5, "username": "admin", "password": "x"}),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/auth/admin/login",
            "empty",
            json!({"store_id": "", "username": "admin", "password": "x"}),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/auth/admin/login",
            "overlong",
            json!({"store_id": "a", "username": long, "password": "x"}),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/auth/admin/login",
            "unknown field",
            json!({"store_id": "a", "username": "admin", "password": "x", "role": "root"}),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/auth/table/login",
            "number as string",
            json!({"store_id": "a", "table_number": "1", "password": "1234"}),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/auth/table/login",
            "number out of range",
            json!({"store_id": "a", "table_number": 0, "password": "1234"}),
            422,
            "validation_failed",
        ),
        ("/api/v1/auth/table/login", "not an object", json!([1, 2]), 422, "validation_failed"),
        ("/api/v1/setup", "missing fields", json!({"code": "1"}), 422, "validation_failed"),
    ];
    for (path, what, body, status, code) in cases {
        let r = app.post(path, None, body).await;
        assert_eq!(r.status.as_u16(), status, "{path} {what}: {:?}", r.body);
        assert_eq!(r.code(), code, "{path} {what}");
        assert!(!r.body["error"]["message"].as_str().unwrap().is_empty());
    }
    let fields = app.post("/api/v1/auth/admin/login", None, json!({"store_id": "a", "username": "admin"})).await;
    assert!(fields.body["error"]["fields"]["password"].is_string(), "{:?}", fields.body);

    for (what, ctype, body) in [
        ("malformed json", "application/json", b"{\"store_id\": ".to_vec()),
        ("not json at all", "application/json", b"hello".to_vec()),
        ("wrong content type", "text/plain", b"{}".to_vec()),
    ] {
        let r = app.raw(Method::POST, "/api/v1/auth/admin/login", None, ctype, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(r.code(), "bad_request", "{what}");
    }
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = app.raw(Method::POST, "/api/v1/auth/admin/login", None, "application/json", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
}

#[tokio::test]
async fn unknown_endpoints_and_methods_answer_json_errors() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = app.delete("/healthz", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
    let r = app.get("/api/v1/admin/tables/abc", None).await;
    assert!(r.status.is_client_error());
}

#[tokio::test]
async fn logins_are_rate_limited_per_client_address() {
    let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 3).await;
    app.seed_store("a", 1).await;
    for _ in 0..3 {
        let r = app
            .post(
                "/api/v1/auth/admin/login",
                None,
                json!({"store_id": "a", "username": "admin", "password": "nope-nope"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .post(
            "/api/v1/auth/admin/login",
            None,
            json!({"store_id": "a", "username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "too_many_requests");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
}

#[tokio::test]
async fn an_account_locks_after_repeated_failures_and_a_new_password_unlocks_a_table() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    for _ in 0..tableorder::db::stores::LOCKOUT_AFTER {
        let r = app
            .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 1, "password": "0000"}))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    settle(&app).await;
    // Locked: even the right password is refused, with the answer a wrong one gets.
    let r = app
        .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 1, "password": TABLE_PASSWORD}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Staff reset the table's password, which lifts the lock.
    let admin = app.admin_token("a").await;
    let tables = app.get("/api/v1/admin/tables", Some(&admin)).await;
    let id = tables.body[0]["id"].as_i64().unwrap();
    let r = app.patch(&format!("/api/v1/admin/tables/{id}"), Some(&admin), json!({"password": "5678"})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 1, "password": "5678"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // The lock also expires with time.
    for _ in 0..tableorder::db::stores::LOCKOUT_AFTER {
        app.post(
            "/api/v1/auth/admin/login",
            None,
            json!({"store_id": "a", "username": "admin", "password": "wrong-password"}),
        )
        .await;
    }
    settle(&app).await;
    let r = app
        .post(
            "/api/v1/auth/admin/login",
            None,
            json!({"store_id": "a", "username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.clock.advance(tableorder::db::stores::LOCKOUT_MS + 1000);
    app.admin_token("a").await;
}

#[tokio::test]
async fn health_metrics_and_openapi_answer() {
    let app = TestApp::spawn().await;
    let h = app.get("/healthz", None).await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.body, json!({"status": "ok", "db": "ok", "writer": "ok", "version": env!("CARGO_PKG_VERSION")}));
    let m = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("# TYPE tableorder_sse_connections gauge"));
    assert!(m.contains("tableorder_orders_created_total 0"));
    let doc = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/api/v1/auth/admin/login", "post"),
        ("/api/v1/auth/table/login", "post"),
        ("/api/v1/setup", "post"),
        ("/api/v1/images/{id}", "get"),
        ("/api/v1/menu", "get"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders", "get"),
        ("/api/v1/calls", "post"),
        ("/api/v1/events", "get"),
        ("/api/v1/admin/tables", "get"),
        ("/api/v1/admin/tables", "post"),
        ("/api/v1/admin/tables/{id}", "patch"),
        ("/api/v1/admin/tables/{id}", "delete"),
        ("/api/v1/admin/tables/{id}/end-session", "post"),
        ("/api/v1/admin/orders", "get"),
        ("/api/v1/admin/orders/{id}", "patch"),
        ("/api/v1/admin/orders/{id}", "delete"),
        ("/api/v1/admin/history", "get"),
        ("/api/v1/admin/categories", "get"),
        ("/api/v1/admin/categories", "post"),
        ("/api/v1/admin/categories/{id}", "patch"),
        ("/api/v1/admin/categories/{id}", "delete"),
        ("/api/v1/admin/menu-items", "get"),
        ("/api/v1/admin/menu-items", "post"),
        ("/api/v1/admin/menu-items/{id}", "patch"),
        ("/api/v1/admin/menu-items/{id}", "delete"),
        ("/api/v1/admin/menu-items/{id}/image", "put"),
        ("/api/v1/admin/menu-items/order", "put"),
        ("/api/v1/admin/calls", "get"),
        ("/api/v1/admin/calls/{id}/ack", "post"),
        ("/api/v1/admin/events", "get"),
        ("/api/v1/admin/system", "get"),
        ("/api/v1/admin/backups", "post"),
        ("/api/v1/admin/backups", "get"),
        ("/api/v1/admin/backups/{name}", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "openapi lacks {method} {path}");
    }
}

#[test]
fn configuration_precedence_is_flags_then_environment_then_file_then_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "max_tables = 11\nmax_categories = 12\nmax_menu_items = 13\nmdns_name = \"from-file\"\n")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tableorder"))
        .args(["config", "--config"])
        .arg(&file)
        .args(["--max-tables", "31"])
        .env("TABLEORDER_MAX_TABLES", "21")
        .env("TABLEORDER_MAX_CATEGORIES", "22")
        .env_remove("TABLEORDER_MAX_MENU_ITEMS")
        .env_remove("TABLEORDER_LISTEN")
        .env_remove("TABLEORDER_MDNS_NAME")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let cfg: toml::Table = text.parse().unwrap();
    assert_eq!(cfg["max_tables"].as_integer(), Some(31), "flag beats environment");
    assert_eq!(cfg["max_categories"].as_integer(), Some(22), "environment beats file");
    assert_eq!(cfg["max_menu_items"].as_integer(), Some(13), "file beats default");
    assert_eq!(cfg["mdns_name"].as_str(), Some("from-file"));
    assert_eq!(cfg["listen"].as_str(), Some("0.0.0.0:8080"), "default");
    assert_eq!(cfg["max_active_orders"].as_integer(), Some(1000), "default");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "max_tabels = 1\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tableorder"))
        .args(["config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_tabels"));
}

#[test]
fn store_create_makes_a_store_whose_admin_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tableorder"))
        .args(["store", "create", "--id", "bistro", "--name", "Bistro", "--admin", "owner", "--data-dir"])
        .arg(dir.path())
        .env("TABLEORDER_ADMIN_PASSWORD", "owner-password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_tableorder"))
        .args(["store", "create", "--id", "bistro", "--name", "Bistro", "--admin", "owner", "--data-dir"])
        .arg(dir.path())
        .env("TABLEORDER_ADMIN_PASSWORD", "owner-password")
        .output()
        .unwrap();
    assert!(!again.status.success(), "a second store with the same id is refused");
    let weak = std::process::Command::new(env!("CARGO_BIN_EXE_tableorder"))
        .args(["store", "create", "--id", "other", "--name", "Other", "--admin", "owner", "--data-dir"])
        .arg(dir.path())
        .env("TABLEORDER_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!weak.status.success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let app = TestApp::spawn_in(dir, |_| {}).await;
        let r = app
            .post(
                "/api/v1/auth/admin/login",
                None,
                json!({"store_id": "bistro", "username": "owner", "password": "owner-password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        app.stop().await;
    });
}

#[tokio::test]
async fn a_database_of_the_previous_schema_is_backed_up_and_upgraded_at_start_keeping_its_data() {
    use tableorder::db::migrate;
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = tableorder::db::open(&tableorder::db::db_path(dir.path())).unwrap();
        migrate::apply(&mut conn, dir.path(), &migrate::MIGRATIONS[..1]).unwrap();
        tableorder::db::stores::create_store(&conn, "old", "Old", "Asia/Seoul", 0).unwrap();
        conn.execute(
            "INSERT INTO admins (store_id, username, password_hash, created_at) VALUES ('old', 'admin', ?1, 0)",
            [hash(ADMIN_PASSWORD)],
        )
        .unwrap();
    }
    let app = TestApp::spawn_in(dir, |_| {}).await;
    app.admin_token("old").await;
    let backups: Vec<String> = std::fs::read_dir(app.dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(backups.iter().any(|b| b.starts_with("pre-migrate-v1-to-v")), "{backups:?}");
    let v = tableorder::db::read(&app.state.pool, |c| Ok(migrate::current(c)?)).await.unwrap();
    assert_eq!(v, migrate::latest());
}
