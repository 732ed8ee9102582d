//! [`Device`]: one field phone — its replica in a home directory, its enrolment, its local
//! actions (check-in, walk-ins, questionnaire answers) and its sync. The `sachhon-device`
//! binary is a thin layer over this.

use crate::checkin::{self, operator_name, require_write, AnnulResult, ScanRequest, ScanResult};
use crate::client::{normalize_server_url, Client};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::responses::{self, AnswerRequest, LocalResponse};
use crate::store::{LocalTx, Store};
use crate::sync::{self, SyncReport, MAX_PUSH_BATCH};
use sachhon_shared::authority::{Role, Scope};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::op::ScanStatus;
use sachhon_shared::schema::{person, registration};
use sachhon_shared::wire::Enrolment;
use sachhon_shared::{
    ActorId, DeviceId, EventId, FacilityId, PersonId, QuestionnaireId, RecordKind, RegistrationId,
    ResponseId, ScanFact, ScanId,
};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use uuid::Uuid;

/// Tuning of a [`Device`]; the defaults suit a phone.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long one HTTP request may take before the device counts as offline.
    pub request_timeout: Duration,
    /// The most ops per push (capped at 1000, the protocol's limit).
    pub push_batch: usize,
    /// The most ops per pull page asked for.
    pub pull_limit: u32,
    /// For testing: milliseconds added to the system clock, for scan, walk-in and answer
    /// times and for the device time reported to the server (0 on a real phone).
    pub clock_offset_ms: i64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            push_batch: MAX_PUSH_BATCH,
            pull_limit: 1000,
            clock_offset_ms: 0,
        }
    }
}

/// What a walk-in created: a person, their registration for the event, and their check-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WalkIn {
    /// The new person.
    pub person_id: PersonId,
    /// The new registration.
    pub registration_id: RegistrationId,
    /// The check-in scan.
    pub scan_id: ScanId,
}

/// The device's enrolment and queue, for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Whether the device is enrolled.
    pub enrolled: bool,
    /// The server it syncs with.
    pub server_url: Option<String>,
    /// The registered device.
    pub device_id: Option<DeviceId>,
    /// The actor its ops are written under.
    pub actor_id: Option<ActorId>,
    /// Its role.
    pub role: Option<Role>,
    /// The facility of an enterprise device.
    pub facility_id: Option<FacilityId>,
    /// Local ops not yet acknowledged.
    pub outbox: u64,
    /// The sequence number of the next local op.
    pub next_seq: Option<u64>,
    /// The server cursor after the last applied pull page ('' before the first).
    pub cursor: String,
    /// The ticket keys held for checking tickets offline, retired ones included.
    pub ticket_keys: u64,
    /// Whether the enrolment trusts a private CA (`enroll --ca-cert`) besides the public
    /// roots.
    pub private_ca: bool,
}

/// One field phone. Cheap to clone; clones share the replica, and syncs (and enrolments) of
/// clones run one at a time.
#[derive(Clone)]
pub struct Device {
    home: PathBuf,
    pub(crate) store: Store,
    client: Client,
    clock: Clock,
    options: Options,
    /// Serialises sync and enrolment, so that two syncs never interleave their pulls.
    sync_lock: Arc<Mutex<()>>,
}

impl Device {
    /// Opens the device whose replica lives in `home` (created if missing).
    pub async fn open(home: &Path) -> Result<Self> {
        Self::open_with(home, Options::default()).await
    }

