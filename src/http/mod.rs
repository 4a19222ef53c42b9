//! The HTTP surface: one router per feature, merged here with the common layers.

pub mod auth;
pub mod backups;
pub mod calls;
pub mod check;
pub mod events;
pub mod extract;
pub mod health;
pub mod kitchen;
pub mod menu;
pub mod options;
pub mod orders;
pub mod roles;
pub mod setup_codes;
pub mod sorting;
pub mod staff;
pub mod tables;
pub mod update;
pub mod web;

use crate::error::AppError;
use crate::metrics::RouteLabels;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// Largest JSON body accepted (images have their own limit).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "tableorder", description = "Restaurant table ordering: HTTP API and event streams (v1)."),
    modifiers(&BearerAuth),
    components(schemas(crate::domain::OrderStatus))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// Every API route with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(tables::router())
        .merge(setup_codes::router())
        .merge(menu::router())
        .merge(options::router())
        .merge(kitchen::router())
        .merge(orders::router())
        .merge(calls::router())
        .merge(events::router())
        .merge(backups::router())
        .merge(update::router())
        .merge(staff::router())
        .merge(check::router())
}

pub fn router(state: AppState) -> Router {
    let (api, mut doc) = api().split_for_parts();
    doc.info.version = crate::version::get().to_string();
    let doc_json = doc.to_json().expect("the OpenAPI document serialises");
    api.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc_json.clone()) }),
    )
    .route("/api/{*rest}", axum::routing::any(api_not_found))
    .fallback(web::serve_box)
    .method_not_allowed_fallback(method_not_allowed)
    .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
    .layer(middleware::from_fn_with_state(state.clone(), count_responses))
    .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
    .layer(
        // Spans carry the path only: query strings may hold tokens, which never reach logs.
        TraceLayer::new_for_http().make_span_with(
            |req: &Request| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
        ),
    )
    .with_state(state)
}

async fn api_not_found() -> AppError {
    AppError::NotFound("endpoint")
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

async fn count_responses(State(st): State<AppState>, req: Request, next: Next) -> Response {
    // The route's pattern, not the path: ids do not make new series.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| if req.uri().path().starts_with("/api/") { "other".into() } else { "web".into() });
    // Known methods only: a client inventing method names must not invent series.
    let method = match *req.method() {
        Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::HEAD | Method::OPTIONS => {
            req.method().as_str().to_string()
        }
        _ => "other".to_string(),
    };
    let started = std::time::Instant::now();
    let mut resp = next.run(req).await;
    st.metrics.http_duration.get_or_create(&RouteLabels { method, route }).observe(started.elapsed().as_secs_f64());
    st.metrics.count_status(resp.status().as_u16());
    resp.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    resp
}
