//! The check, its payments and the business day: arithmetic through the API, idempotent
//! payments, approvals, checkout on and off, moves with payments, the day's close and its
//! report, refunds after the close, the cutoff hour, printed bills and receipts.

use crate::helpers::*;
use crate::printer::FakePrinter;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tableorder::kitchen::escpos::Encoding;

struct Shop {
    m: Menu,
    manager: String,
    server: String,
}

async fn shop(app: &TestApp) -> Shop {
    let m = store_with_menu(app, "a", 8).await;
    let hire = |name: &'static str, role: &'static str, pin: &'static str| {
        let admin = m.admin.clone();
        async move {
            let r = app
                .post(
                    "/api/v1/admin/staff",
                    Some(&admin),
                    json!({"username": name, "role": role, "password": "long-enough-1", "pin": pin}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            let l = app
                .post(
                    "/api/v1/auth/admin/login",
                    None,
                    json!({"store_id": "a", "username": name, "password": "long-enough-1"}),
                )
                .await;
            l.body["token"].as_str().unwrap().to_string()
        }
    };
    let manager = hire("minji", "manager", "4321").await;
    let server = hire("junho", "server", "1111").await;
    Shop { m, manager, server }
}

fn table_id(app: &TestApp, number: i64) -> i64 {
    app.state
        .pool
        .get()
        .unwrap()
        .query_row("SELECT id FROM tables WHERE store_id = 'a' AND number = ?1", [number], |r| r.get(0))
        .unwrap()
}

async fn order(app: &TestApp, table: &str, key: &str, lines: &[(i64, i64)]) -> Value {
    let r = app.order(table, key, lines).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

async fn check(app: &TestApp, token: &str, session: i64) -> Value {
    let r = app.get(&format!("/api/v1/admin/sessions/{session}/check"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn pay(app: &TestApp, token: &str, session: i64, key: &str, body: Value) -> Resp {
    let req = app
        .client
        .post(app.url(&format!("/api/v1/admin/sessions/{session}/payments")))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body);
    into_resp(req.send().await.unwrap()).await
}

async fn adjust(app: &TestApp, token: &str, session: i64, body: Value) -> Resp {
    app.post(&format!("/api/v1/admin/sessions/{session}/adjustments"), Some(token), body).await
}

fn assert_whole(c: &Value) {
    let n = |k: &str| c[k].as_i64().unwrap();
    assert_eq!(n("total"), n("subtotal") - n("discounts") - n("comps") - n("voids"), "{c}");
    assert!(n("total") >= 0);
    assert_eq!(n("balance"), n("total") - n("paid") + n("refunded"), "{c}");
    let nets: i64 = c["lines"].as_array().unwrap().iter().map(|l| l["net"].as_i64().unwrap()).sum();
    assert_eq!(nets, n("total"), "the lines add up to the check: {c}");
}

#[tokio::test]
async fn a_check_adds_up_pays_in_three_and_takes_each_payment_once() {
    let app = TestApp::spawn().await;
    let s = shop(&app).await;
    let t1 = app.table_token("a", 1).await;
    let o = order(&app, &t1, "o1", &[(s.m.stew, 2), (s.m.cola, 3)]).await;
    let sid = o["session_id"].as_i64().unwrap();
    // The menu's price changes after the order: the check keeps the price ordered at.
    app.patch(&format!("/api/v1/admin/menu-items/{}", s.m.stew), Some(&s.manager), json!({"price": 12000})).await;
    let c = check(&app, &s.server, sid).await;
    assert_eq!(c["subtotal"], 24_000);
    assert_eq!(c["lines"][0]["unit_price"], 9_000);
    assert_whole(&c);
    let cola_line = c["lines"][1]["order_item_id"].as_i64().unwrap();

    // A manager: 서비스 of one cola, 10 % off the check.
    let r = adjust(
        &app,
        &s.manager,
        sid,
        json!({"kind": "comp", "order_item_id": cola_line, "quantity": 1, "reason": "단골"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = adjust(&app, &s.manager, sid, json!({"kind": "discount", "percent": 10, "reason": "생일"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.body;
    assert_eq!(
        (c["comps"].as_i64(), c["discounts"].as_i64(), c["total"].as_i64()),
        (Some(2_000), Some(2_200), Some(19_800))
    );
    assert_whole(&c);
    // Bad adjustments name their field and change nothing.
    for (body, field) in [
        (json!({"kind": "comp", "order_item_id": cola_line, "quantity": 5, "reason": "x"}), "quantity"),
        (json!({"kind": "discount", "amount": 99_999, "order_item_id": cola_line, "reason": "x"}), "amount"),
        (json!({"kind": "discount", "percent": 10, "amount": 100, "reason": "x"}), "percent"),
        (json!({"kind": "void", "reason": "x"}), "order_item_id"),
        (json!({"kind": "discount", "percent": 10, "reason": ""}), "reason"),
    ] {
        let r = adjust(&app, &s.manager, sid, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
        assert!(r.body["error"]["fields"][field].is_string(), "{body}: {}", r.body);
    }
    assert_eq!(check(&app, &s.server, sid).await["total"], 19_800);

    // Three equal parts: 6,600 each, shown part by part.
    let split = app.get(&format!("/api/v1/admin/sessions/{sid}/check?split=equal&parts=3"), Some(&s.server)).await.body;
    assert_eq!(split["split"]["parts"], json!([6_600, 6_600, 6_600]));
    let r = pay(
        &app,
        &s.server,
        sid,
        "p1",
        json!({"method": "cash", "tendered": 10_000, "split": {"kind": "equal", "parts": 3}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        (r.body["payments"][0]["amount"].as_i64(), r.body["payments"][0]["change"].as_i64()),
        (Some(6_600), Some(3_400))
    );
    assert_eq!(r.body["split"]["parts_paid"], 1);
    // The same key again: the same check, no second payment (even with another body).
    let again = pay(&app, &s.server, sid, "p1", json!({"method": "card", "amount": 500})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["payments"].as_array().unwrap().len(), 1);
    let many: Vec<_> = (0..5)
        .map(|_| pay(&app, &s.server, sid, "p2", json!({"method": "card", "split": {"kind": "equal", "parts": 3}})))
        .collect();
    let answers = futures_util::future::join_all(many).await;
    assert_eq!(
        answers.iter().filter(|r| r.status == StatusCode::CREATED).count(),
        1,
        "concurrent retries: one payment"
    );
    assert!(answers.iter().all(|r| r.status.is_success()));
    let c = check(&app, &s.server, sid).await;
    assert_eq!(c["payments"].as_array().unwrap().len(), 2);
    assert_eq!(c["balance"], 6_600);
    // Never more than the balance.
    let r = pay(&app, &s.server, sid, "p3", json!({"method": "card", "amount": 6_601})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        pay(&app, &s.server, sid, "p3", json!({"method": "card", "amount": 6_600, "reference": "승인 12345678"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["balance"], 0);
    assert_whole(&r.body);
    let r = pay(&app, &s.server, sid, "p4", json!({"method": "cash", "amount": 1})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "nothing left to pay");
    // No key: 400; a tendered card: 422.
    let r = app
        .post(
            &format!("/api/v1/admin/sessions/{sid}/payments"),
            Some(&s.server),
            json!({"method": "cash", "amount": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT count(*) FROM payments"), 3);
}

#[tokio::test]
async fn a_server_discounts_only_with_a_managers_pin_and_refunds_are_the_managers() {
    let app = TestApp::spawn().await;
    let s = shop(&app).await;
    let t1 = app.table_token("a", 1).await;
    let o = order(&app, &t1, "o1", &[(s.m.stew, 1)]).await;
    let sid = o["session_id"].as_i64().unwrap();
    let item = check(&app, &s.server, sid).await["lines"][0]["order_item_id"].as_i64().unwrap();
    for pin in [None, Some("1111"), Some("0000")] {
        let mut body = json!({"kind": "void", "order_item_id": item, "reason": "안 나옴"});
        if let Some(p) = pin {
            body["approval_pin"] = json!(p);
        }
        let r = adjust(&app, &s.server, sid, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{pin:?}: {}", r.body);
    }
    assert_eq!(app.count("SELECT count(*) FROM adjustments"), 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind = 'line_voided'"), 0);
    let r = adjust(
        &app,
        &s.server,
        sid,
        json!({"kind": "discount", "amount": 1000, "reason": "늦게 나옴", "approval_pin": "4321"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["adjustments"][0]["approver_name"], "minji");
    assert_eq!(r.body["adjustments"][0]["staff_name"], "junho");
    let trail = app.get("/api/v1/admin/audit?kind=discount_added", Some(&s.manager)).await.body;
    assert_eq!((trail[0]["amount"].as_i64(), trail[0]["approver_name"].as_str()), (Some(1000), Some("minji")));
    let adj = r.body["adjustments"][0]["id"].as_i64().unwrap();
    // Removing it and refunding are the manager's.
    assert_eq!(
        app.delete(&format!("/api/v1/admin/adjustments/{adj}"), Some(&s.server)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.delete(&format!("/api/v1/admin/adjustments/{adj}"), Some(&s.manager)).await;
    assert_eq!((r.status, r.body["discounts"].as_i64()), (StatusCode::OK, Some(0)));
    let p = pay(&app, &s.server, sid, "k", json!({"method": "card", "amount": 9000})).await;
    let pid = p.body["payments"][0]["id"].as_i64().unwrap();
    let r = app
        .post(&format!("/api/v1/admin/payments/{pid}/refund"), Some(&s.server), json!({"reason": "잘못 결제"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &format!("/api/v1/admin/payments/{pid}/refund"),
            Some(&s.manager),
            json!({"reason": "잘못 결제", "amount": 9001}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &format!("/api/v1/admin/payments/{pid}/refund"),
            Some(&s.manager),
            json!({"reason": "잘못 결제", "amount": 4000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["refunded"].as_i64(), r.body["balance"].as_i64()), (Some(4000), Some(4000)));
    assert_whole(&r.body);
    // A discount is refused while the check is paid beyond it.
    let r = adjust(&app, &s.manager, sid, json!({"kind": "discount", "amount": 5000, "reason": "x"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn with_checkout_off_a_visit_ends_as_it_always_did_and_with_it_on_only_when_paid() {
    let app = TestApp::spawn().await;
    let s = shop(&app).await;
    let (t1, t2) = (app.table_token("a", 1).await, app.table_token("a", 2).await);
    order(&app, &t1, "o1", &[(s.m.stew, 1)]).await;
    // Off (the default): ending with a balance is fine.
    let r =
        app.post(&format!("/api/v1/admin/tables/{}/end-session", table_id(&app, 1)), Some(&s.server), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);

    app.patch("/api/v1/admin/settings", Some(&s.m.admin), json!({"checkout": "on"})).await;
    let o = order(&app, &t2, "o2", &[(s.m.stew, 1), (s.m.cola, 1)]).await;
    let sid = o["session_id"].as_i64().unwrap();
    let url = format!("/api/v1/admin/tables/{}/end-session", table_id(&app, 2));
    let r = app.post(&url, Some(&s.server), json!({})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "unpaid_balance"));
    assert_eq!(r.body["error"]["balance"], 11_000);
    // A server cannot force it; a manager can, with a reason, and it is on the trail.
    let r = app.post(&url, Some(&s.server), json!({"force": true, "reason": "먹튀"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post(&url, Some(&s.manager), json!({"force": true})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    pay(&app, &s.server, sid, "half", json!({"method": "cash", "amount": 5000})).await;
    let r = app.post(&url, Some(&s.manager), json!({"force": true, "reason": "손님이 나중에 입금"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let trail = app.get("/api/v1/admin/audit?kind=session_forced_end", Some(&s.manager)).await.body;
    assert_eq!((trail[0]["amount"].as_i64(), trail[0]["reason"].as_str()), (Some(6000), Some("손님이 나중에 입금")));

    // end_when_paid: the last payment ends the visit by itself.
    app.patch("/api/v1/admin/settings", Some(&s.m.admin), json!({"end_when_paid": true})).await;
    let o = order(&app, &t2, "o3", &[(s.m.cola, 2)]).await;
    let sid = o["session_id"].as_i64().unwrap();
    let r = pay(&app, &s.server, sid, "a", json!({"method": "card", "amount": 1000})).await;
    assert_eq!(r.body["ended"], false);
    let r = pay(&app, &s.server, sid, "b", json!({"method": "card", "amount": 3000})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!((r.body["ended"].as_bool(), r.body["balance"].as_i64()), (Some(true), Some(0)));
    assert_eq!(app.get("/api/v1/orders", Some(&t2)).await.body["session_id"], Value::Null);
}

#[tokio::test]
async fn merging_takes_payments_along_and_a_paid_check_keeps_its_orders() {
    let app = TestApp::spawn().await;
    let s = shop(&app).await;
    let (t1, t2) = (app.table_token("a", 1).await, app.table_token("a", 2).await);
    let a = order(&app, &t1, "a", &[(s.m.stew, 1)]).await;
    let b = order(&app, &t2, "b", &[(s.m.cola, 2)]).await;
    let (sa, sb) = (a["session_id"].as_i64().unwrap(), b["session_id"].as_i64().unwrap());
    pay(&app, &s.server, sa, "pa", json!({"method": "cash", "amount": 9000})).await;
    // An order of a check with payments does not leave it.
    let r = app
        .post(
            &format!("/api/v1/admin/orders/{}/move", a["id"]),
            Some(&s.server),
            json!({"to_table_id": table_id(&app, 3)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // 합석: table 1 (paid 9,000) joins table 2.
    let r = app
        .post(
            &format!("/api/v1/admin/tables/{}/merge", table_id(&app, 1)),
            Some(&s.server),
            json!({"into_table_id": table_id(&app, 2)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = check(&app, &s.server, sb).await;
    assert_eq!(
        (c["subtotal"].as_i64(), c["paid"].as_i64(), c["balance"].as_i64()),
        (Some(13_000), Some(9_000), Some(4_000))
    );
    assert_eq!(c["orders"].as_array().unwrap().len(), 2);
    assert_whole(&c);
    assert_eq!(
        app.get(&format!("/api/v1/admin/sessions/{sa}/check"), Some(&s.server)).await.status,
        StatusCode::NOT_FOUND
    );
    // Moving the merged party keeps its check.
    let r = app
        .post(
            &format!("/api/v1/admin/tables/{}/move", table_id(&app, 2)),
            Some(&s.server),
            json!({"to_table_id": table_id(&app, 5)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let c = check(&app, &s.server, sb).await;
    assert_eq!((c["table_number"].as_i64(), c["paid"].as_i64()), (Some(5), Some(9_000)));
}

#[tokio::test]
async fn a_closed_day_reports_exactly_its_checks_and_a_later_refund_lands_in_the_next_day() {
    let app = TestApp::spawn().await;
    let s = shop(&app).await;
    let r = app.post("/api/v1/admin/days/open", Some(&s.manager), json!({"opening_cash": 100_000})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(app.post("/api/v1/admin/days/open", Some(&s.manager), json!({})).await.status, StatusCode::CONFLICT);
    assert_eq!(app.post("/api/v1/admin/days/open", Some(&s.server), json!({})).await.status, StatusCode::FORBIDDEN);
    let day = r.body["id"].as_i64().unwrap();
    let mut sessions = Vec::new();
    let mut pid = 0;
    for (n, lines) in [(1, vec![(s.m.stew, 2), (s.m.cola, 2)]), (2, vec![(s.m.stew, 1)]), (3, vec![(s.m.cola, 5)])] {
        let t = app.table_token("a", n).await;
        let o = order(&app, &t, &format!("o{n}"), &lines).await;
        let sid = o["session_id"].as_i64().unwrap();
        app.patch(&format!("/api/v1/admin/sessions/{sid}"), Some(&s.server), json!({"guests": n + 1})).await;
        sessions.push((n, sid));
    }
    // A cancelled order counts nowhere (but as cancelled).
    let t3 = app.table_token("a", 3).await;
    let cancelled = order(&app, &t3, "x", &[(s.m.stew, 3)]).await;
    app.delete(&format!("/api/v1/admin/orders/{}", cancelled["id"]), Some(&s.server)).await;
    let item1 = check(&app, &s.manager, sessions[0].1).await["lines"][1]["order_item_id"].as_i64().unwrap();
    adjust(
        &app,
        &s.manager,
        sessions[0].1,
        json!({"kind": "comp", "order_item_id": item1, "quantity": 1, "reason": "서비스"}),
    )
    .await;
    adjust(&app, &s.manager, sessions[1].1, json!({"kind": "discount", "percent": 50, "reason": "직원"})).await;
    // Table 1 pays cash, 2 by card, 3 pays part: the day cannot close with them open.
    for (i, (n, sid)) in sessions.iter().enumerate() {
        let c = check(&app, &s.server, *sid).await;
        let (method, amount) = match i {
            0 => ("cash", c["balance"].as_i64().unwrap()),
            1 => ("card", c["balance"].as_i64().unwrap()),
            _ => ("cash", 5_000),
        };
        let r = pay(&app, &s.server, *sid, &format!("pay{n}"), json!({"method": method, "amount": amount})).await;
        if i == 0 {
            pid = r.body["payments"][0]["id"].as_i64().unwrap();
        }
    }
    let r = app.post("/api/v1/admin/days/close", Some(&s.manager), json!({"counted_cash": 130_000})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "open_sessions"));
    assert_eq!(r.body["error"]["tables"], json!([1, 2, 3]));
    for (n, _) in &sessions {
        let r = app
            .post(&format!("/api/v1/admin/tables/{}/end-session", table_id(&app, *n)), Some(&s.server), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = app.post("/api/v1/admin/days/close", Some(&s.manager), json!({"counted_cash": 130_000})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rep = r.body.clone();

    // The report is the sum of its checks, exactly.
    let mut sum = json!({"gross": 0, "discounts": 0, "comps": 0, "voids": 0, "paid": 0, "unpaid": 0});
    for (_, sid) in &sessions {
        let c = check(&app, &s.manager, *sid).await;
        for (k, src) in [
            ("gross", "subtotal"),
            ("discounts", "discounts"),
            ("comps", "comps"),
            ("voids", "voids"),
            ("paid", "paid"),
        ] {
            sum[k] = json!(sum[k].as_i64().unwrap() + c[src].as_i64().unwrap());
        }
        sum["unpaid"] =
            json!(sum["unpaid"].as_i64().unwrap() + c["total"].as_i64().unwrap() - c["paid"].as_i64().unwrap());
    }
    for k in ["gross", "discounts", "comps", "voids"] {
        assert_eq!(rep[k], sum[k], "{k}: {rep}");
    }
    assert_eq!(rep["gross"], 18_000 + 4_000 + 9_000 + 10_000);
    assert_eq!(rep["orders"], 3);
    assert_eq!(rep["sessions"], 3);
    assert_eq!(rep["guests"], 2 + 3 + 4);
    assert_eq!(rep["cancelled"], json!({"orders": 1, "amount": 27_000}));
    assert_eq!(rep["net"].as_i64().unwrap(), rep["gross"].as_i64().unwrap() - 2_000 - 4_500);
    assert_eq!(rep["average_per_guest"].as_i64().unwrap(), rep["net"].as_i64().unwrap() / 9);
    let paid: i64 = rep["payments"].as_array().unwrap().iter().map(|p| p["amount"].as_i64().unwrap()).sum();
    assert_eq!(paid, sum["paid"].as_i64().unwrap());
    let unpaid: i64 = rep["unpaid"].as_array().unwrap().iter().map(|u| u["balance"].as_i64().unwrap()).sum();
    assert_eq!(
        paid - rep["refunds"].as_i64().unwrap(),
        rep["net"].as_i64().unwrap() - unpaid,
        "payments − refunds = net − unpaid"
    );
    assert_eq!(unpaid, 5_000);
    let cash_sales = 20_000 + 5_000;
    assert_eq!(
        rep["cash"],
        json!({"opening": 100_000, "sales": cash_sales, "refunds": 0, "expected": 125_000, "counted": 130_000, "difference": 5_000})
    );
    let items: i64 = rep["by_item"].as_array().unwrap().iter().map(|i| i["net"].as_i64().unwrap()).sum();
    let hours: i64 = rep["by_hour"].as_array().unwrap().iter().map(|i| i["net"].as_i64().unwrap()).sum();
    let cats: i64 = rep["by_category"].as_array().unwrap().iter().map(|i| i["net"].as_i64().unwrap()).sum();
    let sold = rep["net"].as_i64().unwrap() + rep["refunds"].as_i64().unwrap();
    assert_eq!((items, hours, cats), (sold, sold, sold), "items, hours and categories add up");

    // A refund after the close belongs to the next day; the closed report never changes.
    let r = app
        .post(
            &format!("/api/v1/admin/payments/{pid}/refund"),
            Some(&s.manager),
            json!({"reason": "반품", "amount": 2_000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let again = app.get(&format!("/api/v1/admin/days/{day}/report"), Some(&s.manager)).await.body;
    assert_eq!(again, rep, "a closed day's report is frozen");
    let next = app.get("/api/v1/admin/days/current", Some(&s.server)).await.body;
    assert_ne!(next["id"], day);
    let next_rep = app.get(&format!("/api/v1/admin/days/{}/report", next["id"]), Some(&s.manager)).await.body;
    assert_eq!((next_rep["refunds"].as_i64(), next_rep["cash"]["refunds"].as_i64()), (Some(2_000), Some(2_000)));
    let days = app.get("/api/v1/admin/days", Some(&s.manager)).await.body;
    assert_eq!(days.as_array().unwrap().len(), 2);
    assert_eq!(days[1]["closed_by"], "minji");
    // The CSV carries the figures.
    let csv = app.get(&format!("/api/v1/admin/days/{day}/report?format=csv"), Some(&s.manager)).await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(csv.bytes).unwrap();
    assert!(text.contains(&format!("total,net,0,{}", rep["net"])), "{text}");
    assert!(text.contains("payment,card,1,"));
    // Closing and opening are on the trail.
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE kind IN ('day_opened', 'day_closed')"), 2);
}

#[tokio::test]
async fn a_night_past_midnight_belongs_to_its_evening_and_ends_itself_at_the_cutoff() {
    let app = TestApp::spawn().await;
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    app.clock.set(at("2030-06-14T09:00:00Z"));
    let s = shop(&app).await;
    // 2030-06-14 23:30 in Seoul (UTC+9): the first order of the night opens the day.
    app.clock.set(at("2030-06-14T14:30:00Z"));
    let t1 = app.table_token("a", 1).await;
    let o = order(&app, &t1, "late", &[(s.m.stew, 1)]).await;
    let day = app.get("/api/v1/admin/days/current", Some(&s.server)).await.body;
    assert_eq!(day["business_date"], "2030-06-14");
    // 01:30: still the same day, the next order and its payment join it.
    app.clock.set(at("2030-06-14T16:30:00Z"));
    order(&app, &t1, "later", &[(s.m.cola, 1)]).await;
    pay(&app, &s.server, o["session_id"].as_i64().unwrap(), "p", json!({"method": "cash", "amount": 11_000})).await;
    app.post(&format!("/api/v1/admin/tables/{}/end-session", table_id(&app, 1)), Some(&s.server), json!({})).await;
    assert_eq!(app.get("/api/v1/admin/days/current", Some(&s.server)).await.body["id"], day["id"]);
    // 05:00 passes: nobody closed it, so it ends by itself (the next write, or the minute's check).
    app.clock.set(at("2030-06-14T20:01:00Z"));
    let t2 = app.table_token("a", 2).await;
    order(&app, &t2, "morning", &[(s.m.cola, 1)]).await;
    let days = app.get("/api/v1/admin/days", Some(&s.manager)).await.body;
    assert_eq!(days.as_array().unwrap().len(), 2, "{days}");
    let old = days.as_array().unwrap().iter().find(|d| d["id"] == day["id"]).unwrap().clone();
    assert!(old["closed_at"].is_string() && old["closed_by"].is_null(), "{old}");
    let rep = app.get(&format!("/api/v1/admin/days/{}/report", day["id"]), Some(&s.manager)).await.body;
    assert_eq!((rep["gross"].as_i64(), rep["cash"]["counted"].as_i64()), (Some(11_000), None));
    assert_eq!(rep["by_hour"], json!([{"hour": 1, "orders": 1, "net": 2000}, {"hour": 23, "orders": 1, "net": 9000}]));
    let new = app.get("/api/v1/admin/days/current", Some(&s.server)).await.body;
    assert_eq!(new["business_date"], "2030-06-15", "after the cutoff, a new date");
}

#[tokio::test]
async fn the_bill_and_the_receipt_print_on_the_receipt_printer() {
    let app = TestApp::spawn().await;
    let s = shop(&app).await;
    let p = FakePrinter::start().await;
    let kitchen = app.post("/api/v1/admin/stations", Some(&s.manager), json!({"name": "주방"})).await;
    assert_eq!(kitchen.status, StatusCode::CREATED);
    let counter = app
        .post(
            "/api/v1/admin/stations",
            Some(&s.manager),
            json!({"name": "카운터", "receipt": true, "printer": {"host": "127.0.0.1", "port": p.port}}),
        )
        .await;
    assert_eq!(counter.body["receipt"], true);
    let t1 = app.table_token("a", 1).await;
    // A table with no visit has no bill to ask for.
    let none = app.post("/api/v1/bill-request", Some(&t1), json!({})).await;
    assert_eq!((none.status, none.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let o = order(&app, &t1, "o", &[(s.m.stew, 2)]).await;
    let sid = o["session_id"].as_i64().unwrap();
    // The guest asks for the bill: a call with reason `bill`.
    let call = app.post("/api/v1/bill-request", Some(&t1), json!({})).await;
    assert_eq!((call.status, call.body["reason"].as_str()), (StatusCode::CREATED, Some("bill")));
    assert_eq!(call.body["session_id"], json!(sid));
    assert_eq!(app.post("/api/v1/bill-request", Some(&t1), json!({})).await.status, StatusCode::OK);
    // Waiting for the bill, the table may still need water: that is a call of its own.
    let water = app.post("/api/v1/calls", Some(&t1), json!({"reason": "물"})).await;
    assert_eq!(water.status, StatusCode::CREATED, "{}", water.body);
    assert_ne!(water.body["id"], call.body["id"]);
    // Then plates too, while staff are on their way: both needs reach staff on the one call.
    let plates = app.post("/api/v1/calls", Some(&t1), json!({"reason": "앞접시"})).await;
    assert_eq!((plates.status, plates.body["id"].clone()), (StatusCode::OK, water.body["id"].clone()));
    assert_eq!(plates.body["reason"], "물, 앞접시");
    let again = app.post("/api/v1/calls", Some(&t1), json!({"reason": "물"})).await;
    assert_eq!(again.body["reason"], "물, 앞접시", "asking again for the same adds nothing");
    let open = app.get("/api/v1/admin/calls?open=true", Some(&s.server)).await;
    assert_eq!(open.body.as_array().unwrap().len(), 2, "{}", open.body);
    let r =
        app.post(&format!("/api/v1/admin/sessions/{sid}/print-bill"), Some(&s.server), json!({"kind": "bill"})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    pay(&app, &s.server, sid, "p", json!({"method": "cash", "amount": 18_000, "tendered": 20_000})).await;
    app.post(&format!("/api/v1/admin/sessions/{sid}/print-bill"), Some(&s.server), json!({"kind": "receipt"})).await;
    let printed = p.wait_for(2, Encoding::Cp949).await;
    let text = |i: usize| printed[i].lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n");
    let (bill, receipt) = (text(0), text(1));
    for needle in ["계산서", "Test store", "테이블 1", "김치찌개 x2", "18,000원", "받을 금액"] {
        assert!(bill.contains(needle), "{needle} not on the bill:\n{bill}");
    }
    for needle in ["영수증", "현금", "받은 돈", "20,000원", "거스름돈", "2,000원"] {
        assert!(receipt.contains(needle), "{needle} not on the receipt:\n{receipt}");
    }
    assert!(printed.iter().all(|p| p.cuts == 1));
    // Without a printer anywhere, printing says so.
    let app2 = TestApp::spawn().await;
    let s2 = shop(&app2).await;
    let t = app2.table_token("a", 1).await;
    let o = order(&app2, &t, "o", &[(s2.m.stew, 1)]).await;
    let r = app2
        .post(
            &format!("/api/v1/admin/sessions/{}/print-bill", o["session_id"]),
            Some(&s2.server),
            json!({"kind": "bill"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}
