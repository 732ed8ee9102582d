//! Awareness questionnaires: definitions, the check of an answer, a response's score.
//! Phone and server run this same code, so they agree on what is valid and who passes.

use crate::doc::{Doc, FieldValue};
use crate::ids::{FacilityId, QuestionnaireId, ResponseId};
use crate::text;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A text in Vietnamese and English.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Vietnamese.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub vi: String,
    /// English.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub en: String,
}

impl Label {
    /// The text in `lang` (`vi` or `en`), falling back to the other one.
    pub fn in_lang(&self, lang: &str) -> &str {
        let (first, second) = if lang == "en" {
            (&self.en, &self.vi)
        } else {
            (&self.vi, &self.en)
        };
        if first.is_empty() {
            second
        } else {
            first
        }
    }
}

/// The kinds of question.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One choice key.
    SingleChoice,
    /// A list of choice keys.
    MultiChoice,
    /// true or false.
    Boolean,
    /// A number, within `min` and `max` when given.
    Number,
    /// A whole number, within `min` and `max` when given.
    Integer,
    /// Free text.
    Text,
    /// A text shown to the person answering; it takes no answer.
    Note,
}

impl QuestionKind {
    /// Whether its answer is a number (`min` and `max` apply).
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Number | Self::Integer)
    }
}

/// A scored choice.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Its key, the stored answer.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub key: String,
    /// Points toward the awareness score.
    #[serde(default)]
    pub score: f64,
    /// Its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
}

/// One question.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Its key, the field of the response document.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[a-z][a-z0-9_]*$", max_length = 500)
    )]
    pub key: String,
    /// Its kind.
    pub kind: QuestionKind,
    /// Its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// Choices of a choice question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Lowest number allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest number allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// A questionnaire definition (CONTRACT.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Its title.
    pub title: Label,
    /// The score at or above which a response counts as aware.
    pub pass_mark: f64,
    /// The questions, in order.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub questions: Vec<Question>,
}

/// A definition or an answer that does not hold; `field` is the path at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// Where: `questions[2].choices`, or an answer's question key.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// A text of a definition or an answer under the text rule ([`text::check`]).
fn check_text(field: &str, value: &str, limit: usize) -> Result<(), Invalid> {
    text::check(value, limit).map_err(|error| invalid(field, error.to_string()))
}

fn check_label(field: &str, label: Option<&Label>) -> Result<(), Invalid> {
    match label {
        Some(label) => {
            check_text(&format!("{field}.vi"), &label.vi, text::LONG)?;
            check_text(&format!("{field}.en"), &label.en, text::LONG)
        }
        None => Ok(()),
    }
}

