//! Check-in: registrations with signed tickets, their QR images, printable badges,
//! revocation, annulment of scans, and the ticket keys.

use super::extract::{Json, OptionalJson, PathId, PathText};
use crate::auth::callers::{Admin, Office};
use crate::bootstrap::new_ticket_key;
use crate::problem::ApiError;
use crate::qr;
use crate::service::AppState;
use crate::store::{RecordEdit, Store};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse};
use maud::{html, Markup, DOCTYPE};
use sachhon_shared::schema::registration;
use sachhon_shared::ticket::{issue, Ticket};
use sachhon_shared::{EventId, PersonId, RecordKind, RegistrationId, ScanId};
use serde::Deserialize;
use serde_json::{json, Value};

/// Body of `POST /api/v1/events/{id}/registrations`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    /// The person to register.
    #[schema(value_type = uuid::Uuid)]
    person_id: PersonId,
}

/// `POST /api/v1/events/{id}/registrations`: registers a person and returns the ticket text.
/// Registering the same person again answers 200 with the same registration.
#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/registrations",
    operation_id = "register_person",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The event.")),
    request_body = RegistrationInput,
    responses(
        (status = 201, description = "Registered; `qr` is the ticket text.",
            body = super::openapi::Registered),
        (status = 200, description = "Registered already: the same registration.",
            body = super::openapi::Registered),
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    _: Admin,
    PathId(event): PathId<EventId>,
    Json(input): Json<RegistrationInput>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let store = &*state.store;
    let registered = crate::registry::people::register(store, event, input.person_id).await?;
    let (status, id) = match registered.created {
        true => (StatusCode::CREATED, registered.id),
        false => (StatusCode::OK, registered.id),
    };
    let text = ticket_text(
        store,
        Ticket {
            event,
            registration: id,
        },
    )
    .await?;
    Ok((status, axum::Json(json!({ "id": id, "qr": text }))))
}

/// The ticket text of a registration, signed with the newest active key.
async fn ticket_text(store: &dyn Store, ticket: Ticket) -> Result<String, ApiError> {
    let key = store
        .signing_key()
        .await?
        .ok_or_else(|| ApiError::Internal("no active ticket key".into()))?;
    Ok(issue(ticket, &key))
}

async fn registration_ticket(store: &dyn Store, id: RegistrationId) -> Result<String, ApiError> {
    let registration = store
        .registration(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no registration {id}")))?;
    ticket_text(
        store,
        Ticket {
            event: registration.event,
            registration: id,
        },
    )
    .await
}

/// `GET /api/v1/registrations/{id}/qr.svg`: the ticket as an SVG QR code.
#[utoipa::path(
    get,
    path = "/api/v1/registrations/{id}/qr.svg",
    operation_id = "registration_qr_svg",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The registration.")),
    responses((status = 200, description = "The QR code.", body = String,
        content_type = "image/svg+xml")),
)]
pub async fn qr_svg(
    State(state): State<AppState>,
    _: Admin,
    PathId(id): PathId<RegistrationId>,
) -> Result<impl IntoResponse, ApiError> {
    let text = registration_ticket(&*state.store, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        qr::svg(&text).map_err(ApiError::Internal)?,
    ))
}

/// `GET /api/v1/registrations/{id}/qr.png`: the ticket as a PNG QR code (greyscale, 8 px
/// per module).
#[utoipa::path(
    get,
    path = "/api/v1/registrations/{id}/qr.png",
    operation_id = "registration_qr_png",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The registration.")),
    responses((status = 200, description = "The QR code.", body = super::openapi::Binary,
        content_type = "image/png")),
)]
pub async fn qr_png(
    State(state): State<AppState>,
    _: Admin,
    PathId(id): PathId<RegistrationId>,
) -> Result<impl IntoResponse, ApiError> {
    let text = registration_ticket(&*state.store, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/png")],
        qr::png(&text).map_err(ApiError::Internal)?,
    ))
}

/// `POST /api/v1/registrations/{id}/revoke`: the ticket stops admitting on every phone after
/// its next pull.
#[utoipa::path(
    post,
    path = "/api/v1/registrations/{id}/revoke",
    operation_id = "revoke_registration",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The registration.")),
    responses((status = 200, description = "Revoked.", body = super::openapi::Revoked)),
)]
pub async fn revoke(
    State(state): State<AppState>,
    _: Admin,
    PathId(id): PathId<RegistrationId>,
) -> Result<axum::Json<Value>, ApiError> {
    if state.store.registration(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no registration {id}")));
    }
    state
        .store
        .write_as_server(&[RecordEdit {
            kind: RecordKind::Registration,
            id: id.0,
            fields: vec![
                (registration::REVOKED.name.into(), json!(true)),
                (
                    registration::REVOKED_AT.name.into(),
                    json!(crate::time::rfc3339(time::OffsetDateTime::now_utc())),
                ),
            ],
        }])
        .await?;
    Ok(axum::Json(json!({ "id": id, "revoked": true })))
}

