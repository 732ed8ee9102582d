//! The OpenAPI 3.1 description of the JSON API, generated from the handlers' `#[utoipa::path]`
//! annotations and the request and response types, served at `GET /api/v1/openapi.json`.
//!
//! The problem responses (400 … 422) and the caller each operation needs are added here, in
//! one place ([`Problems`]), from the shape of each operation, so that no path has to list them.
//! Types that live outside the HTTP layer and are not `ToSchema` (the facility projection, the
//! plan, the progress report, answers built with `json!`) are described by the small
//! documentation-only types below, which mirror what the handlers return.

use super::{checkin, devices, progress, questionnaires, registry, sync};
use axum::http::header;
use axum::response::IntoResponse;
use sachhon_shared::questionnaire::{
    Choice, Definition, Label, Question, QuestionKind, ResponseView, Review,
};
use sachhon_shared::wire::{EnrollRequest, Enrolment, PushAck, Rejection};
use serde_json::{json, Value};
use std::sync::LazyLock;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

/// The description, rendered once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string())
});

/// `GET /api/v1/openapi.json`: this description, for anyone (no token).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of this API.",
        body = Object, content_type = "application/json")),
)]
pub async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

const DESCRIPTION: &str = "The JSON API of the sachhon server: the office's registry \
(devices, facilities, people, events, registrations, questionnaires), check-in, progress \
against the plan's targets, and the phones' sync endpoints (CBOR).

**Authentication.** `Authorization: Bearer TOKEN`, where TOKEN is the admin token or a \
device's access token (from `POST /api/v1/enroll`). The office's web session cookie works \
too (writes then need the CSRF header); it is not described here. Each operation says who \
may call it: *admin* (the admin token or an admin account), *office* (also an office device \
or an office account) or *device* (an enrolled device's token). No or unknown token: 401; \
a token without the right: 403.

**Errors.** Every error, 404 and 405 included, is `application/problem+json` (RFC 9457): \
`type` (`urn:sachhon:problem:SLUG`), `title`, `status`, `detail`, plus `field` when one \
field is at fault and `expected_seq` on a sync gap. A refused request changes nothing. A \
known path with a method it does not take answers 405.

**Limits.** JSON bodies 1 MiB, the CSV import 16 MiB, a sync push 32 MiB (413 above).";

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(title = "sachhon", description = DESCRIPTION),
    paths(
        sync::enroll,
        sync::push,
        sync::pull,
        sync::state_hash,
        devices::create,
        devices::revoke,
        devices::enroll_svg,
        registry::create_facility,
        registry::import_facilities,
        registry::get_facility,
        registry::create_person,
        registry::create_event,
        registry::attendance,
        checkin::register,
        checkin::badges,
        checkin::qr_svg,
        checkin::qr_png,
        checkin::revoke,
        checkin::annul,
        checkin::ticket_keys,
        checkin::rotate_ticket_key,
        checkin::retire_ticket_key,
        questionnaires::create,
        questionnaires::get,
        questionnaires::update,
        questionnaires::responses_csv,
        questionnaires::responses_xlsx,
        questionnaires::response,
        questionnaires::resolve,
        questionnaires::review,
        progress::progress,
        progress::progress_csv,
        progress::progress_xlsx,
        progress::plan,
        progress::update_task,
        document,
    ),
    components(schemas(
        Problem, Label, QuestionKind, Choice, Question, Definition, ResponseView, Review,
        EnrollRequest, Enrolment, PushAck, Rejection, DeviceRole, TicketKey,
    )),
    modifiers(&Problems),
    tags(
        (name = "sync", description = "Enrolment and the phones' push and pull (docs/sync-protocol.md)."),
        (name = "devices", description = "The devices the administrator registers."),
        (name = "registry", description = "Facilities, people, events and attendance."),
        (name = "checkin", description = "Registrations, tickets, badges, scans and ticket keys."),
        (name = "questionnaires", description = "Questionnaires, responses, reviews and exports."),
        (name = "progress", description = "Progress against the plan's targets, and the plan."),
        (name = "meta", description = "This description."),
    ),
)]
pub struct ApiDoc;

/// An error answer, `application/problem+json` (RFC 9457).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `urn:sachhon:problem:SLUG`, e.g. `urn:sachhon:problem:not-found`.
    r#type: String,
    /// The status's reason phrase.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong, for a person.
    detail: String,
    /// The field at fault (422), as a JSON path for nested bodies.
    #[schema(value_type = String, required = false)]
    field: Option<String>,
    /// On a sync gap (409): the sequence number the server expects next.
    #[schema(value_type = u64, required = false)]
    expected_seq: Option<u64>,
}

