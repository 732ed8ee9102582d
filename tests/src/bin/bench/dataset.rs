//! The progress benchmark's data set: facilities, people, events, registrations, scans,
//! annulments and questionnaire responses of eight years of a cleaner-production programme,
//! generated deterministically from a seed as rows of the server's projection tables, and
//! what the progress figures must be on them (computed here, independently of the SQL).
//!
//! Ids are UUID v7 strings, as the server writes them; times are RFC 3339 UTC strings (the
//! server normalises to that) or milliseconds since the epoch, as in the server's columns.
//!
//! This module holds the sizes, what the generator remembers and the [`World`] itself; each
//! generation step is a submodule: `population` (facilities and people), `events`,
//! `attendance` (registrations, scans, annulments), `responses`, then `expected` (the
//! figures). `tables` names the columns written and `rng` is the seeded random source.

#[path = "dataset/attendance.rs"]
mod attendance;
#[path = "dataset/events.rs"]
mod events;
#[path = "dataset/expected.rs"]
mod expected;
#[path = "dataset/population.rs"]
mod population;
#[path = "dataset/responses.rs"]
mod responses;
#[path = "dataset/rng.rs"]
mod rng;
#[path = "dataset/tables.rs"]
mod tables;

use rng::Rng;
pub use tables::{ANNULMENTS, EVENTS, FACILITIES, PEOPLE, REGISTRATIONS, RESPONSES, SCANS};

/// 2013-01-01T00:00:00Z, the decision's first year, in milliseconds since the epoch.
pub const START_MS: i64 = 1_356_998_400_000;
/// 2021-01-01T00:00:00Z, the end of the plan's last milestone year.
pub const END_MS: i64 = 1_609_459_200_000;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// The plan's five districts, then three others of Long An, with their share of facilities
/// (per mille).
pub const DISTRICTS: [(&str, u64); 8] = [
    ("Tân An", 100),
    ("Đức Hòa", 200),
    ("Bến Lức", 200),
    ("Cần Đước", 120),
    ("Cần Giuộc", 120),
    ("Thủ Thừa", 100),
    ("Châu Thành", 80),
    ("Tân Trụ", 80),
];

/// Per mille of facilities with no district recorded.
const NO_DISTRICT_PER_MILLE: u64 = 5;
const SECTORS: [&str; 6] = ["food", "textile", "brick", "paper", "steel", "chemicals"];
/// Trainer phones that scanned.
const SCANNING_ACTORS: usize = 60;

/// How big a data set to make.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Facilities.
    pub facilities: usize,
    /// People.
    pub people: usize,
    /// Events, half of them trainings.
    pub events: usize,
    /// Scans (one registration each).
    pub scans: usize,
    /// Questionnaire responses.
    pub responses: usize,
}

/// What the bench remembers of a facility.
struct Facility {
    id: String,
    district: Option<u8>,
    potential: bool,
    /// Its responses.
    responses: Vec<Answer>,
}

/// What the bench remembers of a response.
struct Answer {
    at_ms: i64,
    id: String,
    passes: bool,
    applies_cp: bool,
    savings_pct: Option<f64>,
}

/// What the bench remembers of a person.
struct Person {
    id: String,
    district: Option<u8>,
    staff: bool,
    /// The earliest instant from which an unannulled scan at a training event counts:
    /// the later of the event's start and the scan's time, minimised over their scans.
    trained_from_ms: Option<i64>,
}

/// What the bench remembers of an event.
struct Event {
    id: String,
    start_ms: i64,
    training: bool,
    scans: usize,
}

/// Counts of what was generated, for the report.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Generated {
    /// Facilities.
    pub facilities: usize,
    /// Facilities with CP potential (the awareness and adoption denominators).
    pub cp_potential: usize,
    /// People.
    pub people: usize,
    /// Dedicated CP staff (the staff-trained denominator).
    pub cp_staff: usize,
    /// People with no facility.
    pub people_without_facility: usize,
    /// Events.
    pub events: usize,
    /// Training events.
    pub training_events: usize,
    /// Registrations (one per scan).
    pub registrations: usize,
    /// Scans.
    pub scans: usize,
    /// Scans without `person_id` (the registration tells the person).
    pub scans_without_person: usize,
    /// Annulled scans.
    pub annulments: usize,
    /// Responses.
    pub responses: usize,
    /// Facilities with at least one response.
    pub facilities_answering: usize,
    /// Facilities with more than one response (where "latest" matters).
    pub facilities_answering_again: usize,
}

/// The generator and the world it has made so far.
pub struct World {
    rng: Rng,
    sizes: Sizes,
    facilities: Vec<Facility>,
    people: Vec<Person>,
    events: Vec<Event>,
    questionnaire: String,
    actors: Vec<String>,
    /// What was generated.
    pub generated: Generated,
}

impl World {
    /// An empty world that will make `sizes` from `seed`.
    pub fn new(sizes: Sizes, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let questionnaire = rng.uuid_v7(START_MS);
        let actors = (0..SCANNING_ACTORS)
            .map(|_| {
                let at = rng.time(START_MS, START_MS + 30 * DAY_MS);
                rng.uuid_v7(at)
            })
            .collect();
        Self {
            rng,
            sizes,
            facilities: Vec::with_capacity(sizes.facilities),
            people: Vec::with_capacity(sizes.people),
            events: Vec::with_capacity(sizes.events),
            questionnaire,
            actors,
            generated: Generated::default(),
        }
    }

    /// The sizes asked for.
    pub fn sizes(&self) -> Sizes {
        self.sizes
    }
}
