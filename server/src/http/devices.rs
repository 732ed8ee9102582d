//! Device registry: create, revoke, the enrolment QR code, and a trainer device's assigned
//! events.

use super::extract::{Json, PathId};
use crate::auth::callers::{Admin, Office};
use crate::problem::ApiError;
use crate::registry::devices::{self, DeviceInput};
use crate::service::AppState;
use crate::store::Assignments;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use sachhon_shared::{DeviceId, EventId};
use serde::Deserialize;
use serde_json::{json, Value};

/// `POST /api/v1/devices`: registers a device and returns its first one-time enrolment token.
#[utoipa::path(
    post,
    path = "/api/v1/devices",
    operation_id = "create_device",
    tag = "devices",
    security(("bearer" = ["admin"])),
    request_body = DeviceInput,
    responses((status = 201, description = "The device and its one-time enrolment token.",
        body = super::openapi::DeviceCreated)),
)]
pub async fn create(
    State(state): State<AppState>,
    _: Admin,
    Json(input): Json<DeviceInput>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let registered = devices::create(&*state.store, &input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "id": registered.id, "token": registered.token })),
    ))
}

/// `DELETE /api/v1/devices/{id}`: revokes the device; its tokens stop working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/devices/{id}",
    operation_id = "revoke_device",
    tag = "devices",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The device.")),
    responses((status = 204, description = "Revoked.")),
)]
pub async fn revoke(
    State(state): State<AppState>,
    _: Admin,
    PathId(id): PathId<DeviceId>,
) -> Result<StatusCode, ApiError> {
    state.store.revoke_device(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/devices/{id}/enroll.svg`: a QR code of the server address and a fresh
/// one-time enrolment token (any earlier unused token of this device stops working).
#[utoipa::path(
    get,
    path = "/api/v1/devices/{id}/enroll.svg",
    operation_id = "device_enrolment_qr",
    tag = "devices",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The device.")),
    responses(
        (status = 200, description = "The QR code of `{\"server\", \"token\"}`.",
            body = String, content_type = "image/svg+xml"),
        (status = 409, description = "The device is revoked.", body = super::openapi::Problem,
            content_type = "application/problem+json"),
    ),
)]
pub async fn enroll_svg(
    State(state): State<AppState>,
    _: Admin,
    PathId(id): PathId<DeviceId>,
) -> Result<impl IntoResponse, ApiError> {
    let token = devices::renew_token(&*state.store, id).await?;
    let payload = devices::enrolment_text(&state.public_url, &token);
    let image = crate::qr::svg(&payload).map_err(ApiError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        image,
    ))
}

/// Body of `PUT /api/v1/devices/{id}/assignments`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAssignments {
    /// Events assigned by id.
    #[serde(default)]
    #[schema(value_type = Vec<uuid::Uuid>)]
    events: Vec<EventId>,
    /// Districts whose events are all assigned: names from `GET /api/v1/districts`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    districts: Vec<String>,
}

/// `PUT /api/v1/devices/{id}/assignments`: replaces a trainer device's assigned events. A
/// trainer device with assignments pulls only those events' registrations, people, scans and
/// annulments, with the public records; with none, everything (docs/sync-protocol.md).
#[utoipa::path(
    put,
    path = "/api/v1/devices/{id}/assignments",
    operation_id = "set_device_assignments",
    tag = "devices",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The device.")),
    request_body = SetAssignments,
    responses((status = 200, description = "The assignments as stored.",
        body = super::openapi::DeviceAssignments)),
)]
pub async fn set_assignments(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<DeviceId>,
    Json(body): Json<SetAssignments>,
) -> Result<axum::Json<Value>, ApiError> {
    let assignments = Assignments {
        events: body.events,
        districts: body.districts,
    };
    let stored = devices::assign(&*state.store, id, assignments).await?;
    Ok(axum::Json(json!({
        "device_id": id,
        "events": stored.events,
        "districts": stored.districts,
    })))
}
