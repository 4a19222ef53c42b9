//! Orders, table sessions, history and staff calls.

use crate::helpers::{Menu, Resp, TestApp, store_with_menu};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---- helpers ------------------------------------------------------------------------------

/// One number from the database (for "nothing was written" checks).
fn db_i64(app: &TestApp, sql: &str) -> i64 {
    let conn = app.state.pool.get().unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn orders_in_db(app: &TestApp) -> i64 {
    db_i64(app, "SELECT count(*) FROM orders")
}

/// Unix milliseconds of an RFC 3339 instant, e.g. "2030-06-14T23:59:00+09:00".
fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn id(r: &Resp) -> i64 {
    r.body["id"].as_i64().unwrap_or_else(|| panic!("no id in {:?} {}", r.status, r.body))
}

async fn set_status(app: &TestApp, admin: &str, order: i64, status: &str) -> Resp {
    app.patch(&format!("/api/v1/admin/orders/{order}"), Some(admin), json!({ "status": status })).await
}

async fn cancel(app: &TestApp, admin: &str, order: i64) -> Resp {
    app.delete(&format!("/api/v1/admin/orders/{order}"), Some(admin)).await
}

async fn end_session(app: &TestApp, admin: &str, table_id: i64) -> Resp {
    app.post(&format!("/api/v1/admin/tables/{table_id}/end-session"), Some(admin), json!({})).await
}

/// The id of table `number` (from the staff table list).
async fn table_id(app: &TestApp, admin: &str, number: i64) -> i64 {
    let r = app.get("/api/v1/admin/tables", Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == number)
        .unwrap_or_else(|| panic!("table {number} in {}", r.body))["id"]
        .as_i64()
        .unwrap()
}

/// Table `number` as the staff list shows it.
async fn staff_table(app: &TestApp, admin: &str, number: i64) -> Value {
    let r = app.get("/api/v1/admin/tables", Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().iter().find(|t| t["number"] == number).cloned().unwrap()
}

async fn admin_orders(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/admin/orders{query}"), Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// A table's `GET /api/v1/orders`: the v1 fields (later versions add `guests` and
/// `ask_guests` beside them).
async fn my_orders(app: &TestApp, table: &str) -> Value {
    let r = app.get("/api/v1/orders", Some(table)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["ask_guests"].is_boolean(), "{}", r.body);
    json!({"session_id": r.body["session_id"], "total": r.body["total"], "orders": r.body["orders"]})
}

async fn history(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/admin/history{query}"), Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

fn ids(list: &[Value]) -> Vec<i64> {
    list.iter().map(|o| o["id"].as_i64().unwrap()).collect()
}

/// Places an order that must be accepted; returns it.
async fn placed(app: &TestApp, table: &str, key: &str, lines: &[(i64, i64)]) -> Value {
    let r = app.order(table, key, lines).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// Drives a new order of table `table` to `status` and returns its id.
async fn order_in(app: &TestApp, admin: &str, table: &str, m: &Menu, key: &str, status: &str) -> i64 {
    let o = placed(app, table, key, &[(m.cola, 1)]).await;
    let id = o["id"].as_i64().unwrap();
    let path: &[&str] = match status {
        "pending" => &[],
        "preparing" => &["preparing"],
        "completed" => &["preparing", "completed"],
        "cancelled" => &["cancelled"],
        other => panic!("unknown status {other}"),
    };
    for s in path {
        let r = set_status(app, admin, id, s).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    id
}

async fn call_staff(app: &TestApp, table: &str, body: Value) -> Resp {
    app.post("/api/v1/calls", Some(table), body).await
}

// ---- the whole flow -------------------------------------------------------------------------

#[tokio::test]
async fn a_table_orders_staff_follow_it_through_to_history_and_the_next_order_opens_a_new_session() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 3).await;
    let t1 = app.table_token("a", 1).await;
    let admin = &m.admin;

    let empty = my_orders(&app, &t1).await;
    assert_eq!(empty, json!({"session_id": null, "total": 0, "orders": []}));

    let first = placed(&app, &t1, "k1", &[(m.stew, 2), (m.cola, 1)]).await;
    assert_eq!(first["order_no"], 1);
    assert_eq!(first["status"], "pending");
    assert_eq!(first["total"], 20_000);
    assert_eq!(first["table_number"], 1);
    assert_eq!(
        first["items"],
        json!([
            {"menu_item_id": m.stew, "name": "김치찌개", "unit_price": 9000, "quantity": 2, "note": "", "options": []},
            {"menu_item_id": m.cola, "name": "콜라", "unit_price": 2000, "quantity": 1, "note": "", "options": []},
        ])
    );
    for field in ["created_at", "updated_at"] {
        let t = first[field].as_str().unwrap();
        assert!(t.parse::<jiff::Timestamp>().is_ok(), "{field} {t} is RFC 3339");
    }
    let first_id = first["id"].as_i64().unwrap();
    let session = first["session_id"].as_i64().unwrap();
    let table1 = first["table_id"].as_i64().unwrap();

    // Staff see it, and the table's running total.
    let list = admin_orders(&app, admin, "").await;
    assert_eq!(list, vec![first.clone()]);
    let card = staff_table(&app, admin, 1).await;
    assert_eq!(card["session"]["id"], session);
    assert_eq!(card["session"]["total"], 20_000);
    assert_eq!(card["session"]["order_count"], 1);
    assert!(staff_table(&app, admin, 2).await["session"].is_null());

    // Staff advance it; the table sees each step.
    let r = set_status(&app, admin, first_id, "preparing").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "preparing");
    assert_eq!(my_orders(&app, &t1).await["orders"][0]["status"], "preparing");
    let r = set_status(&app, admin, first_id, "completed").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(my_orders(&app, &t1).await["orders"][0]["status"], "completed");

    // A second order joins the same session; newest first.
    let second = placed(&app, &t1, "k2", &[(m.cola, 3)]).await;
    assert_eq!(second["order_no"], 2);
    assert_eq!(second["session_id"], session);
    let mine = my_orders(&app, &t1).await;
    assert_eq!(mine["session_id"], session);
    assert_eq!(mine["total"], 26_000);
    assert_eq!(ids(mine["orders"].as_array().unwrap()), vec![second["id"].as_i64().unwrap(), first_id]);
    assert_eq!(staff_table(&app, admin, 1).await["session"]["order_count"], 2);

    // Staff end the session.
    let r = end_session(&app, admin, table1).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["session_id"], session);
    assert_eq!(r.body["total"], 26_000);
    assert_eq!(r.body["order_count"], 2);
    assert!(r.body["ended_at"].as_str().unwrap().parse::<jiff::Timestamp>().is_ok());

    assert_eq!(my_orders(&app, &t1).await, json!({"session_id": null, "total": 0, "orders": []}));
    assert!(admin_orders(&app, admin, "").await.is_empty());
    assert!(staff_table(&app, admin, 1).await["session"].is_null());

    // History shows the session with its orders.
    let h = history(&app, admin, "").await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["session_id"], session);
    assert_eq!(h[0]["table_id"], table1);
    assert_eq!(h[0]["table_number"], 1);
    assert_eq!(h[0]["total"], 26_000);
    assert_eq!(h[0]["ended_at"], r.body["ended_at"]);
    assert_eq!(ids(h[0]["orders"].as_array().unwrap()), vec![second["id"].as_i64().unwrap(), first_id]);
    assert_eq!(h[0]["orders"][1]["status"], "completed");

    // The next order opens a new session; the day's numbering goes on.
    let third = placed(&app, &t1, "k3", &[(m.stew, 1)]).await;
    assert_ne!(third["session_id"], session);
    assert_eq!(third["order_no"], 3);
    let mine = my_orders(&app, &t1).await;
    assert_eq!(mine["session_id"], third["session_id"]);
    assert_eq!(mine["total"], 9000);
    assert_eq!(ids(mine["orders"].as_array().unwrap()), vec![third["id"].as_i64().unwrap()]);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM table_sessions"), 2);
}

#[tokio::test]
async fn every_change_writes_an_event_carrying_the_full_object_with_store_and_table() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    let t1 = app.table_token("a", 1).await;
    let o = placed(&app, &t1, "k1", &[(m.stew, 1)]).await;
    let oid = o["id"].as_i64().unwrap();
    let table = o["table_id"].as_i64().unwrap();
    assert_eq!(set_status(&app, &m.admin, oid, "preparing").await.status, StatusCode::OK);
    assert_eq!(cancel(&app, &m.admin, oid).await.status, StatusCode::OK);
    let call = call_staff(&app, &t1, json!({"reason": "water"})).await;
    assert_eq!(call.status, StatusCode::CREATED);
    let r = app.post(&format!("/api/v1/admin/calls/{}/ack", id(&call)), Some(&m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(end_session(&app, &m.admin, table).await.status, StatusCode::OK);

    let conn = app.state.pool.get().unwrap();
    let mut stmt = conn
        .prepare("SELECT type, table_id, payload FROM events WHERE store_id = 'a' AND type NOT IN ('menu_changed', 'table_changed', 'audit') ORDER BY id")
        .unwrap();
    let events: Vec<(String, Option<i64>, Value)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, serde_json::from_str(&r.get::<_, String>(2)?).unwrap())))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        kinds,
        ["order_created", "order_updated", "order_cancelled", "call_created", "call_acked", "session_ended"]
    );
    for (kind, table_col, payload) in &events {
        assert_eq!(*table_col, Some(table), "{kind}");
        assert_eq!(payload["store_id"], "a", "{kind}");
        assert_eq!(payload["table_id"], table, "{kind}");
    }
    let created = &events[0].2;
    assert_eq!(created["id"], oid);
    assert_eq!(created["items"][0]["name"], "김치찌개");
    assert_eq!(created["session"]["total"], 9000);
    assert_eq!(events[1].2["status"], "preparing");
    assert_eq!(events[2].2["status"], "cancelled");
    assert_eq!(events[2].2["session"]["total"], 0);
    assert_eq!(events[3].2["reason"], "water");
    assert!(events[4].2["acked_at"].is_string());
    assert_eq!(events[5].2["session_id"], o["session_id"]);
    assert_eq!(events[5].2["order_count"], 0);
}

