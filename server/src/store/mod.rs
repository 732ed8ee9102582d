//! Storage: the [`Store`] trait of domain operations, and its SQL implementation for SQLite
//! and PostgreSQL.
//!
//! Architecture invariant: an op is acknowledged only after the transaction that applied it
//! committed; every change of a record goes through the one op path in [`apply`], so the
//! change feed, the document states and the projections never disagree.

mod apply;
mod dialect;
mod sql;

use async_trait::async_trait;
use ed25519_dalek::SigningKey;
use sachhon_shared::authority::{Principal, Role};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::wire::{PullPage, PushAck};
use sachhon_shared::{
    ActorId, DeviceId, EventId, FacilityId, Op, PersonId, RecordKind, RegistrationId, ScanId,
};
use std::sync::Arc;
use uuid::Uuid;

pub use sql::SqlStore;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A push skipped sequence numbers.
    #[error("sequence gap: expected seq {expected}")]
    Gap {
        /// The sequence number expected next.
        expected: u64,
    },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// An op or edit is invalid; nothing was stored.
    #[error("{message}")]
    Invalid {
        /// The field at fault, when one is.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The request conflicts with the stored state (e.g. an enrolment token already used).
    #[error("{0}")]
    Conflict(String),
    /// The database URL names no supported backend.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A stored value cannot be read back.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A device to register.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// A human name ("Trainer phone 3").
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The facility of an enterprise device.
    pub facility: Option<FacilityId>,
}

/// An authenticated device enrolment: who is pushing or pulling.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    /// The enrolment's actor id.
    pub actor: ActorId,
    /// The registered device.
    pub device: DeviceId,
    /// Role and facility, for the authority rules.
    pub principal: Principal,
}

/// Edits of one record made by the server itself (admin API, imports), under the server's
/// own actor.
#[derive(Debug, Clone)]
pub struct RecordEdit {
    /// The record kind.
    pub kind: RecordKind,
    /// The record id.
    pub id: Uuid,
    /// Field values to write, in order.
    pub fields: Vec<(String, FieldValue)>,
}

/// A facility as the projection holds it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FacilityRecord {
    /// Its id.
    pub id: FacilityId,
    /// Its name.
    pub name: Option<String>,
    /// Its tax code, the natural key of imports.
    pub tax_code: Option<String>,
    /// Its district.
    pub district: Option<String>,
    /// Its industrial sector.
    pub sector: Option<String>,
    /// Whether it has cleaner-production potential (the indicators' denominator).
    pub cp_potential: bool,
}

/// One person's attendance at an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The person (unknown only for a scan of a registration the server does not hold).
    pub person_id: Option<PersonId>,
    /// The earliest scan's device time, ms since the epoch.
    pub first_scan_at_ms: i64,
    /// How many scans (ok or duplicate, on any phone, walk-ins included, annulled excluded).
    pub scans: i64,
    /// Whether any of these scans came from a device whose clock was more than five minutes
    /// off when it synced (the scan times are kept as the device recorded them).
    pub clock_skewed: bool,
}

/// A registration as the projection holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationRecord {
    /// Its id.
    pub id: RegistrationId,
    /// The event.
    pub event: EventId,
    /// The person.
    pub person: PersonId,
    /// Whether the office revoked it.
    pub revoked: bool,
}

/// An event as the projection holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Its id.
    pub id: EventId,
    /// Title.
    pub title: Option<String>,
    /// `awareness` or `training`.
    pub kind: Option<String>,
    /// Start, RFC 3339.
    pub starts_at: Option<String>,
    /// District.
    pub district: Option<String>,
}

/// One badge to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// The registration whose ticket the badge carries.
    pub registration: RegistrationId,
    /// The person's name.
    pub person_name: Option<String>,
    /// Their facility's name.
    pub facility_name: Option<String>,
}

/// Merged attendance of an event: distinct people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// The event.
    pub event_id: EventId,
    /// Attendees ordered by first scan.
    pub attendees: Vec<Attendee>,
}

