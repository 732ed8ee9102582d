//! The questionnaire part of the apply path: publications, the check of answers against the
//! version a response was started on, and the responses projection.

use super::{StoreError, StoreResult};
use sachhon_shared::questionnaire::{answers, meta, Definition, ResponseView};
use sachhon_shared::{Doc, Op, Publication, QuestionnaireId, ResponseId};
use sqlx::AnyConnection;

/// Stores a published questionnaire version (idempotent).
pub async fn insert_publication(
    conn: &mut AnyConnection,
    record: uuid::Uuid,
    publication: &Publication,
    received_at: &str,
) -> StoreResult<()> {
    let definition = serde_json::to_string(&publication.definition)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO questionnaires (id, version, record_id, definition, published_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(publication.questionnaire.to_string())
    .bind(i64::from(publication.version))
    .bind(record.to_string())
    .bind(definition)
    .bind(received_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The definition of one version of a questionnaire.
pub async fn definition(
    conn: &mut AnyConnection,
    questionnaire: QuestionnaireId,
    version: u64,
) -> StoreResult<Option<Definition>> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT definition FROM questionnaires WHERE id = $1 AND version = $2")
            .bind(questionnaire.to_string())
            .bind(i64::try_from(version).unwrap_or(i64::MAX))
            .fetch_optional(&mut *conn)
            .await?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

/// The questionnaire and version a response is on: from the stored document, or from the op
/// that starts it.
fn version_of(doc: &Doc, op: &Op) -> Option<(QuestionnaireId, u64)> {
    let from_op = |key: &str| {
        op.field_values()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    };
    let read = |key: &str| doc.value(key).or_else(|| from_op(key));
    let questionnaire = read(meta::QUESTIONNAIRE)?.as_str()?.parse().ok()?;
    let version = read(meta::VERSION)?.as_u64()?;
    Some((questionnaire, version))
}

/// Why a response op is refused, if it is: `(field, message)`. Answers are checked against the
/// version the response was started on.
pub async fn check_response_op(
    conn: &mut AnyConnection,
    doc: &Doc,
    op: &Op,
) -> StoreResult<Option<(String, String)>> {
    let Some((questionnaire, version)) = version_of(doc, op) else {
        return Ok(Some((
            meta::QUESTIONNAIRE.into(),
            "a response needs $questionnaire and $version".into(),
        )));
    };
    let Some(definition) = definition(conn, questionnaire, version).await? else {
        return Ok(Some((
            meta::QUESTIONNAIRE.into(),
            format!("questionnaire {questionnaire} has no version {version}"),
        )));
    };
    Ok(op
        .field_values()
        .into_iter()
        .filter(|(key, _)| !key.starts_with('$'))
        .find_map(|(key, value)| definition.check_answer(key, value).err())
        .map(|invalid| (invalid.field, invalid.message)))
}

/// Rewrites a response's projection row from its merged document.
pub async fn project_response(
    conn: &mut AnyConnection,
    id: ResponseId,
    doc: &Doc,
) -> StoreResult<()> {
    let version = doc
        .value(meta::QUESTIONNAIRE)
        .and_then(|q| q.as_str()?.parse::<QuestionnaireId>().ok())
        .zip(doc.value(meta::VERSION).and_then(|v| v.as_u64()));
    let definition = match version {
        Some((questionnaire, version)) => definition(conn, questionnaire, version).await?,
        None => None,
    };
    let view = ResponseView::of(id, doc, definition.as_ref());
    // Normalised to UTC, so that as-of comparisons hold whatever offset the phone wrote.
    let answered_at = view
        .answered_at
        .as_deref()
        .and_then(crate::time::parse_rfc3339);
    let answers = answers(doc);
    let first = |key: &str| answers.get(key).and_then(|values| values.first()).cloned();
    sqlx::query(
        "INSERT INTO responses (id, questionnaire_id, version, facility_id, answered_at, score, \
         passes, applies_cp, savings_pct, review, conflicts, answered_at_ms) \
         VALUES ($1, $2, $3, $4, $5, CAST($6 AS DOUBLE PRECISION), $7, $8, \
         CAST($9 AS DOUBLE PRECISION), $10, $11, $12) ON CONFLICT (id) DO UPDATE SET \
         questionnaire_id = excluded.questionnaire_id, version = excluded.version, \
         facility_id = excluded.facility_id, answered_at = excluded.answered_at, \
         answered_at_ms = excluded.answered_at_ms, \
         score = excluded.score, passes = excluded.passes, applies_cp = excluded.applies_cp, \
         savings_pct = excluded.savings_pct, review = excluded.review, \
         conflicts = excluded.conflicts",
    )
    .bind(id.to_string())
    .bind(view.questionnaire_id.map(|q| q.to_string()))
    .bind(view.version.and_then(|v| i64::try_from(v).ok()))
    .bind(view.facility_id.map(|f| f.to_string()))
    .bind(answered_at.map(crate::time::rfc3339))
    .bind(real(view.score))
    .bind(i64::from(view.passes.unwrap_or(false)))
    .bind(i64::from(
        first("applies_cp")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    ))
    .bind(real(first("savings_pct").and_then(|v| v.as_f64())))
    .bind(view.review.state.clone())
    .bind(i64::try_from(view.conflicts.len()).unwrap_or(i64::MAX))
    .bind(answered_at.map(crate::time::unix_ms))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A nullable real bound as text and cast in SQL: sqlx's `Any` driver (0.8) sends a null
/// `f64` to PostgreSQL as a `float4`, which then fixes the prepared statement's parameter type
/// and breaks the next non-null `f64`. Rust prints an `f64` exactly (shortest round trip).
fn real(value: Option<f64>) -> Option<String> {
    value.map(|v| v.to_string())
}