// ---- cancellations and totals ---------------------------------------------------------------

#[tokio::test]
async fn cancelling_keeps_the_order_as_cancelled_and_drops_it_from_every_total() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    let admin = &m.admin;
    let t1 = app.table_token("a", 1).await;
    let a = placed(&app, &t1, "a", &[(m.stew, 2)]).await; // 18,000
    let b = placed(&app, &t1, "b", &[(m.cola, 1)]).await; // 2,000
    let c = placed(&app, &t1, "c", &[(m.stew, 1), (m.cola, 2)]).await; // 13,000
    let table = a["table_id"].as_i64().unwrap();
    assert_eq!(staff_table(&app, admin, 1).await["session"]["total"], 33_000);

    // DELETE cancels a pending order.
    let r = cancel(&app, admin, a["id"].as_i64().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["total"], 18_000, "the order keeps its own total");
    let card = staff_table(&app, admin, 1).await;
    assert_eq!(card["session"]["total"], 15_000);
    assert_eq!(card["session"]["order_count"], 2);

    // PATCH to cancelled works from preparing.
    let cid = c["id"].as_i64().unwrap();
    assert_eq!(set_status(&app, admin, cid, "preparing").await.status, StatusCode::OK);
    let r = set_status(&app, admin, cid, "cancelled").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let card = staff_table(&app, admin, 1).await;
    assert_eq!(card["session"]["total"], 2000);
    assert_eq!(card["session"]["order_count"], 1);

    // The rows stay, visible as cancelled.
    assert_eq!(orders_in_db(&app), 3);
    let list = admin_orders(&app, admin, "").await;
    assert_eq!(list.len(), 3);
    let cancelled = admin_orders(&app, admin, "?status=cancelled").await;
    assert_eq!(ids(&cancelled), vec![cid, a["id"].as_i64().unwrap()]);
    let mine = my_orders(&app, &t1).await;
    assert_eq!(mine["total"], 2000);
    assert_eq!(mine["orders"].as_array().unwrap().len(), 3);
    assert_eq!(mine["orders"][2]["status"], "cancelled");

    // Ending the session and history count only what was not cancelled.
    let r = end_session(&app, admin, table).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 2000);
    assert_eq!(r.body["order_count"], 1);
    let h = history(&app, admin, "").await;
    assert_eq!(h[0]["total"], 2000);
    assert_eq!(h[0]["orders"].as_array().unwrap().len(), 3);
    assert_eq!(
        ids(h[0]["orders"].as_array().unwrap()),
        vec![cid, b["id"].as_i64().unwrap(), a["id"].as_i64().unwrap()]
    );
}

