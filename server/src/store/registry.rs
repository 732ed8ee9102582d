//! The registry the administrator keeps, written under the server's own actor.

use super::StoreResult;
use async_trait::async_trait;
use sachhon_shared::district::District;
use sachhon_shared::doc::FieldValue;
use sachhon_shared::{EventId, FacilityId, RecordKind};
use uuid::Uuid;

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

/// The registry the administrator keeps, written under the server's own actor.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    /// Applies edits under the server's own actor, in one transaction.
    async fn write_as_server(&self, edits: &[RecordEdit]) -> StoreResult<()>;
    /// Whether a record of this kind exists.
    async fn record_exists(&self, kind: RecordKind, id: Uuid) -> StoreResult<bool>;
    /// A facility from the projection.
    async fn facility(&self, id: FacilityId) -> StoreResult<Option<FacilityRecord>>;
    /// The facility with this tax code, if any.
    async fn facility_by_tax_code(&self, tax_code: &str) -> StoreResult<Option<FacilityId>>;
    /// An event.
    async fn event(&self, id: EventId) -> StoreResult<Option<EventRecord>>;
    /// The province's districts, in no particular order.
    async fn districts(&self) -> StoreResult<Vec<District>>;
    /// Adds a district; a name already listed is a conflict.
    async fn add_district(&self, district: &District) -> StoreResult<()>;
    /// Fills the district list when it is empty (a new database).
    async fn seed_districts(&self, districts: &[District]) -> StoreResult<()>;
}
