//! Generating events (half of them trainings) and how many scans each gets, and batching
//! events for the attendance step.

use super::{Event, World, DAY_MS, DISTRICTS, END_MS, START_MS};
use crate::bulk::{Row, Value};
use std::ops::Range;

impl World {
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

    /// Gives event `index` (in order of start) exactly `scans` scans, each with its own
    /// registration, taking the difference from (or giving it to) the event with the most
    /// scans, so that the total stays. Called after [`World::events`], before the attendance.
    pub fn set_scans(&mut self, index: usize, scans: usize) -> anyhow::Result<()> {
        let events = self.events.len();
        anyhow::ensure!(index < events, "no event {index} among {events}");
        let old = std::mem::replace(&mut self.events[index].scans, scans);
        let other = (0..events)
            .filter(|i| *i != index)
            .max_by_key(|i| self.events[*i].scans)
            .ok_or_else(|| anyhow::anyhow!("one event cannot give its scans to another"))?;
        let count = (self.events[other].scans + old)
            .checked_sub(scans)
            .ok_or_else(|| anyhow::anyhow!("too few scans to give event {index} {scans}"))?;
        self.events[other].scans = count;
        Ok(())
    }

    /// The id of event `index` (in order of start).
    pub fn event_id(&self, index: usize) -> Option<&str> {
        self.events.get(index).map(|event| event.id.as_str())
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
}
