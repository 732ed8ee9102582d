//! A small in-process sync server that follows the protocol's rules with the shared
//! [`Replica`], plus knobs to misbehave: lose acknowledgements, refuse large bodies, answer
//! replays with a gap, refuse answers one by one. It hands out a ticket key ring, publishes
//! questionnaires under its own actor and records the device times it is told. Like the real
//! server, it reads zstd push bodies, answers pulls in zstd to clients that accept it (saying
//! which of the caller's ops it holds), and it records the content codings used.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sachhon_shared::authority::Role;
use sachhon_shared::replica::Replica;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::wire::{
    self, EnrollRequest, Enrolment, PageBuilder, PushAck, Rejection, DEVICE_TIME_HEADER,
    ENROLL_PATH, PULL_PATH, PUSH_PATH,
};
use sachhon_shared::{ActorId, Change, DeviceId, Edit, Op, Publication, RecordKind};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Ways for the fake server to misbehave.
#[derive(Default, Clone)]
pub struct Knobs {
    /// Answer a push whose first op is not the next expected one with a 409 gap, instead of
    /// acknowledging the replayed prefix again.
    pub strict: bool,
    /// Refuse pushes of more ops than this with 413.
    pub max_ops: Option<usize>,
    /// Commit this many pushes but answer them with 503, as if the acknowledgement was lost.
    pub lose_acks: u32,
    /// The ticket key ring handed out at enrolment and with every pull page.
    pub ticket_keys: Vec<TicketKey>,
    /// Refuse, one by one, every new response op that writes this answer: acknowledged and
    /// listed in the acknowledgement's `rejected`, but neither applied nor passed on.
    pub reject_answer: Option<String>,
}

#[derive(Default)]
struct Inner {
    replica: Replica,
    last: HashMap<ActorId, u64>,
    log: Vec<Op>,
    knobs: Knobs,
    pushes: u32,
    /// The device-time header of every push and pull, in order (`None` when missing).
    device_times: Vec<Option<i64>>,
    /// The `Content-Encoding` of every push, in order (`None` when missing).
    push_codings: Vec<Option<String>>,
    /// The `Accept-Encoding` of every pull, in order (`None` when missing).
    pull_accepts: Vec<Option<String>>,
    /// The server's own actor, for publications.
    server: ActorId,
}

/// A running fake server; stops when dropped.
pub struct FakeServer {
    /// Its address, `http://127.0.0.1:PORT`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Shared = Arc<Mutex<Inner>>;

fn lock(inner: &Shared) -> MutexGuard<'_, Inner> {
    inner
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeServer {
    /// Starts a server on a free port.
    pub async fn start(knobs: Knobs) -> Self {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            knobs,
            server: ActorId::new(),
            ..Inner::default()
        }));
        let app = Router::new()
            .route(ENROLL_PATH, post(enroll))
            .route(PUSH_PATH, post(push))
            .route(PULL_PATH, get(pull))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serves");
        });
        Self { url, inner, task }
    }

    /// The server replica's state hash.
    pub fn state_hash(&self) -> String {
        lock(&self.inner).replica.state_hash()
    }

    /// How many pushes it received.
    pub fn pushes(&self) -> u32 {
        lock(&self.inner).pushes
    }

    /// The device times reported by every push and pull so far.
    pub fn device_times(&self) -> Vec<Option<i64>> {
        lock(&self.inner).device_times.clone()
    }

    /// The `Content-Encoding` of every push so far (`None`: sent as it is).
    pub fn push_codings(&self) -> Vec<Option<String>> {
        lock(&self.inner).push_codings.clone()
    }

    /// The `Accept-Encoding` of every pull so far.
    pub fn pull_accepts(&self) -> Vec<Option<String>> {
        lock(&self.inner).pull_accepts.clone()
    }

    /// Changes the knobs.
    pub fn set_knobs(&self, knobs: Knobs) {
        lock(&self.inner).knobs = knobs;
    }

    /// Publishes a questionnaire version as the server's own op (phones receive it on pull);
    /// returns its record id.
    pub fn publish(&self, publication: Publication) -> uuid::Uuid {
        let mut inner = lock(&self.inner);
        let actor = inner.server;
        let seq = inner.last.get(&actor).copied().unwrap_or(0) + 1;
        let op = Op {
            actor,
            seq,
            kind: RecordKind::Questionnaire,
            record: uuid::Uuid::now_v7(),
            change: Change::Publish(publication),
        };
        inner
            .replica
            .receive(actor, std::slice::from_ref(&op))
            .expect("in order");
        inner.last.insert(actor, seq);
        let record = op.record;
        inner.log.push(op);
        record
    }

    /// Pretends the server lost `actor`'s whole history (a restore from an old backup).
    pub fn forget(&self, actor: ActorId) {
        let mut inner = lock(&self.inner);
        inner.last.remove(&actor);
        let kept: Vec<Op> = inner
            .log
            .iter()
            .filter(|op| op.actor != actor)
            .cloned()
            .collect();
        inner.log = kept;
        let mut replica = Replica::new();
        let mut by_actor: HashMap<ActorId, Vec<Op>> = HashMap::new();
        for op in &inner.log {
            by_actor.entry(op.actor).or_default().push(op.clone());
        }
        for (actor, ops) in by_actor {
            replica.receive(actor, &ops).expect("in order");
        }
        inner.replica = replica;
    }
}

