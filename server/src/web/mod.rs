//! The office web pages: server-rendered HTML (maud), no scripts and no outside assets, so they
//! work on an offline office LAN and read well on a phone. Vietnamese by default, English with
//! `?lang=en` ([`i18n`]). Accounts come from `sachhon user add` ([`password`]); sessions and
//! CSRF protection are in [`session`]. Every page needs a session; without one the browser is
//! sent to `/login?next=…`.

mod chart;
mod devices;
mod error;
mod events;
mod facilities;
pub mod i18n;
mod layout;
mod login;
pub mod password;
mod plan;
mod progress;
mod responses;
pub mod session;
pub mod throttle;

use crate::http::AppState;
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
        .route("/events/{id}", get(events::attendance))
        .route("/responses", get(responses::list))
        .route("/responses/{id}", get(responses::detail))
        .route("/responses/{id}/answers/{key}", post(responses::resolve))
        .route("/responses/{id}/review", post(responses::review))
        .route("/facilities", get(facilities::list))
        .route("/devices", get(devices::list))
        .route("/devices/{id}/enroll", get(devices::enroll))
        .route(
            "/devices/{id}/assignments",
            get(devices::assignments).post(devices::assign),
        )
        .route("/plan", get(plan::page))
        .route("/plan/tasks/{number}", post(plan::update))
}
