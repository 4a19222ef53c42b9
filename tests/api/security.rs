//! The security matrix: every authenticated route of the OpenAPI document, asked with every
//! kind of bad or wrong token, answers 401, 403 or 404 and changes nothing in the database.

use crate::appliance::fingerprint;
use crate::foundation::base64_url;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tableorder::auth::{Claims, Keys, UserType};

/// A route of the document that needs a token.
struct Route {
    method: Method,
    path: String,
    admin: bool,
    has_id: bool,
}

fn routes(doc: &Value) -> Vec<Route> {
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if op.get("security").is_none() {
                continue;
            }
            out.push(Route {
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                admin: path.starts_with("/api/v1/admin/"),
                has_id: path.contains('{'),
            });
        }
    }
    out
}

/// Store A's resources, to put into the paths.
struct Ids {
    table: i64,
    order: i64,
    category: i64,
    item: i64,
    call: i64,
    backup: String,
    group: i64,
    option: i64,
    station: i64,
    ticket: i64,
}

fn concrete(path: &str, ids: &Ids) -> String {
    let id = if path.contains("/tables/") {
        ids.table.to_string()
    } else if path.contains("/orders/") {
        ids.order.to_string()
    } else if path.contains("/categories/") {
        ids.category.to_string()
    } else if path.contains("/menu-items/") {
        ids.item.to_string()
    } else if path.contains("/calls/") {
        ids.call.to_string()
    } else if path.contains("/backups/") {
        ids.backup.clone()
    } else if path.contains("/stations/") {
        ids.station.to_string()
    } else if path.contains("/tickets/") {
        ids.ticket.to_string()
    } else if path.contains("/option-groups/") {
        ids.group.to_string()
    } else if path.contains("/options/") {
        ids.option.to_string()
    } else {
        "1".to_string()
    };
    path.replace("{id}", &id).replace("{name}", &id)
}

fn claims_json(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64_url::decode(part)).unwrap()
}

/// Sends a request with a body that would be valid, so that only the token can make it fail.
async fn send(app: &TestApp, route: &Route, path: &str, token: Option<&str>) -> Resp {
    if route.path.ends_with("/image") {
        return app.raw(route.method.clone(), path, token, "image/png", crate::helpers::png()).await;
    }
    let body = match (route.method.as_str(), route.path.as_str()) {
        ("GET" | "DELETE", _) => None,
        ("PATCH", p) if p.contains("/tables/") => Some(json!({"password": "5678"})),
        ("PATCH", p) if p.contains("/categories/") => Some(json!({"name": "Renamed"})),
        ("PATCH", p) if p.contains("/menu-items/") => Some(json!({"price": 1})),
        ("PATCH", p) if p.contains("/orders/") => Some(json!({"status": "preparing"})),
        ("PATCH", p) if p.contains("/option-groups/") => Some(json!({"name": "Renamed"})),
        ("PATCH", p) if p.contains("/stations/") => Some(json!({"name": "Renamed"})),
        ("PATCH", p) if p.contains("/options/") => Some(json!({"price_delta": 100})),
        ("POST", p) if p.ends_with("/options") => Some(json!({"name": "Extra"})),
        ("PUT", p) if p.ends_with("/order") => Some(json!([])),
        ("PUT", p) if p.ends_with("/available") => Some(json!({"available": false})),
        ("POST", p) if p.ends_with("/move") => Some(json!({"to_table_id": 1})),
        ("POST", p) if p.ends_with("/merge") => Some(json!({"into_table_id": 1})),
        ("PATCH", p) if p.contains("/sessions/") => Some(json!({"guests": 2})),
        ("PATCH", p) if p.contains("/staff/") => Some(json!({"display_name": "Renamed"})),
        ("PATCH", p) if p.ends_with("/settings") => Some(json!({"ask_guests": true})),
        ("POST", p) if p.ends_with("/terminals") => Some(json!({"name": "Counter"})),
        ("POST", p) if p.ends_with("/refund") => Some(json!({"reason": "x"})),
        ("POST", p) if p.ends_with("/adjustments") => Some(json!({"kind": "discount", "percent": 10, "reason": "x"})),
        ("POST", p) if p.ends_with("/payments") => Some(json!({"method": "cash", "amount": 1})),
        ("POST", p) if p.ends_with("/print-bill") => Some(json!({"kind": "bill"})),
        ("POST", p) if p.ends_with("/staff") => {
            Some(json!({"username": "new", "role": "server", "password": "long-enough-1"}))
        }
        _ => Some(json!({})),
    };
    app.request(route.method.clone(), path, token, body).await
}

