//! Setting up a programme: districts, facilities (one at a time or imported from CSV), people,
//! events and registrations, checked and written as ops under the server's own actor so that
//! phones receive them on their next pull. The API handlers and the office pages both call
//! these functions; a refused value is a [`Refused`] naming the field at fault and why.

pub mod devices;
pub mod districts;
pub mod events;
pub mod facilities;
pub mod people;
pub mod questionnaires;
mod refusal;

pub use refusal::{Refusal, Refused, SetupError, SetupResult};

use crate::store::{RecordEdit, Store, StoreResult};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::schema::Field;
use sachhon_shared::{FacilityId, RecordKind};
use serde_json::json;
use uuid::Uuid;

/// A required text field's write: the value trimmed, refused when empty.
fn required_text(field: Field, value: &str) -> Result<(String, FieldValue), Refused> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Refused::new(field.name, Refusal::Empty));
    }
    Ok((field.name.into(), json!(trimmed)))
}

/// Refuses (field `facility_id`) a facility id that names no facility.
pub async fn ensure_facility(store: &dyn Store, facility: Option<FacilityId>) -> SetupResult<()> {
    match facility {
        Some(id) if !store.record_exists(RecordKind::Facility, id.0).await? => {
            Err(Refused::new("facility_id", Refusal::NoFacility(id.to_string())).into())
        }
        _ => Ok(()),
    }
}

/// Writes one record's fields under the server's actor.
async fn write(
    store: &dyn Store,
    kind: RecordKind,
    id: Uuid,
    fields: Vec<(String, FieldValue)>,
) -> StoreResult<()> {
    store
        .write_as_server(&[RecordEdit { kind, id, fields }])
        .await
}