#[tokio::test]
async fn a_session_whose_orders_are_all_cancelled_totals_zero() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    let o = placed(&app, &t1, "k", &[(m.stew, 1)]).await;
    assert_eq!(cancel(&app, &m.admin, o["id"].as_i64().unwrap()).await.status, StatusCode::OK);
    let card = staff_table(&app, &m.admin, 1).await;
    assert_eq!(card["session"]["total"], 0);
    assert_eq!(card["session"]["order_count"], 0);
    assert_eq!(my_orders(&app, &t1).await["total"], 0);
}

// ---- order numbers --------------------------------------------------------------------------

#[tokio::test]
async fn order_numbers_restart_at_one_after_midnight_in_the_stores_timezone() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    app.clock.set(at("2030-06-14T23:59:00+09:00"));
    // Tokens are checked against the same clock: log in on its time.
    let admin = app.admin_token("a").await;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;

    let a = placed(&app, &t1, "a", &[(m.cola, 1)]).await;
    let b = placed(&app, &t2, "b", &[(m.cola, 1)]).await;
    assert_eq!((a["order_no"].as_i64(), b["order_no"].as_i64()), (Some(1), Some(2)));

    app.clock.set(at("2030-06-15T00:00:00+09:00"));
    let c = placed(&app, &t2, "c", &[(m.cola, 1)]).await;
    let d = placed(&app, &t1, "d", &[(m.cola, 1)]).await;
    assert_eq!((c["order_no"].as_i64(), d["order_no"].as_i64()), (Some(1), Some(2)));
    assert_eq!(d["session_id"], a["session_id"], "a session goes on across midnight");

    // Midnight UTC (09:00 in Seoul) is no boundary for this store.
    app.clock.set(at("2030-06-15T08:59:59+09:00"));
    let e = placed(&app, &t1, "e", &[(m.cola, 1)]).await;
    app.clock.set(at("2030-06-15T09:00:01+09:00"));
    let f = placed(&app, &t1, "f", &[(m.cola, 1)]).await;
    assert_eq!((e["order_no"].as_i64(), f["order_no"].as_i64()), (Some(3), Some(4)));

    let all = admin_orders(&app, &admin, "").await;
    let numbers: Vec<i64> = all.iter().map(|o| o["order_no"].as_i64().unwrap()).collect();
    assert_eq!(numbers, vec![4, 3, 2, 1, 2, 1]);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM orders WHERE business_day = '2030-06-14'"), 2);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM orders WHERE business_day = '2030-06-15'"), 4);
    assert_eq!(a["created_at"], "2030-06-14T14:59:00.000Z");
}

#[tokio::test]
async fn order_numbers_are_per_store() {
    let app = TestApp::spawn().await;
    let ma = store_with_menu(&app, "a", 1).await;
    let mb = store_with_menu(&app, "b", 1).await;
    let ta = app.table_token("a", 1).await;
    let tb = app.table_token("b", 1).await;
    assert_eq!(placed(&app, &ta, "k", &[(ma.cola, 1)]).await["order_no"], 1);
    assert_eq!(placed(&app, &tb, "k", &[(mb.cola, 1)]).await["order_no"], 1);
    assert_eq!(placed(&app, &ta, "k2", &[(ma.cola, 1)]).await["order_no"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_orders_from_many_tables_get_distinct_consecutive_numbers() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 16).await;
    let mut tokens = Vec::new();
    for n in 1..=16 {
        tokens.push(app.table_token("a", n).await);
    }
    let futs = tokens.iter().enumerate().map(|(i, t)| {
        let app = &app;
        let m = &m;
        async move { app.order(t, &format!("k{i}"), &[(m.stew, 1), (m.cola, 2)]).await }
    });
    let answers = futures_util::future::join_all(futs).await;
    let mut numbers: Vec<i64> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["order_no"].as_i64().unwrap()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=16).collect::<Vec<_>>());
    assert_eq!(orders_in_db(&app), 16);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM order_items"), 32);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM table_sessions WHERE ended_at IS NULL"), 16);
}

