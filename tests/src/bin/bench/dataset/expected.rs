//! What the progress figures must be on the generated data, computed from what the
//! generator remembers, independently of the server's SQL.

use super::{World, DISTRICTS};
use sachhon_shared::indicators::Counts;
use std::collections::BTreeMap;

impl World {
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
