//! The progress benchmark's data set: facilities, people, events, registrations, scans,
//! annulments and questionnaire responses of eight years of a cleaner-production programme,
//! generated deterministically from a seed as rows of the server's projection tables, and
//! what the progress figures must be on them (computed here, independently of the SQL).
//!
//! Ids are UUID v7 strings, as the server writes them; times are RFC 3339 UTC strings (the
//! server normalises to that) or milliseconds since the epoch, as in the server's columns.

use crate::bulk::{Row, Table, Value};
use sachhon_shared::indicators::Counts;
use std::collections::BTreeMap;
use std::ops::Range;

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

/// `facilities` (server/migrations/*/0001_foundation.sql).
pub const FACILITIES: Table = Table {
    name: "facilities",
    columns: &[
        "id",
        "name",
        "tax_code",
        "district",
        "sector",
        "cp_potential",
    ],
};
/// `people`.
pub const PEOPLE: Table = Table {
    name: "people",
    columns: &["id", "name", "facility_id", "cp_staff", "phone"],
};
/// `events`.
pub const EVENTS: Table = Table {
    name: "events",
    columns: &["id", "title", "kind", "starts_at", "district"],
};
/// `registrations`.
pub const REGISTRATIONS: Table = Table {
    name: "registrations",
    columns: &["id", "event_id", "person_id", "revoked"],
};
/// `scans`.
pub const SCANS: Table = Table {
    name: "scans",
    columns: &[
        "id",
        "event_id",
        "registration_id",
        "person_id",
        "actor_id",
        "operator",
        "scanned_at_ms",
        "received_at",
        "status",
        "walk_in",
        "clock_skewed",
    ],
};
/// `annulments`.
pub const ANNULMENTS: Table = Table {
    name: "annulments",
    columns: &["id", "scan_id", "actor_id", "reason", "received_at"],
};
/// `responses` (server/migrations/*/0002_questionnaires.sql).
pub const RESPONSES: Table = Table {
    name: "responses",
    columns: &[
        "id",
        "questionnaire_id",
        "version",
        "facility_id",
        "answered_at",
        "answered_at_ms",
        "score",
        "passes",
        "applies_cp",
        "savings_pct",
        "review",
        "conflicts",
    ],
};

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

/// A deterministic pseudo-random source (SplitMix64): the same seed makes the same data set.
pub struct Rng(u64);

impl Rng {
    /// A source started at `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index in `0..n`.
    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Milliseconds in `from..to`.
    fn time(&mut self, from: i64, to: i64) -> i64 {
        from + self.below(u64::try_from(to - from).unwrap_or(0)) as i64
    }

    /// A UUID v7 string for an instant, its random bits from this source.
    fn uuid_v7(&mut self, ms: i64) -> String {
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        random[8..].copy_from_slice(&self.next_u64().to_le_bytes()[..2]);
        let ms = u64::try_from(ms).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(ms, &random)
            .into_uuid()
            .to_string()
    }
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

    /// Rows of `facilities` for the given indices (to be called in order).
    pub fn facilities(&mut self, indices: Range<usize>) -> Vec<Row> {
        let n = self.sizes.facilities.max(1) as i64;
        indices
            .map(|i| {
                let at = START_MS + (END_MS - START_MS) * i as i64 / n;
                let id = self.rng.uuid_v7(at);
                let district = self.district();
                let potential = self.rng.chance(0.7);
                self.generated.facilities += 1;
                self.generated.cp_potential += usize::from(potential);
                let row = vec![
                    Value::text(&id),
                    Value::Text(format!("Cơ sở sản xuất {i}")),
                    Value::Text(format!("03{i:08}")),
                    district.map_or(Value::Null, |d| Value::text(DISTRICTS[usize::from(d)].0)),
                    Value::text(SECTORS[self.rng.index(SECTORS.len())]),
                    Value::Int(i64::from(potential)),
                ];
                self.facilities.push(Facility {
                    id,
                    district,
                    potential,
                    responses: Vec::new(),
                });
                row
            })
            .collect()
    }

