//! `GET /metrics` (the administrator's) and the middleware that times every request.

use crate::auth::callers::Admin;
use crate::metrics::{Gauges, Metrics, CONTENT_TYPE};
use crate::problem::ApiError;
use crate::service::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// `GET /metrics`: this process's counters and histograms, and the database's gauges, in
/// Prometheus' text format.
pub async fn metrics(
    State(state): State<AppState>,
    _: Admin,
) -> Result<impl IntoResponse, ApiError> {
    let gauges = Gauges::read(&*state.store, time::OffsetDateTime::now_utc()).await?;
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.metrics.render(&gauges),
    ))
}

/// Times a request until its answer's head, by route pattern.
pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_string();
    let response = next.run(request).await;
    metrics.request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