/// Body of `POST /api/v1/scans/{id}/annul` (optional).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnulInput {
    /// Why the scan should not count.
    #[schema(max_length = 10000)]
    reason: Option<String>,
}

/// `POST /api/v1/scans/{id}/annul`: the scan stops counting, on the server and on every
/// phone after its next pull.
#[utoipa::path(
    post,
    path = "/api/v1/scans/{id}/annul",
    operation_id = "annul_scan",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The scan.")),
    request_body(content = Option<AnnulInput>, description = "Optional: no body at all is an annulment \
        without a reason."),
    responses((status = 201, description = "Annulled (409 when it was already).",
        body = super::openapi::Annulled)),
)]
pub async fn annul(
    State(state): State<AppState>,
    _: Admin,
    PathId(scan): PathId<ScanId>,
    OptionalJson(input): OptionalJson<AnnulInput>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let id = state.store.annul_as_server(scan, input.reason).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "id": id, "scan_id": scan })),
    ))
}

/// `GET /api/v1/ticket-keys`: every ticket key's public half, retired ones marked.
#[utoipa::path(
    get,
    path = "/api/v1/ticket-keys",
    operation_id = "list_ticket_keys",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The keys.", body = super::openapi::TicketKeys)),
)]
pub async fn ticket_keys(
    State(state): State<AppState>,
    _: Admin,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(
        json!({ "keys": state.store.ticket_keys().await? }),
    ))
}

/// `POST /api/v1/ticket-keys`: a new key signs tickets from now on; tickets signed by older
/// keys keep admitting until those keys are retired.
#[utoipa::path(
    post,
    path = "/api/v1/ticket-keys",
    operation_id = "rotate_ticket_key",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    responses((status = 201, description = "The new key.", body = super::openapi::KeyId)),
)]
pub async fn rotate_ticket_key(
    State(state): State<AppState>,
    _: Admin,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let id = state.store.add_ticket_key(&new_ticket_key()).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "id": id }))))
}

/// `DELETE /api/v1/ticket-keys/{id}`: retires a key (409 for the last active one).
#[utoipa::path(
    delete,
    path = "/api/v1/ticket-keys/{id}",
    operation_id = "retire_ticket_key",
    tag = "checkin",
    security(("bearer" = ["admin"])),
    params(("id" = String, Path, description = "The key id, in hex.")),
    responses((status = 204, description = "Retired.")),
)]
pub async fn retire_ticket_key(
    State(state): State<AppState>,
    _: Admin,
    PathText(id): PathText<String>,
) -> Result<StatusCode, ApiError> {
    state.store.retire_ticket_key(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/events/{id}/badges`: an A4 sheet of badges, ready to print.
#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/badges",
    operation_id = "event_badges",
    tag = "checkin",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The event.")),
    responses((status = 200, description = "A printable HTML page: name, facility and QR code \
        of each registered person.", body = String, content_type = "text/html")),
)]
pub async fn badges(
    State(state): State<AppState>,
    _: Office,
    PathId(event_id): PathId<EventId>,
) -> Result<Html<String>, ApiError> {
    let store = &*state.store;
    let event = store
        .event(event_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no event {event_id}")))?;
    let mut cards = Vec::new();
    for badge in store.badges(event_id).await? {
        let text = ticket_text(
            store,
            Ticket {
                event: event_id,
                registration: badge.registration,
            },
        )
        .await?;
        let svg = qr::svg(&text).map_err(ApiError::Internal)?;
        cards.push((badge, text, svg));
    }
    let title = event.title.unwrap_or_default();
    Ok(Html(badge_sheet(&title, &cards).into_string()))
}

/// The sheet: per badge the event, the QR code, the name and the facility. The ticket's text is
/// also in `data-ticket`, for a scanner to read without the camera.
fn badge_sheet(title: &str, cards: &[(crate::store::Badge, String, String)]) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                title { "Thẻ tham dự — " (title) }
                style { (BADGE_CSS) }
            }
            body {
                @for (badge, ticket, svg) in cards {
                    section.badge data-ticket=(ticket) {
                        p.event { (title) }
                        div.qr { (maud::PreEscaped(svg)) }
                        p.name { (badge.person_name.as_deref().unwrap_or("")) }
                        p.facility { (badge.facility_name.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

/// Two columns of badges on A4, cut lines dashed, nothing split across pages.
const BADGE_CSS: &str = "@page { size: A4; margin: 10mm; }
body { font-family: 'Noto Sans', 'DejaVu Sans', Arial, sans-serif; margin: 0;
       display: grid; grid-template-columns: 1fr 1fr; gap: 0; }
.badge { border: 1px dashed #999; padding: 6mm; height: 85mm; box-sizing: border-box;
         text-align: center; break-inside: avoid; }
.badge .qr svg { width: 45mm; height: 45mm; }
.badge .event { font-size: 10pt; margin: 0 0 2mm; }
.badge .name { font-size: 16pt; font-weight: bold; margin: 2mm 0 1mm; }
.badge .facility { font-size: 11pt; margin: 0; }";
