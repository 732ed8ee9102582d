//! Generating questionnaire responses: how many each facility answers, when, and how well
//! (later answers tend to score higher).

use super::{Answer, World, END_MS, START_MS};
use crate::bulk::{Row, Value};
use std::ops::Range;

impl World {
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
}
