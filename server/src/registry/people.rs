//! People: registered by the office (phones register walk-ins themselves), and registered at
//! events, which issues their signed ticket.

use super::{ensure_facility, required_text, write, Refusal, Refused, SetupResult};
use crate::store::{RecordEdit, Store, StoreError};
use sachhon_shared::schema::{person, registration};
use sachhon_shared::{EventId, FacilityId, PersonId, RecordKind, RegistrationId};
use serde::Deserialize;
use serde_json::json;

/// A person as the API and the pages take them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Full name.
    #[schema(max_length = 500, pattern = "\\S")]
    pub name: String,
    /// The facility the person works for, if any.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub facility_id: Option<FacilityId>,
    /// Whether the person is dedicated cleaner-production staff.
    pub cp_staff: bool,
    /// Phone number.
    #[schema(max_length = 500)]
    pub phone: Option<String>,
}

/// Registers a person.
pub async fn create(store: &dyn Store, input: &PersonInput) -> SetupResult<PersonId> {
    let name = required_text(person::NAME, &input.name)?;
    ensure_facility(store, input.facility_id).await?;
    let phone = input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let id = PersonId::new();
    let fields = vec![
        name,
        (person::FACILITY_ID.name.into(), json!(input.facility_id)),
        (person::CP_STAFF.name.into(), json!(input.cp_staff)),
        (person::PHONE.name.into(), json!(phone)),
    ];
    write(store, RecordKind::Person, id.0, fields).await?;
    Ok(id)
}

/// A person's registration at an event, and whether this call made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The registration.
    pub id: RegistrationId,
    /// True when it is new; false when the person was registered already.
    pub created: bool,
}

/// Registers a person at an event (once: registering again answers the same registration).
pub async fn register(
    store: &dyn Store,
    event: EventId,
    person: PersonId,
) -> SetupResult<Registered> {
    if store.event(event).await?.is_none() {
        return Err(StoreError::NotFound("event").into());
    }
    if !store.record_exists(RecordKind::Person, person.0).await? {
        return Err(Refused::new("person_id", Refusal::NoPerson(person.to_string())).into());
    }
    if let Some(id) = store.registration_for(event, person).await? {
        return Ok(Registered { id, created: false });
    }
    let id = RegistrationId::new();
    store
        .write_as_server(&[RecordEdit {
            kind: RecordKind::Registration,
            id: id.0,
            fields: vec![
                (registration::EVENT_ID.name.into(), json!(event)),
                (registration::PERSON_ID.name.into(), json!(person)),
                (registration::REVOKED.name.into(), json!(false)),
            ],
        }])
        .await?;
    Ok(Registered { id, created: true })
}
