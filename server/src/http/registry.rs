//! The registry the administrator keeps: facilities (with CSV import), people, events, and
//! an event's merged attendance. Every write becomes ops under the server's actor, so phones
//! receive it on their next pull.

use super::extract::{Admin, Json, Office, PathId, Text};
use super::problem::ApiError;
use super::AppState;
use crate::store::{RecordEdit, Store};
use axum::extract::State;
use axum::http::StatusCode;
use sachhon_shared::doc::FieldValue;
use sachhon_shared::schema::EVENT_KINDS;
use sachhon_shared::schema::{event, facility, person, Field};
use sachhon_shared::{EventId, FacilityId, PersonId, RecordKind};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

type Created = (StatusCode, axum::Json<Value>);

fn created(id: Uuid) -> Created {
    (StatusCode::CREATED, axum::Json(json!({ "id": id })))
}

/// A required text field's write: the value trimmed, refused when empty.
fn text_field(field: Field, value: &str) -> Result<(String, FieldValue), ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid(
            field.name,
            format!("{} must not be empty", field.name),
        ));
    }
    Ok((field.name.into(), json!(trimmed)))
}

/// A facility as the API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityInput {
    /// Its name.
    #[schema(max_length = 500, pattern = "\\S")]
    name: String,
    /// Its tax code; one facility per tax code.
    #[schema(max_length = 500, pattern = "\\S")]
    tax_code: String,
    /// Its district.
    #[schema(max_length = 500, pattern = "\\S")]
    district: String,
    /// Its industrial sector.
    #[schema(max_length = 500, pattern = "\\S")]
    sector: String,
    /// Whether it has cleaner-production potential.
    cp_potential: bool,
}

impl FacilityInput {
    fn fields(&self) -> Result<Vec<(String, FieldValue)>, ApiError> {
        Ok(vec![
            text_field(facility::NAME, &self.name)?,
            text_field(facility::TAX_CODE, &self.tax_code)?,
            text_field(facility::DISTRICT, &self.district)?,
            text_field(facility::SECTOR, &self.sector)?,
            (facility::CP_POTENTIAL.name.into(), json!(self.cp_potential)),
        ])
    }
}

