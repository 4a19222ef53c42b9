//! What tablets and the dashboard need beyond orders: setup QR codes, 4:3 card images,
//! calls that survive a reload and end with the session, the store's timezone, and
//! whether the box still waits for its first-run setup.

use crate::helpers::*;
use crate::sse::Sse;
use image::ImageFormat;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn mint(app: &TestApp, admin: &str, body: Value) -> crate::helpers::Resp {
    let req = app.client.post(app.url("/api/v1/admin/tables/setup-codes")).bearer_auth(admin).json(&body);
    into_resp(req.send().await.unwrap()).await
}

fn code_of(url: &str) -> String {
    url.split_once("#setup=").expect("the code is in the fragment").1.to_string()
}

async fn redeem(app: &TestApp, code: &str) -> crate::helpers::Resp {
    app.post("/api/v1/auth/table/setup", None, json!({ "code": code })).await
}

#[tokio::test]
async fn a_setup_qr_code_sets_one_tablet_up_as_its_table_once_and_only_within_the_hour() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 3).await;
    let tables = app.get("/api/v1/admin/tables", Some(&m.admin)).await;
    let t2 = tables.body.as_array().unwrap().iter().find(|t| t["number"] == 2).unwrap()["id"].as_i64().unwrap();

    // A sheet of every table, for the address the tablets use.
    let sheet = mint(&app, &m.admin, json!({"base_url": "http://192.168.0.10:8080"})).await;
    assert_eq!(sheet.status, StatusCode::CREATED, "{:?}", sheet.body);
    // The sheet carries the store's name to print above each code.
    assert_eq!(sheet.body["store_name"], "Test store");
    let codes = sheet.body["codes"].as_array().unwrap();
    assert_eq!(codes.iter().map(|c| c["table_number"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    for c in codes {
        let url = c["url"].as_str().unwrap();
        assert!(url.starts_with("http://192.168.0.10:8080/table#setup="), "{url}");
        assert!(c["svg"].as_str().unwrap().starts_with("<svg"), "{c}");
        // The password is nowhere in what gets printed.
        assert!(!url.contains("password"), "{url}");
    }
    let expires = jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.fZ", sheet.body["expires_at"].as_str().unwrap())
        .or_else(|_| sheet.body["expires_at"].as_str().unwrap().parse::<jiff::Timestamp>())
        .unwrap();
    let in_an_hour = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(60);
    assert!((expires - in_an_hour).get_seconds().abs() < 30, "expires at {expires}");

    // The tablet that opens table 2's code is table 2, like after a password login.
    let c2 = code_of(codes[1]["url"].as_str().unwrap());
    let r = redeem(&app, &c2).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!((r.body["store_id"].as_str(), r.body["table_id"].as_i64()), (Some("a"), Some(t2)));
    assert_eq!(r.body["table_number"], 2);
    assert_eq!(r.body["timezone"], "Asia/Seoul");
    let token = r.body["token"].as_str().unwrap();
    let o = app.order(token, "qr-1", &[(m.stew, 1)]).await;
    assert_eq!(o.status, StatusCode::CREATED, "{:?}", o.body);
    assert_eq!(o.body["table_number"], 2);

    // Used once: a second tablet (or a photo of the sheet) gets nothing.
    let again = redeem(&app, &c2).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.code(), "unauthorized");
    assert_eq!(redeem(&app, "0123456789abcdef0123456789abcdef").await.status, StatusCode::UNAUTHORIZED);

    // An hour later the rest of the sheet is worthless.
    let c3 = code_of(codes[2]["url"].as_str().unwrap());
    app.clock.advance(60 * 60 * 1000 + 1);
    assert_eq!(redeem(&app, &c3).await.status, StatusCode::UNAUTHORIZED);

    // A code for one table; the table deleted before it is used: the code dies with it.
    let one = mint(&app, &m.admin, json!({"table_ids": [t2]})).await;
    assert_eq!(one.body["codes"].as_array().unwrap().len(), 1);
    let t3 = tables.body.as_array().unwrap().iter().find(|t| t["number"] == 3).unwrap()["id"].as_i64().unwrap();
    let for_t3 = mint(&app, &m.admin, json!({"table_ids": [t3]})).await;
    assert_eq!(app.delete(&format!("/api/v1/admin/tables/{t3}"), Some(&m.admin)).await.status, StatusCode::NO_CONTENT);
    let c = code_of(for_t3.body["codes"][0]["url"].as_str().unwrap());
    assert_eq!(redeem(&app, &c).await.status, StatusCode::UNAUTHORIZED);

    // Without base_url, the address the dashboard was opened at.
    let r = app
        .client
        .post(app.url("/api/v1/admin/tables/setup-codes"))
        .bearer_auth(&m.admin)
        .header("host", "tableorder.local:8080")
        .send()
        .await
        .unwrap();
    let r = into_resp(r).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["codes"][0]["url"].as_str().unwrap().starts_with("http://tableorder.local:8080/table#setup="));
}

