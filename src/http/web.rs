//! The embedded web UI (files under `web/`, compiled into the binary).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// The box's pages: everything but the chain hub's HQ page and the files only it uses, which
/// only the hub serves (on a box they would log in to nothing).
pub async fn serve_box(uri: Uri) -> Response {
    if is_hq_only_file(uri.path().trim_end_matches('/')) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    serve(uri).await
}

/// The modules and styles the HQ page shares with the box's pages: both serve them.
const HQ_SHARED: &[&str] = &["/css/app.css", "/js/api.js", "/js/errors.js", "/js/i18n.js", "/js/ui.js"];

/// The HQ page and every file it loads: what the hub serves.
pub fn is_hq_file(p: &str) -> bool {
    is_hq_only_file(p) || HQ_SHARED.contains(&p)
}

/// The HQ page and the files only it uses.
fn is_hq_only_file(p: &str) -> bool {
    p == "/hq" || p == "/hq.html" || p == "/css/hq.css" || p.starts_with("/js/hq") || p == "/js/strings-hq.js"
}

/// Serves `/` as `index.html`, `/name` as `name.html` or `name/index.html`, and files as they are.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/').trim_end_matches('/');
    let candidates = if path.is_empty() {
        vec!["index.html".to_string()]
    } else {
        vec![path.to_string(), format!("{path}.html"), format!("{path}/index.html")]
    };
    for c in candidates {
        if let Some(file) = Assets::get(&c) {
            let mime = mime_guess::from_path(&c).first_or_octet_stream();
            let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..8]));
            let mut resp = Response::new(Body::from(file.data.into_owned()));
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&etag) {
                h.insert(header::ETAG, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            return resp;
        }
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
