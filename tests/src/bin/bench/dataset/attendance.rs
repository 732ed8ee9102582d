//! Generating attendance: one registration per scan at each event, a few scans annulled, and
//! when each person first counts as trained.

use super::{World, DAY_MS, HOUR_MS};
use crate::bulk::{Row, Value};
use std::ops::Range;

impl World {
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
