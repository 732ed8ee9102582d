//! Questionnaire responses on the phone, offline: answering (a new response on the newest
//! version of a questionnaire the replica holds, or more answers to one it holds) and the
//! local view of a response with the server's rejections of this phone's answers.
//!
//! Every answer is read and checked with the definition of the version the response was
//! started on (`Definition::parse_answer`, the same check the server runs); one invalid value
//! refuses the whole command and nothing is queued. All the fields of one command travel as
//! one op.

use crate::checkin::require_write;
use crate::error::{Error, Result};
use crate::store::{response_version, LocalTx, StoredResponse};
use sachhon_shared::authority::Scope;
use sachhon_shared::doc::FieldValue;
use sachhon_shared::questionnaire::{meta, Definition, ResponseView};
use sachhon_shared::records::DocFields;
use sachhon_shared::schema;
use sachhon_shared::{FacilityId, Publication, QuestionnaireId, RecordKind, ResponseId};
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;

/// One of this phone's ops that the server acknowledged but refused (an invalid answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RejectedOp {
    /// The op's sequence number.
    pub seq: u64,
    /// The field at fault.
    pub field: String,
    /// Why, in the server's words.
    pub message: String,
}

/// A response as this phone holds it (`sachhon-device show response`): the server's
/// `GET /api/v1/responses/{id}` shape, computed from the local merged document, plus the
/// server's rejections of this phone's answers to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LocalResponse {
    /// The merged view, scored with the version answered when the replica holds it.
    #[serde(flatten)]
    pub view: ResponseView,
    /// This phone's ops on the response that the server refused, by seq.
    pub rejected: Vec<RejectedOp>,
}

impl LocalResponse {
    /// The view of a stored response.
    pub(crate) fn of(id: ResponseId, stored: StoredResponse) -> Self {
        let definition = stored.publication.as_ref().map(|p| &p.definition);
        Self {
            view: ResponseView::of(id, &stored.doc, definition),
            rejected: stored.rejected,
        }
    }
}

/// An `answer` command.
#[derive(Clone, Debug)]
pub(crate) struct AnswerRequest<'a> {
    /// The questionnaire answered.
    pub questionnaire: QuestionnaireId,
    /// The facility answering.
    pub facility: FacilityId,
    /// The response to add to; `None` starts a new one.
    pub response: Option<ResponseId>,
    /// The answers as typed: question key and text.
    pub sets: &'a [(String, String)],
    /// The device clock now (RFC 3339), recorded when a response starts.
    pub answered_at: String,
}

/// Checks and records the answers of `request` as one op; returns the response.
pub(crate) async fn answer(tx: &mut LocalTx, request: AnswerRequest<'_>) -> Result<ResponseId> {
    if request.sets.is_empty() {
        return Err(Error::Invalid(
            "give at least one answer (--set KEY=VALUE)".into(),
        ));
    }
    require_write(tx, RecordKind::Response, Scope::Facility(request.facility))?;
    let (id, publication, mut fields) = match request.response {
        None => start(tx, &request).await?,
        Some(id) => resume(tx, &request, id).await?,
    };
    fields.extend(parse_answers(&publication.definition, request.sets)?);
    tx.set_fields(RecordKind::Response, id.0, fields).await?;
    Ok(id)
}

/// A new response and its opening fields.
type Started = (ResponseId, Publication, Vec<(&'static str, FieldValue)>);

/// A new response on the newest version of the questionnaire the replica holds.
async fn start(tx: &mut LocalTx, request: &AnswerRequest<'_>) -> Result<Started> {
    let questionnaire = request.questionnaire;
    let publication = tx.newest_publication(questionnaire).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "questionnaire {questionnaire} is unknown to this replica (sync to receive it)"
        ))
    })?;
    let fields = vec![
        (meta::QUESTIONNAIRE, json!(questionnaire.to_string())),
        (meta::VERSION, json!(publication.version)),
        (meta::FACILITY, json!(request.facility.to_string())),
        (meta::ANSWERED_AT, json!(request.answered_at)),
    ];
    Ok((ResponseId::new(), publication, fields))
}

/// A response the replica holds, of this questionnaire and facility, with the version it
/// was started on.
async fn resume(tx: &mut LocalTx, request: &AnswerRequest<'_>, id: ResponseId) -> Result<Started> {
    let doc = tx
        .doc(RecordKind::Response, id.0)
        .await?
        .filter(|doc| !doc.is_empty())
        .ok_or_else(|| Error::NotFound(format!("response {id} is unknown to this replica")))?;
    let facility = doc
        .id(schema::response::FACILITY)
        .map(FacilityId::from)
        .ok_or_else(|| Error::Conflict(format!("response {id} names no facility")))?;
    require_write(tx, RecordKind::Response, Scope::Facility(facility))?;
    if facility != request.facility {
        return Err(Error::Invalid(format!(
            "response {id} belongs to facility {facility}, not {}",
            request.facility
        )));
    }
    let (questionnaire, version) = response_version(&doc)
        .ok_or_else(|| Error::Conflict(format!("response {id} names no questionnaire version")))?;
    if questionnaire != request.questionnaire {
        return Err(Error::Invalid(format!(
            "response {id} answers questionnaire {questionnaire}, not {}",
            request.questionnaire
        )));
    }
    let publication = tx
        .publication(questionnaire, version)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "questionnaire {questionnaire} version {version} is unknown to this replica"
            ))
        })?;
    Ok((id, publication, Vec::new()))
}

/// Reads every typed answer as its question's type and checks it; the first invalid one (or
/// a question given twice) refuses them all, naming the field.
pub(crate) fn parse_answers<'a>(
    definition: &Definition,
    sets: &'a [(String, String)],
) -> Result<Vec<(&'a str, FieldValue)>> {
    let mut seen = HashSet::new();
    sets.iter()
        .map(|(key, text)| {
            if !seen.insert(key.as_str()) {
                return Err(Error::Invalid(format!("{key}: answered twice")));
            }
            let value = definition
                .parse_answer(key, text)
                .map_err(|invalid| Error::Invalid(invalid.to_string()))?;
            Ok((key.as_str(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> Definition {
        serde_json::from_value(json!({
            "title": {"vi": "Nhận thức", "en": "Awareness"}, "pass_mark": 2,
            "questions": [
                {"key": "knows_cp", "kind": "single_choice",
                 "choices": [{"key": "yes", "score": 2}, {"key": "no", "score": 0}]},
                {"key": "savings_pct", "kind": "number", "min": 0, "max": 100}]}))
        .expect("parses")
    }

    fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn answers_are_typed_by_their_question() {
        let given = sets(&[("knows_cp", "yes"), ("savings_pct", "12.5")]);
        let parsed = parse_answers(&definition(), &given).expect("valid");
        assert_eq!(
            parsed,
            vec![("knows_cp", json!("yes")), ("savings_pct", json!(12.5))]
        );
    }

    #[test]
    fn one_bad_answer_refuses_all_and_names_its_field() {
        for bad in [
            sets(&[("knows_cp", "yes"), ("savings_pct", "101")]),
            sets(&[("knows_cp", "maybe")]),
            sets(&[("colour", "red")]),
            sets(&[("$review", "approved")]),
            sets(&[("knows_cp", "yes"), ("knows_cp", "no")]),
        ] {
            match parse_answers(&definition(), &bad) {
                Err(Error::Invalid(message)) => {
                    assert!(message.starts_with(&bad[bad.len() - 1].0), "{message}")
                }
                other => panic!("expected a refusal of {bad:?}, got {other:?}"),
            }
        }
    }
}
