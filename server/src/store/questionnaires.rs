//! Questionnaires and responses: publishing versions, reading responses for review and export.

use super::StoreResult;
use async_trait::async_trait;
use sachhon_shared::questionnaire::Definition;
use sachhon_shared::{Doc, QuestionnaireId, ResponseId};

/// A response with what an export shows beside its answers.
#[derive(Debug, Clone)]
pub struct ResponseRow {
    /// The response.
    pub id: ResponseId,
    /// Its merged document.
    pub doc: Doc,
    /// The facility's name.
    pub facility_name: Option<String>,
    /// The facility's district.
    pub district: Option<String>,
}

/// Questionnaires and responses: publishing versions, reading responses for review and export.
#[async_trait]
pub trait QuestionnaireStore: Send + Sync {
    /// Publishes a definition as the next version of a questionnaire (version 1 of a new one)
    /// under the server's actor; returns the version number. `NotFound` when `existing` is
    /// set and the questionnaire has no version yet.
    async fn publish(
        &self,
        questionnaire: QuestionnaireId,
        definition: &Definition,
        existing: bool,
    ) -> StoreResult<u32>;
    /// The newest version of a questionnaire.
    async fn questionnaire(&self, id: QuestionnaireId) -> StoreResult<Option<(u32, Definition)>>;
    /// One version of a questionnaire.
    async fn questionnaire_version(
        &self,
        id: QuestionnaireId,
        version: u64,
    ) -> StoreResult<Option<Definition>>;
    /// A response's merged document.
    async fn response(&self, id: ResponseId) -> StoreResult<Option<Doc>>;
    /// Every response to a questionnaire (any version), by facility.
    async fn responses_of(&self, questionnaire: QuestionnaireId) -> StoreResult<Vec<ResponseRow>>;
}