    /// A district index by the shares of [`DISTRICTS`], or none now and then.
    fn district(&mut self) -> Option<u8> {
        let total: u64 = DISTRICTS.iter().map(|(_, share)| share).sum();
        let mut pick = self.rng.below(total + NO_DISTRICT_PER_MILLE);
        for (index, (_, share)) in DISTRICTS.iter().enumerate() {
            if pick < *share {
                return u8::try_from(index).ok();
            }
            pick -= share;
        }
        None
    }

    /// Rows of `people` for the given indices (after every facility).
    pub fn people(&mut self, indices: Range<usize>) -> Vec<Row> {
        let n = self.sizes.people.max(1) as i64;
        indices
            .map(|i| {
                let at = START_MS + (END_MS - START_MS) * i as i64 / n;
                let id = self.rng.uuid_v7(at);
                let facility = if self.facilities.is_empty() || self.rng.chance(0.05) {
                    None
                } else {
                    Some(self.rng.index(self.facilities.len()))
                };
                let staff = self.rng.chance(0.4);
                self.generated.people += 1;
                self.generated.cp_staff += usize::from(staff);
                self.generated.people_without_facility += usize::from(facility.is_none());
                let row = vec![
                    Value::text(&id),
                    Value::Text(format!("Người tham gia {i}")),
                    facility.map_or(Value::Null, |f| Value::text(&self.facilities[f].id)),
                    Value::Int(i64::from(staff)),
                    Value::Text(format!("09{i:08}")),
                ];
                self.people.push(Person {
                    id,
                    district: facility.and_then(|f| self.facilities[f].district),
                    staff,
                    trained_from_ms: None,
                });
                row
            })
            .collect()
    }

    /// Every row of `events`, in order of start, half of them trainings; also fixes how
    /// many scans each event gets.
    pub fn events(&mut self) -> Vec<Row> {
        let n = self.sizes.events;
        let mut starts: Vec<i64> = (0..n)
            // Whole minutes, so the RFC 3339 text compares like the instant.
            .map(|_| self.rng.time(START_MS, END_MS - DAY_MS) / 60_000 * 60_000)
            .collect();
        starts.sort_unstable();
        let scans = self.spread(self.sizes.scans, n);
        let mut rows = Vec::with_capacity(n);
        for (i, (start_ms, scans)) in starts.into_iter().zip(scans).enumerate() {
            let id = self.rng.uuid_v7(start_ms - 30 * DAY_MS);
            let training = self.rng.chance(0.5);
            let district = self.rng.below(DISTRICTS.len() as u64) as u8;
            self.generated.events += 1;
            self.generated.training_events += usize::from(training);
            let (kind, title) = if training {
                ("training", "Tập huấn sản xuất sạch hơn")
            } else {
                ("awareness", "Hội thảo nâng cao nhận thức")
            };
            rows.push(vec![
                Value::text(&id),
                Value::Text(format!("{title} {i}")),
                Value::text(kind),
                Value::Text(sachhon_server::time::rfc3339_from_ms(start_ms)),
                Value::text(DISTRICTS[usize::from(district)].0),
            ]);
            self.events.push(Event {
                id,
                start_ms,
                training,
                scans,
            });
        }
        rows
    }

    /// `total` split over `parts` by random weights between 0.25 and 1.75.
    fn spread(&mut self, total: usize, parts: usize) -> Vec<usize> {
        let weights: Vec<f64> = (0..parts).map(|_| 0.25 + 1.5 * self.rng.unit()).collect();
        let sum: f64 = weights.iter().sum();
        let mut counts: Vec<usize> = weights
            .iter()
            .map(|w| (total as f64 * w / sum) as usize)
            .collect();
        // Each share lost less than one to rounding down: fewer than `parts` are left.
        let left = total.saturating_sub(counts.iter().sum());
        for count in counts.iter_mut().take(left) {
            *count += 1;
        }
        counts
    }

