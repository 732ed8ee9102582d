//! Lists the office web pages show: facilities, events, devices, responses to review, and the
//! names of people. Plain reads of the projections.

use super::{EventRecord, FacilityRecord, Found, PersonRecord, Search, StoreResult};
use async_trait::async_trait;
use sachhon_shared::authority::Role;
use sachhon_shared::questionnaire::Label;
use sachhon_shared::{DeviceId, FacilityId, PersonId, QuestionnaireId, ResponseId};
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
    /// Its clock minus the server's (ms) when it last reached the server, if it told.
    pub clock_offset_ms: Option<i64>,
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

/// A questionnaire as the questionnaires page lists it: its newest version.
#[derive(Debug, Clone)]
pub struct QuestionnaireSummary {
    /// Its id.
    pub id: QuestionnaireId,
    /// Its newest version.
    pub version: u32,
    /// That version's title.
    pub title: Label,
    /// When that version was published (RFC 3339).
    pub published_at: String,
    /// Responses to any of its versions.
    pub responses: i64,
}

/// Which responses a list shows: one facility's, or one district's, a page at a time.
#[derive(Debug, Clone, Default)]
pub struct ResponseQuery {
    /// Only this facility's responses.
    pub facility: Option<FacilityId>,
    /// Only the responses of this district's facilities.
    pub district: Option<String>,
    /// How many to skip (the pages before this one).
    pub offset: u32,
    /// How many at most.
    pub limit: u32,
}

/// Lists the office web pages show.
#[async_trait]
pub trait ListingStore: Send + Sync {
    /// A page of facilities whose name or tax code contains the search's text, in Vietnamese
    /// order of their names.
    async fn find_facilities(&self, search: &Search) -> StoreResult<Found<FacilityRecord>>;
    /// How many facilities a search finds (its cursor and limit ignored), and how many of them
    /// have cleaner-production potential.
    async fn count_facilities(&self, search: &Search) -> StoreResult<(i64, i64)>;
    /// A page of people whose name contains the search's text, in Vietnamese order.
    async fn find_people(&self, search: &Search) -> StoreResult<Found<PersonRecord>>;
    /// Gives the rows written before search existed their sort key and search text; answers
    /// how many it filled.
    async fn fill_search_keys(&self) -> StoreResult<u64>;
    /// Every event, newest first.
    async fn events(&self) -> StoreResult<Vec<EventRecord>>;
    /// Every questionnaire's newest version, newest first.
    async fn questionnaires(&self) -> StoreResult<Vec<QuestionnaireSummary>>;
    /// Every registered device, newest first.
    async fn devices(&self) -> StoreResult<Vec<DeviceRecord>>;
    /// Responses, those in conflict first, then newest first: the page the query asks for.
    async fn response_summaries(&self, query: &ResponseQuery) -> StoreResult<Vec<ResponseSummary>>;
    /// The names of these people (those without a name are left out).
    async fn person_names(&self, ids: &[PersonId]) -> StoreResult<HashMap<PersonId, String>>;
}
