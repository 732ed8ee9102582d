//! Devices: registered with a role (an enterprise device with its facility), given one-time
//! enrolment tokens, and, for trainer devices, assigned events and districts.

use super::districts::Districts;
use super::{ensure_facility, Refusal, Refused, SetupResult};
use crate::store::{Assignments, NewDevice, Store, StoreResult};
use crate::tokens;
use sachhon_shared::authority::Role;
use sachhon_shared::{DeviceId, FacilityId};
use serde::Deserialize;

/// A device as the API and the pages take it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    /// A name for people, e.g. "Phone 1".
    #[schema(max_length = 500, pattern = "\\S")]
    pub name: String,
    /// What the device may do.
    #[schema(value_type = crate::http::openapi::DeviceRole)]
    pub role: Role,
    /// The facility of an enterprise device (required for one).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub facility_id: Option<FacilityId>,
}

/// A device just registered, with its first one-time enrolment token (shown once).
#[derive(Debug, Clone)]
pub struct Registered {
    /// The device.
    pub id: DeviceId,
    /// Its enrolment token.
    pub token: String,
}

/// Registers a device and makes its first enrolment token.
pub async fn create(store: &dyn Store, input: &DeviceInput) -> SetupResult<Registered> {
    if input.name.trim().is_empty() {
        return Err(Refused::new("name", Refusal::Empty).into());
    }
    if input.role == Role::Enterprise && input.facility_id.is_none() {
        return Err(Refused::new("facility_id", Refusal::FacilityRequired).into());
    }
    ensure_facility(store, input.facility_id).await?;
    let token = tokens::generate();
    let device = NewDevice {
        name: input.name.trim().to_string(),
        role: input.role,
        facility: input.facility_id,
    };
    let id = store.create_device(&device, &tokens::hash(&token)).await?;
    Ok(Registered { id, token })
}

/// A fresh one-time enrolment token for a device; any earlier unused one stops working.
pub async fn renew_token(store: &dyn Store, id: DeviceId) -> StoreResult<String> {
    let token = tokens::generate();
    store
        .renew_enrolment_token(id, &tokens::hash(&token))
        .await?;
    Ok(token)
}

/// What an enrolment QR code holds: the server's address and a one-time token, as JSON (the
/// field app and `sachhon-device enroll` read it).
pub fn enrolment_text(server: &str, token: &str) -> String {
    serde_json::json!({ "server": server, "token": token }).to_string()
}

/// Replaces a trainer device's assignments; each district must be a listed one.
pub async fn assign(
    store: &dyn Store,
    id: DeviceId,
    assignments: Assignments,
) -> SetupResult<Assignments> {
    let districts = Districts::load(store).await?;
    let resolved = assignments
        .districts
        .iter()
        .map(|name| districts.resolve("districts", name))
        .collect::<Result<_, _>>()?;
    let assignments = Assignments {
        events: assignments.events,
        districts: resolved,
    };
    Ok(store.set_assignments(id, &assignments).await?)
}
