//! The sync endpoints: enrolment, push and pull (docs/sync-protocol.md).

use super::extract::Json;
use crate::auth::callers::{Admin, Device};
use crate::problem::{from_rejection, ApiError};
use crate::service::AppState;
use crate::tokens;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use sachhon_shared::wire::{
    decode_push, EnrollRequest, Enrolment, PushAck, CBOR_MEDIA_TYPE, DEVICE_TIME_HEADER,
    MORE_HEADER, NEXT_HEADER,
};
use sachhon_shared::ActorId;
use serde::Deserialize;
use serde_json::{json, Value};

/// Largest page a pull may ask for.
pub const MAX_PULL_LIMIT: u32 = 5_000;
/// Page size when the pull names none.
const DEFAULT_PULL_LIMIT: u32 = 1_000;

/// `POST /api/v1/enroll`: trades a one-time enrolment token for a new actor and its access
/// token.
#[utoipa::path(
    post,
    path = "/api/v1/enroll",
    operation_id = "enroll",
    tag = "sync",
    security(()),
    request_body = EnrollRequest,
    responses(
        (status = 200, description = "The new enrolment: its actor and access token.", body = Enrolment),
        (status = 404, description = "Unknown enrolment token.", body = super::openapi::Problem,
            content_type = "application/problem+json"),
    ),
)]
pub async fn enroll(
    State(state): State<AppState>,
    Json(request): Json<EnrollRequest>,
) -> Result<axum::Json<Enrolment>, ApiError> {
    let actor = ActorId::new();
    let access_token = tokens::generate();
    let (device_id, principal) = state
        .store
        .enroll(
            &tokens::hash(&request.token),
            actor,
            &tokens::hash(&access_token),
        )
        .await?;
    Ok(axum::Json(Enrolment {
        device_id,
        actor_id: actor,
        access_token,
        role: principal.role,
        facility_id: principal.facility,
        ticket_keys: state.store.ticket_keys().await?,
    }))
}

/// `POST /api/v1/sync/push`: a CBOR batch of the caller's ops, acknowledged after commit.
///
/// The body is protocol v2's CBOR map `{1: actor table, 2: [op, …]}` (docs/sync-protocol.md);
/// a gap in the caller's sequence numbers is answered 409 with `expected_seq`.
#[utoipa::path(
    post,
    path = "/api/v1/sync/push",
    operation_id = "push",
    tag = "sync",
    security(("bearer" = ["device"])),
    request_body(content = super::openapi::Binary, content_type = "application/cbor",
        description = "A CBOR batch of the caller's ops."),
    params(super::openapi::DeviceClock),
    responses(
        (status = 200, description = "Every op up to `acked_through` is durable.", body = PushAck),
    ),
)]
pub async fn push(
    State(state): State<AppState>,
    Device(author): Device,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::Json<PushAck>, ApiError> {
    let body = body.map_err(|e| from_rejection(e.status(), e.body_text()))?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if media_type != CBOR_MEDIA_TYPE {
        return Err(ApiError::UnsupportedMediaType(format!(
            "a push body is {CBOR_MEDIA_TYPE}, not {media_type:?}"
        )));
    }
    let (pusher, ops) = decode_push(&body)
        .map_err(|e| ApiError::Malformed(format!("the push body is not a valid batch: {e}")))?;
    if pusher != author.actor {
        return Err(ApiError::Forbidden(format!(
            "the batch is of actor {pusher}, but this token belongs to actor {}",
            author.actor
        )));
    }
    let ack = state
        .store
        .push(&author, &ops, clock_offset(&headers))
        .await?;
    state.metrics.push_acknowledged(ops.len(), &ack);
    Ok(axum::Json(ack))
}

/// Query of a pull.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The cursor of the previous page's `next`; none for the start.
    after: Option<String>,
    /// Largest page, 1 to 5000 (default 1000).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<u32>,
}

/// `GET /api/v1/sync/pull?after=CURSOR&limit=N`: a CBOR page of changes.
///
/// The page is protocol v2's CBOR map `{1: segments, 2: next, 3: more, 4: ticket keys,
/// 5: arrived, 6: left}` (docs/sync-protocol.md), built from the ops' stored bytes; `next` and
/// `more` are repeated in the `x-sachhon-next` and `x-sachhon-more` headers.
#[utoipa::path(
    get,
    path = "/api/v1/sync/pull",
    operation_id = "pull",
    tag = "sync",
    security(("bearer" = ["device"])),
    params(PullQuery, super::openapi::DeviceClock),
    responses(
        (status = 200, description = "A CBOR page of changes.", body = super::openapi::Binary,
            content_type = "application/cbor"),
    ),
)]
pub async fn pull(
    State(state): State<AppState>,
    Device(author): Device,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid("limit", e.body_text()))?;
    let limit = query.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PULL_LIMIT}"),
        ));
    }
    state
        .store
        .record_contact(author.actor, clock_offset(&headers))
        .await?;
    let page = state
        .store
        .pull(&author, query.after.as_deref().unwrap_or(""), limit)
        .await?;
    state.metrics.pulled(page.body.len());
    // `next` and `more` go in headers too, so that a client can ask for the next page while
    // it reads this one. A cursor is hex digits, a dash and digits; one that were not a
    // header value is left out.
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(CBOR_MEDIA_TYPE),
    );
    if let Ok(next) = HeaderValue::from_str(&page.next) {
        headers.insert(NEXT_HEADER, next);
    }
    headers.insert(
        MORE_HEADER,
        HeaderValue::from_static(if page.more { "true" } else { "false" }),
    );
    Ok((headers, page.body))
}

/// The device's clock minus the server's, from the device-time header, in milliseconds.
fn clock_offset(headers: &HeaderMap) -> Option<i64> {
    let device_ms: i64 = headers
        .get(DEVICE_TIME_HEADER)?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let server_ms =
        i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).ok()?;
    device_ms.checked_sub(server_ms)
}

/// `GET /api/v1/sync/state-hash`: the canonical hash of the server's whole state, to compare
/// with replicas' (`sachhon-device state-hash`).
#[utoipa::path(
    get,
    path = "/api/v1/sync/state-hash",
    operation_id = "state_hash",
    tag = "sync",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The state hash.", body = super::openapi::StateHash)),
)]
pub async fn state_hash(
    State(state): State<AppState>,
    _: Admin,
) -> Result<axum::Json<Value>, ApiError> {
    let hash = state.store.state_hash().await?;
    Ok(axum::Json(json!({ "state_hash": hash })))
}
