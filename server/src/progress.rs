//! Progress toward the plan's targets as of a date, province-wide and per district: the
//! answer of `/api/v1/progress` and of the office's progress page.

use crate::problem::ApiError;
use crate::store::Store;
use sachhon_shared::indicators::{indicators, Counts, Indicator, Plan};
use serde::Serialize;
use time::{Date, Duration};

/// Progress as of a date (CONTRACT.md's progress answer).
#[derive(Clone, Debug, Serialize)]
pub struct ProgressReport {
    /// The date, `YYYY-MM-DD`.
    pub as_of: String,
    /// The milestone measured against.
    pub milestone: String,
    /// Province-wide (or the requested district's) indicators.
    pub indicators: Vec<Indicator>,
    /// Per district: the plan's districts first, then any other district in the data.
    pub by_district: Vec<DistrictProgress>,
}

/// One district's indicators.
#[derive(Clone, Debug, Serialize)]
pub struct DistrictProgress {
    /// The district.
    pub district: String,
    /// Its indicators.
    pub indicators: Vec<Indicator>,
}

/// Parses an as-of date.
pub fn parse_date(text: &str) -> Result<Date, ApiError> {
    sachhon_shared::timestamp::parse_date(text)
        .map_err(|e| ApiError::invalid("as_of", e.to_string()))
}

/// Computes the report; with `district`, the top-level indicators are that district's.
pub async fn report(
    store: &dyn Store,
    as_of: &str,
    district: Option<&str>,
) -> Result<ProgressReport, ApiError> {
    let date = parse_date(as_of)?;
    let plan = store.plan().await?;
    let milestone = plan
        .milestone(as_of)
        .ok_or_else(|| ApiError::Internal("the plan has no milestones".into()))?
        .clone();
    let end_of_day = (date + Duration::days(1)).midnight().assume_utc();
    let counts = store
        .progress_counts(crate::time::unix_ms(end_of_day), milestone.min_savings_pct)
        .await?;
    let total = counts
        .iter()
        .fold(Counts::default(), |sum, (_, c)| sum + *c);
    let mut by_district: Vec<DistrictProgress> = districts(&plan, &counts)
        .into_iter()
        .map(|name| {
            let counts = counts
                .iter()
                .find(|(d, _)| d.as_deref() == Some(name.as_str()))
                .map_or(Counts::default(), |(_, c)| *c);
            DistrictProgress {
                district: name,
                indicators: indicators(counts, &milestone),
            }
        })
        .collect();
    let top = match district {
        Some(name) => {
            by_district.retain(|d| d.district == name);
            match by_district.first() {
                Some(d) => d.indicators.clone(),
                None => indicators(Counts::default(), &milestone),
            }
        }
        None => indicators(total, &milestone),
    };
    Ok(ProgressReport {
        as_of: date.to_string(),
        milestone: milestone.date.clone(),
        indicators: top,
        by_district,
    })
}

/// The plan's districts, then the others found in the data, in Vietnamese alphabetical order.
fn districts(plan: &Plan, counts: &[(Option<String>, Counts)]) -> Vec<String> {
    let mut names = plan.districts.clone();
    let mut others: Vec<String> = counts
        .iter()
        .filter_map(|(d, _)| d.clone())
        .filter(|d| !names.contains(d))
        .collect();
    others.sort_by_cached_key(|name| sachhon_shared::vietnamese::sort_key(name));
    others.dedup();
    names.extend(others);
    names
}