fn problem(status: StatusCode, detail: &str, extra: Option<(&str, u64)>) -> Response {
    let mut body = json!({"type": "about:blank", "title": status.canonical_reason(), "status": status.as_u16(), "detail": detail});
    if let Some((key, value)) = extra {
        body[key] = json!(value);
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<ActorId> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .parse()
        .ok()
}

fn device_time(headers: &HeaderMap) -> Option<i64> {
    headers.get(DEVICE_TIME_HEADER)?.to_str().ok()?.parse().ok()
}

fn text_header(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    Some(headers.get(name)?.to_str().ok()?.to_string())
}

/// A push body decoded from its content coding (none or zstd), or why it is refused.
fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, (StatusCode, &'static str)> {
    match text_header(headers, header::CONTENT_ENCODING).as_deref() {
        None | Some("identity") => Ok(body.to_vec()),
        Some("zstd") => {
            zstd::decode_all(body).map_err(|_| (StatusCode::BAD_REQUEST, "corrupt zstd body"))
        }
        Some(_) => Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "unknown content coding")),
    }
}

async fn enroll(State(inner): State<Shared>, Json(request): Json<EnrollRequest>) -> Response {
    if request.token != "good" {
        return problem(StatusCode::UNAUTHORIZED, "unknown enrolment token", None);
    }
    let actor_id = ActorId::new();
    Json(Enrolment {
        device_id: DeviceId::new(),
        actor_id,
        access_token: actor_id.to_string(),
        role: Role::Trainer,
        facility_id: None,
        ticket_keys: lock(&inner).knobs.ticket_keys.clone(),
    })
    .into_response()
}

