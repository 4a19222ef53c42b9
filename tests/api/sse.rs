//! A small SSE client for the tests.
#![allow(dead_code)]

use crate::helpers::TestApp;
use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use std::pin::Pin;
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

/// The longest wait for something that must arrive.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long a stream is watched for something that must not arrive (a marker follows).
pub const QUIET: Duration = Duration::from_millis(300);

#[derive(Debug, Clone)]
pub struct Frame {
    pub id: Option<i64>,
    pub event: String,
    pub data: String,
}

impl Frame {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("{} data is not JSON ({e}): {}", self.event, self.data))
    }
}

#[derive(Debug)]
pub enum Next {
    Frame(Frame),
    /// The server ended the response.
    Ended,
    /// The connection failed mid-stream.
    Failed(String),
    TimedOut,
}

pub type Body = Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Bytes>> + Send>>;

pub struct Sse {
    pub body: Body,
    pub buf: Vec<u8>,
    /// Bytes of `buf` already searched for the end of a frame.
    pub scanned: usize,
    pub retry: Option<u64>,
    /// Comment lines seen (keep-alives).
    pub comments: usize,
    pub headers: reqwest::header::HeaderMap,
}

/// How a request names its token and resume point.
#[derive(Clone, Copy)]
pub enum Via {
    Header,
    Query,
}

impl Sse {
    /// Opens `path`; a refused stream comes back as the error answer.
    pub async fn try_open(
        app: &TestApp,
        path: &str,
        token: Option<&str>,
        via: Via,
        last_event_id: Option<i64>,
    ) -> Result<Sse, crate::helpers::Resp> {
        let mut query: Vec<(&str, String)> = Vec::new();
        let mut req = app.client.get(app.url(path)).header("accept", "text/event-stream");
        match via {
            Via::Header => {
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                if let Some(id) = last_event_id {
                    req = req.header("last-event-id", id.to_string());
                }
            }
            Via::Query => {
                if let Some(t) = token {
                    query.push(("token", t.to_string()));
                }
                if let Some(id) = last_event_id {
                    query.push(("last_event_id", id.to_string()));
                }
            }
        }
        let resp = req.query(&query).send().await.expect("the stream request is answered");
        if resp.status() != StatusCode::OK {
            return Err(crate::helpers::into_resp(resp).await);
        }
        Ok(Sse::from_response(resp))
    }

    pub fn from_response(resp: reqwest::Response) -> Sse {
        Sse {
            headers: resp.headers().clone(),
            body: Box::pin(resp.bytes_stream()),
            buf: Vec::new(),
            scanned: 0,
            retry: None,
            comments: 0,
        }
    }

    /// Opens a stream that must be accepted and returns it with its `hello` data.
    pub async fn open(app: &TestApp, path: &str, token: &str) -> (Sse, Value) {
        Sse::open_from(app, path, token, Via::Header, None).await
    }

    pub async fn open_from(
        app: &TestApp,
        path: &str,
        token: &str,
        via: Via,
        last_event_id: Option<i64>,
    ) -> (Sse, Value) {
        let mut s = match Sse::try_open(app, path, Some(token), via, last_event_id).await {
            Ok(s) => s,
            Err(r) => panic!("stream {path} refused: {} {:?}", r.status, r.body),
        };
        let hello = s.expect("hello").await;
        (s, hello.json())
    }

    /// One complete frame out of the buffer, if there is one. Comment-only blocks are skipped.
    pub fn take_frame(&mut self) -> Option<Frame> {
        loop {
            let from = self.scanned.saturating_sub(1);
            let Some(end) = self.buf[from..].windows(2).position(|w| w == b"\n\n").map(|p| p + from) else {
                self.scanned = self.buf.len();
                return None;
            };
            let block: Vec<u8> = self.buf.drain(..end + 2).collect();
            self.scanned = 0;
            let text = String::from_utf8(block).expect("frames are UTF-8");
            let (mut id, mut event, mut data, mut has_data) = (None, None, Vec::new(), false);
            for line in text.lines() {
                if line.starts_with(':') {
                    self.comments += 1;
                    continue;
                }
                if line.is_empty() {
                    continue;
                }
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "id" => id = Some(value.parse::<i64>().expect("numeric event id")),
                    "event" => event = Some(value.to_string()),
                    "data" => {
                        has_data = true;
                        data.push(value.to_string());
                    }
                    "retry" => self.retry = Some(value.parse().expect("numeric retry")),
                    other => panic!("unknown SSE field {other:?}"),
                }
            }
            if event.is_some() || has_data {
                return Some(Frame { id, event: event.unwrap_or_else(|| "message".into()), data: data.join("\n") });
            }
        }
    }

    /// The next frame, or what happened instead within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Next {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(f) = self.take_frame() {
                return Next::Frame(f);
            }
            match timeout_at(deadline, self.body.next()).await {
                Err(_) => return Next::TimedOut,
                Ok(None) => return Next::Ended,
                Ok(Some(Err(e))) => return Next::Failed(e.to_string()),
                Ok(Some(Ok(chunk))) => self.buf.extend_from_slice(&chunk),
            }
        }
    }

    /// The next frame, which must be of type `kind` and arrive within [`WAIT`].
    pub async fn expect(&mut self, kind: &str) -> Frame {
        let f = self.next_frame().await;
        assert_eq!(f.event, kind, "expected {kind}, got {f:?}");
        f
    }

    pub async fn next_frame(&mut self) -> Frame {
        match self.next_within(WAIT).await {
            Next::Frame(f) => f,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// Frames up to and including the first `menu_changed` about item `marker`.
    pub async fn until_marker(&mut self, marker: i64) -> Vec<Frame> {
        let mut seen = Vec::new();
        loop {
            let f = self.next_frame().await;
            let is_marker = f.event == "menu_changed" && f.json()["item"]["id"] == marker;
            seen.push(f);
            if is_marker {
                return seen;
            }
        }
    }

    /// Asserts that nothing arrives within [`QUIET`].
    pub async fn assert_quiet(&mut self, who: &str) {
        match self.next_within(QUIET).await {
            Next::TimedOut => {}
            other => panic!("{who} should have received nothing, got {other:?}"),
        }
    }

    /// Waits for the server to end the stream.
    pub async fn assert_ends(&mut self, who: &str) {
        loop {
            match self.next_within(WAIT).await {
                Next::Frame(_) => continue,
                Next::Ended => return,
                Next::Failed(e) => panic!("{who} broke off instead of ending: {e}"),
                Next::TimedOut => panic!("{who} should have ended"),
            }
        }
    }
}