/// `{"id"}` of a record just made.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Created {
    /// Its id.
    id: Uuid,
}

/// The role of a device.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DeviceRole {
    /// A trainer's phone: scans badges and registers walk-ins.
    Trainer,
    /// An enterprise's phone: answers its own facility's questionnaires.
    Enterprise,
    /// An office phone or tablet.
    Office,
}

/// The kind of an event.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum EventKind {
    /// An awareness workshop.
    Awareness,
    /// A training event (its dedicated staff count as trained).
    Training,
}

/// The office's review of a response.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ReviewState {
    /// Seen.
    Received,
    /// Needs changes (a comment says which).
    HasIssues,
    /// Approved.
    Approved,
}

/// The status of a plan task.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TaskStatus {
    /// Not started.
    NotStarted,
    /// In progress.
    InProgress,
    /// Done.
    Done,
}

/// A device just registered, with its first one-time enrolment token.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeviceCreated {
    /// The device.
    id: Uuid,
    /// A one-time enrolment token (`POST /api/v1/enroll`).
    token: String,
}

/// A facility as the registry holds it (fields in conflict show their first value).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Facility {
    /// Its id.
    id: Uuid,
    /// Its name.
    #[schema(required = true)]
    name: Option<String>,
    /// Its tax code, the natural key of imports.
    #[schema(required = true)]
    tax_code: Option<String>,
    /// Its district.
    #[schema(required = true)]
    district: Option<String>,
    /// Its industrial sector.
    #[schema(required = true)]
    sector: Option<String>,
    /// Whether it has cleaner-production potential.
    cp_potential: bool,
}

/// What a facility import did.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportReport {
    /// Facilities created.
    imported: u64,
    /// Facilities updated (a known tax code).
    updated: u64,
    /// The lines skipped, and why.
    errors: Vec<ImportError>,
}

/// A line of the import that was skipped.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportError {
    /// Its line number (the header is line 1).
    line: u64,
    /// What is wrong with it.
    message: String,
}

/// An event's merged attendance.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Attendance {
    /// The event.
    event_id: Uuid,
    /// Distinct people who attended.
    count: u64,
    /// The attendees, by first scan.
    attendees: Vec<Attendee>,
}

/// One attendee of an event.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Attendee {
    /// The person.
    person_id: Uuid,
    /// The phone's clock at the first scan, RFC 3339.
    first_scan_at: String,
    /// Scans that were `ok` or `duplicate` on any phone, walk-ins included.
    scans: i64,
    /// A scan came from a device whose clock was off by more than five minutes.
    clock_skewed: bool,
    /// A scan admitted a ticket that had been revoked.
    revoked_ticket: bool,
}

/// A registration and its ticket text.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Registered {
    /// The registration.
    id: Uuid,
    /// The ticket text the QR code encodes (docs/tickets.md).
    qr: String,
}

/// A revoked registration.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Revoked {
    /// The registration.
    id: Uuid,
    /// Always true.
    revoked: bool,
}

/// An annulment just recorded.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Annulled {
    /// The annulment.
    id: Uuid,
    /// The scan that stops counting.
    scan_id: Uuid,
}

/// A public ticket key.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TicketKey {
    /// The key id: the first four bytes of the SHA-256 of the public key, in hex.
    id: String,
    /// The Ed25519 public key, in hex.
    public_key: String,
    /// A retired key no longer admits anyone.
    retired: bool,
}

/// Every ticket key.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TicketKeys {
    /// The keys, retired ones marked.
    keys: Vec<TicketKey>,
}

/// The id of a new ticket key.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct KeyId {
    /// The key id, in hex.
    id: String,
}

/// A questionnaire's version just published.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Published {
    /// The questionnaire.
    id: Uuid,
    /// Its newest version (1 for a new questionnaire).
    version: u32,
}

/// The newest version of a questionnaire.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct QuestionnaireVersion {
    /// The questionnaire.
    id: Uuid,
    /// Its newest version.
    version: u32,
    /// That version's definition.
    definition: Definition,
}

/// The canonical hash of the server's whole state.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StateHash {
    /// Comparable with `sachhon-device state-hash`.
    state_hash: String,
}

/// Progress as of a date (CONTRACT.md's progress answer).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProgressReport {
    /// The date, `YYYY-MM-DD`.
    as_of: String,
    /// The milestone measured against, `YYYY-MM-DD`.
    milestone: String,
    /// Province-wide (or the requested district's) indicators.
    indicators: Vec<Indicator>,
    /// Per district: the plan's districts first, then any other district in the data.
    by_district: Vec<DistrictProgress>,
}