    /// The indices of consecutive events holding about `rows` scans each.
    pub fn event_batches(&self, rows: usize) -> Vec<Range<usize>> {
        let mut batches = Vec::new();
        let (mut from, mut held) = (0, 0);
        for (i, event) in self.events.iter().enumerate() {
            held += event.scans;
            if held >= rows {
                batches.push(from..i + 1);
                (from, held) = (i + 1, 0);
            }
        }
        if from < self.events.len() {
            batches.push(from..self.events.len());
        }
        batches
    }

    /// Rows of `registrations`, `scans` and `annulments` for the given events (after every
    /// person): each scan of its own registration, a few annulled.
    pub fn attendance(&mut self, events: Range<usize>) -> Attendance {
        let mut out = Attendance::default();
        for e in events {
            for _ in 0..self.events[e].scans {
                self.scan(e, &mut out);
            }
        }
        out
    }

    /// One registration and its scan at event `e` (and its annulment, sometimes).
    fn scan(&mut self, e: usize, out: &mut Attendance) {
        let (start_ms, training) = (self.events[e].start_ms, self.events[e].training);
        let person = self.rng.index(self.people.len());
        let registered_ms = start_ms - self.rng.time(0, 30 * DAY_MS);
        let registration = self.rng.uuid_v7(registered_ms);
        let scanned_at_ms = start_ms + self.rng.time(0, 6 * HOUR_MS);
        let scan = self.rng.uuid_v7(scanned_at_ms);
        let walk_in = self.rng.chance(0.3);
        let without_person = !walk_in && self.rng.chance(0.07);
        let actor = self.actors[self.rng.index(self.actors.len())].clone();
        let received_ms = scanned_at_ms + self.rng.time(0, 2 * DAY_MS);
        let person_id = &self.people[person].id;
        let event_id = &self.events[e].id;
        out.registrations.push(vec![
            Value::text(&registration),
            Value::text(event_id),
            Value::text(person_id),
            Value::Int(0),
        ]);
        out.scans.push(vec![
            Value::text(&scan),
            Value::text(event_id),
            Value::Text(registration),
            if without_person {
                Value::Null
            } else {
                Value::text(person_id)
            },
            Value::text(&actor),
            Value::Null,
            Value::Int(scanned_at_ms),
            Value::Text(sachhon_server::time::rfc3339_from_ms(received_ms)),
            Value::text("ok"),
            Value::Int(i64::from(walk_in)),
            Value::Int(0),
        ]);
        self.generated.registrations += 1;
        self.generated.scans += 1;
        self.generated.scans_without_person += usize::from(without_person);
        if self.rng.chance(0.003) {
            let at = received_ms + self.rng.time(0, DAY_MS);
            out.annulments.push(vec![
                Value::Text(self.rng.uuid_v7(at)),
                Value::Text(scan),
                Value::Text(actor),
                Value::text("nhầm người"),
                Value::Text(sachhon_server::time::rfc3339_from_ms(at)),
            ]);
            self.generated.annulments += 1;
        } else if training {
            let counts_from = start_ms.max(scanned_at_ms);
            let trained = &mut self.people[person].trained_from_ms;
            *trained = Some(trained.map_or(counts_from, |t| t.min(counts_from)));
        }
    }

    /// How many responses each facility answers: 1 to 4 for facilities taken in random
    /// order, until the total is reached.
    pub fn plan_responses(&mut self) -> Vec<usize> {
        let mut counts = vec![0usize; self.facilities.len()];
        let mut order: Vec<usize> = (0..counts.len()).collect();
        for i in (1..order.len()).rev() {
            let j = self.rng.index(i + 1);
            order.swap(i, j);
        }
        let mut left = self.sizes.responses;
        while left > 0 && !order.is_empty() {
            for &f in &order {
                if left == 0 {
                    break;
                }
                let k = match self.rng.below(20) {
                    0..=9 => 1,
                    10..=15 => 2,
                    16..=18 => 3,
                    _ => 4,
                }
                .min(left);
                counts[f] += k;
                left -= k;
            }
        }
        counts
    }

