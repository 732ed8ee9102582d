//! `/devices`: the registered phones with their role, state and last sync; for
//! administrators, each active device's enrolment QR (`/devices/{id}/enroll`, which shows the
//! API's `enroll.svg`). Office users see the list without QR codes. A trainer device's
//! assigned events are set at `/devices/{id}/assignments` (the API's `PUT …/assignments`).

use super::error::PageError;
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field, Page};
use super::session::{see_other, CsrfForm, CsrfToken, WebUser};
use crate::http::AppState;
use crate::store::{Assignments, UserRole};
use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use sachhon_shared::authority::Role;
use sachhon_shared::DeviceId;
use serde::Deserialize;
use std::collections::BTreeSet;

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
                        th { (lang.t(&t::ASSIGNED)) }
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
                                td {
                                    @if device.role == Role::Trainer {
                                        a.assign href=(lang.link(&format!("/devices/{}/assignments", device.id))) {
                                            (lang.t(&t::ASSIGNED))
                                        }
                                    }
                                }
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

fn device_id(text: &str) -> Result<DeviceId, PageError> {
    text.parse()
        .map_err(|_| PageError::not_found(format!("no device {text}")))
}

/// `GET /devices/{id}/assignments`: a trainer device's assigned events and districts, as
/// checkboxes.
pub async fn assignments(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = device_id(&id)?;
    let device = state
        .store
        .devices()
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| PageError::not_found(format!("no device {id}")))?;
    let current = state.store.assignments(id).await?;
    let events = state.store.events().await?;
    let districts: BTreeSet<String> = events
        .iter()
        .filter_map(|event| event.district.clone())
        .chain(current.districts.iter().cloned())
        .collect();
    let title = format!("{} · {}", lang.t(&t::ASSIGNED), device.name);
    let action = lang.link(&format!("/devices/{id}/assignments"));
    let body = html! {
        h1 { (title) }
        p.muted { (lang.t(&t::ASSIGNED_NOTE)) }
        @if current.is_empty() {
            p { span.badge.met { (lang.t(&t::ASSIGNED_ALL)) } }
        }
        form.card.assignments method="post" action=(action) {
            (csrf_field(&user))
            fieldset {
                legend { (lang.t(&t::EVENTS_TITLE)) }
                @for event in &events {
                    label {
                        input type="checkbox" name="events" value=(event.id)
                            checked[current.events.contains(&event.id)];
                        " " (event.title.as_deref().unwrap_or("—"))
                        @if let Some(district) = &event.district { " · " (district) }
                        @if let Some(starts_at) = &event.starts_at { " · " (lang.time(starts_at)) }
                    }
                    br;
                }
            }
            fieldset {
                legend { (lang.t(&t::DISTRICTS)) }
                @for district in &districts {
                    label {
                        input type="checkbox" name="districts" value=(district)
                            checked[current.districts.contains(district)];
                        " " (district)
                    }
                    br;
                }
            }
            button type="submit" { (lang.t(&t::SAVE)) }
        }
        p { a href=(lang.link("/devices")) { "← " (lang.t(&t::BACK)) } }
    };
    let here = format!("/devices/{id}/assignments");
    let page = Page {
        lang,
        user: Some(&user),
        title: &title,
        here: &here,
        refresh: None,
    };
    Ok(layout::ok(layout::page(&page, body)))
}

/// The assignments form as posted: `events` and `districts` repeat, one per checked box.
#[derive(Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct AssignForm {
    csrf: String,
    events: Vec<String>,
    districts: Vec<String>,
}

impl From<Vec<(String, String)>> for AssignForm {
    fn from(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self {
            csrf: String::new(),
            events: Vec::new(),
            districts: Vec::new(),
        };
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => form.csrf = value,
                "events" => form.events.push(value),
                "districts" => form.districts.push(value),
                _ => {}
            }
        }
        form
    }
}

impl CsrfToken for AssignForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /devices/{id}/assignments`: checked and stored by the store as the API's `PUT` is.
pub async fn assign(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    CsrfForm { form, .. }: CsrfForm<AssignForm>,
) -> Result<Response, PageError> {
    let id = device_id(&id)?;
    let events = form
        .events
        .iter()
        .map(|event| {
            event
                .parse()
                .map_err(|_| PageError::not_found(format!("no event {event}")))
        })
        .collect::<Result<_, _>>()?;
    let assignments = Assignments {
        events,
        districts: form.districts,
    };
    state.store.set_assignments(id, &assignments).await?;
    Ok(see_other(&lang.link("/devices")))
}
