//! Facilities: registered one at a time, or imported from CSV lines where a known tax code
//! updates that facility. An import can be previewed: the same checks and the same answer,
//! nothing written.

use super::districts::Districts;
use super::{required_text, write, Refusal, Refused, SetupResult};
use crate::store::{RecordEdit, Store, StoreResult};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::facility_csv::{FacilityRow, LineError};
use sachhon_shared::schema::facility;
use sachhon_shared::{FacilityId, RecordKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// A facility as the API and the pages take it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityInput {
    /// Its name.
    #[schema(max_length = 500, pattern = "\\S")]
    pub name: String,
    /// Its tax code; one facility per tax code.
    #[schema(max_length = 500, pattern = "\\S")]
    pub tax_code: String,
    /// Its district: one of `GET /api/v1/districts`.
    #[schema(max_length = 500, pattern = "\\S")]
    pub district: String,
    /// Its industrial sector.
    #[schema(max_length = 500, pattern = "\\S")]
    pub sector: String,
    /// Whether it has cleaner-production potential.
    pub cp_potential: bool,
}

impl FacilityInput {
    /// The fields to write, each checked (the district against the list).
    fn fields(&self, districts: &Districts) -> Result<Vec<(String, FieldValue)>, Refused> {
        let district = districts.resolve(facility::DISTRICT.name, &self.district)?;
        Ok(vec![
            required_text(facility::NAME, &self.name)?,
            required_text(facility::TAX_CODE, &self.tax_code)?,
            (facility::DISTRICT.name.into(), json!(district)),
            required_text(facility::SECTOR, &self.sector)?,
            (facility::CP_POTENTIAL.name.into(), json!(self.cp_potential)),
        ])
    }
}

/// Registers a facility; a tax code already registered is a conflict.
pub async fn create(store: &dyn Store, input: &FacilityInput) -> SetupResult<FacilityId> {
    let fields = input.fields(&Districts::load(store).await?)?;
    if let Some(existing) = store.facility_by_tax_code(input.tax_code.trim()).await? {
        return Err(Refused::new(facility::TAX_CODE.name, Refusal::TaxCodeTaken(existing)).into());
    }
    let id = FacilityId::new();
    write(store, RecordKind::Facility, id.0, fields).await?;
    Ok(id)
}

/// What became of one good line of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LineStatus {
    /// A new facility.
    Created,
    /// A facility already known by its tax code.
    Updated,
}

/// A good line of an import: the facility it created or updated.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedLine {
    /// The line number in the file (the header is line 1).
    pub line: u64,
    /// The facility's id.
    #[schema(value_type = Uuid)]
    pub id: FacilityId,
    /// Created or updated.
    pub status: LineStatus,
    /// The facility's name, as imported.
    pub name: String,
}

/// A refused line of an import.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefusedLine {
    /// The line number in the file.
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
    /// The refused value, when a field's value was refused (the pages say it in their
    /// language); `None` for a line the CSV reader could not read.
    #[serde(skip)]
    pub refused: Option<Refused>,
}

/// What an import did, or would do when previewed.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// How many facilities are new.
    pub imported: u64,
    /// How many known facilities were updated.
    pub updated: u64,
    /// The refused lines, skipped.
    pub errors: Vec<RefusedLine>,
    /// The good lines, with the facility each created or updated.
    pub rows: Vec<ImportedLine>,
}

/// Imports the lines `facility_csv::parse` read: each good line creates a facility or updates
/// the one with its tax code, all in one transaction; bad lines are reported and skipped.
/// With `write` false nothing is written: the report is a preview (new facilities get the ids
/// they would have had, not ones that will be kept).
pub async fn import(
    store: &dyn Store,
    lines: Vec<Result<FacilityRow, LineError>>,
    write: bool,
) -> StoreResult<ImportReport> {
    let districts = Districts::load(store).await?;
    let mut report = ImportReport::default();
    let mut edits = Vec::new();
    let mut seen: HashMap<String, FacilityId> = HashMap::new();
    for line in lines {
        let row = match line {
            Ok(row) => row,
            Err(error) => {
                report.errors.push(RefusedLine {
                    line: error.line,
                    message: error.message,
                    refused: None,
                });
                continue;
            }
        };
        let input = FacilityInput {
            name: row.name,
            tax_code: row.tax_code,
            district: row.district,
            sector: row.sector,
            cp_potential: row.cp_potential,
        };
        let fields = match input.fields(&districts) {
            Ok(fields) => fields,
            Err(refused) => {
                report.errors.push(RefusedLine {
                    line: row.line,
                    message: refused.to_string(),
                    refused: Some(refused),
                });
                continue;
            }
        };
        let tax_code = input.tax_code.trim().to_string();
        let known = match seen.get(&tax_code) {
            Some(id) => Some(*id),
            None => store.facility_by_tax_code(&tax_code).await?,
        };
        let (id, status) = match known {
            Some(id) => (id, LineStatus::Updated),
            None => (FacilityId(Uuid::now_v7()), LineStatus::Created),
        };
        match status {
            LineStatus::Created => report.imported += 1,
            LineStatus::Updated => report.updated += 1,
        }
        seen.insert(tax_code, id);
        report.rows.push(ImportedLine {
            line: row.line,
            id,
            status,
            name: input.name.trim().to_string(),
        });
        edits.push(RecordEdit {
            kind: RecordKind::Facility,
            id: id.0,
            fields,
        });
    }
    if write && !edits.is_empty() {
        store.write_as_server(&edits).await?;
    }
    Ok(report)
}
