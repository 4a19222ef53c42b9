//! Real-time: staff and table event streams over real sockets.

use crate::helpers::{Menu, TABLE_PASSWORD, TestApp, store_with_menu};
use crate::sse::{Frame, Next, Sse, Via, WAIT};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tableorder::db::events::{EventData, EventType, MAX_EVENT_BYTES, NewEvent};
use tableorder::wire::MenuChanged;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout, timeout_at};

const STAFF: &str = "/api/v1/admin/events";
const TABLE: &str = "/api/v1/events";

// ---------------------------------------------------------------------------------------
// Helpers.

/// Logs a table in: its token and its table id.
async fn table_login(app: &TestApp, store: &str, number: i64) -> (String, i64) {
    let r = app
        .post(
            "/api/v1/auth/table/login",
            None,
            json!({"store_id": store, "table_number": number, "password": TABLE_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "table login: {:?}", r.body);
    (r.body["token"].as_str().unwrap().to_string(), r.body["table_id"].as_i64().unwrap())
}

/// Places an order of one stew and returns its id.
async fn place(app: &TestApp, menu: &Menu, table: &str) -> i64 {
    let key = format!("k-{}", NEXT_KEY.fetch_add(1, Ordering::Relaxed));
    let r = app.order(table, &key, &[(menu.stew, 1)]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

static NEXT_KEY: AtomicUsize = AtomicUsize::new(1);

/// Creates a menu item, which every stream of the store hears of as `menu_changed`.
async fn marker(app: &TestApp, menu: &Menu) -> i64 {
    app.item(&menu.admin, menu.category, "marker", 1000).await
}

/// Records an event straight through the writer, as any write job does.
async fn emit(app: &TestApp, store: &str, table_id: Option<i64>, kind: EventType, payload: Value) {
    let store = store.to_string();
    // The event's data as the wire contract types it (a menu change's detail is free).
    let payload = match kind {
        EventType::MenuChanged => EventData::Menu(MenuChanged {
            change: "test".into(),
            version: 0,
            detail: payload.as_object().cloned().unwrap_or_default(),
        }),
        k => EventData::read(k, &payload.to_string()).expect("event data of its kind"),
    };
    app.state
        .writer
        .write(move |ctx| {
            ctx.emit(NewEvent::new(&store, table_id, kind, payload))?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn head(app: &TestApp) -> i64 {
    tableorder::db::read(&app.state.pool, |c| Ok(tableorder::db::events::head(c)?)).await.unwrap()
}

/// Polls `cond` until it holds, for at most [`WAIT`].
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn lagging(app: &TestApp) -> u64 {
    app.state.fanout.stats.dropped_lagging.get()
}

// ---------------------------------------------------------------------------------------
// Who hears what.

#[tokio::test]
async fn an_order_reaches_the_staff_stream_and_its_own_table_but_no_other_table() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 3).await;
    let (t1, t1_id) = table_login(&app, "a", 1).await;
    let (t2, _) = table_login(&app, "a", 2).await;
    let (mut staff, _) = Sse::open(&app, STAFF, &menu.admin).await;
    let (mut own, _) = Sse::open(&app, TABLE, &t1).await;
    let (mut other, _) = Sse::open(&app, TABLE, &t2).await;

    let order = place(&app, &menu, &t1).await;
    for (who, s) in [("staff", &mut staff), ("the ordering table", &mut own)] {
        let f = s.expect("order_created").await;
        let data = f.json();
        assert_eq!(data["id"], order, "{who}: {data}");
        assert_eq!(data["table_id"], t1_id, "{who}");
        assert_eq!(data["store_id"], "a", "{who}");
        assert_eq!(data["items"][0]["menu_item_id"], menu.stew, "{who}");
    }
    // Staff advance the order: the table sees its status change.
    let r =
        app.patch(&format!("/api/v1/admin/orders/{order}"), Some(&menu.admin), json!({"status": "preparing"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for s in [&mut staff, &mut own] {
        let f = s.expect("order_updated").await;
        assert_eq!(f.json()["id"], order);
        assert_eq!(f.json()["status"], "preparing");
    }

    // A staff call: staff hear of it; the table hears when it is acknowledged.
    let r = app.post("/api/v1/calls", Some(&t1), json!({"reason": "water"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let call = r.body["id"].as_i64().unwrap();
    assert_eq!(staff.expect("call_created").await.json()["id"], call);
    let r = app.post(&format!("/api/v1/admin/calls/{call}/ack"), Some(&menu.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for s in [&mut staff, &mut own] {
        assert_eq!(s.expect("call_acked").await.json()["id"], call);
    }
    // The session ends: staff and the table hear of it.
    let r = app.post(&format!("/api/v1/admin/tables/{t1_id}/end-session"), Some(&menu.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for s in [&mut staff, &mut own] {
        let f = s.expect("session_ended").await;
        assert_eq!(f.json()["session_id"], r.body["session_id"], "{f:?}");
    }

    other.assert_quiet("another table").await;
    let m = marker(&app, &menu).await;
    for (who, s) in [("another table", &mut other), ("the ordering table", &mut own), ("staff", &mut staff)] {
        let seen = s.until_marker(m).await;
        assert_eq!(seen.len(), 1, "{who} got more than the marker: {seen:?}");
    }
}

#[tokio::test]
async fn another_stores_events_never_reach_a_stream() {
    let app = TestApp::spawn().await;
    let a = store_with_menu(&app, "a", 2).await;
    let b = store_with_menu(&app, "b", 2).await;
    let (a1, _) = table_login(&app, "a", 1).await;
    let (b1, _) = table_login(&app, "b", 1).await;
    let (mut staff_b, hello) = Sse::open(&app, STAFF, &b.admin).await;
    let (mut table_b, _) = Sse::open(&app, TABLE, &b1).await;
    let start = hello["last_event_id"].as_i64().unwrap();

    // Store a: an order, a status change, a menu change, a staff call.
    let order = place(&app, &a, &a1).await;
    let r = app.patch(&format!("/api/v1/admin/orders/{order}"), Some(&a.admin), json!({"status": "preparing"})).await;
    assert_eq!(r.status, StatusCode::OK);
    marker(&app, &a).await;
    let r = app.post("/api/v1/calls", Some(&a1), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    staff_b.assert_quiet("store b's staff").await;
    let m = marker(&app, &b).await;
    for s in [&mut staff_b, &mut table_b] {
        let seen = s.until_marker(m).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].json()["store_id"], "b");
    }

    // Replay from before store a's events holds only store b's.
    let (mut again, _) = Sse::open_from(&app, STAFF, &b.admin, Via::Header, Some(start)).await;
    let seen = again.until_marker(m).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (mut again, _) = Sse::open_from(&app, TABLE, &b1, Via::Query, Some(0)).await;
    for f in again.until_marker(m).await {
        assert_eq!(f.json()["store_id"], "b", "{f:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Resume.

/// (order id, table id) of each order placed, in the order placed.
type Placed = Arc<Mutex<Vec<(i64, i64)>>>;

/// Places `n` orders from `tables` in turn, one after another, recording each.
fn spawn_orders(
    app: &TestApp,
    menu: &Menu,
    tables: Vec<(String, i64)>,
    n: usize,
) -> (Placed, tokio::task::JoinHandle<()>) {
    let placed = Arc::new(Mutex::new(Vec::new()));
    let (client, url, stew) = (app.client.clone(), app.url("/api/v1/orders"), menu.stew);
    let out = placed.clone();
    let handle = tokio::spawn(async move {
        for i in 0..n {
            let (token, table_id) = &tables[i % tables.len()];
            let key = format!("resume-{i}");
            let r = client
                .post(&url)
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&json!({"items": [{"menu_item_id": stew, "quantity": 1}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            let body: Value = r.json().await.unwrap();
            out.lock().unwrap().push((body["id"].as_i64().unwrap(), *table_id));
            // Spread the orders out so that some land while the client is away.
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    });
    (placed, handle)
}

/// Drops the stream three times while orders keep arriving and resumes each time with
/// the last id seen; the events seen, end to end, must be every order exactly once, in order.
async fn resume_while_orders_keep_arriving(path: &str, via: Via) {
    const ORDERS: usize = 90;
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 3).await;
    let mut tables = Vec::new();
    for n in 1..=3 {
        tables.push(table_login(&app, "a", n).await);
    }
    let (token, own_table) =
        if path == STAFF { (menu.admin.clone(), None) } else { (tables[0].0.clone(), Some(tables[0].1)) };
    let wanted = |table_id: i64| own_table.is_none_or(|t| t == table_id);

    let (mut s, _) = Sse::open(&app, path, &token).await;
    let (placed, producer) = spawn_orders(&app, &menu, tables.clone(), ORDERS);
    let placed_now = || placed.lock().unwrap().len();

    let mut frames: Vec<Frame> = Vec::new();
    let mut resumed_while_behind = 0;
    for round in 1..=3 {
        // Read a few orders, then go away.
        let mut got = 0;
        while got < 3 * round {
            let f = s.next_frame().await;
            got += usize::from(f.event == "order_created");
            frames.push(f);
        }
        drop(s);
        let last = frames.iter().rev().find_map(|f| f.id).expect("events carry ids");
        let at_drop = placed_now();
        eventually("more orders are placed while the client is away", || placed_now() >= (at_drop + 2).min(ORDERS))
            .await;
        resumed_while_behind += usize::from(placed_now() < ORDERS);
        let (again, hello) = Sse::open_from(&app, path, &token, via, Some(last)).await;
        assert_eq!(hello["last_event_id"], last, "hello names the resume point");
        s = again;
    }
    assert!(resumed_while_behind > 0, "orders were still arriving during the resumes");

    // Collect until every order this stream may see has arrived, then up to a marker.
    producer.await.unwrap();
    let expected: Vec<i64> =
        placed.lock().unwrap().iter().filter(|(_, t)| wanted(*t)).map(|(o, _)| o).copied().collect();
    let count = |frames: &[Frame]| frames.iter().filter(|f| f.event == "order_created").count();
    while count(&frames) < expected.len() {
        frames.push(s.next_frame().await);
    }
    let m = marker(&app, &menu).await;
    frames.extend(s.until_marker(m).await);

    let ids: Vec<i64> = frames.iter().map(|f| f.id.expect("events carry ids")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase strictly, without repeats: {ids:?}");
    let orders: Vec<i64> =
        frames.iter().filter(|f| f.event == "order_created").map(|f| f.json()["id"].as_i64().unwrap()).collect();
    assert_eq!(orders, expected, "every order exactly once, in the order placed");
    if let Some(t) = own_table {
        for f in frames.iter().filter(|f| f.event != "menu_changed") {
            assert_eq!(f.json()["table_id"], t, "a table sees only its own events: {f:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_stream_resumed_with_last_event_id_gets_every_event_exactly_once_in_order() {
    resume_while_orders_keep_arriving(STAFF, Via::Header).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_stream_resumed_with_the_last_event_id_query_gets_every_event_exactly_once_in_order() {
    resume_while_orders_keep_arriving(TABLE, Via::Query).await;
}

#[tokio::test]
async fn a_resume_replays_only_what_came_after_the_given_id() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 2).await;
    let (t1, _) = table_login(&app, "a", 1).await;
    let (mut staff, hello) = Sse::open(&app, STAFF, &menu.admin).await;
    assert_eq!(hello["last_event_id"], head(&app).await, "a fresh stream starts at the newest event");
    let first = place(&app, &menu, &t1).await;
    let after = staff.expect("order_created").await.id.unwrap();
    let second = place(&app, &menu, &t1).await;
    drop(staff);

    let (mut s, hello) = Sse::open_from(&app, STAFF, &menu.admin, Via::Header, Some(after)).await;
    assert_eq!(hello["last_event_id"], after);
    let f = s.expect("order_created").await;
    assert_eq!(f.json()["id"], second, "the first order ({first}) is not sent again");
    let m = marker(&app, &menu).await;
    assert_eq!(s.until_marker(m).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_committed_while_a_resume_waits_for_its_replay_arrive_exactly_once() {
    let app = TestApp::spawn_with(|c| {
        c.pool.max_size = 2;
        c.pool.min_idle = 0;
    })
    .await;
    let menu = store_with_menu(&app, "a", 1).await;
    let seq = |n: i64| json!({"seq": n});
    emit(&app, "a", None, EventType::MenuChanged, seq(0)).await;
    let resume_from = head(&app).await;
    for n in 1..=3 {
        emit(&app, "a", None, EventType::MenuChanged, seq(n)).await;
    }

    // With every read connection taken, the stream subscribes and then waits to replay.
    let held: Vec<_> = (0..2).map(|_| app.state.pool.get().expect("a read connection")).collect();
    let opening = {
        let (client, url, admin) = (app.client.clone(), app.url(STAFF), menu.admin.clone());
        tokio::spawn(async move {
            client.get(url).bearer_auth(admin).header("last-event-id", resume_from.to_string()).send().await.unwrap()
        })
    };
    eventually("the resuming stream has subscribed", || app.state.fanout.counts().0 == 1).await;
    for n in 4..=6 {
        emit(&app, "a", None, EventType::MenuChanged, seq(n)).await;
    }
    drop(held);

    let resp = timeout(WAIT, opening).await.expect("the stream opens").unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut s = Sse::from_response(resp);
    assert_eq!(s.expect("hello").await.json()["last_event_id"], resume_from);
    emit(&app, "a", None, EventType::MenuChanged, seq(7)).await;
    let mut got = Vec::new();
    while got.last() != Some(&7) {
        got.push(s.expect("menu_changed").await.json()["seq"].as_i64().unwrap());
    }
    assert_eq!(got, (1..=7).collect::<Vec<_>>(), "replayed and live events, each once, in order");
}

// ---------------------------------------------------------------------------------------
// Slow clients.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_while_another_keeps_receiving_everything() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;

    // A client that sends its request and never reads, with a small receive buffer.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(format!("127.0.0.1:{}", app.port).parse().unwrap()).await.unwrap();
    let request = format!(
        "GET {STAFF} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
        menu.admin
    );
    stalled.write_all(request.as_bytes()).await.unwrap();
    eventually("the stalled stream is open", || app.state.fanout.counts().0 == 1).await;

    // A client that reads everything and reports each event it gets.
    let (mut reader, _) = Sse::open(&app, STAFF, &menu.admin).await;
    assert_eq!(app.state.fanout.counts().0, 2);
    let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel::<i64>();
    let reading = tokio::spawn(async move {
        loop {
            match reader.next_within(WAIT).await {
                Next::Frame(f) if f.event == "menu_changed" => {
                    let seq = f.json()["seq"].as_i64().expect("a sequence number");
                    if got_tx.send(seq).is_err() {
                        return;
                    }
                }
                Next::Frame(f) => panic!("unexpected {f:?}"),
                other => panic!("the reading client lost its stream: {other:?}"),
            }
        }
    });

    // Large events, one commit each, until the stalled client's queue overflows; the reader
    // must get each one before the next is produced, however stuck the other client is.
    let filler = "x".repeat(48 * 1024);
    let mut seq = 0;
    while lagging(&app) == 0 {
        assert!(seq < 2000, "the stalled client was never dropped");
        emit(&app, "a", None, EventType::MenuChanged, json!({"seq": seq, "filler": filler})).await;
        let got = timeout(WAIT, got_rx.recv()).await.expect("the reading client gets each event in time");
        assert_eq!(got, Some(seq), "the reading client gets every event, in order");
        seq += 1;
    }
    assert!(seq > 100, "the queue holds 100 events before a client counts as too slow (dropped after {seq})");
    assert_eq!(lagging(&app), 1);
    assert_eq!(app.state.fanout.counts().0, 1, "the dropped stream's slot is free at once");

    // The reader goes on as before.
    for _ in 0..5 {
        emit(&app, "a", None, EventType::MenuChanged, json!({"seq": seq})).await;
        assert_eq!(timeout(WAIT, got_rx.recv()).await.unwrap(), Some(seq));
        seq += 1;
    }
    reading.abort();

    // The server also lets go of the stalled client's socket: reading it now drains what
    // was buffered and then finds the connection closed.
    let mut sink = vec![0u8; 64 * 1024];
    let closed = timeout(Duration::from_secs(10), async {
        loop {
            match stalled.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the dropped client's connection is closed by the server");
}

#[tokio::test]
async fn shutdown_finishes_within_a_second_even_with_a_client_that_stopped_reading() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(format!("127.0.0.1:{}", app.port).parse().unwrap()).await.unwrap();
    let request = format!("GET {STAFF} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\r\n", menu.admin);
    stalled.write_all(request.as_bytes()).await.unwrap();
    eventually("the stalled stream is open", || app.state.fanout.counts().0 == 1).await;
    // Fill its socket buffers without overflowing its queue, so it stays registered.
    let filler = "x".repeat(48 * 1024);
    for seq in 0..20 {
        emit(&app, "a", None, EventType::MenuChanged, json!({"seq": seq, "filler": filler})).await;
    }
    assert_eq!(lagging(&app), 0);
    timeout(Duration::from_secs(1), app.stop()).await.expect("the server stops within a second");
    drop(stalled);
}

// ---------------------------------------------------------------------------------------
// Limits.

#[tokio::test]
async fn a_staff_stream_beyond_the_store_limit_is_refused_and_a_closed_one_frees_its_slot() {
    // Four staff slots: two for anyone, the last two kept for kitchen displays.
    let app = TestApp::spawn_with(|c| c.limits.max_staff_streams = 4).await;
    let menu = store_with_menu(&app, "a", 1).await;
    let other = store_with_menu(&app, "b", 1).await;
    let (first, _) = Sse::open(&app, STAFF, &menu.admin).await;
    let (_second, _) = Sse::open(&app, STAFF, &menu.admin).await;

    let refused = Sse::try_open(&app, STAFF, Some(&menu.admin), Via::Header, None)
        .await
        .err()
        .expect("a third dashboard stream is refused");
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "limit_reached");
    assert_eq!(refused.body["error"]["limit"], "max_staff_streams");
    assert_eq!(refused.body["error"]["value"], 4);
    assert!(refused.header("content-type").unwrap().starts_with("application/json"), "refused before streaming");
    assert_eq!(app.state.fanout.stats.refused.get(), 1);

    // The kitchen display still gets its stream (two of them), and no more.
    let r = app
        .post(
            "/api/v1/admin/staff",
            Some(&menu.admin),
            json!({"username": "kitchen", "role": "kitchen", "password": "kitchen-pass-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let login = app
        .post(
            "/api/v1/auth/admin/login",
            None,
            json!({"store_id": "a", "username": "kitchen", "password": "kitchen-pass-1"}),
        )
        .await;
    let kitchen = login.body["token"].as_str().unwrap().to_string();
    let (_k1, _) = Sse::open(&app, STAFF, &kitchen).await;
    let (_k2, _) = Sse::open(&app, STAFF, &kitchen).await;
    assert!(Sse::try_open(&app, STAFF, Some(&kitchen), Via::Header, None).await.is_err(), "all four slots taken");

    // The limit is per store.
    let (_b, _) = Sse::open(&app, STAFF, &other.admin).await;

    drop(first);
    eventually("the closed stream frees its slot", || app.state.fanout.counts().0 == 4).await;
    let (mut again, _) = Sse::open(&app, STAFF, &menu.admin).await;
    let m = marker(&app, &menu).await;
    assert_eq!(again.until_marker(m).await.len(), 1);
}

#[tokio::test]
async fn a_stream_beyond_the_global_cap_is_refused_but_a_table_may_replace_its_own() {
    let app = TestApp::spawn_with(|c| c.limits.max_streams = 2).await;
    let menu = store_with_menu(&app, "a", 2).await;
    let (t1, _) = table_login(&app, "a", 1).await;
    let (t2, _) = table_login(&app, "a", 2).await;
    let (_staff, _) = Sse::open(&app, STAFF, &menu.admin).await;
    let (mut table1, _) = Sse::open(&app, TABLE, &t1).await;

    for (path, token) in [(TABLE, &t2), (STAFF, &menu.admin)] {
        let r = Sse::try_open(&app, path, Some(token), Via::Header, None).await.err().expect("refused at the cap");
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "limit_reached");
        assert_eq!(r.body["error"]["limit"], "max_streams");
        assert_eq!(r.body["error"]["value"], 2);
    }

    let (mut replacement, _) = Sse::open(&app, TABLE, &t1).await;
    table1.assert_ends("the replaced stream").await;
    assert_eq!(app.state.fanout.counts(), (1, 1));
    let m = marker(&app, &menu).await;
    assert_eq!(replacement.until_marker(m).await.len(), 1);
}

#[tokio::test]
async fn a_second_stream_of_the_same_table_replaces_the_first() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let (t1, _) = table_login(&app, "a", 1).await;
    let (mut old, _) = Sse::open(&app, TABLE, &t1).await;
    let (mut new, _) = Sse::open(&app, TABLE, &t1).await;

    old.assert_ends("the older stream").await;
    drop(old);
    assert_eq!(app.state.fanout.stats.replaced.get(), 1);
    // The old stream's end must not free the new one's registration.
    assert_eq!(app.state.fanout.counts(), (0, 1));
    let order = place(&app, &menu, &t1).await;
    assert_eq!(new.expect("order_created").await.json()["id"], order);
}

// ---------------------------------------------------------------------------------------
// Resync, hello, auth, size.

#[tokio::test]
async fn a_resume_from_a_pruned_id_answers_resync_and_then_goes_on_live() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 2).await;
    let (t1, _) = table_login(&app, "a", 1).await;
    place(&app, &menu, &t1).await;
    place(&app, &menu, &t1).await;
    let floor = head(&app).await;
    let future = app.clock.now_ms() + 86_400_000;
    let pruned =
        app.state.writer.write(move |ctx| Ok(tableorder::db::events::prune(ctx.conn, future, None)?)).await.unwrap();
    assert!(pruned > 0);

    for (path, token) in [(STAFF, &menu.admin), (TABLE, &t1)] {
        let now = head(&app).await;
        let (mut s, hello) = Sse::open_from(&app, path, token, Via::Header, Some(1)).await;
        assert_eq!(hello["last_event_id"], now, "after a resync the stream starts at the newest event");
        let f = s.expect("resync").await;
        assert_eq!(f.json()["last_event_id"], now);
        let order = place(&app, &menu, &t1).await;
        assert_eq!(s.expect("order_created").await.json()["id"], order);
    }

    // Resuming from the newest pruned id loses nothing: no resync.
    let (mut s, _) = Sse::open_from(&app, STAFF, &menu.admin, Via::Header, Some(floor)).await;
    let f = s.expect("order_created").await;
    assert_eq!(f.id, Some(floor + 1));
}

#[tokio::test]
async fn a_resume_from_an_id_the_box_never_issued_answers_resync() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let now = head(&app).await;
    let (mut s, hello) = Sse::open_from(&app, STAFF, &menu.admin, Via::Query, Some(now + 1000)).await;
    assert_eq!(hello["last_event_id"], now);
    s.expect("resync").await;
}

#[tokio::test]
async fn hello_comes_first_with_the_resume_point_and_a_retry_hint() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let (t1, _) = table_login(&app, "a", 1).await;
    let now = head(&app).await;
    let (s, hello) = Sse::open(&app, TABLE, &t1).await;
    assert_eq!(hello["last_event_id"], now);
    let h = |n: &str| s.headers.get(n).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(h("content-type").as_deref(), Some("text/event-stream"));
    assert_eq!(h("x-accel-buffering").as_deref(), Some("no"));
    assert!(h("cache-control").unwrap().contains("no-cache"));
    assert_eq!(h("content-encoding"), None);

    let (mut s, hello) = Sse::open_from(&app, STAFF, &menu.admin, Via::Header, Some(now - 1)).await;
    assert_eq!(hello["last_event_id"], now - 1);
    s.next_frame().await;
    assert_eq!(s.retry, Some(2000));
}

/// Reconnects the way a browser's EventSource does: with the last `id:` it saw, if any.
#[tokio::test]
async fn a_browser_that_saw_only_hello_resumes_without_missing_anything() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let (t1, _) = table_login(&app, "a", 1).await;
    let mut s = Sse::try_open(&app, TABLE, Some(&t1), Via::Header, None).await.ok().unwrap();
    let hello = s.expect("hello").await;
    assert_eq!(hello.id, hello.json()["last_event_id"].as_i64(), "hello's id is its resume point");
    let last_id = hello.id;
    drop(s);

    // Orders placed while the tablet is away.
    let first = place(&app, &menu, &t1).await;
    let second = place(&app, &menu, &t1).await;
    let mut s = Sse::try_open(&app, TABLE, Some(&t1), Via::Header, last_id).await.ok().unwrap();
    s.expect("hello").await;
    assert_eq!(s.expect("order_created").await.json()["id"], first, "hello's id is the resume point");
    assert_eq!(s.expect("order_created").await.json()["id"], second);
}

#[tokio::test]
async fn an_idle_stream_gets_a_keep_alive_comment_every_15_seconds() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let (mut s, _) = Sse::open(&app, STAFF, &menu.admin).await;
    let deadline = Instant::now() + tableorder::events::sse::KEEPALIVE + WAIT;
    loop {
        if let Some(f) = s.take_frame() {
            panic!("an idle stream carries no events: {f:?}");
        }
        if s.comments > 0 {
            break;
        }
        match timeout_at(deadline, s.body.next()).await {
            Ok(Some(Ok(chunk))) => s.buf.extend_from_slice(&chunk),
            other => panic!("no keep-alive arrived: {other:?}"),
        }
    }
    assert!(s.take_frame().is_none());
    assert_eq!(s.comments, 1, "one keep-alive comment");
    assert!(s.buf.is_empty(), "nothing else was sent");
}

#[tokio::test]
async fn an_event_stream_needs_a_token_of_the_right_kind_by_header_or_query() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let (t1, _) = table_login(&app, "a", 1).await;

    for path in [STAFF, TABLE] {
        let r = Sse::try_open(&app, path, None, Via::Header, None).await.err().expect("no token");
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.code(), "unauthorized");
        let r = Sse::try_open(&app, path, Some("not-a-token"), Via::Query, None).await.err().expect("a bad token");
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = Sse::try_open(&app, STAFF, Some(&t1), Via::Header, None).await.err().expect("a table on the staff stream");
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");
    let r =
        Sse::try_open(&app, TABLE, Some(&menu.admin), Via::Query, None).await.err().expect("staff on a table stream");
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = Sse::try_open(&app, STAFF, Some(&menu.admin), Via::Header, Some(-1)).await.err().expect("a negative id");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.state.fanout.counts(), (0, 0), "refused requests hold no slot");

    // ?token= works for both streams, as EventSource needs.
    let (mut staff, _) = Sse::open_from(&app, STAFF, &menu.admin, Via::Query, None).await;
    let (mut table, _) = Sse::open_from(&app, TABLE, &t1, Via::Query, None).await;
    let order = place(&app, &menu, &t1).await;
    assert_eq!(staff.expect("order_created").await.json()["id"], order);
    assert_eq!(table.expect("order_created").await.json()["id"], order);
}

#[tokio::test]
async fn an_event_larger_than_64_kb_is_replaced_by_a_notice() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let (t1, t1_id) = table_login(&app, "a", 1).await;
    let (mut staff, hello) = Sse::open(&app, STAFF, &menu.admin).await;
    let (mut table, _) = Sse::open(&app, TABLE, &t1).await;
    let start = hello["last_event_id"].as_i64().unwrap();

    let fits = "f".repeat(MAX_EVENT_BYTES - 1000);
    emit(&app, "a", None, EventType::MenuChanged, json!({"fits": fits})).await;
    let big = "b".repeat(MAX_EVENT_BYTES + 1);
    let order = json!({"id": 1, "order_no": 1, "table_id": t1_id, "table_number": 1, "session_id": 1, "status": "pending",
        "total": 0, "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z", "session": null,
        "items": [{"menu_item_id": 1, "name": "x", "unit_price": 0, "quantity": 1, "note": big}]});
    emit(&app, "a", Some(t1_id), EventType::OrderUpdated, order).await;

    let check = |frames: Vec<Frame>| {
        assert_eq!(frames[0].event, "menu_changed");
        assert_eq!(
            frames[0].json()["fits"].as_str().map(str::len),
            Some(fits.len()),
            "an event under the limit is sent whole"
        );
        assert_eq!(frames[1].event, "order_updated");
        assert!(frames[1].data.len() < 1024, "the notice is short: {} bytes", frames[1].data.len());
        let notice = frames[1].json();
        assert_eq!(notice["too_large"], true);
        assert_eq!(notice["store_id"], "a");
        assert_eq!(notice["table_id"], t1_id);
    };
    for s in [&mut staff, &mut table] {
        check(vec![s.next_frame().await, s.next_frame().await]);
    }
    // Replay sends the same notice.
    let (mut again, _) = Sse::open_from(&app, STAFF, &menu.admin, Via::Header, Some(start)).await;
    check(vec![again.next_frame().await, again.next_frame().await]);
}

#[tokio::test]
async fn open_streams_are_counted_on_the_system_page_and_in_metrics() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 1).await;
    let (t1, _) = table_login(&app, "a", 1).await;
    let (_staff, _) = Sse::open(&app, STAFF, &menu.admin).await;
    let (_table, _) = Sse::open(&app, TABLE, &t1).await;

    let sys = app.get("/api/v1/admin/system", Some(&menu.admin)).await;
    assert_eq!(sys.status, StatusCode::OK);
    assert_eq!(sys.body["sse"]["staff"], 1);
    assert_eq!(sys.body["sse"]["table"], 1);
    let metrics = String::from_utf8(app.get("/metrics", None).await.bytes).unwrap();
    assert!(metrics.contains("tableorder_sse_connections{kind=\"staff\"} 1"), "{metrics}");
    assert!(metrics.contains("tableorder_sse_connections{kind=\"table\"} 1"), "{metrics}");
    assert!(metrics.contains("tableorder_sse_dropped_lagging_total"), "{metrics}");
}

// ---------------------------------------------------------------------------------------
// Shutdown.

#[tokio::test]
async fn shutdown_with_open_streams_finishes_within_a_second() {
    let app = TestApp::spawn().await;
    let menu = store_with_menu(&app, "a", 3).await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(Sse::open(&app, STAFF, &menu.admin).await.0);
    }
    for n in 1..=3 {
        let (t, _) = table_login(&app, "a", n).await;
        streams.push(Sse::open(&app, TABLE, &t).await.0);
    }
    assert_eq!(app.state.fanout.counts(), (3, 3));

    timeout(Duration::from_secs(1), app.stop()).await.expect("the server stops within a second");
    for (i, s) in streams.iter_mut().enumerate() {
        s.assert_ends(&format!("stream {i}")).await;
    }
}

/// A staff stream on a raw connection: on a fresh one, or (`reuse`) on a keep-alive
/// connection that served a request first, as a browser's EventSource often does. Answers
/// the socket once the stream said hello, or the status line it was refused with.
async fn raw_stream(port: u16, token: &str, reuse: bool) -> Result<tokio::net::TcpStream, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut buf = vec![0u8; 4096];
    if reuse {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut got = String::new();
        // The whole answer (its length is known) before the next request.
        while !(got.contains("\r\n\r\n") && got.trim_end().ends_with('}')) {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed after {got}");
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    let req = format!("GET /api/v1/admin/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut got = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let n = tokio::time::timeout_at(deadline, s.read(&mut buf)).await.expect("an answer").unwrap();
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
        if got.contains("event: hello") {
            return Ok(s);
        }
        if n == 0 || (got.contains("\r\n\r\n") && !got.starts_with("HTTP/1.1 200")) {
            return Err(got.lines().next().unwrap_or("").to_string());
        }
    }
}

#[tokio::test]
async fn streams_closed_by_their_clients_give_their_slots_back_at_once() {
    // Twelve staff slots: ten for dashboards, two kept for kitchen displays.
    let app = TestApp::spawn_with(|c| c.limits.max_staff_streams = 12).await;
    let menu = store_with_menu(&app, "a", 1).await;
    let mut open = Vec::new();
    for i in 0..10 {
        open.push(raw_stream(app.port, &menu.admin, i % 2 == 1).await.expect("a slot is free"));
    }
    assert!(raw_stream(app.port, &menu.admin, false).await.unwrap_err().contains("409"));
    // Five dashboards reload (their streams closed: both fresh and reused connections)…
    open.drain(..5);
    // …and open their streams again at once: each gets one within a second.
    let started = Instant::now();
    let mut again = 0;
    while again < 5 {
        match raw_stream(app.port, &menu.admin, again % 2 == 0).await {
            Ok(s) => {
                open.push(s);
                again += 1;
            }
            Err(e) => {
                assert!(
                    started.elapsed() < Duration::from_secs(1),
                    "slots still held after {:?}: {e}",
                    started.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    println!("five closed streams' slots back within {:?}", started.elapsed());
    assert_eq!(app.state.fanout.counts().0, 10);
}