/// The key of an indicator.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum IndicatorKey {
    /// Facilities with CP potential that are aware.
    Awareness,
    /// Facilities with CP potential applying CP with savings at the floor or above.
    Adoption,
    /// Dedicated CP staff trained.
    StaffTrained,
}

/// One indicator of an area.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Indicator {
    /// Which indicator.
    key: IndicatorKey,
    /// Numerator.
    numerator: u64,
    /// Denominator.
    denominator: u64,
    /// numerator ÷ denominator; `null` when the denominator is 0.
    #[schema(required = true)]
    value: Option<f64>,
    /// The milestone's target.
    target: f64,
    /// Whether the value reaches the target.
    met: bool,
    /// The savings floor, percent (adoption only).
    #[schema(value_type = f64, required = false)]
    min_savings_pct: Option<f64>,
}

/// One district's indicators.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DistrictProgress {
    /// The district.
    district: String,
    /// Its indicators.
    indicators: Vec<Indicator>,
}

/// The programme plan: milestones with targets, and the appendix's tasks.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Plan {
    /// The province.
    province: String,
    /// The decision that set the targets.
    decision: String,
    /// Districts always reported, in this order.
    districts: Vec<String>,
    /// Milestones, in date order.
    milestones: Vec<Milestone>,
    /// The appendix's tasks.
    tasks: Vec<PlanTask>,
}

/// Targets to reach by a date.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Milestone {
    /// `YYYY-MM-DD`.
    date: String,
    /// Share of facilities with CP potential that are aware.
    awareness: f64,
    /// Share of facilities with CP potential applying CP with savings at the floor or above.
    adoption: f64,
    /// The savings floor, percent per unit of product.
    min_savings_pct: f64,
    /// The savings band's upper bound.
    max_savings_pct: f64,
    /// Share of dedicated CP staff trained.
    staff_trained: f64,
}

/// A task of the plan's appendix, with the office's follow-up.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PlanTask {
    /// Its number in the appendix.
    number: u32,
    /// What is to be done.
    content: String,
    /// The agency in charge.
    lead_agency: String,
    /// The agencies that coordinate.
    coordinating_agencies: String,
    /// When, as the decision words it.
    deadline: String,
    /// `not_started`, `in_progress` or `done`.
    status: String,
    /// The office's note.
    note: String,
}

/// A task's follow-up as recorded.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TaskFollowUp {
    /// The task's number.
    number: u32,
    /// `not_started`, `in_progress` or `done`.
    status: String,
    /// The office's note.
    note: String,
}

/// The header by which a device reports its clock on a push or pull.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct DeviceClock {
    /// The device's clock, milliseconds since the Unix epoch: the server records the offset
    /// and flags scans of a skewed device.
    #[param(rename = "x-sachhon-device-time", value_type = i64, required = false)]
    device_time: Option<i64>,
}

/// A binary body (CBOR, PNG, XLSX).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Binary(Vec<u8>);

/// The problem responses, by status: name in `components.responses` and description.
const PROBLEMS: [(&str, &str, &str); 9] = [
    (
        "400",
        "Malformed",
        "Malformed: the body does not parse (JSON syntax, not CBOR), or a bad cursor.",
    ),
    ("401", "Unauthorized", "No or unknown bearer token."),
    ("403", "Forbidden", "The token does not allow this."),
    (
        "404",
        "NotFound",
        "Unknown id or path (an id that does not parse is unknown too).",
    ),
    (
        "405",
        "MethodNotAllowed",
        "A known path with a method it does not take.",
    ),
    (
        "409",
        "Conflict",
        "Conflicts with the stored state: a sync gap (`expected_seq`), an enrolment token \
         already used, a tax code already registered, a scan already annulled, the last \
         active ticket key, …",
    ),
    ("413", "TooLarge", "The body is over the route's limit."),
    (
        "415",
        "UnsupportedMediaType",
        "Wrong `Content-Type` (JSON bodies need `application/json`, a push \
         `application/cbor`).",
    ),
    (
        "422",
        "Invalid",
        "Well-formed but invalid: a missing field, a wrong type, an empty name, an unknown \
         kind, a time outside 2000–2099, … (`field` names the culprit).",
    ),
];

