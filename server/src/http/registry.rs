//! The registry the administrator keeps: districts, facilities (with CSV import and search),
//! people, events, and an event's merged attendance. The checks and writes are
//! [`crate::registry`]'s, shared with the office pages; these handlers read requests and shape
//! answers.

use super::extract::{Json, PathId, Query, Text};
use crate::auth::callers::{Admin, Office};
use crate::problem::ApiError;
use crate::registry::districts::{self, Districts};
use crate::registry::events::{self, EventInput};
use crate::registry::facilities::{self, FacilityInput, ImportReport};
use crate::registry::people::{self, PersonInput};
use crate::service::AppState;
use crate::store::{ListCursor, Search, MAX_PAGE};
use axum::extract::State;
use axum::http::StatusCode;
use sachhon_shared::district::District;
use sachhon_shared::facility_csv::{self, CsvError};
use sachhon_shared::{EventId, FacilityId};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

type Created = (StatusCode, axum::Json<Value>);

fn created(id: Uuid) -> Created {
    (StatusCode::CREATED, axum::Json(json!({ "id": id })))
}

/// `GET /api/v1/districts`: the province's districts, in Vietnamese order.
#[utoipa::path(
    get,
    path = "/api/v1/districts",
    operation_id = "list_districts",
    tag = "registry",
    security(("bearer" = ["admin", "office"])),
    responses((status = 200, description = "The district list.", body = Vec<District>)),
)]
pub async fn list_districts(
    State(state): State<AppState>,
    _: Office,
) -> Result<axum::Json<Vec<District>>, ApiError> {
    Ok(axum::Json(
        Districts::load(&*state.store).await?.all().to_vec(),
    ))
}

/// `POST /api/v1/districts`: adds a district to the list (409 when it is listed already).
#[utoipa::path(
    post,
    path = "/api/v1/districts",
    operation_id = "add_district",
    tag = "registry",
    security(("bearer" = ["admin"])),
    request_body = District,
    responses((status = 201, description = "Listed.", body = District)),
)]
pub async fn add_district(
    State(state): State<AppState>,
    _: Admin,
    Json(district): Json<District>,
) -> Result<(StatusCode, axum::Json<District>), ApiError> {
    districts::add(&*state.store, &district).await?;
    Ok((StatusCode::CREATED, axum::Json(district)))
}

/// `POST /api/v1/facilities`: registers a facility (409 for a tax code already registered;
/// 422 for a district not in the list, with the closest listed name suggested).
#[utoipa::path(
    post,
    path = "/api/v1/facilities",
    operation_id = "create_facility",
    tag = "registry",
    security(("bearer" = ["admin"])),
    request_body = FacilityInput,
    responses((status = 201, description = "Registered.", body = super::openapi::Created)),
)]
pub async fn create_facility(
    State(state): State<AppState>,
    _: Admin,
    Json(input): Json<FacilityInput>,
) -> Result<Created, ApiError> {
    let id = facilities::create(&*state.store, &input).await?;
    Ok(created(id.0))
}

/// The query of `GET /api/v1/facilities`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FacilityQuery {
    /// Text the name or the tax code contains, accents and case ignored.
    #[param(max_length = 500)]
    q: Option<String>,
    /// Only this district's facilities.
    #[param(max_length = 500)]
    district: Option<String>,
    /// The `next` of the previous page.
    #[param(max_length = 2000)]
    after: Option<String>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// `GET /api/v1/facilities`: facilities whose name or tax code contains `q`, in Vietnamese
/// order of their names, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/facilities",
    operation_id = "list_facilities",
    tag = "registry",
    security(("bearer" = ["admin", "office"])),
    params(FacilityQuery),
    responses((status = 200, description = "A page of facilities.",
        body = super::openapi::FacilityPage)),
)]
pub async fn list_facilities(
    State(state): State<AppState>,
    _: Office,
    Query(query): Query<FacilityQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let search = Search {
        q: query.q.unwrap_or_default(),
        district: query.district,
        facility: None,
        after: query.after.as_deref().map(ListCursor::parse).transpose()?,
        limit: match query.limit.unwrap_or(100) {
            0 => return Err(ApiError::invalid("limit", "limit must be at least 1")),
            limit => limit.min(MAX_PAGE),
        },
    };
    let found = state.store.find_facilities(&search).await?;
    Ok(axum::Json(json!({
        "items": found.items,
        "next": found.next.map(|cursor| cursor.format()),
    })))
}

