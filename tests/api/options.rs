//! Menu options, line notes and translated menus.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A store with a stew that offers 맵기 (pick 1, required) and 추가 (up to 2), and a cola
/// without options. Returns the menu and the group ids and option ids by name.
struct Opts {
    m: Menu,
    spice: Value,
    extras: Value,
}

impl Opts {
    fn opt(&self, group: &Value, name: &str) -> i64 {
        group["options"].as_array().unwrap().iter().find(|o| o["name"] == name).unwrap()["id"].as_i64().unwrap()
    }
}

async fn with_options(app: &TestApp, store: &str) -> Opts {
    let m = store_with_menu(app, store, 2).await;
    let spice = app
        .post(
            "/api/v1/admin/option-groups",
            Some(&m.admin),
            json!({"name": "맵기", "min": 1, "max": 1,
                   "translations": {"en": {"name": "Spice level"}},
                   "options": [{"name": "순한맛", "translations": {"en": {"name": "Mild"}}},
                               {"name": "매운맛", "price_delta": 0},
                               {"name": "할인", "price_delta": -12000}]}),
        )
        .await;
    assert_eq!(spice.status, StatusCode::CREATED, "{}", spice.body);
    let extras = app
        .post(
            "/api/v1/admin/option-groups",
            Some(&m.admin),
            json!({"name": "추가", "min": 0, "max": 2,
                   "options": [{"name": "라면사리", "price_delta": 1500}, {"name": "치즈", "price_delta": 2000},
                               {"name": "떡", "price_delta": 1000}]}),
        )
        .await;
    assert_eq!(extras.status, StatusCode::CREATED, "{}", extras.body);
    let r = app
        .patch(
            &format!("/api/v1/admin/menu-items/{}", m.stew),
            Some(&m.admin),
            json!({"option_group_ids": [spice.body["id"], extras.body["id"]],
                   "translations": {"en": {"name": "Kimchi stew", "description": "With pork"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["option_group_ids"], json!([spice.body["id"], extras.body["id"]]));
    Opts { m, spice: spice.body, extras: extras.body }
}

async fn order_lines(app: &TestApp, token: &str, key: &str, items: Value) -> Resp {
    let req = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({ "items": items }));
    into_resp(req.send().await.unwrap()).await
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.state.pool.get().unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn every_invalid_choice_is_refused_on_its_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let o = with_options(&app, "a").await;
    let other = with_options(&app, "b").await;
    let t = app.table_token("a", 1).await;
    let (mild, hot) = (o.opt(&o.spice, "순한맛"), o.opt(&o.spice, "매운맛"));
    let (ramen, cheese, tteok) = (o.opt(&o.extras, "라면사리"), o.opt(&o.extras, "치즈"), o.opt(&o.extras, "떡"));
    let stew = o.m.stew;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing the required 맵기", json!([{"menu_item_id": stew, "quantity": 1}]), "items[0].option_ids"),
        (
            "two spice levels",
            json!([{"menu_item_id": stew, "quantity": 1, "option_ids": [mild, hot]}]),
            "items[0].option_ids",
        ),
        (
            "three extras",
            json!([{"menu_item_id": stew, "quantity": 1, "option_ids": [mild, ramen, cheese, tteok]}]),
            "items[0].option_ids",
        ),
        (
            "an option of another item",
            json!([{"menu_item_id": o.m.cola, "quantity": 1, "option_ids": [mild]}]),
            "items[0].option_ids",
        ),
        (
            "an unknown option",
            json!([{"menu_item_id": stew, "quantity": 1, "option_ids": [mild, 999_999]}]),
            "items[0].option_ids",
        ),
        (
            "another store's option",
            json!([{"menu_item_id": stew, "quantity": 1, "option_ids": [other.opt(&other.spice, "순한맛")]}]),
            "items[0].option_ids",
        ),
        (
            "the same option twice",
            json!([{"menu_item_id": stew, "quantity": 1, "option_ids": [mild, ramen, ramen]}]),
            "items[0].option_ids",
        ),
        (
            "a note too long",
            json!([{"menu_item_id": o.m.cola, "quantity": 1}, {"menu_item_id": stew, "quantity": 1, "option_ids": [mild], "note": "덜".repeat(101)}]),
            "items[1].note",
        ),
        (
            "a note with control characters",
            json!([{"menu_item_id": stew, "quantity": 1, "option_ids": [mild], "note": "덜 맵게\u{7}"}]),
            "items[0].note",
        ),
    ];
    for (i, (what, items, field)) in cases.into_iter().enumerate() {
        let r = order_lines(&app, &t, &format!("bad-{i}"), items).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", r.body);
        assert_eq!(r.code(), "validation_failed", "{what}");
        assert!(r.body["error"]["fields"][field].is_string(), "{what}: {}", r.body);
    }
    // A sold-out option: 409 item_unavailable naming it.
    let r = app.patch(&format!("/api/v1/admin/options/{cheese}"), Some(&o.m.admin), json!({"available": false})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = order_lines(&app, &t, "sold", json!([{"menu_item_id": stew, "quantity": 1, "option_ids": [mild, cheese]}]))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "item_unavailable");
    assert_eq!(r.body["error"]["option_ids"], json!([cheese]));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("치즈"));
    assert_eq!(count(&app, "SELECT count(*) FROM orders"), 0);
    assert_eq!(count(&app, "SELECT count(*) FROM order_items"), 0);
    assert_eq!(count(&app, "SELECT count(*) FROM table_sessions"), 0);
}

#[tokio::test]
async fn prices_add_the_chosen_deltas_never_go_below_zero_and_multiply_by_quantity() {
    let app = TestApp::spawn().await;
    let o = with_options(&app, "a").await;
    let t = app.table_token("a", 1).await;
    let (mild, discount) = (o.opt(&o.spice, "순한맛"), o.opt(&o.spice, "할인"));
    let (ramen, cheese) = (o.opt(&o.extras, "라면사리"), o.opt(&o.extras, "치즈"));
    let r = order_lines(
        &app,
        &t,
        "p1",
        json!([
            {"menu_item_id": o.m.stew, "quantity": 2, "option_ids": [cheese, mild, ramen], "note": " 덜 맵게 "},
            {"menu_item_id": o.m.stew, "quantity": 1, "option_ids": [discount]},
            {"menu_item_id": o.m.cola, "quantity": 3}
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let items = &r.body["items"];
    // 9,000 + 1,500 + 2,000 = 12,500 each, two of them.
    assert_eq!(items[0]["unit_price"], 12_500);
    assert_eq!(items[0]["note"], "덜 맵게");
    assert_eq!(
        items[0]["options"],
        json!([
            {"option_id": mild, "group": "맵기", "name": "순한맛", "price_delta": 0},
            {"option_id": ramen, "group": "추가", "name": "라면사리", "price_delta": 1500},
            {"option_id": cheese, "group": "추가", "name": "치즈", "price_delta": 2000},
        ])
    );
    // 9,000 − 12,000 is not −3,000: a line never costs less than nothing.
    assert_eq!(items[1]["unit_price"], 0);
    assert_eq!(items[2]["unit_price"], 2000);
    assert_eq!(items[2]["options"], json!([]));
    assert_eq!(r.body["total"], 12_500 * 2 + 2000 * 3);
    // Identical items with different options are separate lines.
    assert_eq!(items.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_placed_order_keeps_its_option_copies_when_options_change_later() {
    let app = TestApp::spawn().await;
    let o = with_options(&app, "a").await;
    let login = app
        .post("/api/v1/auth/table/login", None, json!({"store_id": "a", "table_number": 1, "password": TABLE_PASSWORD}))
        .await;
    let (t, table_id) = (login.body["token"].as_str().unwrap().to_string(), login.body["table_id"].as_i64().unwrap());
    let (mild, ramen) = (o.opt(&o.spice, "순한맛"), o.opt(&o.extras, "라면사리"));
    let placed =
        order_lines(&app, &t, "snap", json!([{"menu_item_id": o.m.stew, "quantity": 1, "option_ids": [mild, ramen]}]))
            .await;
    assert_eq!(placed.status, StatusCode::CREATED);
    let before = placed.body["items"].clone();
    // Staff rename and reprice the option, rename the group, then delete the whole group.
    let admin = &o.m.admin;
    app.patch(&format!("/api/v1/admin/options/{ramen}"), Some(admin), json!({"name": "우동사리", "price_delta": 9000}))
        .await;
    app.patch(&format!("/api/v1/admin/option-groups/{}", o.extras["id"]), Some(admin), json!({"name": "토핑"})).await;
    let mine = app.get("/api/v1/orders", Some(&t)).await;
    assert_eq!(mine.body["orders"][0]["items"], before);
    let r = app.delete(&format!("/api/v1/admin/option-groups/{}", o.extras["id"]), Some(admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let item = app.get(&format!("/api/v1/admin/menu-items?category_id={}", o.m.category), Some(admin)).await;
    let stew = item.body.as_array().unwrap().iter().find(|i| i["id"] == o.m.stew).unwrap().clone();
    assert_eq!(stew["option_group_ids"], json!([o.spice["id"]]), "the deleted group is detached");
    let end = app.post(&format!("/api/v1/admin/tables/{table_id}/end-session"), Some(admin), json!({})).await;
    assert_eq!(end.status, StatusCode::OK);
    let history = app.get("/api/v1/admin/history", Some(admin)).await;
    assert_eq!(history.body[0]["orders"][0]["items"], before);
    assert_eq!(history.body[0]["total"], 10_500);
}

#[tokio::test]
async fn the_guest_menu_comes_in_four_languages_each_with_its_own_etag() {
    let app = TestApp::spawn().await;
    let o = with_options(&app, "a").await;
    let t = app.table_token("a", 1).await;
    let ko = app.get("/api/v1/menu", Some(&t)).await;
    let en = app.get("/api/v1/menu?lang=en", Some(&t)).await;
    let ja = app.get("/api/v1/menu?lang=ja", Some(&t)).await;
    assert_eq!(ko.body["lang"], "ko");
    assert_eq!(en.body["lang"], "en");
    let stew = |m: &Value| {
        m["categories"][0]["items"].as_array().unwrap().iter().find(|i| i["id"] == o.m.stew).unwrap().clone()
    };
    assert_eq!(stew(&ko.body)["name"], "김치찌개");
    assert_eq!(stew(&en.body)["name"], "Kimchi stew");
    assert_eq!(stew(&en.body)["description"], "With pork");
    assert_eq!(stew(&en.body)["option_groups"][0]["name"], "Spice level");
    assert_eq!(stew(&en.body)["option_groups"][0]["options"][0]["name"], "Mild");
    // No Japanese translation: the store's own text.
    assert_eq!(stew(&ja.body)["name"], "김치찌개");
    assert_eq!(
        stew(&ko.body)["option_groups"][1],
        json!({"id": o.extras["id"], "name": "추가", "min": 0, "max": 2, "options": [
            {"id": o.opt(&o.extras, "라면사리"), "name": "라면사리", "price_delta": 1500, "available": true},
            {"id": o.opt(&o.extras, "치즈"), "name": "치즈", "price_delta": 2000, "available": true},
            {"id": o.opt(&o.extras, "떡"), "name": "떡", "price_delta": 1000, "available": true}]})
    );
    let (etag_ko, etag_en) = (ko.header("etag").unwrap(), en.header("etag").unwrap());
    assert_ne!(etag_ko, etag_en);
    // 304 for the language's own ETag only.
    let cond = |lang: &str, etag: &str| {
        app.client
            .get(app.url(&format!("/api/v1/menu?lang={lang}")))
            .bearer_auth(&t)
            .header("if-none-match", etag)
            .send()
    };
    assert_eq!(cond("en", &etag_en).await.unwrap().status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cond("ja", &etag_en).await.unwrap().status(), StatusCode::OK);
    // An option change reaches every language at once.
    app.patch(
        &format!("/api/v1/admin/options/{}", o.opt(&o.spice, "순한맛")),
        Some(&o.m.admin),
        json!({"available": false}),
    )
    .await;
    for (lang, etag) in [("en", &etag_en), ("ko", &etag_ko)] {
        let r = cond(lang, etag).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{lang}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(stew(&body)["option_groups"][0]["options"][0]["available"], false);
    }
    let bad = app.get("/api/v1/menu?lang=fr", Some(&t)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["lang"].is_string());
}

#[tokio::test]
async fn option_groups_are_validated_field_by_field_and_limited() {
    let app = TestApp::spawn_with(|c| {
        c.limits.max_option_groups = 2;
        c.limits.max_options_per_group = 3;
    })
    .await;
    let m = store_with_menu(&app, "a", 0).await;
    let post = |body: Value| app.post("/api/v1/admin/option-groups", Some(&m.admin), body);
    let r = post(json!({"min": 2, "max": 1, "options": [{"name": "x", "price_delta": 20_000_000}, {}],
                         "translations": {"fr": {"name": "x"}}}))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &r.body["error"]["fields"];
    for f in ["name", "options[0].price_delta", "options[1].name", "translations.fr"] {
        assert!(fields[f].is_string(), "{f}: {}", r.body);
    }
    let r = post(json!({"name": "사이즈", "min": 1, "max": 3, "options": [{"name": "S"}, {"name": "L"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["max"].as_str().unwrap().contains("2"));
    let r = post(json!({"name": "사이즈", "min": 2, "max": 1, "options": [{"name": "S"}, {"name": "L"}]})).await;
    assert!(r.body["error"]["fields"]["min"].is_string());
    let r = post(json!({"name": "빈 그룹", "options": []})).await;
    assert!(r.body["error"]["fields"]["options"].is_string());
    let r = post(
        json!({"name": "너무 많음", "max": 1, "options": [{"name": "1"}, {"name": "2"}, {"name": "3"}, {"name": "4"}]}),
    )
    .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "limit_reached"));
    assert_eq!(r.body["error"]["limit"], "max_options_per_group");

    let g1 = post(json!({"name": "A", "options": [{"name": "1"}, {"name": "2"}, {"name": "3"}]})).await;
    assert_eq!(g1.status, StatusCode::CREATED);
    let g1_id = g1.body["id"].as_i64().unwrap();
    assert_eq!(post(json!({"name": "B", "options": [{"name": "1"}]})).await.status, StatusCode::CREATED);
    let r = post(json!({"name": "C", "options": [{"name": "1"}]})).await;
    assert_eq!((r.status, r.body["error"]["limit"].as_str()), (StatusCode::CONFLICT, Some("max_option_groups")));
    let r =
        app.post(&format!("/api/v1/admin/option-groups/{g1_id}/options"), Some(&m.admin), json!({"name": "4"})).await;
    assert_eq!(r.body["error"]["limit"], "max_options_per_group");

    // Deleting options shrinks the group's bounds; the last one stays.
    let r =
        app.patch(&format!("/api/v1/admin/option-groups/{g1_id}"), Some(&m.admin), json!({"min": 3, "max": 3})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ids: Vec<i64> = r.body["options"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
    assert_eq!(
        app.delete(&format!("/api/v1/admin/options/{}", ids[0]), Some(&m.admin)).await.status,
        StatusCode::NO_CONTENT
    );
    let g = app.get("/api/v1/admin/option-groups", Some(&m.admin)).await;
    let g1 = g.body.as_array().unwrap().iter().find(|g| g["id"] == g1_id).unwrap().clone();
    assert_eq!((g1["min"].as_i64(), g1["max"].as_i64()), (Some(2), Some(2)));
    app.delete(&format!("/api/v1/admin/options/{}", ids[1]), Some(&m.admin)).await;
    let r = app.delete(&format!("/api/v1/admin/options/{}", ids[2]), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Attaching a group that does not exist names the field.
    let r = app
        .patch(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin), json!({"option_group_ids": [987654]}))
        .await;
    assert!(r.body["error"]["fields"]["option_group_ids"].is_string());
}

#[tokio::test]
async fn another_stores_option_groups_do_not_exist_for_its_staff() {
    let app = TestApp::spawn().await;
    let a = with_options(&app, "a").await;
    let b = store_with_menu(&app, "b", 0).await;
    let (gid, oid) = (a.spice["id"].as_i64().unwrap(), a.opt(&a.spice, "순한맛"));
    let admin = Some(b.admin.as_str());
    assert_eq!(app.get("/api/v1/admin/option-groups", admin).await.body, json!([]));
    for r in [
        app.patch(&format!("/api/v1/admin/option-groups/{gid}"), admin, json!({"name": "x"})).await,
        app.delete(&format!("/api/v1/admin/option-groups/{gid}"), admin).await,
        app.post(&format!("/api/v1/admin/option-groups/{gid}/options"), admin, json!({"name": "x"})).await,
        app.patch(&format!("/api/v1/admin/options/{oid}"), admin, json!({"available": false})).await,
        app.delete(&format!("/api/v1/admin/options/{oid}"), admin).await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
    let r = app.patch(&format!("/api/v1/admin/menu-items/{}", b.stew), admin, json!({"option_group_ids": [gid]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let g = app.get("/api/v1/admin/option-groups", Some(&a.m.admin)).await;
    assert_eq!(g.body.as_array().unwrap().len(), 2);
    assert_eq!(g.body[0]["options"][0]["available"], true);
}

#[tokio::test]
async fn option_changes_reach_dashboards_and_tablets_as_menu_changed() {
    let app = TestApp::spawn().await;
    let o = with_options(&app, "a").await;
    let t = app.table_token("a", 1).await;
    let (mut staff, _) = crate::sse::Sse::open(&app, "/api/v1/admin/events", &o.m.admin).await;
    let (mut tablet, _) = crate::sse::Sse::open(&app, "/api/v1/events", &t).await;
    let r = app
        .patch(
            &format!("/api/v1/admin/options/{}", o.opt(&o.extras, "떡")),
            Some(&o.m.admin),
            json!({"available": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for s in [&mut staff, &mut tablet] {
        let f = s.expect("menu_changed").await;
        assert_eq!(f.json()["change"], "option_updated");
    }
}

#[tokio::test]
async fn the_demo_store_has_options_and_translations() {
    let app = TestApp::spawn().await;
    let (admin_hash, table_hash) = (hash(ADMIN_PASSWORD), hash(TABLE_PASSWORD));
    app.state.writer.write(move |ctx| tableorder::cli::seed_demo(ctx, &admin_hash, &table_hash)).await.unwrap();
    let t = app.table_token("demo", 1).await;
    let ko = app.get("/api/v1/menu", Some(&t)).await.body;
    let zh = app.get("/api/v1/menu?lang=zh", Some(&t)).await.body;
    let find = |m: &Value, id: &Value| {
        m["categories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["items"].as_array().unwrap().clone())
            .find(|i| i["id"] == *id)
            .unwrap()
    };
    let stew = ko["categories"][0]["items"][0].clone();
    assert_eq!(stew["name"], "김치찌개");
    let groups: Vec<&str> =
        stew["option_groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(groups, ["맵기", "사리 추가"]);
    assert_eq!(stew["option_groups"][0]["min"], 1);
    assert_eq!(find(&zh, &stew["id"])["name"], "泡菜汤");
    assert_eq!(find(&zh, &stew["id"])["option_groups"][0]["name"], "辣度");
    let names: Vec<String> = ko["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["items"].as_array().unwrap().iter())
        .filter(|i| !i["option_groups"].as_array().unwrap().is_empty())
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    for n in ["된장찌개", "비빔밥", "콜라"] {
        assert!(names.iter().any(|x| x == n), "{n} has options");
    }
}

#[tokio::test]
async fn a_groups_options_and_the_stations_are_reordered_in_one_change_or_not_at_all() {
    let app = TestApp::spawn().await;
    let o = with_options(&app, "a").await;
    let other = with_options(&app, "b").await;
    let gid = o.spice["id"].as_i64().unwrap();
    let (mild, hot, cheap) = (o.opt(&o.spice, "순한맛"), o.opt(&o.spice, "매운맛"), o.opt(&o.spice, "할인"));
    let head = |app: &TestApp| count(app, "SELECT coalesce(max(id), 0) FROM events");
    let before = head(&app);
    let url = format!("/api/v1/admin/option-groups/{gid}/options/order");
    let r = app
        .put(
            &url,
            Some(&o.m.admin),
            json!([{"id": cheap, "sort_order": 0}, {"id": hot, "sort_order": 1}, {"id": mild, "sort_order": 2}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let g = app.get("/api/v1/admin/option-groups", Some(&o.m.admin)).await;
    let spice = g.body.as_array().unwrap().iter().find(|x| x["id"] == gid).unwrap().clone();
    let names: Vec<&str> = spice["options"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["할인", "매운맛", "순한맛"]);
    assert_eq!(head(&app), before + 1, "one menu_changed for the whole list");

    // An option of another group, or another store's, changes nothing at all.
    let extra = o.opt(&o.extras, "치즈");
    let foreign = other.opt(&other.spice, "순한맛");
    for bad in [extra, foreign] {
        let r =
            app.put(&url, Some(&o.m.admin), json!([{"id": mild, "sort_order": 0}, {"id": bad, "sort_order": 1}])).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
    let g = app.get("/api/v1/admin/option-groups", Some(&o.m.admin)).await;
    let spice = g.body.as_array().unwrap().iter().find(|x| x["id"] == gid).unwrap().clone();
    assert_eq!(spice["options"][0]["name"], "할인", "a refused reorder left the order as it was");
    let r = app.put("/api/v1/admin/option-groups/999999/options/order", Some(&o.m.admin), json!([])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Stations the same way.
    let mut ids = Vec::new();
    for name in ["주방", "바", "튀김"] {
        let r = app.post("/api/v1/admin/stations", Some(&o.m.admin), json!({ "name": name })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let order =
        json!([{"id": ids[2], "sort_order": 0}, {"id": ids[0], "sort_order": 1}, {"id": ids[1], "sort_order": 2}]);
    let r = app.put("/api/v1/admin/stations/order", Some(&o.m.admin), order).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let s = app.get("/api/v1/admin/stations", Some(&o.m.admin)).await;
    let names: Vec<&str> = s.body.as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["튀김", "주방", "바"]);
    let r =
        app.put("/api/v1/admin/stations/order", Some(&other.m.admin), json!([{"id": ids[0], "sort_order": 5}])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another store's station is unknown");
    let r = app.put("/api/v1/admin/stations/order", Some(&o.m.admin), json!([{"id": ids[0], "sort_order": -1}])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