/// Whether a key may name a question: lowercase letters, digits and `_`, starting with a
/// letter, at most [`text::SHORT`] long (response documents reserve keys starting with `$`
/// for their own fields).
pub fn is_question_key(key: &str) -> bool {
    key.len() <= text::SHORT
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Definition {
    /// Checks what serde cannot: unique, well-formed keys; choices where needed; bounds.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.questions.is_empty() {
            return Err(invalid(
                "questions",
                "a questionnaire needs at least one question",
            ));
        }
        if !self.pass_mark.is_finite() {
            return Err(invalid("pass_mark", "must be a number"));
        }
        check_label("title", Some(&self.title))?;
        let mut keys = HashSet::new();
        for (i, question) in self.questions.iter().enumerate() {
            let at = |part: &str| format!("questions[{i}].{part}");
            check_label(&at("label"), question.label.as_ref())?;
            for (j, choice) in question.choices.iter().enumerate() {
                check_text(&at(&format!("choices[{j}].key")), &choice.key, text::SHORT)?;
                check_label(&at(&format!("choices[{j}].label")), choice.label.as_ref())?;
            }
            if !is_question_key(&question.key) {
                return Err(invalid(
                    at("key"),
                    format!("{:?}: use lowercase letters, digits and _", question.key),
                ));
            }
            if !keys.insert(question.key.as_str()) {
                return Err(invalid(
                    at("key"),
                    format!("duplicate key {:?}", question.key),
                ));
            }
            let is_choice = matches!(
                question.kind,
                QuestionKind::SingleChoice | QuestionKind::MultiChoice
            );
            if is_choice && question.choices.is_empty() {
                return Err(invalid(at("choices"), "a choice question needs choices"));
            }
            if !is_choice && !question.choices.is_empty() {
                return Err(invalid(at("choices"), "only choice questions have choices"));
            }
            let mut choice_keys = HashSet::new();
            for choice in &question.choices {
                if choice.key.is_empty() || !choice_keys.insert(choice.key.as_str()) {
                    return Err(invalid(
                        at("choices"),
                        format!("empty or duplicate choice key {:?}", choice.key),
                    ));
                }
            }
            if let (Some(min), Some(max)) = (question.min, question.max) {
                if min > max {
                    return Err(invalid(at("min"), format!("min {min} is above max {max}")));
                }
            }
            if !question.kind.is_numeric() && (question.min.is_some() || question.max.is_some()) {
                return Err(invalid(at("min"), "only number questions have min and max"));
            }
        }
        Ok(())
    }

    /// The questions that take an answer (all but notes), in order.
    pub fn answerable(&self) -> impl Iterator<Item = &Question> {
        self.questions
            .iter()
            .filter(|q| q.kind != QuestionKind::Note)
    }

    /// The question with this key.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    /// Checks one answer value against its question.
    pub fn check_answer(&self, key: &str, value: &FieldValue) -> Result<(), Invalid> {
        let question = self
            .question(key)
            .ok_or_else(|| invalid(key, "no such question in this questionnaire"))?;
        let is_choice = |v: &FieldValue| {
            v.as_str()
                .is_some_and(|k| question.choices.iter().any(|c| c.key == k))
        };
        let ok = match question.kind {
            QuestionKind::SingleChoice => {
                if value.is_string() && !is_choice(value) {
                    return Err(invalid(key, format!("unknown choice {value}")));
                }
                value.is_string()
            }
            QuestionKind::MultiChoice => match value.as_array() {
                Some(items) => {
                    if items.len() > question.choices.len() {
                        return Err(invalid(key, "more choices than the question has"));
                    }
                    if let Some(bad) = items.iter().find(|v| !is_choice(v)) {
                        return Err(invalid(key, format!("unknown choice {bad}")));
                    }
                    true
                }
                None => false,
            },
            QuestionKind::Boolean => value.is_boolean(),
            QuestionKind::Number | QuestionKind::Integer => match value.as_f64() {
                Some(n) if question.kind == QuestionKind::Integer && n.fract() != 0.0 => false,
                Some(n) => {
                    if question.min.is_some_and(|min| n < min)
                        || question.max.is_some_and(|max| n > max)
                    {
                        return Err(invalid(
                            key,
                            format!("{n} is out of range {:?}..{:?}", question.min, question.max),
                        ));
                    }
                    true
                }
                None => false,
            },
            QuestionKind::Text => match value.as_str() {
                Some(answer) => {
                    check_text(key, answer, text::LONG)?;
                    true
                }
                None => false,
            },
            QuestionKind::Note => false,
        };
        if ok {
            Ok(())
        } else {
            Err(invalid(
                key,
                format!("expected {}", expected(question.kind)),
            ))
        }
    }

    /// Reads a value typed on a phone (`--set key=value`) as the question's type: choice keys
    /// as strings, `a,b` lists for multi-choice, numbers, `true`/`false`.
    pub fn parse_answer(&self, key: &str, text: &str) -> Result<FieldValue, Invalid> {
        let question = self
            .question(key)
            .ok_or_else(|| invalid(key, "no such question in this questionnaire"))?;
        let value = match question.kind {
            QuestionKind::SingleChoice | QuestionKind::Text => FieldValue::from(text),
            QuestionKind::MultiChoice => FieldValue::from(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(FieldValue::from)
                    .collect::<Vec<_>>(),
            ),
            QuestionKind::Boolean => match text {
                "true" => FieldValue::from(true),
                "false" => FieldValue::from(false),
                _ => return Err(invalid(key, "expected true or false")),
            },
            QuestionKind::Note => return Err(invalid(key, "a note takes no answer")),
            QuestionKind::Number | QuestionKind::Integer => {
                serde_json::from_str::<serde_json::Number>(text)
                    .map(FieldValue::Number)
                    .map_err(|_| invalid(key, format!("{text:?} is not a number")))?
            }
        };
        self.check_answer(key, &value)?;
        Ok(value)
    }

    /// The awareness score of a response: the sum of its chosen choices' scores. A conflicted
    /// answer counts by its first value in canonical order until the office resolves it.
    pub fn score(&self, answers: &BTreeMap<String, Vec<FieldValue>>) -> f64 {
        let chosen = |question: &Question, key: &FieldValue| {
            question
                .choices
                .iter()
                .find(|c| key.as_str() == Some(c.key.as_str()))
                .map_or(0.0, |c| c.score)
        };
        self.questions
            .iter()
            .filter_map(|q| Some((q, answers.get(&q.key)?.first()?)))
            .map(|(question, value)| match question.kind {
                QuestionKind::SingleChoice => chosen(question, value),
                QuestionKind::MultiChoice => value
                    .as_array()
                    .map_or(0.0, |keys| keys.iter().map(|k| chosen(question, k)).sum()),
                _ => 0.0,
            })
            .sum()
    }

    /// Whether a score reaches the pass mark.
    pub fn passes(&self, score: f64) -> bool {
        score >= self.pass_mark
    }
}