#[tokio::test]
async fn setup_codes_are_the_stores_own_and_bad_requests_store_nothing() {
    let app = TestApp::spawn().await;
    let a = store_with_menu(&app, "a", 1).await;
    app.seed_store("b", 1).await;
    let b = app.admin_token("b").await;
    let a_table = app.get("/api/v1/admin/tables", Some(&a.admin)).await.body[0]["id"].as_i64().unwrap();

    let r = mint(&app, &b, json!({"table_ids": [a_table]})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for (body, field) in [
        (json!({"base_url": "javascript:alert(1)"}), "base_url"),
        (json!({"base_url": "http://evil.example/path?x"}), "base_url"),
        (json!({"table_ids": []}), "table_ids"),
    ] {
        let r = mint(&app, &a.admin, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", r.body);
        assert!(r.body["error"]["fields"].get(field).is_some(), "{body}: {:?}", r.body);
    }
    assert_eq!(mint(&app, &a.admin, json!({"tables": [1]})).await.status, StatusCode::BAD_REQUEST);
    let r = app
        .raw(Method::POST, "/api/v1/admin/tables/setup-codes", Some(&a.admin), "application/json", b"{".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let table = app.table_token("a", 1).await;
    assert_eq!(mint(&app, &table, json!({})).await.status, StatusCode::FORBIDDEN);

    let rows = tableorder::db::read(&app.state.pool, |c| {
        Ok(c.query_row("SELECT count(*) FROM setup_codes", [], |r| r.get::<_, i64>(0))?)
    })
    .await
    .unwrap();
    assert_eq!(rows, 0, "no refused request left a code behind");
    let r = app.post("/api/v1/auth/table/setup", None, json!({"code": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn every_photo_gets_a_4_by_3_card_whatever_its_shape() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let path = format!("/api/v1/admin/menu-items/{}/image", m.stew);
    for (w, h, format, ctype) in [
        (300, 400, ImageFormat::Jpeg, "image/jpeg"),
        (200, 900, ImageFormat::Png, "image/png"),
        (1200, 300, ImageFormat::WebP, "image/webp"),
    ] {
        let original = photo(w, h, format);
        let r = app.raw(Method::PUT, &path, Some(&m.admin), ctype, original.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{w}x{h}: {:?}", r.body);
        let card_url = r.body["card_image_url"].as_str().unwrap().to_string();
        let card = app.client.get(app.url(&card_url)).send().await.unwrap();
        assert_eq!(card.status(), StatusCode::OK);
        assert_eq!(card.headers()["content-type"], "image/jpeg");
        assert!(card.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        let img = image::load_from_memory(&card.bytes().await.unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), (640, 480), "{w}x{h}");
        // The original stays as it was, for the item's own sheet.
        let orig = app.client.get(app.url(r.body["image_url"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(orig.bytes().await.unwrap().to_vec(), original);
    }
    // The menu tells tablets both.
    let table = app.table_token("a", 1).await;
    let menu = app.get("/api/v1/menu", Some(&table)).await;
    let stew =
        menu.body["categories"][0]["items"].as_array().unwrap().iter().find(|i| i["id"] == m.stew).unwrap().clone();
    let card = stew["card_image_url"].as_str().unwrap();
    assert_eq!(format!("{}/card", stew["image_url"].as_str().unwrap()), card);

    // A file that only starts like an image, and a 10,000-pixel-wide one, are refused;
    // the item keeps its photo.
    let mut broken = photo(64, 48, ImageFormat::Png);
    broken.truncate(broken.len() / 2);
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/png", broken).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    let mut wide = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(image::GrayImage::new(10_000, 4)).write_to(&mut wide, ImageFormat::Png).unwrap();
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/png", wide.into_inner()).await;
    assert_eq!((r.status, r.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    let after = app.get("/api/v1/menu", Some(&table)).await;
    let stew2 =
        after.body["categories"][0]["items"].as_array().unwrap().iter().find(|i| i["id"] == m.stew).unwrap().clone();
    assert_eq!(stew2["card_image_url"].as_str(), Some(card));
    assert_eq!(app.get("/api/v1/images/999999/card", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_photo_uploaded_before_cards_existed_gets_its_card_when_first_asked_for() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 0).await;
    let path = format!("/api/v1/admin/menu-items/{}/image", m.stew);
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/png", photo(90, 160, ImageFormat::Png)).await;
    let card_url = r.body["card_image_url"].as_str().unwrap().to_string();
    // As an older version left it: the image without its card.
    tableorder::db::read(&app.state.pool, |c| Ok(c.execute("UPDATE images SET card = NULL", [])?)).await.unwrap();
    let first = app.client.get(app.url(&card_url)).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first = first.bytes().await.unwrap();
    assert_eq!(image::load_from_memory(&first).unwrap().height(), 480);
    settle(&app).await;
    let kept = tableorder::db::read(&app.state.pool, |c| {
        Ok(c.query_row("SELECT length(card) FROM images", [], |r| r.get::<_, Option<i64>>(0))?)
    })
    .await
    .unwrap();
    assert_eq!(kept, Some(first.len() as i64), "the card made on demand is kept");
}

#[tokio::test]
async fn a_tablet_reloaded_while_calling_still_shows_its_call_and_leaving_guests_close_theirs() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    assert_eq!(app.get("/api/v1/calls", Some(&t1)).await.body, json!({"calls": []}));
    assert_eq!(app.order(&t1, "k1", &[(m.stew, 1)]).await.status, StatusCode::CREATED);
    let call = app.post("/api/v1/calls", Some(&t1), json!({"reason": "물 주세요"})).await;
    assert_eq!(call.status, StatusCode::CREATED);
    app.post("/api/v1/calls", Some(&t2), json!({})).await;

    // After a reload the tablet asks, and sees its own call only.
    let open = app.get("/api/v1/calls", Some(&t1)).await;
    assert_eq!(open.status, StatusCode::OK);
    assert_eq!(open.body["calls"].as_array().unwrap().len(), 1);
    assert_eq!(open.body["calls"][0]["id"], call.body["id"]);
    assert_eq!(open.body["calls"][0]["reason"], "물 주세요");
    assert_eq!(app.get("/api/v1/calls", Some(&m.admin)).await.status, StatusCode::FORBIDDEN);

    // Staff end table 1's session without acknowledging: the call closes with it, and the
    // tablet and the dashboard hear so before the session ends.
    let (mut tablet, _) = Sse::open(&app, "/api/v1/events", &t1).await;
    let (mut staff, _) = Sse::open(&app, "/api/v1/admin/events", &m.admin).await;
    let tables = app.get("/api/v1/admin/tables", Some(&m.admin)).await;
    let t1_id = tables.body.as_array().unwrap().iter().find(|t| t["number"] == 1).unwrap()["id"].as_i64().unwrap();
    let r = app.post(&format!("/api/v1/admin/tables/{t1_id}/end-session"), Some(&m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    for s in [&mut tablet, &mut staff] {
        let acked = s.expect("call_acked").await.json();
        assert_eq!(acked["id"], call.body["id"]);
        assert!(acked["acked_at"].is_string());
        s.expect("session_ended").await;
    }
    assert_eq!(app.get("/api/v1/calls", Some(&t1)).await.body, json!({"calls": []}));
    let staff_open = app.get("/api/v1/admin/calls?open=true", Some(&m.admin)).await;
    assert_eq!(staff_open.body.as_array().unwrap().len(), 1, "table 2's call is still open");
    assert_eq!(staff_open.body[0]["table_number"], 2);
}

#[tokio::test]
async fn logins_the_menu_and_the_system_page_tell_the_stores_timezone() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    app.state
        .writer
        .write(|ctx| Ok(ctx.conn.execute("UPDATE stores SET timezone = 'America/New_York' WHERE id = 'a'", [])?))
        .await
        .unwrap();
    let login = app
        .post(
            "/api/v1/auth/admin/login",
            None,
            json!({"store_id": "a", "username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(login.body["timezone"], "America/New_York");
    let admin = login.body["token"].as_str().unwrap();
    let table = app
        .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 1, "password": TABLE_PASSWORD}))
        .await;
    assert_eq!(table.body["timezone"], "America/New_York");
    let menu = app.get("/api/v1/menu", Some(table.body["token"].as_str().unwrap())).await;
    assert_eq!(menu.body["timezone"], "America/New_York");
    assert_eq!(app.get("/api/v1/admin/system", Some(admin)).await.body["timezone"], "America/New_York");
    let r = app
        .post(
            "/api/v1/admin/password",
            Some(admin),
            json!({"current_password": ADMIN_PASSWORD, "new_password": "another-pass"}),
        )
        .await;
    assert_eq!(r.body["timezone"], "America/New_York");
}

#[tokio::test]
async fn the_setup_page_can_tell_whether_the_box_is_set_up() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/api/v1/setup", None).await.body, json!({"needed": true}));
    let code = app.state.setup_code.lock().unwrap().clone().unwrap();
    let r = app
        .post(
            "/api/v1/setup",
            None,
            json!({"code": code, "store_id": "s", "store_name": "가게", "username": "owner", "password": "long-enough"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(app.get("/api/v1/setup", None).await.body, json!({"needed": false}));
}

#[tokio::test]
async fn the_box_serves_its_pages_and_manifests_but_not_the_hubs_hq_page() {
    let app = TestApp::spawn().await;
    for (path, kind) in [
        ("/table", "text/html"),
        ("/staff", "text/html"),
        ("/kitchen", "text/html"),
        ("/setup", "text/html"),
        ("/table.webmanifest", "manifest"),
        ("/staff.webmanifest", "manifest"),
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.header("content-type").unwrap_or_default().contains(kind), "{path}: {:?}", r.header("content-type"));
    }
    // A tablet in kiosk mode starts full screen at its own page.
    let manifest: Value = serde_json::from_slice(&app.get("/table.webmanifest", None).await.bytes).unwrap();
    assert_eq!(manifest["display"], "fullscreen", "{manifest}");
    assert_eq!(manifest["start_url"], "/table", "{manifest}");
    // The HQ page logs in to a hub: on a box it is not there.
    for path in ["/hq", "/hq.html", "/hq/", "/js/hq.js", "/css/hq.css", "/js/strings-hq.js"] {
        assert_eq!(app.get(path, None).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_tablet_set_up_by_qr_code_stays_set_up_until_its_table_password_changes() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    let sheet = mint(&app, &m.admin, json!({})).await;
    let codes = sheet.body["codes"].as_array().unwrap();
    let t1 = codes[0]["table_id"].as_i64().unwrap();
    let r = redeem(&app, &code_of(codes[0]["url"].as_str().unwrap())).await;
    let key = r.body["device_key"].as_str().expect("a device key for a QR-set-up tablet").to_string();
    // The key itself opens nothing: it only renews the table's login.
    assert_eq!(app.get("/api/v1/menu", Some(&key)).await.status, StatusCode::UNAUTHORIZED);
    // A password login is a person typing: it gets no device key.
    let pw = app
        .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 2, "password": TABLE_PASSWORD}))
        .await;
    assert_eq!(pw.status, StatusCode::OK, "{}", pw.body);
    assert!(pw.body.get("device_key").is_none());

    // The next morning the 16-hour login has expired; the key renews it, with a new key.
    app.clock.advance(17 * 3600 * 1000);
    assert_eq!(app.get("/api/v1/menu", Some(r.body["token"].as_str().unwrap())).await.status, StatusCode::UNAUTHORIZED);
    let renewed = app.post("/api/v1/auth/table/renew", None, json!({"device_key": key})).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    assert_eq!((renewed.body["table_id"].as_i64(), renewed.body["table_number"].as_i64()), (Some(t1), Some(1)));
    let token = renewed.body["token"].as_str().unwrap();
    assert_eq!(app.order(token, "morning", &[(m.stew, 1)]).await.status, StatusCode::CREATED);
    // Months of daily use: each renewal's key carries the tablet on.
    let mut key = renewed.body["device_key"].as_str().unwrap().to_string();
    for _ in 0..4 {
        app.clock.advance(60 * 24 * 3600 * 1000);
        let r = app.post("/api/v1/auth/table/renew", None, json!({"device_key": key})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        key = r.body["device_key"].as_str().unwrap().to_string();
    }

    // Staff change table 1's password (a tablet was stolen): its key is revoked with it.
    let admin = app.admin_token("a").await;
    let p = app.patch(&format!("/api/v1/admin/tables/{t1}"), Some(&admin), json!({"password": "new-pass-99"})).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let r = app.post("/api/v1/auth/table/renew", None, json!({"device_key": key})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    // A deleted table's key too; a garbled one is just refused.
    let t2 = codes[1]["table_id"].as_i64().unwrap();
    let k2 = redeem(&app, &code_of(codes[1]["url"].as_str().unwrap())).await;
    assert_eq!(k2.status, StatusCode::UNAUTHORIZED, "the sheet is older than an hour by now");
    let fresh = mint(&app, &admin, json!({"table_ids": [t2]})).await;
    let k2 = redeem(&app, &code_of(fresh.body["codes"][0]["url"].as_str().unwrap())).await;
    assert_eq!(app.delete(&format!("/api/v1/admin/tables/{t2}"), Some(&admin)).await.status, StatusCode::NO_CONTENT);
    let r = app.post("/api/v1/auth/table/renew", None, json!({"device_key": k2.body["device_key"]})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.post("/api/v1/auth/table/renew", None, json!({"device_key": "x.y.z"})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/v1/auth/table/renew", None, json!({"device_key": ""})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
