//! The office's work on merged responses, for the API and the response page alike: a
//! response's view with the definition of its version, resolving a conflicted answer (checked
//! against that version), and the review (received, has issues, approved). Both writes are ops
//! under the server's actor, so the phone that answered receives them.

use crate::problem::ApiError;
use crate::store::{RecordEdit, Store};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::questionnaire::{meta, Definition, ResponseView};
use sachhon_shared::{RecordKind, ResponseId};
use serde_json::json;

/// A response's view with the definition of its version.
pub async fn view(
    store: &dyn Store,
    id: ResponseId,
) -> Result<(ResponseView, Option<Definition>), ApiError> {
    let doc = store
        .response(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no response {id}")))?;
    let blank = ResponseView::of(id, &doc, None);
    let definition = match blank.questionnaire_id.zip(blank.version) {
        Some((questionnaire, version)) => {
            store.questionnaire_version(questionnaire, version).await?
        }
        None => None,
    };
    Ok((ResponseView::of(id, &doc, definition.as_ref()), definition))
}

/// Sets one answer of a response as the office (the API's `PUT …/answers/{key}` and the
/// response page's form): checked against the response's questionnaire version, written under
/// the server's actor so that it supersedes every value it has seen.
pub async fn resolve_answer(
    store: &dyn Store,
    id: ResponseId,
    key: &str,
    value: FieldValue,
) -> Result<ResponseView, ApiError> {
    let (_, definition) = view(store, id).await?;
    let definition = definition.ok_or_else(|| {
        ApiError::Conflict("the response's questionnaire version is unknown".into())
    })?;
    definition
        .check_answer(key, &value)
        .map_err(|e| ApiError::invalid("value", e.to_string()))?;
    write(store, id, vec![(key.to_string(), value)]).await?;
    Ok(view(store, id).await?.0)
}

/// Records the office's review of a response (the API and the response page's form).
pub async fn review_response(
    store: &dyn Store,
    id: ResponseId,
    state: &str,
    comment: Option<String>,
) -> Result<ResponseView, ApiError> {
    if !meta::REVIEW_STATES.contains(&state) {
        return Err(ApiError::invalid(
            "state",
            format!("state must be one of {}", meta::REVIEW_STATES.join(", ")),
        ));
    }
    let comment = comment.filter(|c| !c.trim().is_empty());
    if state == "has_issues" && comment.is_none() {
        return Err(ApiError::invalid("comment", "say what the issues are"));
    }
    view(store, id).await?;
    let fields = vec![
        (meta::REVIEW.to_string(), json!(state)),
        (meta::REVIEW_COMMENT.to_string(), json!(comment)),
    ];
    write(store, id, fields).await?;
    Ok(view(store, id).await?.0)
}

async fn write(
    store: &dyn Store,
    id: ResponseId,
    fields: Vec<(String, FieldValue)>,
) -> Result<(), ApiError> {
    store
        .write_as_server(&[RecordEdit {
            kind: RecordKind::Response,
            id: id.0,
            fields,
        }])
        .await
        .map_err(ApiError::from)
}