#[tokio::test]
async fn every_authenticated_route_refuses_every_bad_or_wrong_token_and_changes_nothing() {
    let app = TestApp::spawn_with(|c| c.backup_min_interval_secs = 0).await;
    let menu = store_with_menu(&app, "a", 4).await;
    app.seed_store("b", 1).await;
    let admin_b = app.admin_token("b").await;

    // Store A's things: a station, an order with a session and a ticket, a call, a backup.
    let station = app.post("/api/v1/admin/stations", Some(&menu.admin), json!({"name": "주방"})).await;
    assert_eq!(station.status, StatusCode::CREATED);
    let table1 = app.table_token("a", 1).await;
    let placed = app.order(&table1, "sec-1", &[(menu.stew, 1)]).await;
    assert_eq!(placed.status, StatusCode::CREATED);
    let call = app.post("/api/v1/calls", Some(&table1), json!({"reason": "water"})).await;
    let backup = app.post("/api/v1/admin/backups", Some(&menu.admin), json!({})).await;
    assert_eq!(backup.status, StatusCode::CREATED);
    let group = app
        .post(
            "/api/v1/admin/option-groups",
            Some(&menu.admin),
            json!({"name": "맵기", "min": 1, "max": 1, "options": [{"name": "순한맛"}, {"name": "매운맛"}]}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let tables = app.get("/api/v1/admin/tables", Some(&menu.admin)).await;
    let id_of =
        |n: i64| tables.body.as_array().unwrap().iter().find(|t| t["number"] == n).unwrap()["id"].as_i64().unwrap();
    let ids = Ids {
        table: id_of(1),
        order: placed.body["id"].as_i64().unwrap(),
        category: menu.category,
        item: menu.stew,
        call: call.body["id"].as_i64().unwrap(),
        backup: backup.body["name"].as_str().unwrap().to_string(),
        group: group.body["id"].as_i64().unwrap(),
        option: group.body["options"][0]["id"].as_i64().unwrap(),
        station: station.body["id"].as_i64().unwrap(),
        ticket: app.get("/api/v1/admin/tickets", Some(&menu.admin)).await.body[0]["id"].as_i64().unwrap(),
    };

    // A token from before a password change, and one of a deleted table.
    let stale = app.table_token("a", 2).await;
    let r =
        app.patch(&format!("/api/v1/admin/tables/{}", id_of(2)), Some(&menu.admin), json!({"password": "4321"})).await;
    assert_eq!(r.status, StatusCode::OK);
    let deleted = app.table_token("a", 3).await;
    assert_eq!(
        app.delete(&format!("/api/v1/admin/tables/{}", id_of(3)), Some(&menu.admin)).await.status,
        StatusCode::NO_CONTENT
    );

    // Forged and broken tokens.
    let now = app.clock.now_ms() / 1000;
    let admin_claims = claims_json(&menu.admin);
    let admin_id = admin_claims["admin_id"].as_i64().unwrap();
    let expired = {
        let mut c = Claims::admin("a", admin_id, 0, now - 20 * 3600);
        c.exp = now - 10;
        app.state.keys.issue(&c).unwrap()
    };
    let wrong_key = Keys::new(&[9u8; 64]).issue(&Claims::admin("a", admin_id, 0, now)).unwrap();
    let alg_none = format!(
        "{}.{}.",
        base64_url::encode(br#"{"alg":"none","typ":"JWT"}"#),
        base64_url::encode(serde_json::to_string(&Claims::admin("a", admin_id, 0, now)).unwrap().as_bytes())
    );
    let edited = {
        let parts: Vec<&str> = admin_b.split('.').collect();
        let mut c = claims_json(&admin_b);
        c["store_id"] = json!("a");
        c["admin_id"] = json!(admin_id);
        format!("{}.{}.{}", parts[0], base64_url::encode(c.to_string().as_bytes()), parts[2])
    };
    let table_as_admin = {
        let mut c = Claims::table("a", ids.table, 0, now);
        c.user_type = UserType::Admin;
        app.state.keys.issue(&c).unwrap()
    };

    let doc = app.get("/api/v1/openapi.json", None).await.body;
    let routes = routes(&doc);
    assert!(routes.len() >= 30, "only {} authenticated routes found", routes.len());
    let before = fingerprint(&app.dir.path().join("tableorder.db"));

    let mut checked = 0;
    for route in &routes {
        let path = concrete(&route.path, &ids);
        let mut cases: Vec<(&str, Option<&str>, &[StatusCode])> = vec![
            ("no token", None, &[StatusCode::UNAUTHORIZED]),
            ("malformed", Some("not-a-jwt"), &[StatusCode::UNAUTHORIZED]),
            ("expired", Some(&expired), &[StatusCode::UNAUTHORIZED]),
            ("wrong key", Some(&wrong_key), &[StatusCode::UNAUTHORIZED]),
            ("alg none", Some(&alg_none), &[StatusCode::UNAUTHORIZED]),
            ("edited claims", Some(&edited), &[StatusCode::UNAUTHORIZED]),
            ("admin claim without admin id", Some(&table_as_admin), &[StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN]),
        ];
        if route.admin {
            cases.push(("a table's token", Some(&table1), &[StatusCode::FORBIDDEN]));
            cases.push(("a stale table token", Some(&stale), &[StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN]));
            cases.push(("a deleted table's token", Some(&deleted), &[StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN]));
            if route.has_id {
                // Another store's staff: as if it did not exist (backups: not theirs at all).
                let expect: &[StatusCode] = if route.path.contains("/backups/") {
                    &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND]
                } else {
                    &[StatusCode::NOT_FOUND]
                };
                cases.push(("another store's admin", Some(&admin_b), expect));
            }
        } else {
            cases.push(("a staff token", Some(&menu.admin), &[StatusCode::FORBIDDEN]));
            cases.push(("a token from before a password change", Some(&stale), &[StatusCode::UNAUTHORIZED]));
            cases.push(("a deleted table's token", Some(&deleted), &[StatusCode::UNAUTHORIZED]));
        }
        for (what, token, expect) in cases {
            let r = send(&app, route, &path, token).await;
            assert!(
                expect.contains(&r.status),
                "{} {path} with {what}: {} {}",
                route.method,
                r.status,
                String::from_utf8_lossy(&r.bytes[..r.bytes.len().min(300)])
            );
            if !r.bytes.is_empty() {
                assert!(r.body["error"]["code"].is_string(), "{} {path} with {what}: not a JSON error", route.method);
            }
            checked += 1;
        }
        // Event streams also take the token in the query: the same refusals.
        if route.path.ends_with("/events") {
            for (what, token) in
                [("expired", &expired), ("a deleted table's token", &deleted), ("wrong key", &wrong_key)]
            {
                let r = app.get(&format!("{path}?token={token}"), None).await;
                assert!(
                    r.status == StatusCode::UNAUTHORIZED || r.status == StatusCode::FORBIDDEN,
                    "{path}?token= with {what}: {}",
                    r.status
                );
                checked += 1;
            }
        }
    }
    let after = fingerprint(&app.dir.path().join("tableorder.db"));
    assert_eq!(before, after, "a refused request changed the database");

    // Another table's token sees only its own table's orders, never table 1's.
    let other = app.table_token("a", 4).await;
    let theirs = app.get("/api/v1/orders", Some(&other)).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["orders"], json!([]));
    assert_eq!(app.get("/api/v1/orders", Some(&table1)).await.body["orders"].as_array().unwrap().len(), 1);
    eprintln!("{checked} refused requests over {} routes", routes.len());
}
