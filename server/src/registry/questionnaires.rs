//! Questionnaires: a definition checked, then published as version 1 of a new questionnaire or
//! as the next version of one (responses keep the version they were started on).

use super::{Refusal, Refused, SetupResult};
use crate::store::Store;
use sachhon_shared::questionnaire::Definition;
use sachhon_shared::QuestionnaireId;

/// Publishes `definition`: the next version of `existing`, or version 1 of a new
/// questionnaire. Answers the questionnaire and the version published.
pub async fn publish(
    store: &dyn Store,
    existing: Option<QuestionnaireId>,
    definition: &Definition,
) -> SetupResult<(QuestionnaireId, u32)> {
    definition
        .validate()
        .map_err(|invalid| Refused::new("definition", Refusal::Definition(invalid)))?;
    let id = existing.unwrap_or_default();
    let version = store.publish(id, definition, existing.is_some()).await?;
    Ok((id, version))
}