fn expected(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::SingleChoice => "one choice key (a string)",
        QuestionKind::MultiChoice => "a list of choice keys",
        QuestionKind::Boolean => "true or false",
        QuestionKind::Number => "a number",
        QuestionKind::Integer => "a whole number",
        QuestionKind::Text => "a string",
        QuestionKind::Note => "no answer (a note)",
    }
}

/// Fields every response document carries besides its answers.
pub mod meta {
    use crate::schema::response;
    /// The questionnaire answered.
    pub const QUESTIONNAIRE: &str = response::QUESTIONNAIRE.name;
    /// The version of the questionnaire answered.
    pub const VERSION: &str = response::VERSION.name;
    /// The facility answering.
    pub const FACILITY: &str = response::FACILITY.name;
    /// When the response was started, RFC 3339, phone's clock.
    pub const ANSWERED_AT: &str = response::ANSWERED_AT.name;
    /// Office review: `received`, `has_issues` or `approved`.
    pub const REVIEW: &str = response::REVIEW.name;
    /// The office's comment with the review.
    pub const REVIEW_COMMENT: &str = response::REVIEW_COMMENT.name;
    /// Review states.
    pub const REVIEW_STATES: &[&str] = crate::schema::REVIEW_STATES;
}

/// The answers of a response document (its fields that are not `$` fields).
pub fn answers(doc: &Doc) -> BTreeMap<String, Vec<FieldValue>> {
    doc.fields()
        .into_iter()
        .filter(|(key, _)| !key.starts_with('$'))
        .collect()
}

/// A response as the office and the phone show it (`GET /api/v1/responses/{id}`,
/// `sachhon-device show response`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseView {
    /// The response.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: ResponseId,
    /// The questionnaire answered.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>, required = true))]
    pub questionnaire_id: Option<QuestionnaireId>,
    /// The version answered.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub version: Option<u64>,
    /// The facility answering.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>, required = true))]
    pub facility_id: Option<FacilityId>,
    /// When it was started (phone's clock).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub answered_at: Option<String>,
    /// Each answered question's concurrent values (one when there is no conflict).
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, Vec<serde_json::Value>>))]
    pub answers: BTreeMap<String, Vec<FieldValue>>,
    /// The questions holding more than one value, for the office to resolve.
    pub conflicts: Vec<String>,
    /// The awareness score (sum of the chosen choices' scores), when the definition is known.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub score: Option<f64>,
    /// Whether the score reaches the pass mark.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub passes: Option<bool>,
    /// The office's review.
    pub review: Review,
}

/// The office's review of a response.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Review {
    /// `received`, `has_issues`, `approved`, or none yet.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub state: Option<String>,
    /// The office's comment.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub comment: Option<String>,
}