/// The domain operations the server needs from storage. One implementation per backend
/// family; held as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync {
    /// Whether any stored admin token exists.
    async fn has_admin_token(&self) -> StoreResult<bool>;
    /// Stores the hash of a new admin token.
    async fn add_admin_token(&self, token_hash: &str) -> StoreResult<()>;
    /// Whether this hash is a stored admin token.
    async fn is_admin_token(&self, token_hash: &str) -> StoreResult<bool>;

    /// Registers a device with a first one-time enrolment token.
    async fn create_device(
        &self,
        device: &NewDevice,
        enrolment_hash: &str,
    ) -> StoreResult<DeviceId>;
    /// Replaces a device's pending enrolment token with a new one.
    async fn renew_enrolment_token(&self, device: DeviceId, token_hash: &str) -> StoreResult<()>;
    /// Consumes a one-time enrolment token and creates a new actor with its access token.
    async fn enroll(
        &self,
        enrolment_hash: &str,
        actor: ActorId,
        access_hash: &str,
    ) -> StoreResult<(DeviceId, Principal)>;
    /// Revokes a device: every token of it stops working at once.
    async fn revoke_device(&self, device: DeviceId) -> StoreResult<()>;
    /// The enrolment an access token belongs to, unless revoked.
    async fn author_by_token(&self, access_hash: &str) -> StoreResult<Option<Author>>;

    /// Applies a batch of the author's ops in one transaction and acknowledges after commit;
    /// records the device's clock offset (device − server, ms) first when it reported one.
    async fn push(
        &self,
        author: &Author,
        ops: &[Op],
        clock_offset_ms: Option<i64>,
    ) -> StoreResult<PushAck>;
    /// Records a device's clock offset (device − server, ms).
    async fn record_clock(&self, actor: ActorId, offset_ms: i64) -> StoreResult<()>;
    /// A page of other actors' changes after `after` that `viewer` may see.
    async fn pull(&self, viewer: &Author, after: &str, limit: u32) -> StoreResult<PullPage>;
    /// Applies edits under the server's own actor, in one transaction.
    async fn write_as_server(&self, edits: &[RecordEdit]) -> StoreResult<()>;
    /// Annuls a scan under the server's own actor; returns the annulment's id.
    async fn annul_as_server(&self, scan: ScanId, reason: Option<String>) -> StoreResult<Uuid>;

    /// Every ticket key, public halves, retired ones marked.
    async fn ticket_keys(&self) -> StoreResult<Vec<TicketKey>>;
    /// The newest active ticket key, which signs new tickets.
    async fn signing_key(&self) -> StoreResult<Option<SigningKey>>;
    /// Stores a new ticket key; it signs from now on. Returns its id.
    async fn add_ticket_key(&self, key: &SigningKey) -> StoreResult<String>;
    /// Retires a key: tickets it signed stop admitting. The last active key cannot be retired.
    async fn retire_ticket_key(&self, id: &str) -> StoreResult<()>;

    /// A registration.
    async fn registration(&self, id: RegistrationId) -> StoreResult<Option<RegistrationRecord>>;
    /// The registration of a person for an event, if any.
    async fn registration_for(
        &self,
        event: EventId,
        person: PersonId,
    ) -> StoreResult<Option<RegistrationId>>;
    /// An event.
    async fn event(&self, id: EventId) -> StoreResult<Option<EventRecord>>;
    /// The badges of an event's unrevoked registrations, by name.
    async fn badges(&self, event: EventId) -> StoreResult<Vec<Badge>>;

    /// Whether a record of this kind exists.
    async fn record_exists(&self, kind: RecordKind, id: Uuid) -> StoreResult<bool>;
    /// A facility from the projection.
    async fn facility(&self, id: FacilityId) -> StoreResult<Option<FacilityRecord>>;
    /// The facility with this tax code, if any.
    async fn facility_by_tax_code(&self, tax_code: &str) -> StoreResult<Option<FacilityId>>;
    /// An event's merged attendance; `None` when the event is unknown.
    async fn attendance(&self, event: EventId) -> StoreResult<Option<Attendance>>;
    /// The canonical hash of every document and scan, as replicas compute it.
    async fn state_hash(&self) -> StoreResult<String>;
}

/// Opens the store named by a URL (`sqlite://…` or `postgres://…`) and runs its migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::connect(url).await?))
}
