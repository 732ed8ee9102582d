//! The OpenAPI 3.1 description of the JSON API, generated from the handlers' `#[utoipa::path]`
//! annotations and the request and response types, served at `GET /api/v1/openapi.json`.
//!
//! The problem responses (400 … 422) and the caller each operation needs are added here, in
//! one place ([`Problems`]), from the shape of each operation, so that no path has to list them.
//! Types that live outside the HTTP layer and are not `ToSchema` (the facility projection, the
//! plan, the progress report, answers built with `json!`) are described by the small
//! documentation-only types below, which mirror what the handlers return.

mod schemas;

pub use schemas::*;

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
use utoipa::{Modify, OpenApi};

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

**Limits.** JSON bodies 1 MiB, an XLSForm 4 MiB, the CSV import 16 MiB, a sync push 32 MiB \
(413 above).";

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
        devices::set_assignments,
        registry::list_districts,
        registry::add_district,
        registry::create_facility,
        registry::list_facilities,
        registry::import_facilities,
        registry::get_facility,
        registry::create_person,
        registry::create_event,
        registry::update_event,
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
        questionnaires::import_xlsform,
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
        (name = "devices", description = "The devices the administrator registers, and the events a trainer device is assigned."),
        (name = "registry", description = "Facilities, people, events and attendance."),
        (name = "checkin", description = "Registrations, tickets, badges, scans and ticket keys."),
        (name = "questionnaires", description = "Questionnaires, responses, reviews and exports."),
        (name = "progress", description = "Progress against the plan's targets, and the plan."),
        (name = "meta", description = "This description."),
    ),
)]
pub struct ApiDoc;

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
