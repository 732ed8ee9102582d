//! The HTTP layer: one router listing every route, one cheap-to-clone state.

mod app;
mod checkin;
mod coding;
mod devices;
mod export;
mod extract;
mod listen;
mod metrics;
pub mod openapi;
mod problem;
mod progress;
pub(crate) mod questionnaires;
mod registry;
mod sync;

pub use problem::ApiError;

use crate::store::Store;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::header::STRICT_TRANSPORT_SECURITY;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::{middleware, Router};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

/// Body limit of admin JSON endpoints.
pub const ADMIN_BODY_LIMIT: usize = 1024 * 1024;
/// Body limit of a facility import (CSV).
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Body limit of an XLSForm import (`.xlsx`).
pub const XLSFORM_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Body limit of a sync push (a device sends at most this much per request), decoded: a body
/// sent in zstd or gzip is held to it once inflated.
pub const PUSH_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// How long a client may pause while sending a request body; a body that stalls longer is
/// refused (408), so slow senders cannot hold the server's memory and connections.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The storage backend.
    pub store: Arc<dyn Store>,
    /// Hash of `SACHHON_ADMIN_TOKEN`, when set.
    pub admin_token_hash: Option<Arc<str>>,
    /// The address phones use to reach this server (put in enrolment QR codes).
    pub public_url: Arc<str>,
    /// Failed logins and the password checkers of this process.
    pub logins: Arc<crate::web::throttle::LoginThrottle>,
    /// Whether this process serves HTTPS itself ([`serve_tls`]): session cookies are
    /// `Secure` and every answer carries `Strict-Transport-Security`.
    pub https: bool,
    /// What this process counts for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// The state of a server on `store`, with the hash of the admin token from the
    /// environment (if any) and the address phones use.
    pub fn new(store: Arc<dyn Store>, admin_token_hash: Option<String>, public_url: &str) -> Self {
        Self {
            store,
            admin_token_hash: admin_token_hash.map(Arc::from),
            public_url: Arc::from(public_url),
            logins: Arc::default(),
            https: false,
            metrics: Arc::default(),
        }
    }
}

/// The router with every route; when the state serves HTTPS, every answer carries
/// `Strict-Transport-Security`.
pub fn app(state: AppState) -> Router {
    let https = state.https;
    let api = Router::new()
        .route("/enroll", post(sync::enroll))
        // Outermost first: refuse unknown content codings (415), decode zstd and gzip as the
        // body is read, and the limit, which the handler's body extractor applies to the body
        // it reads — the decoded one (see `coding`).
        .route(
            "/sync/push",
            post(sync::push).layer(
                ServiceBuilder::new()
                    .layer(middleware::from_fn(coding::known_coding_only))
                    .layer(coding::decompression())
                    .layer(DefaultBodyLimit::max(PUSH_BODY_LIMIT)),
            ),
        )
        .route("/sync/pull", get(sync::pull))
        .route("/sync/state-hash", get(sync::state_hash))
        .route("/devices", post(devices::create))
        .route("/devices/{id}", delete(devices::revoke))
        .route("/devices/{id}/enroll.svg", get(devices::enroll_svg))
        .route("/devices/{id}/assignments", put(devices::set_assignments))
        .route(
            "/districts",
            get(registry::list_districts).post(registry::add_district),
        )
        .route(
            "/facilities",
            get(registry::list_facilities).post(registry::create_facility),
        )
        .route(
            "/facilities/import",
            post(registry::import_facilities).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/facilities/{id}", get(registry::get_facility))
        .route("/people", post(registry::create_person))
        .route("/events", post(registry::create_event))
        .route("/events/{id}", put(registry::update_event))
        .route("/events/{id}/attendance", get(registry::attendance))
        .route("/events/{id}/registrations", post(checkin::register))
        .route("/events/{id}/badges", get(checkin::badges))
        .route("/registrations/{id}/qr.svg", get(checkin::qr_svg))
        .route("/registrations/{id}/qr.png", get(checkin::qr_png))
        .route("/registrations/{id}/revoke", post(checkin::revoke))
        .route("/scans/{id}/annul", post(checkin::annul))
        .route(
            "/ticket-keys",
            get(checkin::ticket_keys).post(checkin::rotate_ticket_key),
        )
        .route("/ticket-keys/{id}", delete(checkin::retire_ticket_key))
        .route("/questionnaires", post(questionnaires::create))
        .route(
            "/questionnaires/xlsform",
            post(questionnaires::import_xlsform).layer(DefaultBodyLimit::max(XLSFORM_BODY_LIMIT)),
        )
        .route(
            "/questionnaires/{id}",
            get(questionnaires::get).put(questionnaires::update),
        )
        .route(
            "/questionnaires/{id}/responses.csv",
            get(questionnaires::responses_csv),
        )
        .route(
            "/questionnaires/{id}/responses.xlsx",
            get(questionnaires::responses_xlsx),
        )
        .route("/responses/{id}", get(questionnaires::response))
        .route(
            "/responses/{id}/answers/{key}",
            axum::routing::put(questionnaires::resolve),
        )
        .route("/responses/{id}/review", post(questionnaires::review))
        .route("/progress", get(progress::progress))
        .route("/progress.csv", get(progress::progress_csv))
        .route("/progress.xlsx", get(progress::progress_xlsx))
        .route("/plan", get(progress::plan))
        .route(
            "/plan/tasks/{number}",
            axum::routing::put(progress::update_task),
        )
        .route("/openapi.json", get(openapi::document))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(coding::compression());
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .route("/app", get(app::root))
        .route("/app/", get(app::index))
        .route("/app/{*path}", get(app::asset))
        .merge(crate::web::routes())
        .nest("/api/v1", api)
        .fallback(|| async { ApiError::NotFound("no such path".into()) })
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::observe,
        ))
        .layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("http", method = %request.method(), route)
            }),
        )
        .with_state(state);
    if https {
        router.layer(middleware::map_response(strict_transport_security))
    } else {
        router
    }
}

/// Adds [`crate::tls::HSTS`] to an answer.
async fn strict_transport_security(mut response: Response) -> Response {
    response.headers_mut().insert(
        STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(crate::tls::HSTS),
    );
    response
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Serves the app on a bound listener until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::run(listener, app(state), None, shutdown).await
}

/// Serves the app over HTTPS with `tls` (see [`crate::tls::load`]) on a bound listener until
/// `shutdown` resolves. The state is marked [`AppState::https`]: `Secure` cookies, HSTS.
pub async fn serve_tls(
    listener: TcpListener,
    mut state: AppState,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.https = true;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    listen::run(listener, app(state), Some(acceptor), shutdown).await
}