/// `POST /api/v1/facilities`: registers a facility (409 for a tax code already registered).
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
    let fields = input.fields()?;
    if let Some(existing) = state
        .store
        .facility_by_tax_code(input.tax_code.trim())
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "facility {existing} already has tax code {}; update it through the import",
            input.tax_code.trim()
        )));
    }
    let id = FacilityId::new();
    write(&*state.store, RecordKind::Facility, id.0, fields).await?;
    Ok(created(id.0))
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
/// facility.
///
/// The header is `name,tax_code,district,sector,cp_potential`. Bad lines are reported and
/// skipped; the good lines are written in one transaction.
#[utoipa::path(
    post,
    path = "/api/v1/facilities/import",
    operation_id = "import_facilities",
    tag = "registry",
    security(("bearer" = ["admin"])),
    request_body(content = String, content_type = "text/csv",
        description = "UTF-8 CSV, header `name,tax_code,district,sector,cp_potential` (a BOM \
            is accepted); `cp_potential` is true/false, 1/0, yes/no or có/không."),
    responses((status = 200, description = "What was imported; bad lines are listed and skipped.",
        body = super::openapi::ImportReport)),
)]
pub async fn import_facilities(
    State(state): State<AppState>,
    _: Admin,
    Text(body): Text,
) -> Result<axum::Json<Value>, ApiError> {
    let rows = super::csv_import::parse_facilities(&body)?;
    let mut edits = Vec::new();
    let mut errors = Vec::new();
    let (mut imported, mut updated) = (0, 0);
    let mut seen: HashMap<String, Uuid> = HashMap::new();
    for row in rows {
        let (line, input) = match row {
            Ok(row) => row,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let fields = match input.fields() {
            Ok(fields) => fields,
            Err(error) => {
                errors.push(json!({ "line": line, "message": error_text(&error) }));
                continue;
            }
        };
        let tax_code = input.tax_code.trim().to_string();
        let known = match seen.get(&tax_code) {
            Some(id) => Some(*id),
            None => state
                .store
                .facility_by_tax_code(&tax_code)
                .await?
                .map(|f| f.0),
        };
        let id = match known {
            Some(id) => {
                updated += 1;
                id
            }
            None => {
                imported += 1;
                Uuid::now_v7()
            }
        };
        seen.insert(tax_code, id);
        edits.push(RecordEdit {
            kind: RecordKind::Facility,
            id,
            fields,
        });
    }
    if !edits.is_empty() {
        state.store.write_as_server(&edits).await?;
    }
    Ok(axum::Json(
        json!({ "imported": imported, "updated": updated, "errors": errors }),
    ))
}

fn error_text(error: &ApiError) -> String {
    match error {
        ApiError::Invalid { detail, .. } => detail.clone(),
        other => format!("{other:?}"),
    }
}

/// A person as the API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Full name.
    #[schema(max_length = 500, pattern = "\\S")]
    name: String,
    /// The facility the person works for, if any.
    #[schema(value_type = Option<Uuid>)]
    facility_id: Option<FacilityId>,
    /// Whether the person is dedicated cleaner-production staff.
    cp_staff: bool,
    /// Phone number.
    #[schema(max_length = 500)]
    phone: Option<String>,
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
    let name = text_field(person::NAME, &input.name)?;
    super::registry::ensure_facility(&*state.store, input.facility_id).await?;
    let id = PersonId::new();
    let fields = vec![
        name,
        (person::FACILITY_ID.name.into(), json!(input.facility_id)),
        (person::CP_STAFF.name.into(), json!(input.cp_staff)),
        (person::PHONE.name.into(), json!(input.phone)),
    ];
    write(&*state.store, RecordKind::Person, id.0, fields).await?;
    Ok(created(id.0))
}

/// An event as the API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// Its title.
    #[schema(max_length = 500, pattern = "\\S")]
    title: String,
    /// `awareness` or `training`.
    #[schema(value_type = super::openapi::EventKind)]
    kind: String,
    /// When it starts, RFC 3339 (stored in UTC), years 2000–2099.
    #[schema(format = DateTime)]
    starts_at: String,
    /// Its district.
    #[schema(max_length = 500, pattern = "\\S")]
    district: String,
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
    let title = text_field(event::TITLE, &input.title)?;
    if !EVENT_KINDS.contains(&input.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            format!("kind must be one of {}", EVENT_KINDS.join(", ")),
        ));
    }
    let starts_at = sachhon_shared::timestamp::parse_time(&input.starts_at)
        .map_err(|e| ApiError::invalid("starts_at", e.to_string()))?;
    let district = text_field(event::DISTRICT, &input.district)?;
    let id = EventId::new();
    let fields = vec![
        title,
        (event::KIND.name.into(), json!(input.kind)),
        (
            event::STARTS_AT.name.into(),
            json!(crate::time::rfc3339(starts_at)),
        ),
        district,
    ];
    write(&*state.store, RecordKind::Event, id.0, fields).await?;
    Ok(created(id.0))
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

/// Refuses (422, `facility_id`) a facility id that names no facility.
pub(super) async fn ensure_facility(
    store: &dyn Store,
    facility: Option<FacilityId>,
) -> Result<(), ApiError> {
    match facility {
        Some(id) if !store.record_exists(RecordKind::Facility, id.0).await? => Err(
            ApiError::invalid("facility_id", format!("no facility {id}")),
        ),
        _ => Ok(()),
    }
}

async fn write(
    store: &dyn Store,
    kind: RecordKind,
    id: Uuid,
    fields: Vec<(String, FieldValue)>,
) -> Result<(), ApiError> {
    store
        .write_as_server(&[RecordEdit { kind, id, fields }])
        .await
        .map_err(ApiError::from)
}