impl ResponseView {
    /// The view of a response document, scored with its version's definition when known.
    pub fn of(id: ResponseId, doc: &Doc, definition: Option<&Definition>) -> Self {
        let text = |key| doc.value(key).and_then(|v| v.as_str().map(str::to_string));
        let id_of = |key| text(key).and_then(|s| uuid::Uuid::parse_str(&s).ok());
        let answers = answers(doc);
        let conflicts = answers
            .iter()
            .filter(|(_, values)| values.len() > 1)
            .map(|(key, _)| key.clone())
            .collect();
        let score = definition.map(|d| d.score(&answers));
        Self {
            id,
            questionnaire_id: id_of(meta::QUESTIONNAIRE).map(QuestionnaireId),
            version: doc.value(meta::VERSION).and_then(|v| v.as_u64()),
            facility_id: id_of(meta::FACILITY).map(FacilityId),
            answered_at: text(meta::ANSWERED_AT),
            answers,
            conflicts,
            score,
            passes: definition.zip(score).map(|(d, s)| d.passes(s)),
            review: Review {
                state: text(meta::REVIEW),
                comment: text(meta::REVIEW_COMMENT),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition() -> Definition {
        serde_json::from_value(json!({
            "title": {"vi": "Nhận thức SXSH", "en": "CP awareness"}, "pass_mark": 3,
            "questions": [
                {"key": "knows_cp", "kind": "single_choice", "label": {"vi": "Biết SXSH?", "en": "Knows CP?"},
                 "choices": [{"key": "yes", "score": 2}, {"key": "no", "score": 0}]},
                {"key": "topics", "kind": "multi_choice", "choices": [{"key": "energy", "score": 1}, {"key": "water", "score": 1}]},
                {"key": "applies_cp", "kind": "boolean"},
                {"key": "savings_pct", "kind": "number", "min": 0, "max": 100},
                {"key": "notes", "kind": "text"},
                {"key": "staff", "kind": "integer", "min": 1},
                {"key": "intro", "kind": "note", "label": {"vi": "Xin chào", "en": "Hello"}}]}))
        .expect("parses")
    }

    #[test]
    fn definitions_are_checked() {
        assert!(definition().validate().is_ok());
        let mut duplicate = definition();
        duplicate.questions[1].key = "knows_cp".into();
        assert_eq!(
            duplicate.validate().map_err(|e| e.field),
            Err("questions[1].key".into())
        );
        let mut no_choices = definition();
        no_choices.questions[0].choices.clear();
        assert_eq!(
            no_choices.validate().map_err(|e| e.field),
            Err("questions[0].choices".into())
        );
        let mut text_bounds = definition();
        text_bounds.questions[4].max = Some(1.0);
        assert_eq!(
            text_bounds.validate().map_err(|e| e.field),
            Err("questions[4].min".into())
        );
        let mut bounds = definition();
        bounds.questions[3].min = Some(200.0);
        assert_eq!(
            bounds.validate().map_err(|e| e.field),
            Err("questions[3].min".into())
        );
    }

    #[test]
    fn answers_are_checked_and_scored() {
        let d = definition();
        assert!(d.check_answer("knows_cp", &json!("yes")).is_ok());
        assert!(d.check_answer("knows_cp", &json!("maybe")).is_err());
        assert!(d.check_answer("topics", &json!(["energy", "air"])).is_err());
        assert!(d.check_answer("savings_pct", &json!(120)).is_err());
        assert!(d.check_answer("savings_pct", &json!("7")).is_err());
        assert!(d.check_answer("colour", &json!("red")).is_err());
        assert!(d.check_answer("staff", &json!(12)).is_ok());
        assert!(d.check_answer("staff", &json!(2.5)).is_err());
        assert!(d.check_answer("staff", &json!(0)).is_err());
        assert!(d.check_answer("intro", &json!("hi")).is_err());
        assert!(d.parse_answer("intro", "hi").is_err());
        assert_eq!(d.parse_answer("staff", "7").ok(), Some(json!(7)));
        assert_eq!(
            d.parse_answer("topics", "energy,water").ok(),
            Some(json!(["energy", "water"]))
        );
        assert_eq!(d.parse_answer("applies_cp", "true").ok(), Some(json!(true)));
        let answers = BTreeMap::from([
            ("knows_cp".to_string(), vec![json!("yes")]),
            ("topics".to_string(), vec![json!(["energy"])]),
        ]);
        assert_eq!(d.score(&answers), 3.0);
        assert!(d.passes(d.score(&answers)));
    }
}