async fn push(State(inner): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(actor) = bearer(&headers) else {
        return problem(StatusCode::UNAUTHORIZED, "no token", None);
    };
    lock(&inner)
        .push_codings
        .push(text_header(&headers, header::CONTENT_ENCODING));
    let body = match decode_body(&headers, &body) {
        Ok(body) => body,
        Err((status, detail)) => return problem(status, detail, None),
    };
    let Ok((author, ops)) = wire::decode_push(&body) else {
        return problem(StatusCode::BAD_REQUEST, "not a push", None);
    };
    if author != actor {
        return problem(StatusCode::FORBIDDEN, "foreign actor", None);
    }
    let mut inner = lock(&inner);
    inner.pushes += 1;
    inner.device_times.push(device_time(&headers));
    if inner.knobs.max_ops.is_some_and(|max| ops.len() > max) {
        return problem(StatusCode::PAYLOAD_TOO_LARGE, "too many ops", None);
    }
    let last = inner.last.get(&actor).copied().unwrap_or(0);
    let first = ops.first().map(|op| op.seq);
    if inner.knobs.strict && first.is_some_and(|first| first != last + 1) {
        return problem(
            StatusCode::CONFLICT,
            "gap",
            Some(("expected_seq", last + 1)),
        );
    }
    let (ops, rejected) = refuse_answers(&ops, last, inner.knobs.reject_answer.as_deref());
    let acked = match inner.replica.receive(actor, &ops) {
        Ok(acked) => acked,
        Err(gap) => {
            return problem(
                StatusCode::CONFLICT,
                "gap",
                Some(("expected_seq", gap.expected)),
            )
        }
    };
    let new: Vec<Op> = ops.into_iter().filter(|op| op.seq > last).collect();
    let applied = new.len() as u64;
    let refused: Vec<_> = rejected.iter().map(|r| r.seq).collect();
    inner
        .log
        .extend(new.into_iter().filter(|op| !refused.contains(&op.seq)));
    inner.last.insert(actor, acked);
    if inner.knobs.lose_acks > 0 {
        inner.knobs.lose_acks -= 1;
        return problem(StatusCode::SERVICE_UNAVAILABLE, "ack lost", None);
    }
    Json(PushAck {
        acked_through: acked,
        applied,
        rejected,
    })
    .into_response()
}

/// The batch as the replica should receive it, and the rejections: a refused new op keeps
/// its place in the actor's order but changes nothing (its fields are emptied).
fn refuse_answers(ops: &[Op], last: u64, answer: Option<&str>) -> (Vec<Op>, Vec<Rejection>) {
    let Some(answer) = answer else {
        return (ops.to_vec(), Vec::new());
    };
    let mut rejected = Vec::new();
    let ops = ops
        .iter()
        .map(|op| {
            let refuse = op.seq > last
                && op.kind == RecordKind::Response
                && op.field_values().iter().any(|(key, _)| *key == answer);
            if !refuse {
                return op.clone();
            }
            rejected.push(Rejection {
                seq: op.seq,
                record: op.record,
                field: answer.to_string(),
                message: "refused by the test server".into(),
            });
            Op {
                change: Change::Fields(Edit {
                    context: Default::default(),
                    fields: Vec::new(),
                }),
                ..op.clone()
            }
        })
        .collect();
    (ops, rejected)
}

async fn pull(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(actor) = bearer(&headers) else {
        return problem(StatusCode::UNAUTHORIZED, "no token", None);
    };
    let after: usize = query.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let mut inner = lock(&inner);
    inner.device_times.push(device_time(&headers));
    let accept = text_header(&headers, header::ACCEPT_ENCODING);
    inner.pull_accepts.push(accept.clone());
    let mut page = PageBuilder::new();
    let (mut taken, mut next) = (0, after.min(inner.log.len()));
    while next < inner.log.len() && taken < limit {
        let op = &inner.log[next];
        if op.actor != actor {
            let (actors, mut encoded) = wire::ops::encode_ops(op.actor, std::slice::from_ref(op));
            page.op(&actors.to_bytes(), encoded.remove(0));
            taken += 1;
        }
        next += 1;
    }
    let more = next < inner.log.len();
    page.acked(inner.last.get(&actor).copied().unwrap_or(0));
    let body = page.finish(&next.to_string(), more, &inner.knobs.ticket_keys);
    if accept.is_some_and(|accept| accept.split(',').any(|coding| coding.trim() == "zstd")) {
        let compressed = zstd::bulk::compress(&body, 3).expect("compresses");
        return (
            [
                (header::CONTENT_TYPE, wire::CBOR_MEDIA_TYPE),
                (header::CONTENT_ENCODING, "zstd"),
            ],
            compressed,
        )
            .into_response();
    }
    ([(header::CONTENT_TYPE, wire::CBOR_MEDIA_TYPE)], body).into_response()
}
