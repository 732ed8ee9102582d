//! The facility import CSV as the API reads it: `sachhon_shared::facility_csv` reads the
//! lines; each becomes a [`FacilityInput`], checked like a facility posted as JSON.

use super::problem::ApiError;
use super::registry::FacilityInput;
use sachhon_shared::facility_csv::{self, CsvError};
use serde_json::{json, Value};

/// One data line: its line number and the facility, or a `{"line", "message"}` error.
pub type ImportLine = Result<(u64, FacilityInput), Value>;

/// Each data line of the CSV; the whole import is refused only when the header is wrong.
pub fn parse_facilities(body: &str) -> Result<Vec<ImportLine>, ApiError> {
    let rows = facility_csv::parse(body).map_err(|error| match error {
        CsvError::Unreadable(_) => ApiError::Malformed(error.to_string()),
        CsvError::WrongHeader => ApiError::invalid("header", error.to_string()),
    })?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let row = row.map_err(|e| json!({ "line": e.line, "message": e.message }))?;
            let input: FacilityInput = serde_json::from_value(json!({
                "name": row.name, "tax_code": row.tax_code, "district": row.district,
                "sector": row.sector, "cp_potential": row.cp_potential,
            }))
            .map_err(|e| json!({ "line": row.line, "message": e.to_string() }))?;
            Ok((row.line, input))
        })
        .collect())
}
