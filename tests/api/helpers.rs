//! `TestApp`: a real server on 127.0.0.1:0 with its own temporary data directory.
#![allow(dead_code)]

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::sync::OnceLock;
use tableorder::app::{App, Options};
use tableorder::clock::Clock;
use tableorder::config::Config;
use tableorder::state::AppState;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN_PASSWORD: &str = "correct-horse";
pub const TABLE_PASSWORD: &str = "1234";

/// One argon2 hash per password for the whole test binary (hashing is deliberately slow).
pub fn hash(password: &str) -> String {
    static ADMIN: OnceLock<String> = OnceLock::new();
    static TABLE: OnceLock<String> = OnceLock::new();
    let cell = match password {
        ADMIN_PASSWORD => &ADMIN,
        TABLE_PASSWORD => &TABLE,
        other => return tableorder::auth::hash_password(other).unwrap(),
    };
    cell.get_or_init(|| tableorder::auth::hash_password(password).unwrap()).clone()
}

pub struct TestApp {
    pub addr: String,
    pub port: u16,
    pub dir: TempDir,
    pub client: Client,
    pub clock: Clock,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), String>>>,
}

/// An answer: status, headers and the body as JSON (Null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub bytes: Vec<u8>,
}

impl Resp {
    /// The error code of an API error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// A server whose configuration `tweak` may change (limits are lifted for tests by default
    /// where they would get in the way: logins and orders per minute).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        TestApp::spawn_in(dir, tweak).await
    }

    pub async fn spawn_in(dir: TempDir, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_data_dir(dir.path());
        config.limits.logins_per_minute = 0;
        config.limits.box_logins_per_minute = 0;
        config.limits.orders_per_minute = 0;
        tweak(&mut config);
        let clock = Clock::system();
        let app = App::build_with(config, Options { clock: Some(clock.clone()), ..Default::default() })
            .await
            .expect("server builds");
        let port = app.port();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            addr: format!("http://127.0.0.1:{port}"),
            port,
            dir,
            client: Client::new(),
            clock,
            state,
            stop: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server and waits for it; returns the data directory for reuse.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    /// One number from the database (`SELECT count(*) …`).
    pub fn count(&self, sql: &str) -> i64 {
        self.state.pool.get().unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    /// Creates a store with admin `admin` / [`ADMIN_PASSWORD`] and tables 1..=tables (password [`TABLE_PASSWORD`]).
    pub async fn seed_store(&self, store_id: &str, tables: i64) {
        let (admin, table) = (hash(ADMIN_PASSWORD), hash(TABLE_PASSWORD));
        let id = store_id.to_string();
        self.state
            .writer
            .write(move |ctx| {
                tableorder::db::stores::create_store(ctx.conn, &id, "Test store", "Asia/Seoul", ctx.now_ms)?;
                tableorder::db::stores::create_admin(ctx.conn, &id, "admin", &admin, ctx.now_ms)?;
                for n in 1..=tables {
                    tableorder::db::tables::create(ctx, &id, n, &table, 0)?;
                }
                Ok(())
            })
            .await
            .unwrap();
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        into_resp(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::GET, path, token, None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(Method::POST, path, token, Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(Method::PATCH, path, token, Some(body)).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(Method::PUT, path, token, Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Sends a raw body with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = self.client.request(method, self.url(path)).header("content-type", content_type).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        into_resp(req.send().await.unwrap()).await
    }

    pub async fn admin_token(&self, store_id: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/admin/login",
                None,
                json!({"store_id": store_id, "username": "admin", "password": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "admin login: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    pub async fn table_token(&self, store_id: &str, number: i64) -> String {
        let r = self
            .post(
                "/api/v1/auth/table/login",
                None,
                json!({"store_id": store_id, "table_number": number, "password": TABLE_PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "table login: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// Creates a category and returns its id.
    pub async fn category(&self, admin: &str, name: &str) -> i64 {
        let r = self.post("/api/v1/admin/categories", Some(admin), json!({"name": name})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_i64().unwrap()
    }

    /// Creates a menu item and returns its id.
    pub async fn item(&self, admin: &str, category_id: i64, name: &str, price: i64) -> i64 {
        let r = self
            .post(
                "/api/v1/admin/menu-items",
                Some(admin),
                json!({"category_id": category_id, "name": name, "price": price}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_i64().unwrap()
    }

    /// Places an order with `key`; returns the answer.
    pub async fn order(&self, table: &str, key: &str, lines: &[(i64, i64)]) -> Resp {
        let items: Vec<Value> = lines.iter().map(|(id, q)| json!({"menu_item_id": id, "quantity": q})).collect();
        let req = self
            .client
            .post(self.url("/api/v1/orders"))
            .bearer_auth(table)
            .header("idempotency-key", key)
            .json(&json!({ "items": items }));
        into_resp(req.send().await.unwrap()).await
    }
}

pub async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap().to_vec();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp { status, headers, body, bytes }
}

/// A store with one category ("Meals") and two items (김치찌개 9,000, 콜라 2,000).
pub struct Menu {
    pub admin: String,
    pub category: i64,
    pub stew: i64,
    pub cola: i64,
}

pub async fn store_with_menu(app: &TestApp, store_id: &str, tables: i64) -> Menu {
    app.seed_store(store_id, tables).await;
    let admin = app.admin_token(store_id).await;
    let category = app.category(&admin, "Meals").await;
    let stew = app.item(&admin, category, "김치찌개", 9000).await;
    let cola = app.item(&admin, category, "콜라", 2000).await;
    Menu { admin, category, stew, cola }
}

/// Waits until every write queued so far is committed (the writer runs jobs in order).
pub async fn settle(app: &TestApp) {
    app.state.writer.write(|_| Ok(())).await.unwrap();
}

/// A real photo-like image of `w`×`h` pixels in `format` (noise, so that it does not
/// compress: a 320×320 PNG is about 300 KB).
pub fn photo(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A small real PNG.
pub fn png() -> Vec<u8> {
    photo(40, 30, image::ImageFormat::Png)
}
