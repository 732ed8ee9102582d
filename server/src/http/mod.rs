//! The JSON API and the other machine-facing paths (`/healthz`, `/metrics`, the field app's
//! files): every route in one place ([`routes`]); the handlers in one module per domain.
//! [`crate::service`] puts these routes together with the office pages.

mod app;
mod checkin;
mod coding;
mod devices;
mod export;
mod extract;
pub(crate) mod listen;
pub(crate) mod metrics;
pub mod openapi;
mod progress;
mod questionnaires;
mod registry;
mod sync;

use crate::service::{AppState, IMPORT_BODY_LIMIT, PUSH_BODY_LIMIT, XLSFORM_BODY_LIMIT};
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use axum::{middleware, Router};
use tower::ServiceBuilder;

/// The routes of the API (under `/api/v1`), `/healthz`, `/metrics` and the field app (`/app/`).
pub fn routes() -> Router<AppState> {
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
        .method_not_allowed_fallback(crate::problem::method_not_allowed)
        .layer(coding::compression());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .route("/app", get(app::root))
        .route("/app/", get(app::index))
        .route("/app/{*path}", get(app::asset))
        .nest("/api/v1", api)
}
