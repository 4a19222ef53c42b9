//! Who may do what: roles on every route, PIN logins on shared terminals, a manager's
//! approval, the audit trail, guests, and moving and merging tables.

use crate::appliance::fingerprint;
use crate::helpers::*;
use crate::sse::Sse;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tableorder::domain::{Access, Role};
use tableorder::http::roles;

const STAFF: &str = "/api/v1/admin/events";
const TABLE: &str = "/api/v1/events";

/// A store with a menu, four tables and one person of each role: (menu, tokens by role, ids).
struct Crew {
    m: Menu,
    manager: String,
    server: String,
    kitchen: String,
    ids: std::collections::BTreeMap<&'static str, i64>,
}

async fn login(app: &TestApp, store: &str, username: &str, password: &str) -> Resp {
    app.post("/api/v1/auth/admin/login", None, json!({"store_id": store, "username": username, "password": password}))
        .await
}

async fn hire(app: &TestApp, owner: &str, username: &str, role: &str, pin: Option<&str>) -> (i64, String) {
    let mut body = json!({"username": username, "role": role, "password": "long-enough-1", "display_name": username});
    if let Some(p) = pin {
        body["pin"] = json!(p);
    }
    let r = app.post("/api/v1/admin/staff", Some(owner), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["role"], role);
    let l = login(app, "a", username, "long-enough-1").await;
    assert_eq!(l.status, StatusCode::OK, "{}", l.body);
    assert_eq!(l.body["role"], role, "the login answer says what this person may do");
    (r.body["id"].as_i64().unwrap(), l.body["token"].as_str().unwrap().to_string())
}

async fn crew(app: &TestApp) -> Crew {
    let m = store_with_menu(app, "a", 8).await;
    let (mid, manager) = hire(app, &m.admin, "minji", "manager", Some("4321")).await;
    let (sid, server) = hire(app, &m.admin, "junho", "server", Some("1111")).await;
    let (kid, kitchen) = hire(app, &m.admin, "chef", "kitchen", Some("2222")).await;
    let ids = [("manager", mid), ("server", sid), ("kitchen", kid)].into_iter().collect();
    Crew { m, manager, server, kitchen, ids }
}

