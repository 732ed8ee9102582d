//! Checks of the progress answers against the data set: every district's and the province's
//! five counts (the indicators' numerators and denominators) must equal what the generator
//! computed, and the denominators the generated totals.

use crate::dataset::World;
use anyhow::{bail, ensure, Context};
use sachhon_shared::indicators::{long_an_2013, Counts};
use serde_json::Value;
use std::collections::BTreeMap;
use time::macros::format_description;

/// Checks one JSON answer of `/api/v1/progress?as_of=…[&district=…]`.
pub fn verify(
    answer: &Value,
    world: &World,
    as_of: &str,
    district: Option<&str>,
) -> anyhow::Result<()> {
    let plan = long_an_2013();
    let milestone = plan.milestone(as_of).context("the plan has no milestone")?;
    ensure!(
        answer["milestone"] == milestone.date.as_str(),
        "milestone {} instead of {}",
        answer["milestone"],
        milestone.date
    );
    let expected = world.expected(before_ms(as_of)?, milestone.min_savings_pct);
    check_totals(world, &expected)?;
    let names = match district {
        Some(name) => vec![name.to_string()],
        None => district_order(&plan.districts, &expected),
    };
    let listed = answer["by_district"].as_array().context("no by_district")?;
    let listed_names: Vec<&str> = listed
        .iter()
        .filter_map(|d| d["district"].as_str())
        .collect();
    ensure!(
        listed_names == names,
        "districts {listed_names:?}, expected {names:?}"
    );
    for (entry, name) in listed.iter().zip(&names) {
        let want = expected
            .get(&Some(name.clone()))
            .copied()
            .unwrap_or_default();
        compare(&format!("district {name}"), &entry["indicators"], want)?;
    }
    let top = match district {
        Some(name) => expected
            .get(&Some(name.to_string()))
            .copied()
            .unwrap_or_default(),
        None => expected.values().fold(Counts::default(), |sum, c| sum + *c),
    };
    compare("top-level indicators", &answer["indicators"], top)
}

/// The denominators summed over every district equal what was generated.
fn check_totals(world: &World, expected: &BTreeMap<Option<String>, Counts>) -> anyhow::Result<()> {
    let total = expected.values().fold(Counts::default(), |sum, c| sum + *c);
    let generated = &world.generated;
    ensure!(
        total.potential == generated.cp_potential as u64
            && total.staff == generated.cp_staff as u64,
        "expected denominators {} and {} differ from the generated {} facilities with CP \
         potential and {} CP staff",
        total.potential,
        total.staff,
        generated.cp_potential,
        generated.cp_staff
    );
    Ok(())
}

/// The plan's districts, then the others in the data, as the server orders them.
fn district_order(plan: &[String], expected: &BTreeMap<Option<String>, Counts>) -> Vec<String> {
    let mut names = plan.to_vec();
    let mut others: Vec<String> = expected
        .keys()
        .flatten()
        .filter(|d| !plan.contains(d))
        .cloned()
        .collect();
    others.sort();
    names.extend(others);
    names
}

/// The first instant after the as-of date (midnight UTC), in milliseconds.
fn before_ms(as_of: &str) -> anyhow::Result<i64> {
    let date = time::Date::parse(as_of, format_description!("[year]-[month]-[day]"))?;
    let next = date.next_day().context("no next day")?;
    Ok(next.midnight().assume_utc().unix_timestamp() * 1000)
}

/// An area's indicators must say `want`.
fn compare(area: &str, indicators: &Value, want: Counts) -> anyhow::Result<()> {
    let got = counts_of(indicators).with_context(|| format!("reading {area}"))?;
    ensure!(got == want, "{area}: got {got:?}, expected {want:?}");
    Ok(())
}

/// The counts an area's three indicators carry.
fn counts_of(indicators: &Value) -> anyhow::Result<Counts> {
    let figure = |key: &str| -> anyhow::Result<(u64, u64)> {
        let indicator = indicators
            .as_array()
            .and_then(|list| list.iter().find(|i| i["key"] == key))
            .with_context(|| format!("no {key} indicator"))?;
        let number = |field: &str| {
            indicator[field]
                .as_u64()
                .with_context(|| format!("{key} without {field}"))
        };
        Ok((number("numerator")?, number("denominator")?))
    };
    let (aware, potential) = figure("awareness")?;
    let (adopting, adoption_denominator) = figure("adoption")?;
    let (trained, staff) = figure("staff_trained")?;
    ensure!(
        adoption_denominator == potential,
        "adoption's denominator {adoption_denominator} differs from awareness' {potential}"
    );
    Ok(Counts {
        potential,
        aware,
        adopting,
        staff,
        trained,
    })
}

/// An export as of `as_of` must look like one: the CSV a BOM and one row per indicator and
/// area (the province and every district), the workbook a ZIP file.
pub fn export(path: &str, body: &[u8], world: &World, as_of: &str) -> anyhow::Result<()> {
    if path.ends_with(".csv") {
        let text = body
            .strip_prefix(b"\xEF\xBB\xBF")
            .context("the CSV has no byte-order mark")?;
        let lines = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        let plan = long_an_2013();
        let milestone = plan.milestone(as_of).context("the plan has no milestone")?;
        let expected = world.expected(before_ms(as_of)?, milestone.min_savings_pct);
        let areas = 1 + district_order(&plan.districts, &expected).len();
        ensure!(
            lines == 1 + 3 * areas,
            "the CSV has {lines} lines, expected a header and 3 × {areas} rows"
        );
    } else if !body.starts_with(b"PK") {
        bail!("{path} is not a ZIP file");
    }
    Ok(())
}
