//! Check-in: ticket keys, registrations, badges, annulments, attendance.

use super::{EventRecord, StoreResult};
use async_trait::async_trait;
use ed25519_dalek::SigningKey;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::{EventId, FacilityId, PersonId, RegistrationId, ScanId};
use uuid::Uuid;

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
    /// Whether any of these scans was of a ticket revoked before the scan (on a phone that had
    /// not yet pulled the revocation).
    pub revoked_ticket: bool,
}

/// Merged attendance of an event: distinct people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// The event.
    pub event_id: EventId,
    /// Attendees ordered by first scan.
    pub attendees: Vec<Attendee>,
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

/// An event some of a facility's people attended.
#[derive(Debug, Clone)]
pub struct EventAttended {
    /// The event.
    pub event: EventRecord,
    /// How many of the facility's people attended it.
    pub people: i64,
}

/// Check-in: ticket keys, registrations, badges, annulments, attendance.
#[async_trait]
pub trait CheckinStore: Send + Sync {
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
    /// The badges of an event's unrevoked registrations, by name.
    async fn badges(&self, event: EventId) -> StoreResult<Vec<Badge>>;
    /// An event's merged attendance; `None` when the event is unknown.
    async fn attendance(&self, event: EventId) -> StoreResult<Option<Attendance>>;
    /// The events a facility's people attended, newest first, with how many of them each.
    async fn facility_attendance(&self, facility: FacilityId) -> StoreResult<Vec<EventAttended>>;
}
