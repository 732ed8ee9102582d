//! The decision's indicators as arithmetic (DESIGN.md, "The targets it measures"): the plan
//! with its milestones, counts per district, and each indicator's value, target and verdict.
//! No I/O: the server fills the counts from SQL aggregates, a phone could from its replica.

use serde::{Deserialize, Serialize};

/// A programme plan: another province's plan is another value of this, not new code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The province.
    pub province: String,
    /// The decision that set the targets.
    pub decision: String,
    /// Districts always reported, in this order (others in the data follow).
    pub districts: Vec<String>,
    /// Milestones, in date order.
    pub milestones: Vec<Milestone>,
    /// The appendix's tasks.
    pub tasks: Vec<PlanTask>,
}

/// Targets to reach by a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Share of facilities with CP potential that are aware.
    pub awareness: f64,
    /// Share of facilities with CP potential applying CP with savings at the floor or above.
    pub adoption: f64,
    /// The savings floor (lower bound of the band), percent per unit of product.
    pub min_savings_pct: f64,
    /// The band's upper bound, for reports.
    pub max_savings_pct: f64,
    /// Share of dedicated CP staff trained.
    pub staff_trained: f64,
}

/// A task of the plan's appendix, with the office's follow-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanTask {
    /// Its number in the appendix.
    pub number: u32,
    /// What is to be done.
    pub content: String,
    /// The agency in charge.
    pub lead_agency: String,
    /// The agencies that coordinate.
    pub coordinating_agencies: String,
    /// When, as the decision words it.
    pub deadline: String,
    /// `not_started`, `in_progress` or `done`.
    #[serde(default = "not_started")]
    pub status: String,
    /// The office's note.
    #[serde(default)]
    pub note: String,
}

fn not_started() -> String {
    "not_started".into()
}

/// Task statuses.
pub const TASK_STATUSES: &[&str] = &["not_started", "in_progress", "done"];

impl Plan {
    /// The milestone an `as_of` date (`YYYY-MM-DD`) is measured against: the first on or after
    /// it, or the last when it is past them all.
    pub fn milestone(&self, as_of: &str) -> Option<&Milestone> {
        self.milestones
            .iter()
            .find(|m| m.date.as_str() >= as_of)
            .or_else(|| self.milestones.last())
    }
}

/// The three indicators' keys.
pub const INDICATORS: [&str; 3] = ["awareness", "adoption", "staff_trained"];

/// What the data says for one area (the province or a district).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Facilities with CP potential.
    pub potential: u64,
    /// Of those, aware: reached, and latest questionnaire at or above its pass mark.
    pub aware: u64,
    /// Of those, applying CP and saving at least the milestone's floor.
    pub adopting: u64,
    /// People flagged as dedicated CP staff.
    pub staff: u64,
    /// Of those, who attended at least one training event.
    pub trained: u64,
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, other: Counts) -> Counts {
        Counts {
            potential: self.potential + other.potential,
            aware: self.aware + other.aware,
            adopting: self.adopting + other.adopting,
            staff: self.staff + other.staff,
            trained: self.trained + other.trained,
        }
    }
}

/// One indicator as reported (CONTRACT.md's progress answer).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Indicator {
    /// `awareness`, `adoption` or `staff_trained`.
    pub key: &'static str,
    /// Numerator.
    pub numerator: u64,
    /// Denominator.
    pub denominator: u64,
    /// numerator ÷ denominator; `null` when the denominator is 0.
    pub value: Option<f64>,
    /// The milestone's target.
    pub target: f64,
    /// Whether the value reaches the target.
    pub met: bool,
    /// The savings floor (adoption only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_savings_pct: Option<f64>,
}

/// The three indicators of an area against a milestone.
pub fn indicators(counts: Counts, milestone: &Milestone) -> Vec<Indicator> {
    let make = |key, numerator, denominator, target, min_savings_pct| {
        let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
        Indicator {
            key,
            numerator,
            denominator,
            value,
            target,
            // Compared in counts, so that 7 of 10 meets 70 % despite floating point.
            met: denominator > 0 && numerator as f64 >= target * denominator as f64 - 1e-9,
            min_savings_pct,
        }
    };
    vec![
        make(
            "awareness",
            counts.aware,
            counts.potential,
            milestone.awareness,
            None,
        ),
        make(
            "adoption",
            counts.adopting,
            counts.potential,
            milestone.adoption,
            Some(milestone.min_savings_pct),
        ),
        make(
            "staff_trained",
            counts.trained,
            counts.staff,
            milestone.staff_trained,
            None,
        ),
    ]
}

/// Whether a facility adopts CP as of a milestone: it applies CP and its savings reach the
/// floor. (Phones use this on a response; the server's SQL says the same.)
pub fn adopts(applies_cp: bool, savings_pct: Option<f64>, milestone: &Milestone) -> bool {
    applies_cp && savings_pct.is_some_and(|s| s >= milestone.min_savings_pct)
}

/// The seeded plan: Long An, Decision 86/QĐ-UBND of 2013.
pub fn long_an_2013() -> Plan {
    serde_json::from_str(include_str!("../seed/long-an-86-2013.json"))
        .expect("the embedded plan parses")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_plan_holds_the_decisions_targets() {
        let plan = long_an_2013();
        assert_eq!(plan.tasks.len(), 9);
        assert_eq!(plan.milestone("2014-06-30").map(|m| m.awareness), Some(0.5));
        assert_eq!(
            plan.milestone("2015-12-31").map(|m| m.staff_trained),
            Some(0.7)
        );
        assert_eq!(
            plan.milestone("2016-01-01").map(|m| m.min_savings_pct),
            Some(8.0)
        );
        assert_eq!(
            plan.milestone("2030-01-01").map(|m| m.date.as_str()),
            Some("2020-12-31")
        );
    }

    #[test]
    fn values_targets_and_empty_denominators() {
        let plan = long_an_2013();
        let milestone = plan.milestone("2015-12-31").expect("milestone");
        let counts = Counts {
            potential: 20,
            aware: 12,
            adopting: 4,
            staff: 10,
            trained: 7,
        };
        let got = indicators(counts, milestone);
        assert_eq!(got[0].value, Some(0.6));
        assert!(got[0].met);
        assert!(!got[1].met);
        assert_eq!(got[1].min_savings_pct, Some(5.0));
        assert!(got[2].met, "7 of 10 meets 70 %");
        let empty = indicators(Counts::default(), milestone);
        assert!(empty.iter().all(|i| i.value.is_none() && !i.met));
        assert!(adopts(true, Some(5.0), milestone));
        assert!(!adopts(true, Some(4.9), milestone));
        assert!(!adopts(false, Some(9.0), milestone));
    }
}