    /// Opens the device with explicit [`Options`].
    pub async fn open_with(home: &Path, options: Options) -> Result<Self> {
        let store = Store::open(home).await?;
        let clock = Clock::new(options.clock_offset_ms);
        let client = Client::new(options.request_timeout, clock, None)?;
        Ok(Self {
            home: home.to_path_buf(),
            store,
            client,
            clock,
            options,
            sync_lock: Arc::new(Mutex::new(())),
        })
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Closes the replica (waits for running database work). Other clones stop working.
    pub async fn close(self) {
        self.store.close().await;
    }

    /// Enrols with `server_url` using a one-time `token`. Enrolling again is refused while
    /// local ops are unsent; otherwise it starts a new actor (ops from 1) and a full pull.
    /// An `https://` server is verified against the public roots; see
    /// [`Device::enroll_with_ca`] for a private CA.
    pub async fn enroll(&self, server_url: &str, token: &str) -> Result<Enrolment> {
        self.enroll_with_ca(server_url, token, None).await
    }

    /// [`Device::enroll`] with an `https://` server whose certificate is issued by a private
    /// CA: `ca_cert` is PEM text (one or more certificates) trusted besides the public roots,
    /// for this enrolment and every sync after it. A CA with an `http://` address, or text
    /// without a certificate, is refused with [`Error::Invalid`] before the token is spent; a
    /// server whose certificate the CA does not vouch for fails with [`Error::Tls`].
    pub async fn enroll_with_ca(
        &self,
        server_url: &str,
        token: &str,
        ca_cert: Option<&str>,
    ) -> Result<Enrolment> {
        let server_url = normalize_server_url(server_url)?;
        if token.trim().is_empty() {
            return Err(Error::Invalid("the enrolment token is empty".into()));
        }
        if ca_cert.is_some() && !server_url.starts_with("https://") {
            return Err(Error::Invalid(format!(
                "a CA certificate is for an https:// server, not {server_url}"
            )));
        }
        let client = self.client_for(ca_cert)?;
        let _guard = self.sync_lock.lock().await;
        // Checked before spending the one-time token, and again when installing.
        let outbox = self.store.outbox_len().await?;
        if outbox > 0 {
            return Err(Error::PendingOps { outbox });
        }
        let enrolment = client.enroll(&server_url, token.trim()).await?;
        self.store.install(&server_url, &enrolment, ca_cert).await?;
        Ok(enrolment)
    }

    /// Records an enrolment obtained elsewhere (an app's own enrolment flow, or tests), with
    /// the same rules as [`Device::enroll`].
    pub async fn install_enrolment(&self, server_url: &str, enrolment: &Enrolment) -> Result<()> {
        let server_url = normalize_server_url(server_url)?;
        let _guard = self.sync_lock.lock().await;
        self.store.install(&server_url, enrolment, None).await
    }

    /// Registers a walk-in and checks them into `event`, offline: a new person, a registration
    /// and a scan, queued as three ops with consecutive sequence numbers in one transaction.
    /// The scan names no operator; see [`Device::walk_in_by`].
    pub async fn walk_in(
        &self,
        event: EventId,
        name: &str,
        facility: Option<FacilityId>,
        cp_staff: bool,
    ) -> Result<WalkIn> {
        self.walk_in_by(event, name, facility, cp_staff, None).await
    }

    /// [`Device::walk_in`], recording who operated the phone (`operator`) with the scan.
    pub async fn walk_in_by(
        &self,
        event: EventId,
        name: &str,
        facility: Option<FacilityId>,
        cp_staff: bool,
        operator: Option<&str>,
    ) -> Result<WalkIn> {
        let person = NewPerson {
            name,
            facility,
            cp_staff,
        };
        let scan = ScanMeta {
            operator: operator_name(operator)?,
            scanned_at_ms: self.clock.now_ms(),
        };
        let mut tx = self.store.begin_local().await?;
        let walk_in = add_walk_in(&mut tx, event, person, scan).await?;
        tx.commit().await?;
        Ok(walk_in)
    }

    /// Makes `n` walk-ins exactly as `n` calls of [`Device::walk_in`] would (names
    /// "Walk-in 1" … "Walk-in n", no facility), in one transaction: for load and fault tests.
    pub async fn simulate(&self, event: EventId, n: usize) -> Result<Vec<WalkIn>> {
        let mut tx = self.store.begin_local().await?;
        let mut walk_ins = Vec::with_capacity(n);
        for i in 1..=n {
            let name = format!("Walk-in {i}");
            let person = NewPerson {
                name: &name,
                facility: None,
                cp_staff: false,
            };
            let scan = ScanMeta {
                operator: None,
                scanned_at_ms: self.clock.now_ms(),
            };
            walk_ins.push(add_walk_in(&mut tx, event, person, scan).await?);
        }
        tx.commit().await?;
        Ok(walk_ins)
    }

    /// Checks a badge into `event`, offline: the ticket `qr` is verified against the stored
    /// key ring and judged by what the replica knows of its registration (revoked, already
    /// scanned). An `ok` or `duplicate` verdict records a scan (with `operator`, if given) in
    /// the outbox; `wrong_event`, `invalid` and `revoked` record nothing.
    pub async fn scan(
        &self,
        event: EventId,
        qr: &str,
        operator: Option<&str>,
    ) -> Result<ScanResult> {
        let request = ScanRequest {
            event,
            qr,
            operator: operator_name(operator)?,
            scanned_at_ms: self.clock.now_ms(),
        };
        let mut tx = self.store.begin_local().await?;
        let result = checkin::scan(&mut tx, request).await?;
        if result.admitted() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(result)
    }

    /// Annuls a scan this replica holds, offline: an annulment fact, queued; the scan no
    /// longer counts. Refused with [`Error::NotFound`] when the replica does not know the
    /// scan and with [`Error::Conflict`] when it is already annulled.
    pub async fn annul(&self, scan: ScanId, reason: Option<&str>) -> Result<AnnulResult> {
        let mut tx = self.store.begin_local().await?;
        let result = checkin::annul(&mut tx, scan, reason).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Answers a questionnaire for `facility`, offline, as one op in one transaction.
    ///
    /// Without `response` a new response is started on the newest version of `questionnaire`
    /// this replica holds ([`Error::NotFound`] when none), recording the questionnaire, its
    /// version, the facility and the device's clock with the answers. With `response`, the
    /// answers are added to a response the replica holds ([`Error::NotFound`] otherwise) of
    /// the same questionnaire and facility, and checked with the version it was started on.
    ///
    /// `sets` are question keys with values as typed (`topics=energy,water`,
    /// `applies_cp=true`); at least one is needed. Any invalid value (unknown question, wrong
    /// type, out of range, unknown choice) refuses the whole command with [`Error::Invalid`]
    /// naming the field, and nothing is queued. A device whose role may not write the
    /// facility's responses is refused with [`Error::Forbidden`].
    pub async fn answer(
        &self,
        questionnaire: QuestionnaireId,
        facility: FacilityId,
        response: Option<ResponseId>,
        sets: &[(String, String)],
    ) -> Result<ResponseId> {
        let request = AnswerRequest {
            questionnaire,
            facility,
            response,
            sets,
            answered_at: self.clock.now_rfc3339()?,
        };
        let mut tx = self.store.begin_local().await?;
        let id = responses::answer(&mut tx, request).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A response as this replica holds it: the merged answers, conflicts, score, the
    /// office's review, and the server's rejections of this phone's answers to it.
    /// [`Error::NotFound`] when the replica does not hold it.
    pub async fn response(&self, id: ResponseId) -> Result<LocalResponse> {
        let stored =
            self.store.response(id).await?.ok_or_else(|| {
                Error::NotFound(format!("response {id} is unknown to this replica"))
            })?;
        Ok(LocalResponse::of(id, stored))
    }

    /// The fields of a record as this replica holds it (each with its concurrent values);
    /// `None` when the replica does not hold it.
    pub async fn record(
        &self,
        kind: RecordKind,
        id: Uuid,
    ) -> Result<Option<std::collections::BTreeMap<String, Vec<FieldValue>>>> {
        Ok(self.store.document(kind, id).await?.map(|doc| doc.fields()))
    }

    /// Pushes the outbox and pulls the server's changes. Without network it fails with
    /// [`Error::Offline`] and everything unsent stays queued. Ops the server acknowledges but
    /// refuses are recorded with their response (see [`Device::response`]) as they leave the
    /// outbox.
    pub async fn sync(&self) -> Result<SyncReport> {
        let _guard = self.sync_lock.lock().await;
        let me = self.store.require_enrolled().await?;
        let client = self.client_for(me.ca_cert.as_deref())?;
        sync::run(sync::Plan {
            store: &self.store,
            client: &client,
            clock: self.clock,
            push_batch: self.options.push_batch,
            pull_limit: self.options.pull_limit,
        })
        .await
    }

    /// The canonical hash of every document and fact this replica holds; equal on two
    /// replicas exactly when they hold the same state.
    pub async fn state_hash(&self) -> Result<String> {
        self.store.state_hash().await
    }

    /// How many local ops wait for the server's acknowledgement.
    pub async fn outbox_len(&self) -> Result<u64> {
        self.store.outbox_len().await
    }

    /// How many distinct people this replica knows were scanned into `event`, by scans that
    /// were not annulled. A scan of a ticket whose registration was unknown counts by the
    /// registration's person once it is known, else by the registration.
    pub async fn local_attendance(&self, event: EventId) -> Result<u64> {
        self.store.attendance(event).await
    }

    /// The enrolment (without its secret token) and the queue.
    pub async fn status(&self) -> Result<Status> {
        let enrolled = self.store.enrolled().await?;
        let outbox = self.store.outbox_len().await?;
        let ticket_keys = self.store.ticket_key_count().await?;
        Ok(match enrolled {
            Some(me) => Status {
                enrolled: true,
                server_url: Some(me.server_url),
                device_id: Some(me.device_id),
                actor_id: Some(me.actor_id),
                role: Some(me.role),
                facility_id: me.facility_id,
                outbox,
                next_seq: Some(me.next_seq),
                cursor: me.cursor,
                ticket_keys,
                private_ca: me.ca_cert.is_some(),
            },
            None => Status {
                enrolled: false,
                server_url: None,
                device_id: None,
                actor_id: None,
                role: None,
                facility_id: None,
                outbox,
                next_seq: None,
                cursor: String::new(),
                ticket_keys,
                private_ca: false,
            },
        })
    }

    /// The transport for an enrolment: the device's own, or one that also trusts the
    /// enrolment's private CA.
    fn client_for(&self, ca_cert: Option<&str>) -> Result<Client> {
        match ca_cert {
            None => Ok(self.client.clone()),
            Some(pem) => Client::new(self.options.request_timeout, self.clock, Some(pem)),
        }
    }
}

/// The person a walk-in creates.
struct NewPerson<'a> {
    name: &'a str,
    facility: Option<FacilityId>,
    cp_staff: bool,
}

/// Who scanned, and when.
struct ScanMeta {
    operator: Option<String>,
    scanned_at_ms: i64,
}

async fn add_walk_in(
    tx: &mut LocalTx,
    event: EventId,
    person: NewPerson<'_>,
    scan: ScanMeta,
) -> Result<WalkIn> {
    let scope = Scope::of_facility(person.facility);
    for kind in [
        RecordKind::Person,
        RecordKind::Registration,
        RecordKind::Scan,
    ] {
        require_write(tx, kind, scope)?;
    }
    let walk_in = WalkIn {
        person_id: PersonId::new(),
        registration_id: RegistrationId::new(),
        scan_id: ScanId::new(),
    };
    let facility = person
        .facility
        .map_or(serde_json::Value::Null, |id| json!(id.to_string()));
    tx.set_fields(
        RecordKind::Person,
        walk_in.person_id.0,
        vec![
            (person::NAME.name, json!(person.name.trim())),
            (person::FACILITY_ID.name, facility),
            (person::CP_STAFF.name, json!(person.cp_staff)),
        ],
    )
    .await?;
    tx.set_fields(
        RecordKind::Registration,
        walk_in.registration_id.0,
        vec![
            (registration::EVENT_ID.name, json!(event.to_string())),
            (
                registration::PERSON_ID.name,
                json!(walk_in.person_id.to_string()),
            ),
        ],
    )
    .await?;
    tx.add_scan(
        walk_in.scan_id.0,
        ScanFact {
            event,
            registration: walk_in.registration_id,
            person: Some(walk_in.person_id),
            operator: scan.operator,
            scanned_at_ms: scan.scanned_at_ms,
            status: ScanStatus::Ok,
            walk_in: true,
        },
    )
    .await?;
    Ok(walk_in)
}
