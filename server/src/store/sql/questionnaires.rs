//! Questionnaires and responses. On SQL.

use super::*;
use crate::store::apply::read_doc;
use crate::store::responses::definition;
use sachhon_shared::questionnaire::Definition;
use sachhon_shared::{Publication, QuestionnaireId, ResponseId};

#[async_trait]
impl QuestionnaireStore for SqlStore {
    #[instrument(skip_all)]
    async fn publish(
        &self,
        questionnaire: QuestionnaireId,
        definition: &Definition,
        existing: bool,
    ) -> StoreResult<u32> {
        let mut tx = self.writer.begin().await?;
        // The server actor's row is locked from here: versions are numbered one at a time.
        let seq = self.last_seq(&mut tx, self.server_actor).await? + 1;
        let latest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM questionnaires WHERE id = $1")
                .bind(questionnaire.to_string())
                .fetch_one(&mut *tx)
                .await?;
        if existing && latest.is_none() {
            return Err(StoreError::NotFound("questionnaire"));
        }
        let version = u32::try_from(latest.unwrap_or(0) + 1)
            .map_err(|_| StoreError::Corrupt("questionnaire version".into()))?;
        let change = Change::Publish(Publication {
            questionnaire,
            version,
            definition: definition.clone(),
        });
        self.commit_server_fact(tx, seq, RecordKind::Questionnaire, Uuid::now_v7(), change)
            .await?;
        Ok(version)
    }

    async fn questionnaire(&self, id: QuestionnaireId) -> StoreResult<Option<(u32, Definition)>> {
        let row = sqlx::query(
            "SELECT version, definition FROM questionnaires WHERE id = $1 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            let version = u32::try_from(row.try_get::<i64, _>("version")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let definition = serde_json::from_str(&row.try_get::<String, _>("definition")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((version, definition))
        })
        .transpose()
    }

    async fn questionnaire_version(
        &self,
        id: QuestionnaireId,
        version: u64,
    ) -> StoreResult<Option<Definition>> {
        let mut conn = self.reader.acquire().await?;
        definition(&mut conn, id, version).await
    }

    async fn response(&self, id: ResponseId) -> StoreResult<Option<Doc>> {
        let mut conn = self.reader.acquire().await?;
        let stored = read_doc(&mut conn, id.0, "").await?;
        Ok(stored
            .filter(|(kind, _, _)| *kind == RecordKind::Response)
            .map(|(_, _, doc)| doc))
    }

    async fn responses_of(&self, questionnaire: QuestionnaireId) -> StoreResult<Vec<ResponseRow>> {
        let rows = sqlx::query(
            "SELECT r.id, d.state, f.name, f.district FROM responses r \
             JOIN docs d ON d.id = r.id LEFT JOIN facilities f ON f.id = r.facility_id \
             WHERE r.questionnaire_id = $1 ORDER BY f.district, f.name, r.answered_at, r.id",
        )
        .bind(questionnaire.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ResponseRow {
                    id: parse(&row.try_get::<String, _>("id")?)?,
                    doc: Doc::from_bytes(
                        RecordKind::Response,
                        &row.try_get::<Vec<u8>, _>("state")?,
                    )
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    facility_name: row.try_get("name")?,
                    district: row.try_get("district")?,
                })
            })
            .collect()
    }
}
