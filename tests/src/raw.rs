//! A device that speaks the sync protocol by hand, for tests that must send what a
//! well-behaved phone never would: replays, gaps, other actors' ops, malformed bodies.

use anyhow::Context;
use reqwest::StatusCode;
use sachhon_shared::op::{ScanFact, ScanStatus};
use sachhon_shared::replica::Replica;
use sachhon_shared::wire::{decode_page, encode_push, EnrollRequest, Enrolment, CBOR_MEDIA_TYPE};
use sachhon_shared::{ActorId, EventId, Op, PersonId, RecordKind, RegistrationId};
use serde_json::{json, Value};
use uuid::Uuid;

/// The phone time of a raw device's walk-ins (2025-11-29).
pub const SCANNED_AT_MS: i64 = 1_764_400_000_000;

/// An enrolled actor whose ops are made in memory and pushed as raw CBOR.
pub struct RawDevice {
    /// The enrolment's actor id.
    pub actor: ActorId,
    /// Its access token.
    pub token: String,
    base: String,
    http: reqwest::Client,
    replica: Replica,
    next_seq: u64,
}

impl RawDevice {
    /// Enrols with a one-time token over HTTP.
    pub async fn enroll(base: &str, enrolment_token: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{base}/api/v1/enroll"))
            .json(&EnrollRequest {
                token: enrolment_token.to_string(),
            })
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == StatusCode::OK,
            "enrol answered {}",
            response.status()
        );
        let enrolment: Enrolment = serde_json::from_slice(&response.bytes().await?)?;
        Ok(Self {
            actor: enrolment.actor_id,
            token: enrolment.access_token,
            base: base.to_string(),
            http,
            replica: Replica::new(),
            next_seq: 1,
        })
    }

    /// A walk-in as a phone makes it: person, registration, scan (three ops).
    pub fn walk_in(&mut self, event: &str, name: &str) -> anyhow::Result<Vec<Op>> {
        let event: EventId = event.parse().context("event id")?;
        let ops = walk_in_ops(
            &mut self.replica,
            self.actor,
            self.next_seq,
            event,
            name,
            SCANNED_AT_MS,
        );
        self.next_seq += ops.len() as u64;
        Ok(ops)
    }

    /// A scan of a registration at a given phone time (ms since the epoch).
    pub fn scan(
        &mut self,
        event: EventId,
        registration: RegistrationId,
        person: PersonId,
        at_ms: i64,
    ) -> Op {
        let fact = ScanFact {
            event,
            registration,
            person: Some(person),
            operator: None,
            scanned_at_ms: at_ms,
            status: ScanStatus::Ok,
            walk_in: false,
        };
        let seq = self.take_seq();
        self.replica.scan(self.actor, seq, Uuid::now_v7(), fact)
    }

    /// The annulment of a scan.
    pub fn annul(&mut self, scan: Uuid) -> Op {
        let seq = self.take_seq();
        let annulment = sachhon_shared::Annulment {
            scan: sachhon_shared::ScanId(scan),
            reason: None,
        };
        let op = Op {
            actor: self.actor,
            seq,
            kind: RecordKind::Annulment,
            record: Uuid::now_v7(),
            change: sachhon_shared::Change::Annul(annulment),
        };
        self.replica.absorb(std::slice::from_ref(&op));
        op
    }

    /// Any document edit under this actor.
    pub fn write(&mut self, kind: RecordKind, id: Uuid, fields: Vec<(String, Value)>) -> Op {
        let seq = self.take_seq();
        self.replica.write(self.actor, seq, kind, id, fields)
    }

    /// Applies ops pulled from the server to this device's in-memory replica, as a phone does.
    pub fn absorb(&mut self, ops: &[Op]) {
        self.replica.absorb(ops);
    }

    /// The canonical hash of this device's replica.
    pub fn state_hash(&self) -> String {
        self.replica.state_hash()
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Pulls every page after the start; returns all ops received.
    pub async fn pull_all(&self) -> anyhow::Result<Vec<Op>> {
        Ok(self.pull_after("").await?.0)
    }

    /// Pulls every page after `after`; returns the ops and the cursor to continue from.
    pub async fn pull_after(&self, after: &str) -> anyhow::Result<(Vec<Op>, String)> {
        let mut after = after.to_string();
        let mut ops = Vec::new();
        loop {
            let response = self
                .http
                .get(format!("{}/api/v1/sync/pull", self.base))
                .query(&[("after", after.as_str()), ("limit", "1000")])
                .bearer_auth(&self.token)
                .send()
                .await?;
            anyhow::ensure!(
                response.status() == StatusCode::OK,
                "pull answered {}",
                response.status()
            );
            let page = decode_page(&response.bytes().await?)?;
            ops.extend(page.ops);
            after = page.next;
            if !page.more {
                return Ok((ops, after));
            }
        }
    }

    /// Pushes ops (all of one actor, this device's or, to forge, another's) as a v2 batch;
    /// returns the status and the JSON answer.
    pub async fn push(&self, ops: &[Op]) -> anyhow::Result<(StatusCode, Value)> {
        self.push_bytes(push_body(ops), CBOR_MEDIA_TYPE).await
    }

    /// Pushes any body with any content type.
    pub async fn push_bytes(
        &self,
        body: Vec<u8>,
        content_type: &str,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .http
            .post(format!("{}/api/v1/sync/push", self.base))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let json = serde_json::from_slice(&response.bytes().await?).unwrap_or(Value::Null);
        Ok((status, json))
    }
}

/// The body of a push of `ops` (of media type [`CBOR_MEDIA_TYPE`]), as [`RawDevice::push`]
/// sends it, for tests that send it some other way (compressed, cut short, …).
pub fn push_body(ops: &[Op]) -> Vec<u8> {
    let author = ops.first().map_or_else(ActorId::new, |op| op.actor);
    encode_push(author, ops)
}

/// A walk-in as a phone makes it, under `actor` from sequence number `seq`: a person (no
/// facility), their registration for `event`, and the scan at `scanned_at_ms` — three ops,
/// applied to `replica`.
pub fn walk_in_ops(
    replica: &mut Replica,
    actor: ActorId,
    seq: u64,
    event: EventId,
    name: &str,
    scanned_at_ms: i64,
) -> Vec<Op> {
    let (person, registration) = (PersonId::new(), RegistrationId::new());
    let person_fields = vec![
        ("name".into(), json!(name)),
        ("facility_id".into(), Value::Null),
        ("cp_staff".into(), json!(false)),
    ];
    let registration_fields = vec![
        ("event_id".into(), json!(event.to_string())),
        ("person_id".into(), json!(person.to_string())),
    ];
    let fact = ScanFact {
        event,
        registration,
        person: Some(person),
        operator: None,
        scanned_at_ms,
        status: ScanStatus::Ok,
        walk_in: true,
    };
    vec![
        replica.write(actor, seq, RecordKind::Person, person.0, person_fields),
        replica.write(
            actor,
            seq + 1,
            RecordKind::Registration,
            registration.0,
            registration_fields,
        ),
        replica.scan(actor, seq + 2, Uuid::now_v7(), fact),
    ]
}