    /// Rows of `responses` of the given facilities, `counts[f]` each.
    pub fn responses(&mut self, facilities: Range<usize>, counts: &[usize]) -> Vec<Row> {
        let mut rows = Vec::new();
        for f in facilities {
            let k = counts.get(f).copied().unwrap_or(0);
            let mut times: Vec<i64> = (0..k)
                .map(|_| self.rng.time(START_MS, END_MS) / 1000 * 1000)
                .collect();
            times.sort_unstable();
            // Now and then two answers at the same second: the id breaks the tie.
            for i in 1..times.len() {
                if self.rng.chance(0.02) {
                    times[i] = times[i - 1];
                }
            }
            self.generated.responses += k;
            self.generated.facilities_answering += usize::from(k > 0);
            self.generated.facilities_answering_again += usize::from(k > 1);
            for at_ms in times {
                rows.push(self.response(f, at_ms));
            }
        }
        rows
    }

    /// One response of facility `f` answered at `at_ms`; later answers tend to score higher.
    fn response(&mut self, f: usize, at_ms: i64) -> Row {
        let progress = (at_ms - START_MS) as f64 / (END_MS - START_MS) as f64;
        let score = (35.0 + 40.0 * progress + 50.0 * (self.rng.unit() - 0.5)).clamp(0.0, 100.0);
        let score = (score * 10.0).round() / 10.0;
        let passes = score >= 60.0;
        let applies_cp = self.rng.chance(0.3 + 0.4 * progress);
        let savings_pct = self
            .rng
            .chance(0.85)
            .then(|| (self.rng.unit() * 150.0).round() / 10.0);
        let id = self.rng.uuid_v7(at_ms);
        let version = if at_ms < 1_483_228_800_000 { 1 } else { 2 };
        let row = vec![
            Value::text(&id),
            Value::text(&self.questionnaire),
            Value::Int(version),
            Value::text(&self.facilities[f].id),
            Value::Text(sachhon_server::time::rfc3339_from_ms(at_ms)),
            Value::Int(at_ms),
            Value::Real(score),
            Value::Int(i64::from(passes)),
            Value::Int(i64::from(applies_cp)),
            savings_pct.map_or(Value::Null, Value::Real),
            Value::Null,
            Value::Int(0),
        ];
        self.facilities[f].responses.push(Answer {
            at_ms,
            id,
            passes,
            applies_cp,
            savings_pct,
        });
        row
    }

    /// The counts the server must report per district (`None`: no district) for data before
    /// `before_ms` and the savings floor `min_savings_pct`: the rules of
    /// server/src/store/sql/progress.rs, computed from what was generated.
    pub fn expected(
        &self,
        before_ms: i64,
        min_savings_pct: f64,
    ) -> BTreeMap<Option<String>, Counts> {
        let name = |d: Option<u8>| d.map(|d| DISTRICTS[usize::from(d)].0.to_string());
        let mut counts: BTreeMap<Option<String>, Counts> = BTreeMap::new();
        for facility in self.facilities.iter().filter(|f| f.potential) {
            let c = counts.entry(name(facility.district)).or_default();
            c.potential += 1;
            let latest = facility
                .responses
                .iter()
                .filter(|a| a.at_ms < before_ms)
                .max_by(|a, b| (a.at_ms, &a.id).cmp(&(b.at_ms, &b.id)));
            if let Some(answer) = latest {
                c.aware += u64::from(answer.passes);
                c.adopting += u64::from(
                    answer.applies_cp && answer.savings_pct.is_some_and(|s| s >= min_savings_pct),
                );
            }
        }
        for person in self.people.iter().filter(|p| p.staff) {
            let c = counts.entry(name(person.district)).or_default();
            c.staff += 1;
            c.trained += u64::from(person.trained_from_ms.is_some_and(|t| t < before_ms));
        }
        counts
    }
}

/// Rows of the attendance tables for a batch of events.
#[derive(Default)]
pub struct Attendance {
    /// `registrations` rows.
    pub registrations: Vec<Row>,
    /// `scans` rows.
    pub scans: Vec<Row>,
    /// `annulments` rows.
    pub annulments: Vec<Row>,
}