// ---- idempotency ----------------------------------------------------------------------------

#[tokio::test]
async fn a_retry_with_the_same_key_answers_200_with_the_same_order_and_adds_nothing() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    let t1 = app.table_token("a", 1).await;
    let first = app.order(&t1, "retry-1", &[(m.stew, 1)]).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app.order(&t1, "retry-1", &[(m.stew, 1)]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body, first.body);
    // Even with another body: the key names the attempt.
    let other = app.order(&t1, "retry-1", &[(m.cola, 5)]).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body, first.body);
    assert_eq!(admin_orders(&app, &m.admin, "").await.len(), 1);
    assert_eq!(orders_in_db(&app), 1);
    // Staff saw one order_created.
    assert_eq!(db_i64(&app, "SELECT count(*) FROM events WHERE type = 'order_created'"), 1);

    // A retry after the order moved on shows it as it is now.
    assert_eq!(set_status(&app, &m.admin, id(&first), "preparing").await.status, StatusCode::OK);
    let later = app.order(&t1, "retry-1", &[(m.stew, 1)]).await;
    assert_eq!(later.status, StatusCode::OK);
    assert_eq!(later.body["status"], "preparing");

    // A new key is a new order; the same key from another table is that table's own.
    assert_eq!(app.order(&t1, "retry-2", &[(m.stew, 1)]).await.status, StatusCode::CREATED);
    let t2 = app.table_token("a", 2).await;
    let theirs = app.order(&t2, "retry-1", &[(m.stew, 1)]).await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert_ne!(id(&theirs), id(&first));
    assert_eq!(orders_in_db(&app), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_requests_with_one_key_make_one_order() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    for round in 0..10 {
        let key = format!("race-{round}");
        let lines = [(m.stew, 1), (m.cola, 1)];
        let (a, b) = tokio::join!(app.order(&t1, &key, &lines), app.order(&t1, &key, &lines));
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED], "round {round}: {} / {}", a.body, b.body);
        assert_eq!(id(&a), id(&b));
        assert_eq!(a.body, b.body);
    }
    assert_eq!(orders_in_db(&app), 10);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM order_items"), 20);

    // Eight at once: still one.
    let lines = [(m.cola, 1)];
    let futs = (0..8).map(|_| app.order(&t1, "crowd", &lines));
    let answers = futures_util::future::join_all(futs).await;
    let created = answers.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let repeated = answers.iter().filter(|r| r.status == StatusCode::OK).count();
    assert_eq!((created, repeated), (1, 7));
    assert!(answers.iter().all(|r| id(r) == id(&answers[0])));
    assert_eq!(orders_in_db(&app), 11);
}

// ---- status changes -------------------------------------------------------------------------

#[tokio::test]
async fn every_transition_outside_the_state_machine_is_refused() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let admin = &m.admin;
    let t1 = app.table_token("a", 1).await;
    let states = ["pending", "preparing", "completed", "cancelled"];
    let allowed =
        [("pending", "preparing"), ("preparing", "completed"), ("pending", "cancelled"), ("preparing", "cancelled")];
    let mut n = 0;
    for from in states {
        for to in states {
            n += 1;
            let order = order_in(&app, admin, &t1, &m, &format!("t{n}"), from).await;
            let before = orders_in_db(&app);
            let r = set_status(&app, admin, order, to).await;
            if allowed.contains(&(from, to)) {
                assert_eq!(r.status, StatusCode::OK, "{from} -> {to}: {}", r.body);
                assert_eq!(r.body["status"], to);
            } else {
                assert_eq!(r.status, StatusCode::CONFLICT, "{from} -> {to}: {}", r.body);
                assert_eq!(r.code(), "invalid_transition", "{from} -> {to}");
                let now = admin_orders(&app, admin, "").await;
                let o = now.iter().find(|o| o["id"] == order).unwrap();
                assert_eq!(o["status"], from, "{from} -> {to} changed nothing");
            }
            assert_eq!(orders_in_db(&app), before);
        }
    }

    // Cancelling (DELETE) a completed or cancelled order is refused too: both are final.
    for from in ["completed", "cancelled"] {
        n += 1;
        let order = order_in(&app, admin, &t1, &m, &format!("t{n}"), from).await;
        let r = cancel(&app, admin, order).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "cancel {from}: {}", r.body);
        assert_eq!(r.code(), "invalid_transition");
    }
    // No refused change wrote an event. Updates: getting 4 orders to preparing (1 each) and
    // 5 to completed (2 each), plus the 2 allowed moves pending → preparing → completed.
    // Cancellations: getting 5 orders to cancelled, plus the 2 allowed cancellations.
    assert_eq!(db_i64(&app, "SELECT count(*) FROM events WHERE type = 'order_updated'"), 4 + 5 * 2 + 2);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM events WHERE type = 'order_cancelled'"), 5 + 2);
}

