//! The office web pages: server-rendered HTML (maud), no scripts and no outside assets, so they
//! work on an offline office LAN and read well on a phone. Vietnamese by default, English with
//! `?lang=en` ([`i18n`]). Accounts come from `sachhon user add` ([`password`]); sessions and
//! CSRF protection are in [`session`]. Every page needs a session; without one the browser is
//! sent to `/login?next=…`.

mod accounts;
mod chart;
mod devices;
mod error;
mod event_form;
mod events;
mod facilities;
mod form;
pub mod i18n;
mod layout;
mod login;
pub mod password;
mod plan;
mod progress;
mod questionnaires;
mod registrations;
mod responses;
pub mod session;
pub mod throttle;

use crate::service::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

pub use login::normalise_username;

/// The pages' routes, merged into the app's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(progress::page))
        .route("/login", get(login::form).post(login::login))
        .route("/logout", post(login::logout))
        .route("/events", get(events::list))
        .route("/events/new", get(event_form::new).post(event_form::create))
        .route("/events/{id}", get(events::attendance))
        .route(
            "/events/{id}/edit",
            get(event_form::edit).post(event_form::update),
        )
        .route("/events/{id}/people", get(registrations::page))
        .route(
            "/events/{id}/people/register",
            post(registrations::register),
        )
        .route("/events/{id}/people/new", post(registrations::create))
        .route("/responses", get(responses::list))
        .route("/responses/{id}", get(responses::detail))
        .route("/responses/{id}/answers/{key}", post(responses::resolve))
        .route("/responses/{id}/review", post(responses::review))
        .route("/facilities", get(facilities::list))
        .route(
            "/facilities/import",
            get(facilities::import_form)
                .post(facilities::import)
                .layer(DefaultBodyLimit::max(crate::service::IMPORT_BODY_LIMIT)),
        )
        .route("/facilities/{id}", get(facilities::detail))
        .route(
            "/questionnaires",
            get(questionnaires::list)
                .post(questionnaires::create)
                .layer(DefaultBodyLimit::max(crate::service::IMPORT_BODY_LIMIT)),
        )
        .route(
            "/questionnaires/{id}/versions",
            post(questionnaires::new_version)
                .layer(DefaultBodyLimit::max(crate::service::IMPORT_BODY_LIMIT)),
        )
        .route("/devices", get(devices::list).post(devices::create))
        .route(
            "/devices/{id}/enroll",
            get(devices::enroll_confirm).post(devices::enroll),
        )
        .route("/devices/{id}/revoke", post(devices::revoke))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/{name}/disable", post(accounts::disable))
        .route("/accounts/{name}/enable", post(accounts::enable))
        .route(
            "/devices/{id}/assignments",
            get(devices::assignments).post(devices::assign),
        )
        .route("/plan", get(plan::page))
        .route("/plan/tasks/{number}", post(plan::update))
}
