//! Generating facilities (with their district, sector and CP potential) and the people who
//! work at them (or at none).

use super::{Facility, Person, World, DISTRICTS, END_MS, NO_DISTRICT_PER_MILLE, SECTORS, START_MS};
use crate::bulk::{Row, Value};
use std::ops::Range;

impl World {
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
}
