//! Store setup: tables, categories, menu items, images, limits, the menu cache, isolation.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Event types recorded for a store, oldest first.
/// The kinds of the events the store's streams carry (the audit trail's travel only to the hub).
async fn event_types(app: &TestApp, store: &str) -> Vec<String> {
    let store = store.to_string();
    tableorder::db::read(&app.state.pool, move |c| {
        Ok(c.prepare("SELECT type FROM events WHERE store_id = ?1 AND type <> 'audit' ORDER BY id")?
            .query_map([store], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn staff_add_list_rekey_and_remove_tables() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 0).await;
    let admin = app.admin_token("a").await;
    let r = app.post("/api/v1/admin/tables", Some(&admin), json!({"number": 7, "password": "7777"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["number"], 7);
    assert_eq!(r.body["session"], Value::Null);
    assert!(r.body.get("password").is_none() && r.body.get("password_hash").is_none());

    let dup = app.post("/api/v1/admin/tables", Some(&admin), json!({"number": 7, "password": "1111"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "conflict");

    let list = app.get("/api/v1/admin/tables", Some(&admin)).await;
    assert_eq!(list.body, json!([{"id": id, "number": 7, "session": null}]));

    // The tablet logs in with the password; a new password replaces it.
    let login = |pw: &'static str| {
        app.post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 7, "password": pw}))
    };
    assert_eq!(login("7777").await.status, StatusCode::OK);
    let r = app.patch(&format!("/api/v1/admin/tables/{id}"), Some(&admin), json!({"password": "8888"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(login("7777").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login("8888").await.status, StatusCode::OK);

    let r = app.delete(&format!("/api/v1/admin/tables/{id}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/admin/tables", Some(&admin)).await.body, json!([]));
    assert_eq!(login("8888").await.status, StatusCode::UNAUTHORIZED);
    let r = app.delete(&format!("/api/v1/admin/tables/{id}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The number is free again.
    let r = app.post("/api/v1/admin/tables", Some(&admin), json!({"number": 7, "password": "7777"})).await;
    assert_eq!(r.status, StatusCode::CREATED);

    let types = event_types(&app, "a").await;
    assert_eq!(types.iter().filter(|t| *t == "table_changed").count(), 4, "{types:?}");
}

#[tokio::test]
async fn table_input_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 0).await;
    let admin = app.admin_token("a").await;
    for (body, field) in [
        (json!({"number": 0, "password": "1234"}), "number"),
        (json!({"number": 10000, "password": "1234"}), "number"),
        (json!({"number": 1, "password": "12"}), "password"),
        (json!({"number": 1, "password": "x".repeat(129)}), "password"),
        (json!({"number": "one", "password": "1234"}), "number"),
        (json!({"password": "1234"}), "number"),
        (json!({"number": 1.5, "password": "1234"}), "number"),
    ] {
        let r = app.post("/api/v1/admin/tables", Some(&admin), body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", r.body);
        assert_eq!(r.code(), "validation_failed");
        assert!(r.body["error"]["fields"][field].is_string(), "{body}: {:?}", r.body);
    }
    let r = app.patch("/api/v1/admin/tables/999", Some(&admin), json!({"password": "5555"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/admin/tables", Some(&admin)).await.body, json!([]));
}

#[tokio::test]
async fn a_table_with_an_open_session_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let table = app.table_token("a", 1).await;
    assert_eq!(app.order(&table, "k1", &[(m.stew, 1)]).await.status, StatusCode::CREATED);
    let id = app.get("/api/v1/admin/tables", Some(&m.admin)).await.body[0]["id"].as_i64().unwrap();
    let r = app.delete(&format!("/api/v1/admin/tables/{id}"), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(app.get("/api/v1/admin/tables", Some(&m.admin)).await.body.as_array().unwrap().len(), 1);
    app.post(&format!("/api/v1/admin/tables/{id}/end-session"), Some(&m.admin), json!({})).await;
    let r = app.delete(&format!("/api/v1/admin/tables/{id}"), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // History keeps the table's number.
    let h = app.get("/api/v1/admin/history", Some(&m.admin)).await;
    assert_eq!(h.body[0]["table_number"], 1);
}

#[tokio::test]
async fn categories_are_created_renamed_reordered_and_deleted_only_when_empty() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 0).await;
    let admin = app.admin_token("a").await;
    let meals = app.category(&admin, "Meals").await;
    let drinks = app.category(&admin, "Drinks").await;
    let list = app.get("/api/v1/admin/categories", Some(&admin)).await;
    assert_eq!(list.body[0]["name"], "Meals");
    assert_eq!(list.body[1]["name"], "Drinks");
    assert!(list.body[0]["sort_order"].as_i64() < list.body[1]["sort_order"].as_i64());

    let dup = app.post("/api/v1/admin/categories", Some(&admin), json!({"name": "Meals"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let r = app.patch(&format!("/api/v1/admin/categories/{meals}"), Some(&admin), json!({"name": "식사"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "식사");
    let r = app.patch(&format!("/api/v1/admin/categories/{meals}"), Some(&admin), json!({"name": "Drinks"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    let r = app
        .put(
            "/api/v1/admin/categories/order",
            Some(&admin),
            json!([{"id": meals, "sort_order": 5}, {"id": drinks, "sort_order": 1}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let list = app.get("/api/v1/admin/categories", Some(&admin)).await;
    assert_eq!(list.body[0]["id"], drinks);

    let item = app.item(&admin, drinks, "Cola", 2000).await;
    let r = app.delete(&format!("/api/v1/admin/categories/{drinks}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "conflict");
    app.delete(&format!("/api/v1/admin/menu-items/{item}"), Some(&admin)).await;
    let r = app.delete(&format!("/api/v1/admin/categories/{drinks}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.delete(&format!("/api/v1/admin/categories/{drinks}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": "x".repeat(51)}),
        json!({"name": "ok", "sort_order": -1}),
    ] {
        let r = app.post("/api/v1/admin/categories", Some(&admin), body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
}

#[tokio::test]
async fn menu_items_are_validated_edited_marked_sold_out_and_reordered() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 0).await;
    let r = app
        .post("/api/v1/admin/menu-items", Some(&m.admin), json!({"category_id": m.category, "name": "비빔밥", "price": 10000, "description": "rice", "available": false, "sort_order": 9}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body,
        json!({"id": r.body["id"], "category_id": m.category, "name": "비빔밥", "description": "rice", "price": 10000, "image_url": null, "card_image_url": null, "available": false, "sort_order": 9, "option_group_ids": [], "translations": {}, "station_id": null})
    );
    let bad = app.post("/api/v1/admin/menu-items", Some(&m.admin), json!({"price": -1})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = bad.body["error"]["fields"].as_object().unwrap();
    for f in ["category_id", "name", "price"] {
        assert!(fields.contains_key(f), "{f} missing from {fields:?}");
    }
    for (body, field) in [
        (json!({"category_id": m.category, "name": "x", "price": 10_000_001}), "price"),
        (json!({"category_id": m.category, "name": "x", "price": 1.5}), "price"),
        (json!({"category_id": m.category, "name": "x".repeat(101), "price": 1}), "name"),
        (json!({"category_id": m.category, "name": "x", "price": 1, "description": "d".repeat(1001)}), "description"),
        (json!({"category_id": 9999, "name": "x", "price": 1}), "category_id"),
        (json!({"category_id": m.category, "name": "x", "price": 1, "available": "yes"}), "available"),
    ] {
        let r = app.post("/api/v1/admin/menu-items", Some(&m.admin), body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", r.body);
        assert!(r.body["error"]["fields"][field].is_string(), "{body}: {:?}", r.body);
    }
    let r = app
        .post(
            "/api/v1/admin/menu-items",
            Some(&m.admin),
            json!({"category_id": m.category, "name": "free water", "price": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "price 0 is allowed");

    let r =
        app.patch(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin), json!({"available": false})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["available"], false);
    assert_eq!(r.body["price"], 9000, "a partial edit keeps the other fields");
    let r = app
        .patch(
            &format!("/api/v1/admin/menu-items/{}", m.stew),
            Some(&m.admin),
            json!({"price": 9500, "name": "김치찌개 (L)"}),
        )
        .await;
    assert_eq!(r.body["price"], 9500);
    assert_eq!(r.body["available"], false);
    let r =
        app.patch(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin), json!({"price": 99_999_999})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.patch("/api/v1/admin/menu-items/9999", Some(&m.admin), json!({"price": 1})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = app
        .put(
            "/api/v1/admin/menu-items/order",
            Some(&m.admin),
            json!([{"id": m.cola, "sort_order": 0}, {"id": m.stew, "sort_order": 3}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let items = app.get(&format!("/api/v1/admin/menu-items?category_id={}", m.category), Some(&m.admin)).await;
    assert_eq!(items.body[0]["id"], m.cola);
    let r = app.put("/api/v1/admin/menu-items/order", Some(&m.admin), json!([{"id": 9999, "sort_order": 0}])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = app.delete(&format!("/api/v1/admin/menu-items/{}", m.cola), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let types = event_types(&app, "a").await;
    assert!(types.iter().all(|t| t == "menu_changed"), "{types:?}");
    assert!(types.len() >= 9, "{types:?}");
}

#[tokio::test]
async fn images_are_sniffed_stored_and_served_with_cache_headers() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 0).await;
    let path = format!("/api/v1/admin/menu-items/{}/image", m.stew);
    // The header lies: the bytes decide.
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/jpeg", png()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let url = r.body["image_url"].as_str().unwrap().to_string();
    let img = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/png");
    assert!(img.headers()["cache-control"].to_str().unwrap().contains("max-age=31536000"));
    let etag = img.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(img.bytes().await.unwrap().to_vec(), png());
    let again = app.client.get(app.url(&url)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A new upload gets a new URL and the old image is gone.
    let jpeg = photo(300, 400, image::ImageFormat::Jpeg);
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "application/octet-stream", jpeg).await;
    let url2 = r.body["image_url"].as_str().unwrap().to_string();
    assert_ne!(url, url2);
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);
    let webp = photo(50, 50, image::ImageFormat::WebP);
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/webp", webp).await;
    assert_eq!(r.status, StatusCode::OK);
    let url3 = r.body["image_url"].as_str().unwrap();
    assert_eq!(app.client.get(app.url(url3)).send().await.unwrap().headers()["content-type"], "image/webp");

    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/gif", b"GIF89a....".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.code(), "unsupported_media_type");
    let mut big = png();
    big.resize(2 * 1024 * 1024 + 1, 0);
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/png", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
    // A real image padded to the limit (bytes after a PNG's end are ignored).
    let mut max = png();
    max.resize(2 * 1024 * 1024, 0);
    let r = app.raw(Method::PUT, &path, Some(&m.admin), "image/png", max).await;
    assert_eq!(r.status, StatusCode::OK, "exactly 2 MB is accepted");
    let r = app.raw(Method::PUT, "/api/v1/admin/menu-items/9999/image", Some(&m.admin), "image/png", png()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The item shows its current image; the menu says so too.
    let item = app.get("/api/v1/admin/menu-items", Some(&m.admin)).await;
    let stew = item.body.as_array().unwrap().iter().find(|i| i["id"] == m.stew).unwrap().clone();
    assert!(stew["image_url"].as_str().unwrap().starts_with("/api/v1/images/"));
    assert_eq!(app.get("/api/v1/images/abc", None).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tenant_limits_answer_409_with_the_limit() {
    let app = TestApp::spawn_with(|c| {
        c.limits.max_tables = 2;
        c.limits.max_categories = 1;
        c.limits.max_menu_items = 2;
    })
    .await;
    app.seed_store("a", 0).await;
    let admin = app.admin_token("a").await;
    for n in 1..=2 {
        assert_eq!(
            app.post("/api/v1/admin/tables", Some(&admin), json!({"number": n, "password": "1234"})).await.status,
            StatusCode::CREATED
        );
    }
    let r = app.post("/api/v1/admin/tables", Some(&admin), json!({"number": 3, "password": "1234"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "limit_reached");
    assert_eq!(r.body["error"]["limit"], "max_tables");
    assert_eq!(r.body["error"]["value"], 2);
    let c = app.category(&admin, "Only").await;
    let r = app.post("/api/v1/admin/categories", Some(&admin), json!({"name": "Second"})).await;
    assert_eq!((r.code(), r.body["error"]["limit"].as_str()), ("limit_reached", Some("max_categories")));
    app.item(&admin, c, "one", 1).await;
    app.item(&admin, c, "two", 2).await;
    let r = app
        .post("/api/v1/admin/menu-items", Some(&admin), json!({"category_id": c, "name": "three", "price": 3}))
        .await;
    assert_eq!(
        (r.code(), r.body["error"]["limit"].as_str(), r.body["error"]["value"].as_u64()),
        ("limit_reached", Some("max_menu_items"), Some(2))
    );
    // Limits are per store.
    app.seed_store("b", 0).await;
    let b = app.admin_token("b").await;
    assert_eq!(
        app.post("/api/v1/admin/tables", Some(&b), json!({"number": 1, "password": "1234"})).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn concurrent_creates_cannot_both_take_the_last_slot() {
    let app = TestApp::spawn_with(|c| {
        c.limits.max_tables = 1;
        c.limits.max_categories = 1;
        c.limits.max_menu_items = 1;
    })
    .await;
    app.seed_store("a", 0).await;
    let admin = app.admin_token("a").await;
    let (t1, t2) = tokio::join!(
        app.post("/api/v1/admin/tables", Some(&admin), json!({"number": 1, "password": "1234"})),
        app.post("/api/v1/admin/tables", Some(&admin), json!({"number": 2, "password": "1234"})),
    );
    let mut s = [t1.status.as_u16(), t2.status.as_u16()];
    s.sort();
    assert_eq!(s, [201, 409]);
    let (c1, c2) = tokio::join!(
        app.post("/api/v1/admin/categories", Some(&admin), json!({"name": "A"})),
        app.post("/api/v1/admin/categories", Some(&admin), json!({"name": "B"})),
    );
    let mut s = [c1.status.as_u16(), c2.status.as_u16()];
    s.sort();
    assert_eq!(s, [201, 409]);
    let cat = if c1.status == StatusCode::CREATED { &c1 } else { &c2 }.body["id"].as_i64().unwrap();
    let (i1, i2) = tokio::join!(
        app.post("/api/v1/admin/menu-items", Some(&admin), json!({"category_id": cat, "name": "x", "price": 1})),
        app.post("/api/v1/admin/menu-items", Some(&admin), json!({"category_id": cat, "name": "y", "price": 1})),
    );
    let mut s = [i1.status.as_u16(), i2.status.as_u16()];
    s.sort();
    assert_eq!(s, [201, 409]);
    assert_eq!(app.get("/api/v1/admin/tables", Some(&admin)).await.body.as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/admin/menu-items", Some(&admin)).await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_tablet_menu_is_cached_with_an_etag_and_refreshed_by_every_edit() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let table = app.table_token("a", 1).await;
    let first = app.get("/api/v1/menu", Some(&table)).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").unwrap();
    assert_eq!(first.body["categories"][0]["name"], "Meals");
    let names: Vec<&str> =
        first.body["categories"][0]["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["김치찌개", "콜라"]);
    assert!(first.body["version"].as_i64().is_some());

    let cached = app
        .client
        .get(app.url("/api/v1/menu"))
        .bearer_auth(&table)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);

    // Sold out: still listed, marked unavailable, new ETag.
    app.patch(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin), json!({"available": false})).await;
    let after = app
        .client
        .get(app.url("/api/v1/menu"))
        .bearer_auth(&table)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);
    let etag2 = after.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(etag, etag2);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["categories"][0]["items"][0]["available"], false);

    for (what, path, method, payload) in [
        ("price", format!("/api/v1/admin/menu-items/{}", m.cola), Method::PATCH, json!({"price": 2500})),
        ("category", format!("/api/v1/admin/categories/{}", m.category), Method::PATCH, json!({"name": "식사"})),
        (
            "new item",
            "/api/v1/admin/menu-items".to_string(),
            Method::POST,
            json!({"category_id": m.category, "name": "n", "price": 1}),
        ),
        ("order", "/api/v1/admin/menu-items/order".to_string(), Method::PUT, json!([{"id": m.cola, "sort_order": 0}])),
        ("delete", format!("/api/v1/admin/menu-items/{}", m.cola), Method::DELETE, Value::Null),
    ] {
        let before = app.get("/api/v1/menu", Some(&table)).await;
        let payload = if payload.is_null() { None } else { Some(payload) };
        let r = app.request(method, &path, Some(&m.admin), payload).await;
        assert!(r.status.is_success(), "{what}: {:?}", r.body);
        let now = app.get("/api/v1/menu", Some(&table)).await;
        assert_ne!(before.header("etag"), now.header("etag"), "{what} changes the menu's ETag");
        assert_ne!(before.body, now.body, "{what} shows in the menu");
    }
    // Another store's edits leave this store's cached menu alone.
    let m2 = store_with_menu(&app, "b", 0).await;
    let before = app.get("/api/v1/menu", Some(&table)).await;
    app.patch(&format!("/api/v1/admin/menu-items/{}", m2.stew), Some(&m2.admin), json!({"price": 1})).await;
    let now = app.get("/api/v1/menu", Some(&table)).await;
    assert_eq!(before.header("etag"), now.header("etag"));
}

#[tokio::test]
async fn another_stores_admin_gets_404_for_every_setup_route_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let a = store_with_menu(&app, "a", 1).await;
    let png_path = format!("/api/v1/admin/menu-items/{}/image", a.stew);
    let r = app.raw(Method::PUT, &png_path, Some(&a.admin), "image/png", png()).await;
    assert_eq!(r.status, StatusCode::OK);
    app.seed_store("b", 0).await;
    let b = app.admin_token("b").await;
    let table_id = app.get("/api/v1/admin/tables", Some(&a.admin)).await.body[0]["id"].as_i64().unwrap();
    let snapshot = |app: &TestApp| {
        let admin = a.admin.clone();
        let client = app.client.clone();
        let base = app.addr.clone();
        async move {
            let mut all = Vec::new();
            for p in ["/api/v1/admin/tables", "/api/v1/admin/categories", "/api/v1/admin/menu-items"] {
                let v: Value =
                    client.get(format!("{base}{p}")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
                all.push(v);
            }
            all
        }
    };
    let before = snapshot(&app).await;
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PATCH, format!("/api/v1/admin/tables/{table_id}"), Some(json!({"password": "0000"}))),
        (Method::DELETE, format!("/api/v1/admin/tables/{table_id}"), None),
        (Method::POST, format!("/api/v1/admin/tables/{table_id}/end-session"), None),
        (Method::PATCH, format!("/api/v1/admin/categories/{}", a.category), Some(json!({"name": "hijacked"}))),
        (Method::DELETE, format!("/api/v1/admin/categories/{}", a.category), None),
        (Method::PATCH, format!("/api/v1/admin/menu-items/{}", a.stew), Some(json!({"price": 1}))),
        (Method::DELETE, format!("/api/v1/admin/menu-items/{}", a.stew), None),
        (Method::PUT, "/api/v1/admin/menu-items/order".into(), Some(json!([{"id": a.stew, "sort_order": 99}]))),
        (Method::PUT, "/api/v1/admin/categories/order".into(), Some(json!([{"id": a.category, "sort_order": 99}]))),
    ];
    for (method, path, body) in cases {
        let r = app.request(method.clone(), &path, Some(&b), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {:?}", r.body);
        assert_eq!(r.code(), "not_found");
    }
    let r = app.raw(Method::PUT, &png_path, Some(&b), "image/png", png()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // B cannot file an item under A's category either.
    let r = app
        .post("/api/v1/admin/menu-items", Some(&b), json!({"category_id": a.category, "name": "x", "price": 1}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // B's lists show none of A's rows.
    for p in ["/api/v1/admin/tables", "/api/v1/admin/categories", "/api/v1/admin/menu-items"] {
        assert_eq!(app.get(p, Some(&b)).await.body, json!([]), "{p}");
    }
    assert_eq!(snapshot(&app).await, before, "store A is unchanged");
    // A table of A sees A's menu only.
    let t = app.table_token("a", 1).await;
    let menu = app.get("/api/v1/menu", Some(&t)).await;
    assert_eq!(menu.body["categories"].as_array().unwrap().len(), 1);
}
