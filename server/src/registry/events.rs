//! Events: workshops and trainings, with a kind (awareness or training, which decides what
//! attending counts for), a start time and a district from the list.

use super::districts::Districts;
use super::{required_text, write, Refusal, Refused, SetupResult};
use crate::store::{Store, StoreError};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::schema::{event, EVENT_KINDS};
use sachhon_shared::{EventId, RecordKind};
use serde::Deserialize;
use serde_json::json;

/// An event as the API and the pages take it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// Its title.
    #[schema(max_length = 500, pattern = "\\S")]
    pub title: String,
    /// `awareness` or `training`.
    #[schema(value_type = crate::http::openapi::EventKind)]
    pub kind: String,
    /// When it starts, RFC 3339 (stored in UTC), years 2000–2099.
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// Its district: one of `GET /api/v1/districts`.
    #[schema(max_length = 500, pattern = "\\S")]
    pub district: String,
}

impl EventInput {
    /// The fields to write, each checked.
    async fn fields(&self, store: &dyn Store) -> SetupResult<Vec<(String, FieldValue)>> {
        let title = required_text(event::TITLE, &self.title)?;
        if !EVENT_KINDS.contains(&self.kind.as_str()) {
            return Err(Refused::new(event::KIND.name, Refusal::EventKind).into());
        }
        let starts_at = sachhon_shared::timestamp::parse_time(&self.starts_at)
            .map_err(|e| Refused::new(event::STARTS_AT.name, Refusal::Time(e)))?;
        let district = Districts::load(store)
            .await?
            .resolve(event::DISTRICT.name, &self.district)?;
        Ok(vec![
            title,
            (event::KIND.name.into(), json!(self.kind)),
            (
                event::STARTS_AT.name.into(),
                json!(crate::time::rfc3339(starts_at)),
            ),
            (event::DISTRICT.name.into(), json!(district)),
        ])
    }
}

/// Registers an event.
pub async fn create(store: &dyn Store, input: &EventInput) -> SetupResult<EventId> {
    let fields = input.fields(store).await?;
    let id = EventId::new();
    write(store, RecordKind::Event, id.0, fields).await?;
    Ok(id)
}

/// Writes an event's fields again from the form.
pub async fn update(store: &dyn Store, id: EventId, input: &EventInput) -> SetupResult<()> {
    if store.event(id).await?.is_none() {
        return Err(StoreError::NotFound("event").into());
    }
    let fields = input.fields(store).await?;
    Ok(write(store, RecordKind::Event, id.0, fields).await?)
}