#[tokio::test]
async fn a_status_change_names_an_unknown_status_or_order() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    let o = id(&app.order(&t1, "k", &[(m.cola, 1)]).await);
    let r = set_status(&app, &m.admin, o, "done").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["status"].is_string(), "{}", r.body);
    let r = app.patch(&format!("/api/v1/admin/orders/{o}"), Some(&m.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(set_status(&app, &m.admin, 999_999, "preparing").await.status, StatusCode::NOT_FOUND);
    assert_eq!(cancel(&app, &m.admin, 999_999).await.status, StatusCode::NOT_FOUND);
    let r = app.patch("/api/v1/admin/orders/abc", Some(&m.admin), json!({"status": "preparing"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = admin_orders(&app, &m.admin, "?status=pending").await;
    assert_eq!(ids(&r), vec![o]);
    let r = app.get("/api/v1/admin/orders?status=done", Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The table cannot change status.
    let r = set_status(&app, &t1, o, "preparing").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// ---- what may be ordered --------------------------------------------------------------------

#[tokio::test]
async fn an_order_for_a_sold_out_item_is_refused_with_its_name() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    let r =
        app.patch(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin), json!({"available": false})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = app.order(&t1, "k", &[(m.cola, 1), (m.stew, 2)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "item_unavailable");
    assert_eq!(r.body["error"]["menu_item_ids"], json!([m.stew]));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("김치찌개"), "{}", r.body);
    // Nothing was written: no order, no session.
    assert_eq!(orders_in_db(&app), 0);
    assert!(staff_table(&app, &m.admin, 1).await["session"].is_null());

    // Back on the menu, the same attempt (same key) goes through.
    let r =
        app.patch(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin), json!({"available": true})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.order(&t1, "k", &[(m.cola, 1), (m.stew, 2)]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["total"], 20_000);
}

#[tokio::test]
async fn an_order_for_another_stores_menu_items_is_refused_listing_them() {
    let app = TestApp::spawn().await;
    let ma = store_with_menu(&app, "a", 1).await;
    let mb = store_with_menu(&app, "b", 1).await;
    let tb = app.table_token("b", 1).await;
    let r = app.order(&tb, "k", &[(mb.cola, 1), (ma.stew, 1), (ma.cola, 2), (ma.stew, 1)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "item_unavailable");
    assert_eq!(r.body["error"]["menu_item_ids"], json!([ma.stew, ma.cola]));
    assert!(!r.body["error"]["message"].as_str().unwrap().contains("김치찌개"), "another store's names do not leak");
    let r = app.order(&tb, "k2", &[(999_999, 1)]).await;
    assert_eq!(r.code(), "item_unavailable");
    assert_eq!(r.body["error"]["menu_item_ids"], json!([999_999]));
    assert_eq!(orders_in_db(&app), 0);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM table_sessions"), 0);
}

#[tokio::test]
async fn a_deleted_menu_item_cannot_be_ordered_but_past_orders_keep_its_name_and_price() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    let o = placed(&app, &t1, "k1", &[(m.stew, 1)]).await;
    let r = app.patch(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin), json!({"price": 9500})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.delete(&format!("/api/v1/admin/menu-items/{}", m.stew), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.order(&t1, "k2", &[(m.stew, 1)]).await;
    assert_eq!(r.code(), "item_unavailable");
    let mine = my_orders(&app, &t1).await;
    assert_eq!(mine["orders"][0]["items"], o["items"]);
    assert_eq!(mine["orders"][0]["items"][0]["unit_price"], 9000);
}

// ---- bad input ------------------------------------------------------------------------------

#[tokio::test]
async fn the_idempotency_key_is_required_and_at_most_64_characters() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    let r = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&t1)
        .json(&json!({"items": [{"menu_item_id": m.cola, "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    let r = crate::helpers::into_resp(r).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "bad_request");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("Idempotency-Key"));

    for bad in ["k".repeat(65), String::new(), "has space".into()] {
        let r = app.order(&t1, &bad, &[(m.cola, 1)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.body);
        assert_eq!(r.code(), "bad_request");
    }
    assert_eq!(orders_in_db(&app), 0);
    let r = app.order(&t1, &"k".repeat(64), &[(m.cola, 1)]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn orders_need_1_to_50_lines_of_quantity_1_to_99() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;

    let r = app.order(&t1, "none", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.code(), "validation_failed");
    assert!(r.body["error"]["fields"]["items"].is_string());

    let many: Vec<(i64, i64)> = (0..51).map(|_| (m.cola, 1)).collect();
    let r = app.order(&t1, "many", &many).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["items"].is_string());

    for q in [0, 100, -1] {
        let r = app.order(&t1, &format!("q{q}"), &[(m.stew, 1), (m.cola, q)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "quantity {q}: {}", r.body);
        assert!(r.body["error"]["fields"]["items[1].quantity"].is_string(), "{}", r.body);
    }

    // Not a number, unknown fields, no items: all named 4xx.
    for body in [
        json!({"items": [{"menu_item_id": m.cola, "quantity": 1.5}]}),
        json!({"items": [{"menu_item_id": m.cola}]}),
        json!({"items": [{"menu_item_id": m.cola, "quantity": 1}], "table_id": 2}),
        json!({}),
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&t1)
            .header("idempotency-key", "odd")
            .json(&body)
            .send()
            .await
            .unwrap();
        let r = crate::helpers::into_resp(r).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
    }
    assert_eq!(orders_in_db(&app), 0);

    // The bounds themselves are fine.
    let fifty: Vec<(i64, i64)> = (0..50).map(|i| (if i % 2 == 0 { m.cola } else { m.stew }, 99)).collect();
    let r = app.order(&t1, "fifty", &fifty).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 50);
    assert_eq!(r.body["total"], 25 * 99 * 2000 + 25 * 99 * 9000);
}

// ---- limits ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_active_order_limit_answers_409_with_its_name_and_value() {
    let app = TestApp::spawn_with(|c| c.limits.max_active_orders = 2).await;
    let m = store_with_menu(&app, "a", 2).await;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    let first = placed(&app, &t1, "a", &[(m.cola, 1)]).await;
    placed(&app, &t2, "b", &[(m.cola, 1)]).await;

    let r = app.order(&t1, "c", &[(m.cola, 1)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "limit_reached");
    assert_eq!(r.body["error"]["limit"], "max_active_orders");
    assert_eq!(r.body["error"]["value"], 2);
    assert_eq!(orders_in_db(&app), 2);

    // A retry of an order already placed is still answered.
    assert_eq!(app.order(&t1, "a", &[(m.cola, 1)]).await.status, StatusCode::OK);

    // A completed order no longer counts.
    let fid = first["id"].as_i64().unwrap();
    assert_eq!(set_status(&app, &m.admin, fid, "preparing").await.status, StatusCode::OK);
    assert_eq!(app.order(&t1, "c", &[(m.cola, 1)]).await.code(), "limit_reached", "preparing still counts");
    assert_eq!(set_status(&app, &m.admin, fid, "completed").await.status, StatusCode::OK);
    assert_eq!(app.order(&t1, "c", &[(m.cola, 1)]).await.status, StatusCode::CREATED);
    assert_eq!(app.order(&t1, "d", &[(m.cola, 1)]).await.code(), "limit_reached");

    // Nor does a cancelled one.
    let pending = admin_orders(&app, &m.admin, "?status=pending").await;
    assert_eq!(cancel(&app, &m.admin, pending[0]["id"].as_i64().unwrap()).await.status, StatusCode::OK);
    assert_eq!(app.order(&t1, "d", &[(m.cola, 1)]).await.status, StatusCode::CREATED);

    // Nor do orders left pending in a session that has ended.
    assert_eq!(app.order(&t1, "e", &[(m.cola, 1)]).await.code(), "limit_reached");
    let table2 = table_id(&app, &m.admin, 2).await;
    assert_eq!(end_session(&app, &m.admin, table2).await.status, StatusCode::OK);
    assert_eq!(app.order(&t1, "e", &[(m.cola, 1)]).await.status, StatusCode::CREATED);
    assert_eq!(app.order(&t2, "f", &[(m.cola, 1)]).await.code(), "limit_reached");
}

#[tokio::test]
async fn too_many_orders_a_minute_from_one_table_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(|c| c.limits.orders_per_minute = 2).await;
    let m = store_with_menu(&app, "a", 2).await;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    placed(&app, &t1, "a", &[(m.cola, 1)]).await;
    placed(&app, &t1, "b", &[(m.cola, 1)]).await;
    let r = app.order(&t1, "c", &[(m.cola, 1)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.code(), "too_many_requests");
    let wait: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(orders_in_db(&app), 2);
    // A retry of an order already placed is not a new order: it still gets its answer.
    let retry = app.order(&t1, "b", &[(m.cola, 1)]).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    // The limit is per table.
    placed(&app, &t2, "c", &[(m.cola, 1)]).await;
}

// ---- sessions -------------------------------------------------------------------------------

#[tokio::test]
async fn ending_a_session_when_none_is_open_is_409() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let table = table_id(&app, &m.admin, 1).await;
    let r = end_session(&app, &m.admin, table).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "conflict");

    let t1 = app.table_token("a", 1).await;
    placed(&app, &t1, "k", &[(m.cola, 1)]).await;
    assert_eq!(end_session(&app, &m.admin, table).await.status, StatusCode::OK);
    let r = end_session(&app, &m.admin, table).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "ending twice: {}", r.body);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM events WHERE type = 'session_ended'"), 1);
    assert_eq!(end_session(&app, &m.admin, 999_999).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn orders_of_an_ended_session_no_longer_change() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    let o = placed(&app, &t1, "k", &[(m.cola, 1)]).await;
    let oid = o["id"].as_i64().unwrap();
    assert_eq!(end_session(&app, &m.admin, o["table_id"].as_i64().unwrap()).await.status, StatusCode::OK);
    let r = set_status(&app, &m.admin, oid, "preparing").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = cancel(&app, &m.admin, oid).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(history(&app, &m.admin, "").await[0]["orders"][0]["status"], "pending");
}

#[tokio::test]
async fn a_table_deleted_while_its_token_lives_can_no_longer_order_or_call() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    let t2 = app.table_token("a", 2).await;
    let table2 = table_id(&app, &m.admin, 2).await;

    // An earlier session of the table stays in history.
    placed(&app, &t2, "before", &[(m.stew, 1)]).await;
    let r = app.delete(&format!("/api/v1/admin/tables/{table2}"), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not while a session is open: {}", r.body);
    assert_eq!(end_session(&app, &m.admin, table2).await.status, StatusCode::OK);
    // An open call does not keep the table alive.
    assert_eq!(call_staff(&app, &t2, json!({})).await.status, StatusCode::CREATED);
    let r = app.delete(&format!("/api/v1/admin/tables/{table2}"), Some(&m.admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    let r = app.order(&t2, "after", &[(m.stew, 1)]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(orders_in_db(&app), 1);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM table_sessions"), 1);
    let r = call_staff(&app, &t2, json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM staff_calls"), 1);
    assert_eq!(end_session(&app, &m.admin, table2).await.status, StatusCode::NOT_FOUND);

    let h = history(&app, &m.admin, "").await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["table_number"], 2);
}

// ---- history --------------------------------------------------------------------------------

#[tokio::test]
async fn history_filters_by_table_and_by_dates_in_the_stores_timezone() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 3).await;

    // Day one, noon in Seoul: table 1's session ends.
    app.clock.set(at("2030-03-10T12:00:00+09:00"));
    let admin = app.admin_token("a").await;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    let t3 = app.table_token("a", 3).await;
    let (id1, id2, id3) =
        (table_id(&app, &admin, 1).await, table_id(&app, &admin, 2).await, table_id(&app, &admin, 3).await);
    placed(&app, &t1, "a", &[(m.stew, 1)]).await;
    placed(&app, &t2, "b", &[(m.cola, 1)]).await;
    placed(&app, &t3, "c", &[(m.cola, 2)]).await;
    let s1 = end_session(&app, &admin, id1).await.body["session_id"].clone();

    // Half past midnight in Seoul: still 10 March in UTC. Table 2's session ends.
    app.clock.set(at("2030-03-11T00:30:00+09:00"));
    let s2 = end_session(&app, &admin, id2).await.body["session_id"].clone();
    // Table 1 again, ended the same day.
    placed(&app, &t1, "d", &[(m.stew, 2)]).await;
    app.clock.set(at("2030-03-11T20:00:00+09:00"));
    let admin = app.admin_token("a").await;
    let s3 = end_session(&app, &admin, id1).await.body["session_id"].clone();
    // Table 3 stays open: not history.

    let sessions = |list: &[Value]| list.iter().map(|h| h["session_id"].clone()).collect::<Vec<_>>();
    assert_eq!(sessions(&history(&app, &admin, "").await), vec![s3.clone(), s2.clone(), s1.clone()]);
    assert_eq!(sessions(&history(&app, &admin, "?from=2030-03-10&to=2030-03-10").await), vec![s1.clone()]);
    assert_eq!(sessions(&history(&app, &admin, "?from=2030-03-11&to=2030-03-11").await), vec![s3.clone(), s2.clone()]);
    assert_eq!(sessions(&history(&app, &admin, "?from=2030-03-11").await), vec![s3.clone(), s2.clone()]);
    assert_eq!(sessions(&history(&app, &admin, "?to=2030-03-10").await), vec![s1.clone()]);
    assert_eq!(sessions(&history(&app, &admin, "?from=2030-03-12").await), Vec::<Value>::new());
    assert_eq!(sessions(&history(&app, &admin, &format!("?table_id={id1}")).await), vec![s3.clone(), s1.clone()]);
    assert_eq!(
        sessions(&history(&app, &admin, &format!("?table_id={id1}&from=2030-03-11&to=2030-03-11")).await),
        vec![s3.clone()]
    );
    assert_eq!(sessions(&history(&app, &admin, &format!("?table_id={id3}")).await), Vec::<Value>::new());
    assert_eq!(sessions(&history(&app, &admin, "?limit=1").await), vec![s3.clone()]);
    let h = history(&app, &admin, "?from=2030-03-11&to=2030-03-11").await;
    assert_eq!(h[1]["ended_at"], "2030-03-10T15:30:00.000Z");
    assert_eq!(h[0]["total"], 18_000);

    for bad in [
        "?from=2030-13-01",
        "?to=2030-02-30",
        "?from=yesterday",
        "?from=2030-03-11&to=2030-03-10",
        "?from=2030-03-12&to=2030-03-10",
        "?limit=0",
    ] {
        let r = app.get(&format!("/api/v1/admin/history{bad}"), Some(&admin)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
        assert_eq!(r.code(), "validation_failed", "{bad}");
    }
    let r = app.get("/api/v1/admin/history?table_id=x", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

// ---- staff calls ----------------------------------------------------------------------------

#[tokio::test]
async fn a_staff_call_is_created_once_listed_while_open_and_acknowledged() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 2).await;
    let admin = &m.admin;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;

    let r = call_staff(&app, &t1, json!({"reason": "  물 좀 주세요 "})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let call = id(&r);
    assert_eq!(r.body["reason"], "물 좀 주세요");
    assert_eq!(r.body["table_number"], 1);
    assert!(r.body["created_at"].is_string());
    assert!(r.body["acked_at"].is_null());

    // A second tap while it is open answers the same call.
    let again = call_staff(&app, &t1, json!({"reason": "물 좀 주세요"})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(id(&again), call);
    // An empty body is a call without a reason.
    let r = app.raw(reqwest::Method::POST, "/api/v1/calls", Some(&t2), "application/json", Vec::new()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let call2 = id(&r);
    assert_eq!(r.body["reason"], "");

    let r = app.get("/api/v1/admin/calls?open=true", Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(r.body.as_array().unwrap()), vec![call2, call]);

    let r = app.post(&format!("/api/v1/admin/calls/{call}/ack"), Some(admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let acked_at = r.body["acked_at"].clone();
    assert!(acked_at.is_string());
    let r = app.post(&format!("/api/v1/admin/calls/{call}/ack"), Some(admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "acknowledging twice is harmless");
    assert_eq!(r.body["acked_at"], acked_at);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM events WHERE type = 'call_acked'"), 1);

    let r = app.get("/api/v1/admin/calls?open=true", Some(admin)).await;
    assert_eq!(ids(r.body.as_array().unwrap()), vec![call2]);
    let r = app.get("/api/v1/admin/calls", Some(admin)).await;
    assert_eq!(ids(r.body.as_array().unwrap()), vec![call2, call]);

    // Once acknowledged, calling again is a new call.
    let r = call_staff(&app, &t1, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(id(&r) > call2);

    let r = app.post("/api/v1/admin/calls/999999/ack", Some(admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call_staff(&app, &t1, json!({"reason": "x".repeat(201)})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db_i64(&app, "SELECT count(*) FROM events WHERE type = 'call_created'"), 3);
}

#[tokio::test]
async fn a_call_belongs_to_the_tables_open_session_if_any() {
    let app = TestApp::spawn().await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    let r = call_staff(&app, &t1, json!({})).await;
    assert!(r.body["session_id"].is_null());
    app.post(&format!("/api/v1/admin/calls/{}/ack", id(&r)), Some(&m.admin), json!({})).await;
    let o = placed(&app, &t1, "k", &[(m.cola, 1)]).await;
    let r = call_staff(&app, &t1, json!({})).await;
    assert_eq!(r.body["session_id"], o["session_id"]);
}

// ---- isolation ------------------------------------------------------------------------------

#[tokio::test]
async fn another_stores_staff_get_404_for_every_order_session_and_call_route_and_change_nothing() {
    let app = TestApp::spawn().await;
    let ma = store_with_menu(&app, "a", 2).await;
    let mb = store_with_menu(&app, "b", 2).await;
    let (admin_a, admin_b) = (&ma.admin, &mb.admin);
    let ta1 = app.table_token("a", 1).await;
    let ta2 = app.table_token("a", 2).await;
    let tb1 = app.table_token("b", 1).await;

    let order = placed(&app, &ta1, "k", &[(ma.stew, 1)]).await;
    let oid = order["id"].as_i64().unwrap();
    let a1 = order["table_id"].as_i64().unwrap();
    let a2 = table_id(&app, admin_a, 2).await;
    placed(&app, &ta2, "k", &[(ma.cola, 1)]).await;
    assert_eq!(end_session(&app, admin_a, a2).await.status, StatusCode::OK, "A has history");
    let call = id(&call_staff(&app, &ta1, json!({"reason": "water"})).await);
    // B has its own order, session and call.
    let b_order = placed(&app, &tb1, "k", &[(mb.cola, 1)]).await;
    call_staff(&app, &tb1, json!({})).await;
    let events_before = db_i64(&app, "SELECT count(*) FROM events");

    // Writes with A's ids: 404, as if they did not exist.
    for status in ["preparing", "cancelled", "completed", "pending"] {
        let r = set_status(&app, admin_b, oid, status).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "PATCH {status}: {}", r.body);
        assert_eq!(r.code(), "not_found");
    }
    let r = cancel(&app, admin_b, oid).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for table in [a1, a2] {
        let r = end_session(&app, admin_b, table).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "end-session {table}: {}", r.body);
    }
    let r = app.post(&format!("/api/v1/admin/calls/{call}/ack"), Some(admin_b), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Nothing changed.
    assert_eq!(db_i64(&app, "SELECT count(*) FROM events"), events_before);
    let a_orders = admin_orders(&app, admin_a, "").await;
    assert_eq!(a_orders.iter().find(|o| o["id"] == oid).unwrap()["status"], "pending");
    assert_eq!(staff_table(&app, admin_a, 1).await["session"]["total"], 9000);
    let open_calls = app.get("/api/v1/admin/calls?open=true", Some(admin_a)).await;
    assert_eq!(ids(open_calls.body.as_array().unwrap()), vec![call]);

    // Reads show none of A's.
    let b_orders = admin_orders(&app, admin_b, "").await;
    assert_eq!(ids(&b_orders), vec![b_order["id"].as_i64().unwrap()]);
    assert!(admin_orders(&app, admin_b, &format!("?table_id={a1}")).await.is_empty());
    let h = history(&app, admin_b, "").await;
    assert!(h.is_empty(), "{h:?}");
    assert!(history(&app, admin_b, &format!("?table_id={a2}")).await.is_empty());
    assert_eq!(history(&app, admin_a, "").await.len(), 1);
    let calls = app.get("/api/v1/admin/calls", Some(admin_b)).await;
    assert!(calls.body.as_array().unwrap().iter().all(|c| c["id"] != call));
    assert_eq!(calls.body.as_array().unwrap().len(), 1);
    let tables = app.get("/api/v1/admin/tables", Some(admin_b)).await;
    assert!(tables.body.as_array().unwrap().iter().all(|t| t["id"] != a1 && t["id"] != a2));

    // And the other way round.
    assert_eq!(
        set_status(&app, admin_a, b_order["id"].as_i64().unwrap(), "preparing").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(admin_orders(&app, admin_a, "").await.iter().all(|o| o["id"] != b_order["id"]));
}

#[tokio::test]
async fn a_table_sees_only_its_own_orders() {
    let app = TestApp::spawn().await;
    let ma = store_with_menu(&app, "a", 2).await;
    let mb = store_with_menu(&app, "b", 1).await;
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    let tb = app.table_token("b", 1).await;
    let o = placed(&app, &t1, "k", &[(ma.stew, 1)]).await;

    assert_eq!(my_orders(&app, &t2).await, json!({"session_id": null, "total": 0, "orders": []}));
    assert_eq!(my_orders(&app, &tb).await, json!({"session_id": null, "total": 0, "orders": []}));
    placed(&app, &t2, "k", &[(ma.cola, 1)]).await;
    placed(&app, &tb, "k", &[(mb.cola, 1)]).await;
    let theirs = my_orders(&app, &t2).await;
    assert_eq!(theirs["orders"].as_array().unwrap().len(), 1);
    assert_ne!(theirs["orders"][0]["id"], o["id"]);
    assert_ne!(theirs["session_id"], o["session_id"]);
    let mine = my_orders(&app, &t1).await;
    assert_eq!(ids(mine["orders"].as_array().unwrap()), vec![o["id"].as_i64().unwrap()]);

    // A table token opens no staff route.
    for path in ["/api/v1/admin/orders", "/api/v1/admin/history", "/api/v1/admin/calls", "/api/v1/admin/tables"] {
        assert_eq!(app.get(path, Some(&t1)).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r = cancel(&app, &t2, o["id"].as_i64().unwrap()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Staff cannot order as a table.
    assert_eq!(app.order(&ma.admin, "k9", &[(ma.cola, 1)]).await.status, StatusCode::FORBIDDEN);
    // No token, no orders.
    assert_eq!(app.get("/api/v1/orders", None).await.status, StatusCode::UNAUTHORIZED);
}