fn table_id(app: &TestApp, store: &str, number: i64) -> i64 {
    app.state
        .pool
        .get()
        .unwrap()
        .query_row("SELECT id FROM tables WHERE store_id = ?1 AND number = ?2", (store, number), |r| r.get(0))
        .unwrap()
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.state.pool.get().unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn audit_rows(app: &TestApp, kind: &str) -> i64 {
    app.state
        .pool
        .get()
        .unwrap()
        .query_row("SELECT count(*) FROM audit_log WHERE kind = ?1", [kind], |r| r.get(0))
        .unwrap()
}

/// The next frame of `kind` on a stream (others before it are skipped).
async fn until(s: &mut Sse, kind: &str) -> crate::sse::Frame {
    loop {
        let f = s.next_frame().await;
        if f.event == kind {
            return f;
        }
    }
}

async fn placed(app: &TestApp, table: &str, key: &str, lines: &[(i64, i64)]) -> Value {
    let r = app.order(table, key, lines).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// A body that would be valid for the route, so that only the role decides.
fn body_for(method: &str, path: &str, ids: &Ids) -> Option<Value> {
    if method == "GET" || method == "DELETE" {
        return None;
    }
    Some(match (method, path) {
        (_, p) if p.ends_with("/available") => json!({"available": false}),
        (_, p) if p.ends_with("/order") => json!([]),
        ("POST", p) if p.ends_with("/move") => json!({"to_table_id": ids.free_table}),
        ("POST", p) if p.ends_with("/merge") => json!({"into_table_id": ids.busy_table_2}),
        ("PATCH", p) if p.contains("/sessions/") => json!({"guests": 3}),
        ("PATCH", p) if p.contains("/staff/") => json!({"display_name": "Renamed"}),
        ("PATCH", p) if p.ends_with("/settings") => json!({"ask_guests": true}),
        ("PATCH", p) if p.contains("/tables/") => json!({"password": "5678"}),
        ("PATCH", p) if p.contains("/categories/") => json!({"name": "Renamed"}),
        ("PATCH", p) if p.contains("/menu-items/") => json!({"price": 9100}),
        ("PATCH", p) if p.contains("/orders/") => json!({"status": "preparing"}),
        ("PATCH", p) if p.contains("/option-groups/") => json!({"name": "Renamed"}),
        ("PATCH", p) if p.contains("/stations/") => json!({"name": "Renamed"}),
        ("PATCH", p) if p.contains("/options/") => json!({"price_delta": 100}),
        ("POST", p) if p.ends_with("/options") => json!({"name": "Extra"}),
        ("POST", p) if p.ends_with("/terminals") => json!({"name": "Counter"}),
        ("POST", p) if p.ends_with("/refund") => json!({"reason": "x"}),
        // A server brings a manager's approval (the route lets servers in; the action needs it).
        ("POST", p) if p.ends_with("/adjustments") => {
            json!({"kind": "discount", "percent": 10, "reason": "x", "approval_pin": "4321"})
        }
        ("POST", p) if p.ends_with("/payments") => json!({"method": "cash", "amount": 1}),
        ("POST", p) if p.ends_with("/print-bill") => json!({"kind": "bill"}),
        ("POST", p) if p.ends_with("/staff") => json!({"username": "x", "role": "server", "password": "long-enough-1"}),
        ("POST", "/api/v1/admin/tables") => json!({"number": 77, "password": "1234"}),
        ("POST", "/api/v1/admin/categories") => json!({"name": "Drinks"}),
        ("POST", "/api/v1/admin/stations") => json!({"name": "Bar"}),
        ("POST", "/api/v1/admin/option-groups") => json!({"name": "G", "min": 0, "max": 1, "options": [{"name": "o"}]}),
        _ => json!({}),
    })
}

struct Ids {
    table: i64,
    free_table: i64,
    busy_table_2: i64,
    order: i64,
    session: i64,
    category: i64,
    item: i64,
    call: i64,
    group: i64,
    option: i64,
    station: i64,
    ticket: i64,
    staff: i64,
    terminal: i64,
}

fn concrete(path: &str, ids: &Ids) -> String {
    let pick = [
        ("/tables/", ids.table),
        ("/orders/", ids.order),
        ("/sessions/", ids.session),
        ("/categories/", ids.category),
        ("/menu-items/", ids.item),
        ("/calls/", ids.call),
        ("/stations/", ids.station),
        ("/tickets/", ids.ticket),
        ("/option-groups/", ids.group),
        ("/options/", ids.option),
        ("/staff/", ids.staff),
        ("/terminals/", ids.terminal),
    ];
    let id = pick.iter().find(|(p, _)| path.contains(p)).map(|(_, id)| id.to_string()).unwrap_or("x.db".into());
    path.replace("{id}", &id).replace("{name}", &id)
}

#[tokio::test]
async fn every_staff_route_answers_each_role_as_the_table_says_and_a_refusal_changes_nothing() {
    let app = TestApp::spawn().await;
    let c = crew(&app).await;
    let owner = c.m.admin.clone();
    // Something of everything, for the paths.
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    let o = placed(&app, &t1, "k1", &[(c.m.stew, 1)]).await;
    placed(&app, &t2, "k2", &[(c.m.cola, 1)]).await;
    let call = app.post("/api/v1/calls", Some(&t1), json!({"reason": "물"})).await;
    let group = app
        .post(
            "/api/v1/admin/option-groups",
            Some(&owner),
            json!({"name": "맵기", "min": 0, "max": 1, "options": [{"name": "순한맛"}]}),
        )
        .await;
    let station = app.post("/api/v1/admin/stations", Some(&owner), json!({"name": "주방"})).await;
    let o2 = placed(&app, &t1, "k3", &[(c.m.stew, 1)]).await;
    let ticket: i64 = count(&app, &format!("SELECT max(id) FROM tickets WHERE order_id = {}", o2["id"]));
    let term = app.post("/api/v1/admin/terminals", Some(&owner), json!({"name": "카운터"})).await;
    let ids = Ids {
        table: table_id(&app, "a", 1),
        free_table: table_id(&app, "a", 5),
        busy_table_2: table_id(&app, "a", 2),
        order: o["id"].as_i64().unwrap(),
        session: o["session_id"].as_i64().unwrap(),
        category: c.m.category,
        item: c.m.stew,
        call: call.body["id"].as_i64().unwrap(),
        group: group.body["id"].as_i64().unwrap(),
        option: group.body["options"][0]["id"].as_i64().unwrap(),
        station: station.body["id"].as_i64().unwrap(),
        ticket,
        staff: c.ids["kitchen"],
        terminal: term.body["id"].as_i64().unwrap(),
    };
    let doc = app.get("/api/v1/openapi.json", None).await.body;
    let mut routes: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/admin/") {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    // Changes that would take the others' ground away go last.
    routes.sort_by_key(|(m, p)| (m == "DELETE" || p.ends_with("/merge") || p.ends_with("/move"), p.clone()));
    assert!(routes.len() >= 60, "{} staff routes", routes.len());
    let tokens =
        [(Role::Kitchen, &c.kitchen), (Role::Server, &c.server), (Role::Manager, &c.manager), (Role::Owner, &owner)];
    let db_file = app.dir.path().join("tableorder.db");
    let (mut refused, mut allowed) = (0, 0);
    for (method, path) in &routes {
        let need = roles::required(method, path).unwrap_or_else(|| panic!("{method} {path} has no role"));
        let url = concrete(path, &ids);
        for (role, token) in &tokens {
            let m: Method = method.parse().unwrap();
            let body = body_for(method, path, &ids);
            if path.ends_with("/events") {
                // A stream: its status is all there is to see (the body never ends).
                let r = app.client.get(app.url(&url)).bearer_auth(token).send().await.unwrap();
                assert_eq!(r.status() == StatusCode::FORBIDDEN, !role.may(need), "{url} as {role:?}");
                continue;
            }
            if role.may(need) {
                let r = app.request(m, &url, Some(token), body).await;
                assert_ne!(r.status, StatusCode::FORBIDDEN, "{method} {url} as {role:?}: {}", r.body);
                allowed += 1;
            } else {
                let before = fingerprint(&db_file);
                let r = app.request(m, &url, Some(token), body).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {url} as {role:?}: {}", r.body);
                assert_eq!(r.code(), "forbidden");
                settle(&app).await;
                assert_eq!(fingerprint(&db_file), before, "{method} {url} as {role:?} changed the database");
                refused += 1;
            }
        }
    }
    assert!(refused > 60 && allowed > 100, "refused {refused}, allowed {allowed}");
    // What the roles mean, in a few words the contract uses.
    assert!(Role::Kitchen.may(roles::required("POST", "/api/v1/admin/tickets/{id}/bump").unwrap()));
    assert!(!Role::Server.may(roles::required("PATCH", "/api/v1/admin/menu-items/{id}").unwrap()));
    assert!(Role::Server.may(roles::required("PUT", "/api/v1/admin/menu-items/{id}/available").unwrap()));
    assert_eq!(roles::required("GET", "/api/v1/admin/staff"), Some(Access::Owner));
    assert_eq!(roles::required("GET", "/api/v1/admin/audit"), Some(Access::Manager));
}

#[tokio::test]
async fn staff_switch_person_by_pin_only_on_a_terminal_and_wrong_pins_are_limited_and_lock_it() {
    let app = TestApp::spawn().await;
    let c = crew(&app).await;
    let t = app.post("/api/v1/admin/terminals", Some(&c.manager), json!({"name": "카운터"})).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let term = t.body["terminal_token"].as_str().unwrap().to_string();
    assert_eq!(count(&app, &format!("SELECT count(*) FROM terminals WHERE token_hash = '{term}'")), 0, "kept hashed");
    let list = app.get("/api/v1/admin/terminals", Some(&c.manager)).await;
    assert!(!list.bytes.windows(term.len()).any(|w| w == term.as_bytes()), "the list never shows a token");

    // The server's PIN on the terminal: a 12 h staff token with the server's role.
    let r = app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": "1111"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "server");
    assert_eq!(r.body["display_name"], "junho");
    assert!(r.body["terminal_id"].is_i64());
    let server = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/admin/tables", Some(&server)).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/admin/staff", Some(&server)).await.status, StatusCode::FORBIDDEN);
    // Switching person all evening is never slowed: only wrong PINs count.
    for pin in ["4321", "1111", "2222", "1111", "4321", "1111", "2222"] {
        let r = app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": pin})).await;
        assert_eq!(r.status, StatusCode::OK, "{pin}: {}", r.body);
    }
    let exp: jiff::Timestamp = r.body["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (exp.as_second() - jiff::Timestamp::now().as_second()) as f64 / 3600.0;
    assert!((11.9..=12.1).contains(&hours), "a PIN login lasts a shift: {hours} h");

    // A PIN alone, or with a token that is not a terminal's, opens nothing.
    for token in ["", "toterm_not-a-terminal", &c.m.admin] {
        let r = app.post("/api/v1/auth/pin", None, json!({"terminal_token": token, "pin": "1111"})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token}: {}", r.body);
        assert_eq!(r.body["error"]["terminal_known"], false, "the browser learns it is no terminal");
    }
    assert_eq!(
        app.post("/api/v1/auth/pin", None, json!({"pin": "1111"})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // 5 tries a minute per terminal: the 6th wrong one waits.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": "9999"})).await.status);
    }
    assert_eq!(statuses[..4], [StatusCode::UNAUTHORIZED; 4], "{statuses:?}");
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");

    // A revoked terminal opens nothing, even with the right PIN.
    let t2 = app.post("/api/v1/admin/terminals", Some(&c.manager), json!({"name": "주방"})).await;
    let (t2_id, t2_token) = (t2.body["id"].as_i64().unwrap(), t2.body["terminal_token"].as_str().unwrap().to_string());
    assert_eq!(
        app.delete(&format!("/api/v1/admin/terminals/{t2_id}"), Some(&c.manager)).await.status,
        StatusCode::NO_CONTENT
    );
    let r = app.post("/api/v1/auth/pin", None, json!({"terminal_token": t2_token, "pin": "1111"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ten_wrong_pins_in_a_row_lock_the_terminal_until_a_manager_unlocks_it() {
    let app = TestApp::spawn_with(|c| c.limits.pins_per_minute = 0).await;
    let c = crew(&app).await;
    let t = app.post("/api/v1/admin/terminals", Some(&c.manager), json!({"name": "카운터"})).await;
    let (id, term) = (t.body["id"].as_i64().unwrap(), t.body["terminal_token"].as_str().unwrap().to_string());
    // Nine wrong, one right: the count starts again.
    for _ in 0..9 {
        let r = app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": "0000"})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": "1111"})).await.status,
        StatusCode::OK
    );
    // Ten wrong in a row, sent all at once: the tenth locks it, and nothing after gets in.
    let tries: Vec<_> = (0..12)
        .map(|_| {
            let (client, url, term) = (app.client.clone(), app.url("/api/v1/auth/pin"), term.clone());
            tokio::spawn(async move {
                client.post(url).json(&json!({"terminal_token": term, "pin": "0000"})).send().await.unwrap().status()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tries {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(), 9, "{codes:?}");
    let r = app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": "1111"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "even the right PIN: {}", r.body);
    assert_eq!(r.code(), "locked");
    let list = app.get("/api/v1/admin/terminals", Some(&c.manager)).await;
    assert_eq!(list.body[0]["locked"], true);
    // A server cannot unlock it; a manager can.
    assert_eq!(
        app.post(&format!("/api/v1/admin/terminals/{id}/unlock"), Some(&c.server), json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post(&format!("/api/v1/admin/terminals/{id}/unlock"), Some(&c.manager), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["locked"], false);
    assert_eq!(
        app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": "1111"})).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_server_cancels_a_preparing_order_only_with_a_managers_pin_and_the_trail_names_both() {
    let app = TestApp::spawn().await;
    let c = crew(&app).await;
    let t1 = app.table_token("a", 1).await;
    let pending = placed(&app, &t1, "k1", &[(c.m.stew, 1)]).await;
    let cooking = placed(&app, &t1, "k2", &[(c.m.stew, 2)]).await;
    let cid = cooking["id"].as_i64().unwrap();
    let r = app.patch(&format!("/api/v1/admin/orders/{cid}"), Some(&c.server), json!({"status": "preparing"})).await;
    assert_eq!(r.status, StatusCode::OK);

    // A pending order is the server's to cancel.
    let r = app.delete(&format!("/api/v1/admin/orders/{}", pending["id"]), Some(&c.server)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A preparing one: not alone, not with the server's own PIN, not with the kitchen's.
    let url = format!("/api/v1/admin/orders/{cid}");
    let before = audit_rows(&app, "order_cancelled");
    let r = app.patch(&url, Some(&c.server), json!({"status": "cancelled"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.body["error"]["approval"], "required");
    for pin in ["1111", "2222", "9876"] {
        let r = app.patch(&url, Some(&c.server), json!({"status": "cancelled", "approval_pin": pin})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{pin}: {}", r.body);
        assert_eq!(r.body["error"]["approval"], "wrong_pin");
    }
    let r = app.patch(&url, Some(&c.server), json!({"status": "cancelled", "approval_pin": "12"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_rows(&app, "order_cancelled"), before, "a refused cancel leaves no trail");
    assert_eq!(count(&app, &format!("SELECT count(*) FROM orders WHERE id = {cid} AND status = 'preparing'")), 1);

    // With the manager's PIN it is done, and recorded with the manager as approver.
    let r = app.request(Method::DELETE, &url, Some(&c.server), Some(json!({"approval_pin": "4321"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    let trail = app.get("/api/v1/admin/audit?kind=order_cancelled", Some(&c.manager)).await;
    assert_eq!(trail.status, StatusCode::OK);
    let row = trail.body.as_array().unwrap().iter().find(|e| e["order_id"] == cid).unwrap().clone();
    assert_eq!(row["staff_id"], c.ids["server"]);
    assert_eq!(row["staff_name"], "junho");
    assert_eq!(row["approver_id"], c.ids["manager"]);
    assert_eq!(row["approver_name"], "minji");
    assert_eq!(row["amount"], 18000);
    assert_eq!(row["table_number"], 1);
    // The audit page filters by person (as actor or approver) and is closed to servers.
    let mine = app.get(&format!("/api/v1/admin/audit?staff_id={}", c.ids["manager"]), Some(&c.manager)).await;
    assert!(mine.body.as_array().unwrap().iter().any(|e| e["order_id"] == cid));
    assert_eq!(app.get("/api/v1/admin/audit", Some(&c.server)).await.status, StatusCode::FORBIDDEN);
    // A manager needs nobody's PIN.
    let o3 = placed(&app, &t1, "k3", &[(c.m.cola, 1)]).await;
    app.patch(&format!("/api/v1/admin/orders/{}", o3["id"]), Some(&c.manager), json!({"status": "preparing"})).await;
    let r = app.delete(&format!("/api/v1/admin/orders/{}", o3["id"]), Some(&c.manager)).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn every_audited_action_writes_its_row_with_it_and_a_failed_one_writes_none() {
    let app = TestApp::spawn().await;
    let c = crew(&app).await;
    let owner = c.m.admin.clone();
    let t1 = app.table_token("a", 1).await;
    let t2 = app.table_token("a", 2).await;
    let (id1, id2, id3) = (table_id(&app, "a", 1), table_id(&app, "a", 2), table_id(&app, "a", 3));
    let o = placed(&app, &t1, "k1", &[(c.m.stew, 1)]).await;
    placed(&app, &t2, "k2", &[(c.m.cola, 1)]).await;

    // (kind, the action that must record it, an action of the same kind that fails)
    let expect_one = |kind: &'static str, before: i64, app: &TestApp| {
        assert_eq!(audit_rows(app, kind), before + 1, "{kind} recorded once");
    };
    // price_changed (and a refused price: nothing)
    let b = audit_rows(&app, "price_changed");
    assert_eq!(
        app.patch(&format!("/api/v1/admin/menu-items/{}", c.m.stew), Some(&c.manager), json!({"price": -1}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.patch(&format!("/api/v1/admin/menu-items/{}", c.m.stew), Some(&c.manager), json!({"price": 9500}))
            .await
            .status,
        StatusCode::OK
    );
    expect_one("price_changed", b, &app);
    // item_sold_out, by the kitchen
    let b = audit_rows(&app, "item_sold_out");
    assert_eq!(
        app.put("/api/v1/admin/menu-items/999999/available", Some(&c.kitchen), json!({"available": false}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .put(&format!("/api/v1/admin/menu-items/{}/available", c.m.cola), Some(&c.kitchen), json!({"available": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    expect_one("item_sold_out", b, &app);
    // staff_changed (the last owner cannot be demoted: nothing)
    let b = audit_rows(&app, "staff_changed");
    let r = app.patch("/api/v1/admin/staff/1", Some(&owner), json!({"role": "manager"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        app.patch(
            &format!("/api/v1/admin/staff/{}", c.ids["kitchen"]),
            Some(&owner),
            json!({"display_name": "주방장"})
        )
        .await
        .status,
        StatusCode::OK
    );
    expect_one("staff_changed", b, &app);
    // order_cancelled (a completed order cannot be: nothing)
    let b = audit_rows(&app, "order_cancelled");
    let oid = o["id"].as_i64().unwrap();
    for s in ["preparing", "completed"] {
        app.patch(&format!("/api/v1/admin/orders/{oid}"), Some(&c.manager), json!({"status": s})).await;
    }
    assert_eq!(app.delete(&format!("/api/v1/admin/orders/{oid}"), Some(&c.manager)).await.status, StatusCode::CONFLICT);
    let o2 = placed(&app, &t1, "k3", &[(c.m.stew, 1)]).await;
    assert_eq!(app.delete(&format!("/api/v1/admin/orders/{}", o2["id"]), Some(&c.server)).await.status, StatusCode::OK);
    expect_one("order_cancelled", b, &app);
    // table_moved (onto a busy table: nothing)
    let b = audit_rows(&app, "table_moved");
    assert_eq!(
        app.post(&format!("/api/v1/admin/tables/{id1}/move"), Some(&c.server), json!({"to_table_id": id2}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.post(&format!("/api/v1/admin/tables/{id1}/move"), Some(&c.server), json!({"to_table_id": id3}))
            .await
            .status,
        StatusCode::OK
    );
    expect_one("table_moved", b, &app);
    // order_moved (an order of an ended session cannot: nothing)
    let b = audit_rows(&app, "order_moved");
    let o4 = placed(&app, &t2, "k4", &[(c.m.stew, 1)]).await;
    assert_eq!(
        app.post(&format!("/api/v1/admin/orders/{}/move", o4["id"]), Some(&c.server), json!({"to_table_id": id1}))
            .await
            .status,
        StatusCode::OK
    );
    expect_one("order_moved", b, &app);
    // tables_merged (a table without guests cannot: nothing)
    let b = audit_rows(&app, "tables_merged");
    let id5 = table_id(&app, "a", 5);
    assert_eq!(
        app.post(&format!("/api/v1/admin/tables/{id5}/merge"), Some(&c.server), json!({"into_table_id": id3}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.post(&format!("/api/v1/admin/tables/{id1}/merge"), Some(&c.server), json!({"into_table_id": id3}))
            .await
            .status,
        StatusCode::OK
    );
    expect_one("tables_merged", b, &app);
    // backup_downloaded (a name that is no backup: nothing)
    let b = audit_rows(&app, "backup_downloaded");
    assert_eq!(app.get("/api/v1/admin/backups/nope.db", Some(&owner)).await.status, StatusCode::NOT_FOUND);
    let made = app.post("/api/v1/admin/backups", Some(&owner), json!({})).await;
    let name = made.body["name"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/admin/backups/{name}"), Some(&owner)).await.status, StatusCode::OK);
    expect_one("backup_downloaded", b, &app);

    // Rows are never edited or deleted, even by hand.
    let conn = tableorder::db::open(&app.dir.path().join("tableorder.db")).unwrap();
    assert!(conn.execute("UPDATE audit_log SET amount = 0", []).is_err());
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    // Each row travelled as an event (to the chain hub), none on a stream.
    assert_eq!(
        count(&app, "SELECT count(*) FROM events WHERE type = 'audit'"),
        count(&app, "SELECT count(*) FROM audit_log")
    );
}

#[tokio::test]
async fn a_demoted_or_deactivated_persons_tokens_answer_401_and_their_streams_end() {
    let app = TestApp::spawn().await;
    let c = crew(&app).await;
    let owner = c.m.admin.clone();
    let (mut stream, _) = Sse::open(&app, STAFF, &c.manager).await;
    let r =
        app.patch(&format!("/api/v1/admin/staff/{}", c.ids["manager"]), Some(&owner), json!({"role": "server"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get("/api/v1/admin/tables", Some(&c.manager)).await.status, StatusCode::UNAUTHORIZED);
    stream.assert_ends("the demoted manager's dashboard").await;
    // Logging in again gives a server's token.
    let l = login(&app, "a", "minji", "long-enough-1").await;
    assert_eq!(l.body["role"], "server");
    assert_eq!(
        app.get("/api/v1/admin/audit", Some(l.body["token"].as_str().unwrap())).await.status,
        StatusCode::FORBIDDEN
    );

    // Deactivated: no token, no login, no PIN.
    let (mut k_stream, _) = Sse::open(&app, STAFF, &c.kitchen).await;
    let r =
        app.patch(&format!("/api/v1/admin/staff/{}", c.ids["kitchen"]), Some(&owner), json!({"active": false})).await;
    assert_eq!(r.body["active"], false);
    assert_eq!(app.get("/api/v1/admin/tickets", Some(&c.kitchen)).await.status, StatusCode::UNAUTHORIZED);
    k_stream.assert_ends("the deactivated cook's display").await;
    assert_eq!(login(&app, "a", "chef", "long-enough-1").await.status, StatusCode::UNAUTHORIZED);
    let t = app.post("/api/v1/admin/terminals", Some(&owner), json!({"name": "주방"})).await;
    let term = t.body["terminal_token"].as_str().unwrap();
    let r = app.post("/api/v1/auth/pin", None, json!({"terminal_token": term, "pin": "2222"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Their PIN is free for someone else now; a PIN in use by an active person is not.
    let r = app
        .post(
            "/api/v1/admin/staff",
            Some(&owner),
            json!({"username": "new", "role": "kitchen", "password": "long-enough-1", "pin": "2222"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post(
            "/api/v1/admin/staff",
            Some(&owner),
            json!({"username": "dup", "role": "server", "password": "long-enough-1", "pin": "1111"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A PIN change ends older logins too; the last active owner stays.
    let (_, server2) = hire(&app, &owner, "sora", "server", None).await;
    let sid: i64 = count(&app, "SELECT id FROM admins WHERE username = 'sora'");
    app.patch(&format!("/api/v1/admin/staff/{sid}"), Some(&owner), json!({"pin": "5555"})).await;
    assert_eq!(app.get("/api/v1/admin/tables", Some(&server2)).await.status, StatusCode::UNAUTHORIZED);
    let r = app.patch("/api/v1/admin/staff/1", Some(&owner), json!({"active": false})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let list = app.get("/api/v1/admin/staff", Some(&owner)).await;
    let me = list.body.as_array().unwrap().iter().find(|s| s["id"] == 1).unwrap().clone();
    assert_eq!((me["role"].as_str(), me["active"].as_bool()), (Some("owner"), Some(true)));
    assert!(list.body.as_array().unwrap().iter().all(|s| s.get("password_hash").is_none() && s.get("pin").is_none()));
}

#[tokio::test]
async fn a_party_moves_and_merges_with_its_orders_calls_and_both_tablets_told_live() {
    let app = TestApp::spawn().await;
    let c = crew(&app).await;
    let (t3, t7, t5) = (app.table_token("a", 3).await, app.table_token("a", 7).await, app.table_token("a", 5).await);
    let (id3, id7, id5) = (table_id(&app, "a", 3), table_id(&app, "a", 7), table_id(&app, "a", 5));
    let station = app.post("/api/v1/admin/stations", Some(&c.m.admin), json!({"name": "주방"})).await;
    assert_eq!(station.status, StatusCode::CREATED);
    let first = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&t3)
        .header("idempotency-key", "m1")
        .json(&json!({"items": [{"menu_item_id": c.m.stew, "quantity": 2}], "guests": 2}))
        .send()
        .await
        .unwrap();
    let first: Value = first.json().await.unwrap();
    let second = placed(&app, &t3, "m2", &[(c.m.cola, 1)]).await;
    assert_eq!(app.post("/api/v1/calls", Some(&t3), json!({"reason": "물"})).await.status, StatusCode::CREATED);
    let (mut s3, _) = Sse::open(&app, TABLE, &t3).await;
    let (mut s7, _) = Sse::open(&app, TABLE, &t7).await;

    // 이동: 3 → 7.
    let r = app.post(&format!("/api/v1/admin/tables/{id3}/move"), Some(&c.server), json!({"to_table_id": id7})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["guests"], 2);
    assert_eq!(r.body["order_count"], 2);
    for (s, who) in [(&mut s3, "table 3"), (&mut s7, "table 7")] {
        let f = until(s, "session_moved").await;
        assert_eq!(
            (f.json()["from_table_id"].as_i64(), f.json()["to_table_id"].as_i64()),
            (Some(id3), Some(id7)),
            "{who}"
        );
    }
    let mine7 = app.get("/api/v1/orders", Some(&t7)).await.body;
    let ids: Vec<i64> = mine7["orders"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [second["id"].as_i64().unwrap(), first["id"].as_i64().unwrap()], "same orders, same ids");
    assert!(mine7["orders"].as_array().unwrap().iter().all(|o| o["table_number"] == 7));
    assert_eq!(mine7["orders"][1]["order_no"], first["order_no"]);
    assert_eq!(mine7["guests"], 2);
    assert_eq!(app.get("/api/v1/orders", Some(&t3)).await.body["session_id"], Value::Null, "table 3 is free");
    let calls = app.get("/api/v1/admin/calls?open=true", Some(&c.server)).await.body;
    assert!(calls.as_array().unwrap().iter().all(|c| c["table_number"] == 7), "{calls}");
    // Tickets printed already stay; the next ones for these orders say table 7.
    let printed_before = count(&app, "SELECT count(*) FROM tickets");
    let r = app.delete(&format!("/api/v1/admin/orders/{}", second["id"]), Some(&c.server)).await;
    assert_eq!(r.status, StatusCode::OK);
    let cancel = app.get("/api/v1/admin/tickets?open=false", Some(&c.kitchen)).await.body;
    let last = cancel.as_array().unwrap().iter().rfind(|t| t["kind"] == "cancel").unwrap().clone();
    assert_eq!(last["table_number"], 7);
    assert_eq!(count(&app, "SELECT count(*) FROM tickets"), printed_before + 1, "only the cancel ticket is new");
    // A retry of the first order from table 3's tablet still answers that same order.
    let retry = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&t3)
        .header("idempotency-key", "m1")
        .json(&json!({"items": [{"menu_item_id": c.m.stew, "quantity": 2}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::OK);
    // Moving onto a table with guests is refused.
    placed(&app, &t5, "m5", &[(c.m.stew, 1)]).await;
    let r = app.post(&format!("/api/v1/admin/tables/{id7}/move"), Some(&c.server), json!({"to_table_id": id5})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // 합석: 5 joins 7; guests add up; 5 is free; one history entry with every order.
    app.patch(
        &format!("/api/v1/admin/sessions/{}", app.get("/api/v1/orders", Some(&t5)).await.body["session_id"]),
        Some(&c.server),
        json!({"guests": 3}),
    )
    .await;
    let (mut s5, _) = Sse::open(&app, TABLE, &t5).await;
    let r =
        app.post(&format!("/api/v1/admin/tables/{id5}/merge"), Some(&c.server), json!({"into_table_id": id7})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["guests"], 5);
    let f = until(&mut s5, "session_moved").await;
    assert_eq!(f.json()["merged"], true);
    until(&mut s7, "session_moved").await;
    assert_eq!(app.get("/api/v1/orders", Some(&t5)).await.body["orders"], json!([]));
    let all7 = app.get("/api/v1/orders", Some(&t7)).await.body;
    assert_eq!(all7["orders"].as_array().unwrap().len(), 3);
    let tables = app.get("/api/v1/admin/tables", Some(&c.server)).await.body;
    let t = |n: i64| tables.as_array().unwrap().iter().find(|t| t["number"] == n).unwrap().clone();
    assert_eq!(t(5)["session"], Value::Null);
    assert_eq!(t(7)["session"]["guests"], 5);
    assert_eq!(
        app.post(&format!("/api/v1/admin/tables/{id7}/end-session"), Some(&c.server), json!({})).await.status,
        StatusCode::OK
    );
    let history = app.get("/api/v1/admin/history", Some(&c.manager)).await.body;
    assert_eq!(history.as_array().unwrap().len(), 1, "the merged visit is one entry: {history}");
    assert_eq!(history[0]["orders"].as_array().unwrap().len(), 3);
    assert_eq!(history[0]["guests"], 5);

    // One order moves to a free table, which opens a visit for it.
    let o = placed(&app, &t3, "m9", &[(c.m.stew, 1)]).await;
    let (mut s3b, _) = Sse::open(&app, TABLE, &t3).await;
    let r =
        app.post(&format!("/api/v1/admin/orders/{}/move", o["id"]), Some(&c.server), json!({"to_table_id": id5})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["table_number"].as_i64(), r.body["order_no"].as_i64()), (Some(5), o["order_no"].as_i64()));
    let f = until(&mut s3b, "session_moved").await;
    assert_eq!(f.json()["order_id"], o["id"]);
    assert_eq!(app.get("/api/v1/orders", Some(&t5)).await.body["orders"][0]["id"], o["id"]);
}

#[tokio::test]
async fn guests_are_asked_when_the_store_says_so_set_by_staff_and_shown_everywhere() {
    let app = TestApp::spawn().await;
    let c = crew(&app).await;
    let t1 = app.table_token("a", 1).await;
    assert_eq!(app.get("/api/v1/orders", Some(&t1)).await.body["ask_guests"], false);
    assert_eq!(
        app.patch("/api/v1/admin/settings", Some(&c.manager), json!({"ask_guests": true})).await.status,
        StatusCode::FORBIDDEN
    );
    let r =
        app.patch("/api/v1/admin/settings", Some(&c.m.admin), json!({"ask_guests": true, "day_cutoff_hour": 30})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.patch("/api/v1/admin/settings", Some(&c.m.admin), json!({"ask_guests": true})).await;
    assert_eq!((r.status, r.body["ask_guests"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(app.get("/api/v1/admin/settings", Some(&c.kitchen)).await.body["ask_guests"], true);
    assert_eq!(app.get("/api/v1/orders", Some(&t1)).await.body["ask_guests"], true);

    let send = |guests: Value, key: &'static str| {
        let (client, url, t1, stew) = (app.client.clone(), app.url("/api/v1/orders"), t1.clone(), c.m.stew);
        async move {
            let r = client
                .post(url)
                .bearer_auth(t1)
                .header("idempotency-key", key)
                .json(&json!({"items": [{"menu_item_id": stew, "quantity": 1}], "guests": guests}))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = send(json!(0), "g0").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["error"]["fields"]["guests"].is_string());
    let (s, b) = send(json!(4), "g1").await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["session_id"].as_i64(), app.get("/api/v1/orders", Some(&t1)).await.body["session_id"].as_i64());
    assert_eq!(app.get("/api/v1/orders", Some(&t1)).await.body["guests"], 4);
    // A later order does not change what was said; staff can.
    send(json!(9), "g2").await;
    let sid = app.get("/api/v1/orders", Some(&t1)).await.body["session_id"].as_i64().unwrap();
    assert_eq!(app.get("/api/v1/orders", Some(&t1)).await.body["guests"], 4);
    assert_eq!(
        app.patch(&format!("/api/v1/admin/sessions/{sid}"), Some(&c.server), json!({"guests": 100})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = app.patch(&format!("/api/v1/admin/sessions/{sid}"), Some(&c.server), json!({"guests": 6})).await;
    assert_eq!((r.status, r.body["guests"].as_i64()), (StatusCode::OK, Some(6)));
    let tables = app.get("/api/v1/admin/tables", Some(&c.server)).await.body;
    assert_eq!(tables[0]["session"]["guests"], 6);
    let ended = app
        .post(&format!("/api/v1/admin/tables/{}/end-session", table_id(&app, "a", 1)), Some(&c.server), json!({}))
        .await;
    assert_eq!(ended.body["guests"], 6);
    assert_eq!(app.get("/api/v1/admin/history", Some(&c.manager)).await.body[0]["guests"], 6);
    assert_eq!(
        app.patch(&format!("/api/v1/admin/sessions/{sid}"), Some(&c.server), json!({"guests": 2})).await.status,
        StatusCode::NOT_FOUND,
        "an ended visit is history"
    );
}
