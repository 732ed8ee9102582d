//! The server as one axum service: the state every handler shares ([`AppState`]), the router
//! that puts the API ([`crate::http::routes`]) and the office pages ([`crate::web::routes`])
//! together under the layers every request passes (metrics, limits, timeouts, tracing, HSTS),
//! and [`serve`] / [`serve_tls`], which run it on a listener. The API and the pages depend on
//! this module, never on each other.

use crate::problem::{method_not_allowed, ApiError};
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::header::STRICT_TRANSPORT_SECURITY;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::{middleware, Router};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
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
    let router = Router::new()
        .merge(crate::http::routes())
        .merge(crate::web::routes())
        .fallback(|| async { ApiError::NotFound("no such path".into()) })
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::http::metrics::observe,
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

/// Serves the app on a bound listener until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::http::listen::run(listener, app(state), None, shutdown).await
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
    crate::http::listen::run(listener, app(state), Some(acceptor), shutdown).await
}