/// `GET /api/v1/facilities/{id}`: a facility.
#[utoipa::path(
    get,
    path = "/api/v1/facilities/{id}",
    operation_id = "get_facility",
    tag = "registry",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The facility.")),
    responses((status = 200, description = "The facility.", body = super::openapi::Facility)),
)]
pub async fn get_facility(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<FacilityId>,
) -> Result<axum::Json<Value>, ApiError> {
    let facility = state
        .store
        .facility(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no facility {id}")))?;
    Ok(axum::Json(json!(facility)))
}

/// `POST /api/v1/facilities/import`: facilities from CSV; a known tax code updates that
/// facility. With `?preview=true`, the same answer and nothing written.
///
/// The header is `name,tax_code,district,sector,cp_potential`. Bad lines are reported and
/// skipped; the good lines are written in one transaction, and each is answered with the id of
/// the facility it created or updated.
#[utoipa::path(
    post,
    path = "/api/v1/facilities/import",
    operation_id = "import_facilities",
    tag = "registry",
    security(("bearer" = ["admin"])),
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "UTF-8 CSV, header `name,tax_code,district,sector,cp_potential` (a BOM \
            is accepted); `cp_potential` is true/false, 1/0, yes/no or có/không."),
    responses((status = 200, description = "What was imported; bad lines are listed and skipped.",
        body = ImportReport)),
)]
pub async fn import_facilities(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<ImportQuery>,
    Text(body): Text,
) -> Result<axum::Json<ImportReport>, ApiError> {
    let lines = facility_csv::parse(&body).map_err(|error| match error {
        CsvError::Unreadable(_) => ApiError::Malformed(error.to_string()),
        CsvError::WrongHeader => ApiError::invalid("header", error.to_string()),
    })?;
    let write = !query.preview.unwrap_or(false);
    Ok(axum::Json(
        facilities::import(&*state.store, lines, write).await?,
    ))
}

/// The query of `POST /api/v1/facilities/import`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: check every line and answer what would be done, writing nothing.
    preview: Option<bool>,
}

/// `POST /api/v1/people`: registers a person.
#[utoipa::path(
    post,
    path = "/api/v1/people",
    operation_id = "create_person",
    tag = "registry",
    security(("bearer" = ["admin"])),
    request_body = PersonInput,
    responses((status = 201, description = "Registered.", body = super::openapi::Created)),
)]
pub async fn create_person(
    State(state): State<AppState>,
    _: Admin,
    Json(input): Json<PersonInput>,
) -> Result<Created, ApiError> {
    let id = people::create(&*state.store, &input).await?;
    Ok(created(id.0))
}

/// `POST /api/v1/events`: registers an event.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    operation_id = "create_event",
    tag = "registry",
    security(("bearer" = ["admin"])),
    request_body = EventInput,
    responses((status = 201, description = "Registered.", body = super::openapi::Created)),
)]
pub async fn create_event(
    State(state): State<AppState>,
    _: Admin,
    Json(input): Json<EventInput>,
) -> Result<Created, ApiError> {
    let id = events::create(&*state.store, &input).await?;
    Ok(created(id.0))
}

/// `PUT /api/v1/events/{id}`: writes an event's title, kind, start and district again.
#[utoipa::path(
    put,
    path = "/api/v1/events/{id}",
    operation_id = "update_event",
    tag = "registry",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The event.")),
    request_body = EventInput,
    responses((status = 200, description = "Written.", body = super::openapi::Created)),
)]
pub async fn update_event(
    State(state): State<AppState>,
    _: Admin,
    PathId(id): PathId<EventId>,
    Json(input): Json<EventInput>,
) -> Result<axum::Json<Value>, ApiError> {
    events::update(&*state.store, id, &input).await?;
    Ok(axum::Json(json!({ "id": id })))
}

/// `GET /api/v1/events/{id}/attendance`: distinct people, with each one's scans.
#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/attendance",
    operation_id = "event_attendance",
    tag = "registry",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The event.")),
    responses((status = 200, description = "The merged attendance.",
        body = super::openapi::Attendance)),
)]
pub async fn attendance(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<EventId>,
) -> Result<axum::Json<Value>, ApiError> {
    let attendance = state
        .store
        .attendance(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no event {id}")))?;
    let attendees: Vec<Value> = attendance
        .attendees
        .iter()
        .map(|a| {
            json!({
                "person_id": a.person_id,
                "first_scan_at": crate::time::rfc3339_from_ms(a.first_scan_at_ms),
                "scans": a.scans,
                "clock_skewed": a.clock_skewed,
                "revoked_ticket": a.revoked_ticket,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "event_id": attendance.event_id,
        "count": attendees.len(),
        "attendees": attendees,
    })))
}
