//! Lists the office web pages show: facilities, events, devices, responses to review, and the
//! names of people. Plain reads of the projections.

use super::{EventRecord, FacilityRecord, StoreResult};
use async_trait::async_trait;
use sachhon_shared::authority::Role;
use sachhon_shared::{DeviceId, FacilityId, PersonId, ResponseId};
use std::collections::HashMap;

/// A registered device, as the devices page lists it.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    /// Its id.
    pub id: DeviceId,
    /// Its human name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The facility of an enterprise device.
    pub facility: Option<FacilityId>,
    /// When it was registered (RFC 3339).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// How many times it was enrolled (each enrolment is an actor).
    pub enrolments: i64,
    /// When it last reached the server (a push or a pull by any of its enrolments), in
    /// milliseconds since the epoch; `None` when it never did.
    pub last_seen_ms: Option<i64>,
}

/// A response as the review list shows it.
#[derive(Debug, Clone)]
pub struct ResponseSummary {
    /// Its id.
    pub id: ResponseId,
    /// The facility's name.
    pub facility_name: Option<String>,
    /// The facility's district.
    pub district: Option<String>,
    /// When it was answered (as the phone recorded it).
    pub answered_at: Option<String>,
    /// Whether its score reaches the pass mark.
    pub passes: bool,
    /// How many answers are in conflict.
    pub conflicts: i64,
    /// The office's review state.
    pub review: Option<String>,
}

/// Lists the office web pages show.
#[async_trait]
pub trait ListingStore: Send + Sync {
    /// Every facility, by district and name.
    async fn facilities(&self) -> StoreResult<Vec<FacilityRecord>>;
    /// Every event, newest first.
    async fn events(&self) -> StoreResult<Vec<EventRecord>>;
    /// Every registered device, newest first.
    async fn devices(&self) -> StoreResult<Vec<DeviceRecord>>;
    /// Responses, those in conflict first, then newest first; at most `limit`.
    async fn response_summaries(&self, limit: u32) -> StoreResult<Vec<ResponseSummary>>;
    /// The names of these people (those without a name are left out).
    async fn person_names(&self, ids: &[PersonId]) -> StoreResult<HashMap<PersonId, String>>;
}
