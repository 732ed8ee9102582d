//! `/devices`: the registered phones with their role, state and last sync; for
//! administrators, each active device's enrolment QR (`/devices/{id}/enroll`, which shows the
//! API's `enroll.svg`). Office users see the list without QR codes.

use super::error::PageError;
use super::i18n::{t, Lang};
use super::layout::{self, Page};
use super::session::WebUser;
use crate::http::AppState;
use crate::store::UserRole;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use sachhon_shared::authority::Role;
use sachhon_shared::DeviceId;

fn role_name(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Trainer => lang.t(&t::ROLE_TRAINER),
        Role::Enterprise => lang.t(&t::ROLE_ENTERPRISE),
        Role::Office => lang.t(&t::ROLE_OFFICE),
    }
}

/// `GET /devices`.
pub async fn list(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
) -> Result<Response, PageError> {
    let devices = state.store.devices().await?;
    let admin = user.role == UserRole::Admin;
    let title = lang.t(&t::DEVICES_TITLE);
    let body = html! {
        h1 { (title) }
        @if !admin {
            p.muted { (lang.t(&t::QR_ADMIN_ONLY)) }
        }
        @if devices.is_empty() {
            p.muted { (lang.t(&t::NO_DEVICES)) }
        } @else {
            div.table-wrap {
                table.devices {
                    thead { tr {
                        th { (lang.t(&t::NAME)) }
                        th { (lang.t(&t::ROLE)) }
                        th { (lang.t(&t::REGISTERED)) }
                        th { (lang.t(&t::STATUS)) }
                        th.num { (lang.t(&t::ENROLMENTS)) }
                        th { (lang.t(&t::LAST_SYNC)) }
                        @if admin { th { (lang.t(&t::ENROL_QR)) } }
                    } }
                    tbody {
                        @for device in &devices {
                            tr data-device=(device.id) {
                                td { (device.name) }
                                td { (role_name(device.role, lang)) }
                                td { (lang.time(&device.created_at)) }
                                td {
                                    @if device.revoked_at.is_some() {
                                        span.badge.not-met { (lang.t(&t::REVOKED)) }
                                    } @else {
                                        span.badge.met { (lang.t(&t::ACTIVE)) }
                                    }
                                }
                                td.num { (device.enrolments) }
                                td.last-sync {
                                    @match device.last_seen_ms {
                                        Some(ms) => (lang.time_ms(ms)),
                                        None => span.muted { (lang.t(&t::NEVER_SYNCED)) },
                                    }
                                }
                                @if admin {
                                    td {
                                        @if device.revoked_at.is_none() {
                                            a.enrol href=(lang.link(&format!("/devices/{}/enroll", device.id))) {
                                                (lang.t(&t::ENROL_QR))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let page = Page {
        lang,
        user: Some(&user),
        title,
        here: "/devices",
        refresh: None,
    };
    Ok(layout::ok(layout::page(&page, body)))
}

/// `GET /devices/{id}/enroll`: the enrolment QR, for administrators. The image is the API's
/// `GET /api/v1/devices/{id}/enroll.svg`, fetched with the same session cookie; showing it
/// makes a fresh one-time token.
pub async fn enroll(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if user.role != UserRole::Admin {
        return Err(PageError::forbidden(lang.t(&t::QR_ADMIN_ONLY)));
    }
    let id: DeviceId = id
        .parse()
        .map_err(|_| PageError::not_found(format!("no device {id}")))?;
    let device = state
        .store
        .devices()
        .await?
        .into_iter()
        .find(|d| d.id == id && d.revoked_at.is_none())
        .ok_or_else(|| PageError::not_found(format!("no active device {id}")))?;
    let title = format!("{} · {}", lang.t(&t::ENROL_QR), device.name);
    let body = html! {
        h1 { (title) }
        p { (role_name(device.role, lang)) }
        div.qr {
            img src=(format!("/api/v1/devices/{id}/enroll.svg")) alt=(lang.t(&t::ENROL_QR));
        }
        p.muted { (lang.t(&t::ENROL_NOTE)) }
        p { a href=(lang.link("/devices")) { "← " (lang.t(&t::BACK)) } }
    };
    let here = format!("/devices/{id}/enroll");
    let page = Page {
        lang,
        user: Some(&user),
        title: &title,
        here: &here,
        refresh: None,
    };
    Ok(layout::ok(layout::page(&page, body)))
}