/// Adds the bearer scheme, the problem responses every operation may give (by its shape:
/// a body, path or query parameters, a token, a write) and who may call it.
pub struct Problems;

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The admin token, or a device's access token from enrolment.",
                    ))
                    .build(),
            ),
        );
        for (_, name, description) in PROBLEMS {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", content)
                .build();
            components
                .responses
                .insert(name.to_string(), RefOr::T(response));
        }
        refine_enrolment(components);
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                (false, &mut item.get),
                (true, &mut item.post),
                (true, &mut item.put),
                (true, &mut item.delete),
            ];
            for (write, operation) in operations {
                if let Some(operation) = operation.as_mut() {
                    tidy_summary(operation);
                    optional_body(operation);
                    add_problems(operation, write);
                    add_callers(operation);
                }
            }
        }
    }
}

/// `Enrolment` lives in `sachhon-shared`, whose `Role` and `TicketKey` are not `ToSchema`:
/// its `role` and `ticket_keys` point at their descriptions here.
fn refine_enrolment(components: &mut utoipa::openapi::Components) {
    if let Some(RefOr::T(Schema::Object(enrolment))) = components.schemas.get_mut("Enrolment") {
        enrolment
            .properties
            .insert("role".into(), Ref::from_schema_name("DeviceRole").into());
        enrolment.properties.insert(
            "ticket_keys".into(),
            ArrayBuilder::new()
                .items(Ref::from_schema_name("TicketKey"))
                .into(),
        );
    }
}

/// The problem statuses an operation can answer, from its shape.
fn problem_statuses(operation: &Operation, write: bool) -> Vec<&'static str> {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let in_path = parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let in_query = parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let body_types: Vec<&str> = operation
        .request_body
        .iter()
        .flat_map(|body| body.content.keys().map(String::as_str))
        .collect();
    let has_body = !body_types.is_empty();
    let checks_type = body_types
        .iter()
        .any(|t| *t == "application/json" || *t == "application/cbor");
    let secured = roles(operation).is_some_and(|roles| !roles.is_empty());
    let mut statuses = Vec::new();
    if has_body || in_path || in_query {
        statuses.push("400");
    }
    if secured {
        statuses.extend(["401", "403"]);
    }
    if in_path {
        statuses.push("404");
    }
    if write {
        statuses.push("409");
    }
    if has_body {
        statuses.push("413");
    }
    if checks_type {
        statuses.push("415");
    }
    if has_body || in_query {
        statuses.push("422");
    }
    statuses
}

fn add_problems(operation: &mut Operation, write: bool) {
    for status in problem_statuses(operation, write) {
        let Some((_, name, _)) = PROBLEMS.iter().find(|(code, _, _)| *code == status) else {
            continue;
        };
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
    }
}

/// The roles (scopes of the `bearer` requirement) an operation names; `None` when it has no
/// security requirement of its own.
fn roles(operation: &Operation) -> Option<Vec<String>> {
    let security = operation.security.as_ref()?;
    let mut roles = Vec::new();
    for requirement in security {
        if let Ok(Value::Object(map)) = serde_json::to_value(requirement) {
            for scopes in map.values() {
                roles.extend(
                    scopes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string),
                );
            }
        }
    }
    Some(roles)
}

/// The summary is the handler's first doc paragraph, "`METHOD PATH`: what it does": keep
/// what it does, on one line.
fn tidy_summary(operation: &mut Operation) {
    let Some(summary) = operation.summary.take() else {
        return;
    };
    let text = summary
        .split_once("`: ")
        .filter(|(head, _)| head.starts_with('`'))
        .map_or(summary.as_str(), |(_, rest)| rest);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = text.chars();
    operation.summary = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect());
}

/// A body declared as `Option<T>` is one that may be left out, not a JSON `null`: its
/// schema is `T` and it is not required.
fn optional_body(operation: &mut Operation) {
    let Some(body) = operation.request_body.as_mut() else {
        return;
    };
    for content in body.content.values_mut() {
        let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else {
            continue;
        };
        let is_null = |item: &RefOr<Schema>| {
            matches!(item, RefOr::T(Schema::Object(object))
                if object.schema_type == SchemaType::Type(Type::Null))
        };
        if let [first, second] = one_of.items.as_slice() {
            let inner = match (is_null(first), is_null(second)) {
                (true, false) => second.clone(),
                (false, true) => first.clone(),
                _ => continue,
            };
            content.schema = Some(inner);
            body.required = Some(Required::False);
        }
    }
}

fn add_callers(operation: &mut Operation) {
    let who = match roles(operation) {
        Some(roles) if !roles.is_empty() => roles.join(", "),
        _ => "anyone, no token".to_string(),
    };
    let description = operation.description.take().unwrap_or_default();
    let separator = if description.is_empty() { "" } else { "\n\n" };
    operation.description = Some(format!("{description}{separator}**Who:** {who}."));
}
