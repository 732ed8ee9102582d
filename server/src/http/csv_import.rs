//! Reading the facility import CSV, line by line, with errors that name the line.

use super::problem::ApiError;
use super::registry::FacilityInput;
use serde_json::{json, Value};

/// The header the import expects.
pub const HEADER: [&str; 5] = ["name", "tax_code", "district", "sector", "cp_potential"];

/// One data line: its line number and the facility, or a `{"line", "message"}` error.
pub type ImportLine = Result<(u64, FacilityInput), Value>;

/// Each data line of the CSV; the whole import is refused only when the header is wrong.
pub fn parse_facilities(body: &str) -> Result<Vec<ImportLine>, ApiError> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| ApiError::Malformed(format!("unreadable CSV header: {e}")))?
        .clone();
    if header.iter().collect::<Vec<_>>() != HEADER {
        return Err(ApiError::invalid(
            "header",
            format!("the first line must be {}", HEADER.join(",")),
        ));
    }
    Ok(reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                json!({ "line": line, "message": e.to_string() })
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let fail = |message: String| json!({ "line": line, "message": message });
            if record.len() != HEADER.len() {
                return Err(fail(format!(
                    "expected {} columns, found {}",
                    HEADER.len(),
                    record.len()
                )));
            }
            let cp_potential = match record[4].to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "có" => true,
                "false" | "0" | "no" | "không" => false,
                other => {
                    return Err(fail(format!(
                        "cp_potential: expected true or false, found {other:?}"
                    )))
                }
            };
            let input: FacilityInput = serde_json::from_value(json!({
                "name": &record[0], "tax_code": &record[1], "district": &record[2],
                "sector": &record[3], "cp_potential": cp_potential,
            }))
            .map_err(|e| fail(e.to_string()))?;
            Ok((line, input))
        })
        .collect())
}
