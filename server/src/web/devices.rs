//! `/devices`: the registered phones with their role, state and last sync. Office staff
//! register devices here (an enterprise device names its facility by tax code), revoke them, and
//! make an enrolment QR — only by pressing a button (`POST /devices/{id}/enroll`), since a new
//! token ends the one handed out before; a plain `GET` never makes one. A trainer device's assigned events are set at `/devices/{id}/assignments` (the API's
//! `PUT …/assignments`).

use super::error::{parse_id, PageError};
use super::form::{Fields, Posted, Shown};
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::session::{see_other, WebUser};
use crate::problem::ApiError;
use crate::registry::devices::{self, DeviceInput, Registered};
use crate::registry::districts::Districts;
use crate::registry::{Refusal, Refused, SetupError};
use crate::service::AppState;
use crate::store::{Assignments, DeviceRecord, SessionUser, CLOCK_TOLERANCE_MS};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup, PreEscaped};
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
    list_page(&state, &user, lang, &Shown::default()).await
}

/// The list, with the new-device form as `shown`.
async fn list_page(
    state: &AppState,
    user: &SessionUser,
    lang: Lang,
    shown: &Shown,
) -> Result<Response, PageError> {
    let devices = state.store.devices().await?;
    let title = lang.t(&t::DEVICES_TITLE);
    let body = html! {
        h1 { (title) }
        (new_device_form(user, lang, shown))
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
                        th { (lang.t(&t::CLOCK)) }
                        th { (lang.t(&t::ENROL_QR)) }
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
                                td.clock { (clock_offset(device.clock_offset_ms, lang)) }
                                td {
                                    @if device.revoked_at.is_none() {
                                        a.enrol href=(lang.link(&format!("/devices/{}/enroll", device.id))) {
                                            (lang.t(&t::ENROL_QR))
                                        }
                                        form.inline.revoke method="post" action=(lang.link(&format!("/devices/{}/revoke", device.id))) {
                                            (csrf_field(user))
                                            button.danger type="submit" { (lang.t(&t::REVOKE)) }
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
    let response = layout::show(lang, user, title, "/devices", body);
    Ok(match shown.refused {
        Some(_) => layout::with_status(StatusCode::UNPROCESSABLE_ENTITY, response),
        None => response,
    })
}

/// A device's clock offset as the list shows it: in minutes, flagged past the tolerance the
/// server applies to scans.
fn clock_offset(offset_ms: Option<i64>, lang: Lang) -> Markup {
    let Some(offset) = offset_ms else {
        return html! {};
    };
    let minutes = (offset as f64 / 60_000.0 * 10.0).round() / 10.0;
    let text = match minutes {
        0.0 => lang.t(&t::CLOCK_OK).to_string(),
        m => format!(
            "{}{} {}",
            if m > 0.0 { "+" } else { "" },
            lang.number(m),
            lang.t(&t::MINUTES)
        ),
    };
    html! {
        @if offset.unsigned_abs() > CLOCK_TOLERANCE_MS.unsigned_abs() {
            span.badge.not-met data-offset-ms=(offset) { "⚠ " (text) }
        } @else {
            span.muted data-offset-ms=(offset) { (text) }
        }
    }
}

fn new_device_form(user: &SessionUser, lang: Lang, shown: &Shown) -> Markup {
    html! {
        details.card.new-device open[shown.refused.is_some()] {
            summary { (lang.t(&t::NEW_DEVICE)) }
            form method="post" action=(lang.link("/devices")) {
                (csrf_field(user))
                (shown.text("name", &t::NAME, lang))
                label for="role" { (lang.t(&t::ROLE)) }
                select id="role" name="role" {
                    @for role in [Role::Trainer, Role::Enterprise, Role::Office] {
                        option value=(role.as_str()) selected[shown.fields.get("role") == role.as_str()] {
                            (role_name(role, lang))
                        }
                    }
                }
                (shown.text("facility_tax_code", &t::FACILITY_TAX_CODE, lang))
                (shown.error("facility_id", lang))
                button type="submit" { (lang.t(&t::CREATE)) }
            }
        }
    }
}

/// `POST /devices`: registers a device, then shows its enrolment QR at once.
pub async fn create(
    State(state): State<AppState>,
    lang: Lang,
    Posted { user, form }: Posted,
) -> Result<Response, PageError> {
    match register(&state, &form).await {
        Ok(registered) => {
            enrolment_page(&state, &user, lang, registered.id, &registered.token).await
        }
        Err(SetupError::Refused(refused)) => {
            list_page(&state, &user, lang, &Shown::refused(form, refused)).await
        }
        Err(SetupError::Store(error)) => Err(error.into()),
    }
}

async fn register(state: &AppState, form: &Fields) -> Result<Registered, SetupError> {
    let store = &*state.store;
    let role: Role = form.get("role").parse().unwrap_or(Role::Trainer);
    let facility_id =
        match form.get("facility_tax_code").trim() {
            "" => None,
            code => Some(store.facility_by_tax_code(code).await?.ok_or_else(|| {
                Refused::new("facility_id", Refusal::NoFacility(code.to_string()))
            })?),
        };
    let input = DeviceInput {
        name: form.get("name").to_string(),
        role,
        facility_id,
    };
    devices::create(store, &input).await
}

/// `POST /devices/{id}/revoke`: the device's tokens stop working at once.
pub async fn revoke(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    _: Posted,
) -> Result<Response, PageError> {
    state
        .store
        .revoke_device(parse_id::<DeviceId>(&id, "device")?)
        .await?;
    Ok(see_other(&lang.link("/devices")))
}

/// The active device `id`, or 404.
async fn active_device(state: &AppState, id: DeviceId) -> Result<DeviceRecord, PageError> {
    state
        .store
        .devices()
        .await?
        .into_iter()
        .find(|d| d.id == id && d.revoked_at.is_none())
        .ok_or_else(|| PageError::not_found(format!("no active device {id}")))
}

/// `GET /devices/{id}/enroll`: asks before making a new enrolment QR.
pub async fn enroll_confirm(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let device = active_device(&state, parse_id::<DeviceId>(&id, "device")?).await?;
    let title = format!("{} · {}", lang.t(&t::ENROL_QR), device.name);
    let here = format!("/devices/{}/enroll", device.id);
    let body = html! {
        h1 { (title) }
        p.notice { (lang.t(&t::ENROL_WARNING)) }
        form.enrol method="post" action=(lang.link(&here)) {
            (csrf_field(&user))
            button type="submit" { (lang.t(&t::MAKE_ENROL_QR)) }
        }
        p { a href=(lang.link("/devices")) { "← " (lang.t(&t::BACK)) } }
    };
    Ok(layout::show(lang, &user, &title, &here, body))
}

/// `POST /devices/{id}/enroll`: a new one-time token, shown as a QR code and as text.
pub async fn enroll(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    Posted { user, .. }: Posted,
) -> Result<Response, PageError> {
    let id = parse_id::<DeviceId>(&id, "device")?;
    active_device(&state, id).await?;
    let token = devices::renew_token(&*state.store, id).await?;
    enrolment_page(&state, &user, lang, id, &token).await
}

/// The page that shows an enrolment token once: its QR code and its text.
async fn enrolment_page(
    state: &AppState,
    user: &SessionUser,
    lang: Lang,
    id: DeviceId,
    token: &str,
) -> Result<Response, PageError> {
    let device = active_device(state, id).await?;
    let text = devices::enrolment_text(&state.public_url, token);
    let svg = crate::qr::svg(&text).map_err(|e| PageError::from(ApiError::Internal(e)))?;
    let title = format!("{} · {}", lang.t(&t::ENROL_QR), device.name);
    let body = html! {
        h1 { (title) }
        p { (role_name(device.role, lang)) }
        div.qr { (PreEscaped(svg)) }
        p { (lang.t(&t::ENROL_TOKEN)) ": " code.token { (token) } }
        p.muted { (lang.t(&t::ENROL_NOTE)) }
        p { a href=(lang.link("/devices")) { "← " (lang.t(&t::BACK)) } }
    };
    Ok(layout::show(
        lang,
        user,
        &title,
        &format!("/devices/{id}/enroll"),
        body,
    ))
}

/// `GET /devices/{id}/assignments`: a trainer device's assigned events and districts, as
/// checkboxes.
pub async fn assignments(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id::<DeviceId>(&id, "device")?;
    let device = state
        .store
        .devices()
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| PageError::not_found(format!("no device {id}")))?;
    let current = state.store.assignments(id).await?;
    let events = state.store.events().await?;
    let districts = Districts::load(&*state.store).await?;
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
                @for district in districts.all() {
                    label {
                        input type="checkbox" name="districts" value=(district.name)
                            checked[current.districts.contains(&district.name)];
                        " " (district.name)
                    }
                    br;
                }
            }
            button type="submit" { (lang.t(&t::SAVE)) }
        }
        p { a href=(lang.link("/devices")) { "← " (lang.t(&t::BACK)) } }
    };
    let here = format!("/devices/{id}/assignments");
    Ok(layout::show(lang, &user, &title, &here, body))
}

/// `POST /devices/{id}/assignments`: checked and stored by the store as the API's `PUT` is.
pub async fn assign(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    Posted { form, .. }: Posted,
) -> Result<Response, PageError> {
    let id = parse_id::<DeviceId>(&id, "device")?;
    let events = form
        .all("events")
        .into_iter()
        .map(|event| parse_id(event, "event"))
        .collect::<Result<_, _>>()?;
    let assignments = Assignments {
        events,
        districts: form
            .all("districts")
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    devices::assign(&*state.store, id, assignments).await?;
    Ok(see_other(&lang.link("/devices")))
}
