//! The kitchen: tickets per station on (fake) ESC/POS printers, cancel tickets, printers
//! that are away, restarts with tickets waiting, connections broken mid-ticket, bumps that
//! complete orders, and isolation between stores.

use crate::helpers::*;
use crate::printer::{FakePrinter, Mode};
use crate::sse::Sse;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tableorder::kitchen::escpos::{Encoding, Printed};

/// A store with 주방 (printer `kitchen`, cp949) and 바 (printer `bar`, utf-8): meals go to
/// 주방, drinks to 바, and one meal item (파전) is routed to 바 by its own setting.
struct Kitchen {
    m: Menu,
    kitchen_station: i64,
    bar_station: i64,
    drinks: i64,
    beer: i64,
    pancake: i64,
    spicy: i64,
    extra: i64,
}

async fn station(app: &TestApp, admin: &str, name: &str, printer: Option<(&FakePrinter, &str)>) -> i64 {
    let body = match printer {
        Some((p, enc)) => {
            json!({"name": name, "printer": {"host": "127.0.0.1", "port": p.port, "encoding": enc, "columns": 32}})
        }
        None => json!({"name": name}),
    };
    let r = app.post("/api/v1/admin/stations", Some(admin), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

async fn setup(app: &TestApp, store: &str, kitchen: Option<&FakePrinter>, bar: Option<&FakePrinter>) -> Kitchen {
    let m = store_with_menu(app, store, 3).await;
    let kitchen_station = station(app, &m.admin, "주방", kitchen.map(|p| (p, "cp949"))).await;
    let bar_station = station(app, &m.admin, "바", bar.map(|p| (p, "utf-8"))).await;
    let r = app
        .patch(
            &format!("/api/v1/admin/categories/{}", m.category),
            Some(&m.admin),
            json!({"station_id": kitchen_station}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let drinks = app
        .post("/api/v1/admin/categories", Some(&m.admin), json!({"name": "Drinks", "station_id": bar_station}))
        .await;
    assert_eq!(drinks.status, StatusCode::CREATED, "{}", drinks.body);
    let drinks = drinks.body["id"].as_i64().unwrap();
    let beer = app.item(&m.admin, drinks, "맥주", 5000).await;
    let pancake = app.item(&m.admin, m.category, "해물파전", 15000).await;
    let r = app
        .patch(&format!("/api/v1/admin/menu-items/{pancake}"), Some(&m.admin), json!({"station_id": bar_station}))
        .await;
    assert_eq!(r.body["station_id"], bar_station);
    // The cola of the test menu sits in Meals: move it to Drinks.
    app.patch(&format!("/api/v1/admin/menu-items/{}", m.cola), Some(&m.admin), json!({"category_id": drinks})).await;
    let g = app
        .post(
            "/api/v1/admin/option-groups",
            Some(&m.admin),
            json!({"name": "맵기", "min": 1, "max": 1, "options": [{"name": "매운맛"}, {"name": "순한맛"}]}),
        )
        .await;
    let extras = app
        .post(
            "/api/v1/admin/option-groups",
            Some(&m.admin),
            json!({"name": "추가", "max": 1, "options": [{"name": "라면사리", "price_delta": 1500}]}),
        )
        .await;
    app.patch(
        &format!("/api/v1/admin/menu-items/{}", m.stew),
        Some(&m.admin),
        json!({"option_group_ids": [g.body["id"], extras.body["id"]]}),
    )
    .await;
    let spicy = g.body["options"][0]["id"].as_i64().unwrap();
    let extra = extras.body["options"][0]["id"].as_i64().unwrap();
    Kitchen { m, kitchen_station, bar_station, drinks, beer, pancake, spicy, extra }
}

async fn order(app: &TestApp, token: &str, key: &str, items: Value) -> Resp {
    let req = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({ "items": items }));
    let r = into_resp(req.send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r
}

fn stew_line(k: &Kitchen) -> Value {
    json!({"menu_item_id": k.m.stew, "quantity": 2, "option_ids": [k.spicy, k.extra], "note": "덜 맵게 해주세요"})
}

fn texts(p: &Printed) -> Vec<String> {
    p.lines.iter().map(|l| l.text.clone()).collect()
}

async fn tickets(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/admin/tickets{query}"), Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

async fn status(app: &TestApp, admin: &str, station: i64) -> Value {
    app.get(&format!("/api/v1/admin/stations/{station}/status"), Some(admin)).await.body["printer"].clone()
}

/// Waits until the station's printer reports `state` (at most 20 s).
async fn wait_state(app: &TestApp, admin: &str, station: i64, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = status(app, admin, station).await;
        if s["state"] == state {
            return s;
        }
        assert!(tokio::time::Instant::now() < deadline, "printer state {s} is not {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_order_prints_one_ticket_per_station_with_its_lines_options_and_notes() {
    let app = TestApp::spawn().await;
    let (kp, bp) = (FakePrinter::start().await, FakePrinter::start().await);
    let k = setup(&app, "a", Some(&kp), Some(&bp)).await;
    let t = app.table_token("a", 3).await;
    let placed = order(
        &app,
        &t,
        "k1",
        json!([stew_line(&k), {"menu_item_id": k.m.cola, "quantity": 1}, {"menu_item_id": k.pancake, "quantity": 1}]),
    )
    .await;
    let order_no = placed.body["order_no"].as_i64().unwrap();

    // 주방: the stew, with its options and note, on a Korean (CP949) printer.
    let kt = kp.wait_for(1, Encoding::Cp949).await;
    let lines = texts(&kt[0]);
    assert!(lines.contains(&"Test store".to_string()), "{lines:?}");
    let table = kt[0].lines.iter().find(|l| l.text == "테이블 3").expect("table number");
    assert!(table.large, "the table number is printed large");
    assert!(lines.iter().any(|l| l.starts_with(&format!("주문 #{order_no}  "))), "{lines:?}");
    assert!(lines.contains(&"2 x 김치찌개".to_string()), "{lines:?}");
    assert!(lines.contains(&"  + 매운맛, 라면사리".to_string()), "{lines:?}");
    assert!(kt[0].lines.iter().any(|l| l.text.contains("덜 맵게 해주세요") && l.bold));
    assert!(!lines.iter().any(|l| l.contains("콜라") || l.contains("해물파전")), "bar lines on the kitchen ticket");
    assert_eq!(kt[0].cuts, 1);
    // The bytes really were CP949.
    let raw = &kp.connections().concat();
    assert!(!String::from_utf8_lossy(raw).contains("김치찌개"));

    // 바: the cola (its category) and the pancake (its own station), in UTF-8.
    let bt = bp.wait_for(1, Encoding::Utf8).await;
    let lines = texts(&bt[0]);
    assert!(lines.contains(&"1 x 콜라".to_string()) && lines.contains(&"1 x 해물파전".to_string()), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("김치찌개")));

    // The kitchen display has the same tickets, with their lines.
    let open = tickets(&app, &k.m.admin, &format!("?station_id={}", k.kitchen_station)).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["kind"], "order");
    assert_eq!(open[0]["table_number"], 3);
    assert_eq!(open[0]["lines"][0]["note"], "덜 맵게 해주세요");
    assert_eq!(open[0]["lines"][0]["options"][1]["name"], "라면사리");
    let bar = tickets(&app, &k.m.admin, &format!("?station_id={}", k.bar_station)).await;
    assert_eq!(bar[0]["lines"].as_array().unwrap().len(), 2);
    // Printed once each, and marked printed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kp.complete(Encoding::Cp949).len(), 1);
    assert_eq!(bp.complete(Encoding::Utf8).len(), 1);
    let s = status(&app, &k.m.admin, k.kitchen_station).await;
    assert_eq!((s["state"].as_str(), s["waiting"].as_i64()), (Some("ok"), Some(0)));
    assert!(s["last_printed_at"].is_string());
    let _ = (k.drinks, k.beer);
}

#[tokio::test]
async fn cancelling_an_order_prints_cancel_tickets_and_closes_its_tickets() {
    let app = TestApp::spawn().await;
    let (kp, bp) = (FakePrinter::start().await, FakePrinter::start().await);
    let k = setup(&app, "a", Some(&kp), Some(&bp)).await;
    let t = app.table_token("a", 1).await;
    let placed = order(&app, &t, "c1", json!([stew_line(&k), {"menu_item_id": k.beer, "quantity": 2}])).await;
    kp.wait_for(1, Encoding::Cp949).await;
    bp.wait_for(1, Encoding::Utf8).await;
    let r = app.delete(&format!("/api/v1/admin/orders/{}", placed.body["id"]), Some(&k.m.admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let kt = kp.wait_for(2, Encoding::Cp949).await;
    let cancel = &kt[1];
    assert!(cancel.lines.iter().any(|l| l.text == "취소 CANCEL" && l.large), "{:?}", texts(cancel));
    assert!(texts(cancel).contains(&"2 x 김치찌개".to_string()));
    let bt = bp.wait_for(2, Encoding::Utf8).await;
    assert!(texts(&bt[1]).contains(&"2 x 맥주".to_string()));
    // The display: the order tickets are closed; the cancel tickets wait to be seen.
    let open = tickets(&app, &k.m.admin, "").await;
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|t| t["kind"] == "cancel"));
}

#[tokio::test]
async fn a_printer_away_for_several_orders_prints_each_exactly_once_in_order_when_back() {
    let app = TestApp::spawn().await;
    let kp = FakePrinter::start().await;
    let k = setup(&app, "a", Some(&kp), None).await;
    let (mut staff, _) = Sse::open(&app, "/api/v1/admin/events", &k.m.admin).await;
    kp.off();
    let t = app.table_token("a", 2).await;
    let mut numbers = Vec::new();
    for i in 0..5 {
        let r =
            order(&app, &t, &format!("away-{i}"), json!([{"menu_item_id": k.pancake, "quantity": 1}, stew_line(&k)]))
                .await;
        numbers.push(r.body["order_no"].as_i64().unwrap());
    }
    let s = wait_state(&app, &k.m.admin, k.kitchen_station, "offline").await;
    assert_eq!(s["waiting"], 5);
    // The dashboard hears of it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let f = staff.next_frame().await;
        if f.event == "printer_changed" && f.json()["state"] == "offline" {
            assert_eq!(f.json()["station_id"], k.kitchen_station);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline);
    }
    assert!(kp.complete(Encoding::Cp949).is_empty());
    kp.on().await;
    let printed = kp.wait_for(5, Encoding::Cp949).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let printed_all = kp.complete(Encoding::Cp949);
    assert_eq!(printed_all.len(), 5, "each ticket exactly once");
    let order_of = |p: &Printed| -> i64 {
        let l = texts(p).into_iter().find(|l| l.starts_with("주문 #")).unwrap();
        l["주문 #".len()..].split_whitespace().next().unwrap().parse().unwrap()
    };
    assert_eq!(printed.iter().map(order_of).collect::<Vec<_>>(), numbers, "in order");
    assert!(printed.iter().all(|p| !texts(p).iter().any(|l| l.contains("재출력"))));
    let s = wait_state(&app, &k.m.admin, k.kitchen_station, "ok").await;
    assert_eq!(s["waiting"], 0);
}

#[tokio::test]
async fn tickets_waiting_when_the_box_restarts_print_once_after_it() {
    let kp = FakePrinter::start().await;
    kp.off();
    let app = TestApp::spawn().await;
    let k = setup(&app, "a", Some(&kp), None).await;
    let t = app.table_token("a", 1).await;
    for i in 0..3 {
        order(&app, &t, &format!("restart-{i}"), json!([stew_line(&k)])).await;
    }
    wait_state(&app, &k.m.admin, k.kitchen_station, "offline").await;
    let dir = app.stop().await;
    kp.on().await;
    let app = TestApp::spawn_in(dir, |_| {}).await;
    kp.wait_for(3, Encoding::Cp949).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(kp.complete(Encoding::Cp949).len(), 3);
    let admin = app.admin_token("a").await;
    assert_eq!(status(&app, &admin, k.kitchen_station).await["waiting"], 0);
}

#[tokio::test]
async fn a_connection_dropped_mid_ticket_is_printed_again_marked_as_a_reprint() {
    let app = TestApp::spawn().await;
    let kp = FakePrinter::start().await;
    kp.set_mode(Mode::DropAfter(40));
    let k = setup(&app, "a", Some(&kp), None).await;
    let t = app.table_token("a", 1).await;
    order(&app, &t, "drop", json!([stew_line(&k)])).await;
    let done = kp.wait_for(1, Encoding::Cp949).await;
    assert!(texts(&done[0])[0].contains("재출력"), "{:?}", texts(&done[0]));
    assert!(texts(&done[0]).contains(&"2 x 김치찌개".to_string()));
    // The broken first attempt, then the whole reprint.
    let attempts = kp.printed(Encoding::Cp949);
    assert_eq!(attempts.len(), 2, "one broken attempt and one reprint");
    assert_eq!(attempts[0].cuts, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kp.complete(Encoding::Cp949).len(), 1);
}

#[tokio::test]
async fn a_printer_out_of_paper_is_reported_and_its_tickets_wait() {
    let app = TestApp::spawn().await;
    let kp = FakePrinter::start().await;
    kp.set_mode(Mode::Status { offline_cause: 0x32, paper: 0x72 });
    let k = setup(&app, "a", Some(&kp), None).await;
    let t = app.table_token("a", 1).await;
    order(&app, &t, "paper", json!([stew_line(&k)])).await;
    let s = wait_state(&app, &k.m.admin, k.kitchen_station, "paper_out").await;
    assert_eq!(s["waiting"], 1);
    assert!(kp.complete(Encoding::Cp949).is_empty());
    kp.set_mode(Mode::Normal);
    kp.wait_for(1, Encoding::Cp949).await;
    wait_state(&app, &k.m.admin, k.kitchen_station, "ok").await;
}

#[tokio::test]
async fn a_printer_without_status_support_still_prints() {
    let app = TestApp::spawn().await;
    let kp = FakePrinter::start().await;
    kp.set_mode(Mode::Silent);
    let k = setup(&app, "a", Some(&kp), None).await;
    let t = app.table_token("a", 1).await;
    order(&app, &t, "silent", json!([stew_line(&k)])).await;
    kp.wait_for(1, Encoding::Cp949).await;
    let s = wait_state(&app, &k.m.admin, k.kitchen_station, "ok").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut s = s;
    while s["waiting"] != 0 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
        s = status(&app, &k.m.admin, k.kitchen_station).await;
    }
}

#[tokio::test]
async fn bumping_every_stations_ticket_completes_the_order_and_the_tablet_sees_it() {
    let app = TestApp::spawn().await;
    let k = setup(&app, "a", None, None).await;
    let t = app.table_token("a", 1).await;
    let (mut tablet, _) = Sse::open(&app, "/api/v1/events", &t).await;
    let placed = order(&app, &t, "bump", json!([stew_line(&k), {"menu_item_id": k.beer, "quantity": 1}])).await;
    let id = placed.body["id"].clone();
    tablet.expect("order_created").await;
    let open = tickets(&app, &k.m.admin, "").await;
    assert_eq!(open.len(), 2);
    let kt = open.iter().find(|t| t["station_id"] == k.kitchen_station).unwrap()["id"].as_i64().unwrap();
    let bt = open.iter().find(|t| t["station_id"] == k.bar_station).unwrap()["id"].as_i64().unwrap();

    let r = app.post(&format!("/api/v1/admin/tickets/{bt}/bump"), Some(&k.m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["bumped_at"].is_string());
    let f = tablet.expect("order_updated").await;
    assert_eq!((f.json()["id"].clone(), f.json()["status"].clone()), (id.clone(), json!("preparing")));

    app.post(&format!("/api/v1/admin/tickets/{kt}/bump"), Some(&k.m.admin), json!({})).await;
    let f = tablet.expect("order_updated").await;
    assert_eq!(f.json()["status"], "completed");
    assert!(tickets(&app, &k.m.admin, "").await.is_empty());

    // Undo of the last bump: the ticket is back and so is the order's previous status.
    let r = app.post(&format!("/api/v1/admin/tickets/{kt}/unbump"), Some(&k.m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["bumped_at"].is_null());
    let f = tablet.expect("order_updated").await;
    assert_eq!(f.json()["status"], "preparing");
    assert_eq!(tickets(&app, &k.m.admin, "").await.len(), 1);
    // Bumping twice changes nothing more.
    app.post(&format!("/api/v1/admin/tickets/{kt}/bump"), Some(&k.m.admin), json!({})).await;
    let again = app.post(&format!("/api/v1/admin/tickets/{kt}/bump"), Some(&k.m.admin), json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    let mine = app.get("/api/v1/orders", Some(&t)).await;
    assert_eq!(mine.body["orders"][0]["status"], "completed");
}

#[tokio::test]
async fn reprint_and_test_print_go_to_the_printer() {
    let app = TestApp::spawn().await;
    let kp = FakePrinter::start().await;
    let k = setup(&app, "a", Some(&kp), None).await;
    let t = app.table_token("a", 1).await;
    let placed = order(&app, &t, "re", json!([stew_line(&k)])).await;
    kp.wait_for(1, Encoding::Cp949).await;
    let r = app.post(&format!("/api/v1/admin/orders/{}/reprint", placed.body["id"]), Some(&k.m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.body["queued"], 1);
    let all = kp.wait_for(2, Encoding::Cp949).await;
    assert!(texts(&all[1])[0].contains("재출력"));
    let r = app
        .post(&format!("/api/v1/admin/stations/{}/test-print", k.kitchen_station), Some(&k.m.admin), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"printed": true, "state": "ok"}));
    let all = kp.wait_for(3, Encoding::Cp949).await;
    assert!(texts(&all[2]).contains(&"테스트 인쇄".to_string()));
    let r =
        app.post(&format!("/api/v1/admin/stations/{}/test-print", k.bar_station), Some(&k.m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no printer at the bar");
    kp.off();
    let r = app
        .post(&format!("/api/v1/admin/stations/{}/test-print", k.kitchen_station), Some(&k.m.admin), json!({}))
        .await;
    assert_eq!(r.body, json!({"printed": false, "state": "offline"}));
}

#[tokio::test]
async fn stations_are_validated_and_another_stores_are_not_found() {
    let app = TestApp::spawn().await;
    let a = setup(&app, "a", None, None).await;
    let b = store_with_menu(&app, "b", 1).await;
    let t = app.table_token("a", 1).await;
    let placed = order(&app, &t, "iso", json!([stew_line(&a)])).await;
    let ticket = tickets(&app, &a.m.admin, "").await[0]["id"].as_i64().unwrap();
    let admin = Some(b.admin.as_str());
    let s = a.kitchen_station;
    for r in [
        app.patch(&format!("/api/v1/admin/stations/{s}"), admin, json!({"name": "x"})).await,
        app.delete(&format!("/api/v1/admin/stations/{s}"), admin).await,
        app.get(&format!("/api/v1/admin/stations/{s}/status"), admin).await,
        app.post(&format!("/api/v1/admin/stations/{s}/test-print"), admin, json!({})).await,
        app.post(&format!("/api/v1/admin/tickets/{ticket}/bump"), admin, json!({})).await,
        app.post(&format!("/api/v1/admin/tickets/{ticket}/unbump"), admin, json!({})).await,
        app.post(&format!("/api/v1/admin/orders/{}/reprint", placed.body["id"]), admin, json!({})).await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
    assert_eq!(app.get("/api/v1/admin/stations", admin).await.body, json!([]));
    assert_eq!(app.get("/api/v1/admin/tickets", admin).await.body, json!([]));
    let r = app.patch(&format!("/api/v1/admin/menu-items/{}", b.stew), admin, json!({"station_id": s})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["station_id"].is_string());
    // Field by field.
    let r = app
        .post(
            "/api/v1/admin/stations",
            admin,
            json!({"name": "", "printer": {"host": "bad host!", "port": 70000, "encoding": "latin1", "columns": 10}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "printer.host", "printer.port", "printer.encoding", "printer.columns"] {
        assert!(r.body["error"]["fields"][f].is_string(), "{f}: {}", r.body);
    }
    let r = app.post("/api/v1/admin/stations", Some(&a.m.admin), json!({"name": "주방"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "names are unique per store");
    // Removing the printer, then the station: items fall back to the first station.
    let r = app
        .patch(&format!("/api/v1/admin/stations/{}", a.bar_station), Some(&a.m.admin), json!({"printer": null}))
        .await;
    assert_eq!(r.body["printer"], Value::Null);
    assert_eq!(
        app.delete(&format!("/api/v1/admin/stations/{}", a.bar_station), Some(&a.m.admin)).await.status,
        StatusCode::NO_CONTENT
    );
    order(&app, &t, "after", json!([{"menu_item_id": a.beer, "quantity": 1}])).await;
    let open = tickets(&app, &a.m.admin, "").await;
    assert!(open.iter().any(|t| t["station_id"] == a.kitchen_station && t["lines"][0]["name"] == "맥주"));
}

#[tokio::test]
async fn undoing_a_bump_that_was_not_the_last_leaves_the_order_in_preparation() {
    let app = TestApp::spawn().await;
    let k = setup(&app, "a", None, None).await;
    let t = app.table_token("a", 1).await;
    let placed = order(&app, &t, "undo", json!([stew_line(&k), {"menu_item_id": k.beer, "quantity": 1}])).await;
    let open = tickets(&app, &k.m.admin, "").await;
    let of = |station: i64| open.iter().find(|t| t["station_id"] == station).unwrap()["id"].as_i64().unwrap();
    let (kt, bt) = (of(k.kitchen_station), of(k.bar_station));
    let status = || async {
        app.get("/api/v1/orders", Some(&t)).await.body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == placed.body["id"])
            .unwrap()["status"]
            .clone()
    };
    app.post(&format!("/api/v1/admin/tickets/{bt}/bump"), Some(&k.m.admin), json!({})).await;
    assert_eq!(status().await, "preparing");
    app.post(&format!("/api/v1/admin/tickets/{kt}/bump"), Some(&k.m.admin), json!({})).await;
    assert_eq!(status().await, "completed");
    // The bar's bump (the first) is undone: the kitchen's stays, so the order is in preparation.
    app.post(&format!("/api/v1/admin/tickets/{bt}/unbump"), Some(&k.m.admin), json!({})).await;
    assert_eq!(status().await, "preparing");
    app.post(&format!("/api/v1/admin/tickets/{bt}/bump"), Some(&k.m.admin), json!({})).await;
    assert_eq!(status().await, "completed");
}

#[tokio::test]
async fn ending_a_visit_closes_its_open_tickets_on_every_display() {
    let app = TestApp::spawn().await;
    let k = setup(&app, "a", None, None).await;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    // Table 1: a stew still waiting and a beer being poured; table 2 has its own order.
    let left = order(&app, &t1, "left", json!([stew_line(&k), {"menu_item_id": k.beer, "quantity": 1}])).await;
    let stays = order(&app, &t2, "stays", json!([{"menu_item_id": k.pancake, "quantity": 1}])).await;
    assert_eq!(tickets(&app, &k.m.admin, "").await.len(), 3);
    let (mut display, _) = Sse::open(&app, "/api/v1/admin/events", &k.m.admin).await;
    let table1 = left.body["table_id"].as_i64().unwrap();
    let r = app.post(&format!("/api/v1/admin/tables/{table1}/end-session"), Some(&k.m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The displays hear each of table 1's tickets close, before the visit ends.
    let mut closed = Vec::new();
    loop {
        let f = display.next_frame().await;
        match f.event.as_str() {
            "ticket_bumped" => closed.push((f.json()["order_id"].clone(), f.json()["station_id"].clone())),
            "session_ended" => break,
            _ => {}
        }
    }
    closed.sort_by_key(|c| c.1.as_i64());
    assert_eq!(
        closed,
        vec![(left.body["id"].clone(), json!(k.kitchen_station)), (left.body["id"].clone(), json!(k.bar_station))]
    );
    // Only table 2's ticket is still up; the order itself keeps its status for staff to settle.
    let open = tickets(&app, &k.m.admin, "").await;
    assert_eq!(open.iter().map(|t| t["order_id"].clone()).collect::<Vec<_>>(), vec![stays.body["id"].clone()]);
    let h = app.get(&format!("/api/v1/admin/history?table_id={table1}"), Some(&k.m.admin)).await;
    assert_eq!(h.body[0]["orders"][0]["status"], "pending", "{}", h.body);
}
