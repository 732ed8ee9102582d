//! The fields each record kind may carry, and the check of a field's value.

use crate::doc::{Doc, FieldValue};
use crate::op::RecordKind;
use crate::questionnaire::meta;
use crate::text::{self, TextError};
use crate::timestamp::{self, TimeError};
use uuid::Uuid;

/// The type a field's value must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A non-empty short string ([`text::SHORT`]).
    Text,
    /// A short string or null.
    OptionalText,
    /// A long string ([`text::LONG`]) or null: comments, notes.
    OptionalNote,
    /// An RFC 3339 time within the accepted years ([`timestamp`]).
    Time,
    /// A time or null.
    OptionalTime,
    /// true or false.
    Bool,
    /// A UUID string.
    Id,
    /// A UUID string or null.
    OptionalId,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// A whole number from 1.
    Count,
}

/// The kinds of event.
pub const EVENT_KINDS: &[&str] = &["awareness", "training"];

/// The fields of a record kind, with their types; every field is required when a record is
/// created through the admin API.
pub fn schema(kind: RecordKind) -> &'static [(&'static str, FieldType)] {
    use FieldType::*;
    match kind {
        RecordKind::Facility => &[
            ("name", Text),
            ("tax_code", Text),
            ("district", Text),
            ("sector", Text),
            ("cp_potential", Bool),
        ],
        RecordKind::Person => &[
            ("name", Text),
            ("facility_id", OptionalId),
            ("cp_staff", Bool),
            ("phone", OptionalText),
        ],
        RecordKind::Event => &[
            ("title", Text),
            ("kind", OneOf(EVENT_KINDS)),
            ("starts_at", Time),
            ("district", Text),
        ],
        RecordKind::Registration => &[
            ("event_id", Id),
            ("person_id", Id),
            ("revoked", Bool),
            ("revoked_at", OptionalTime),
        ],
        RecordKind::Response => &[
            (meta::QUESTIONNAIRE, Id),
            (meta::VERSION, Count),
            (meta::FACILITY, Id),
            (meta::ANSWERED_AT, Time),
            (meta::REVIEW, OneOf(meta::REVIEW_STATES)),
            (meta::REVIEW_COMMENT, OptionalNote),
        ],
        RecordKind::Scan | RecordKind::Annulment | RecordKind::Questionnaire => &[],
    }
}

/// A field that is not part of a record's schema, or whose value has the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The record kind has no such field.
    #[error("{kind} has no field {field:?}")]
    Unknown {
        /// The record kind.
        kind: RecordKind,
        /// The field named.
        field: String,
    },
    /// The value has the wrong type.
    #[error("{field}: expected {expected}")]
    Invalid {
        /// The field named.
        field: String,
        /// What was expected, in words.
        expected: String,
    },
    /// A string breaks the text rule ([`text::check`]).
    #[error("{field}: {error}")]
    Text {
        /// The field named.
        field: String,
        /// What is wrong with it.
        error: TextError,
    },
    /// A time is not RFC 3339 or outside the accepted years ([`timestamp`]).
    #[error("{field}: {error}")]
    Time {
        /// The field named.
        field: String,
        /// What is wrong with it.
        error: TimeError,
    },
}

impl FieldError {
    /// The field this error is about.
    pub fn field(&self) -> &str {
        match self {
            Self::Unknown { field, .. }
            | Self::Invalid { field, .. }
            | Self::Text { field, .. }
            | Self::Time { field, .. } => field,
        }
    }
}

/// Checks one field value against the schema of its record kind.
pub fn check_field(kind: RecordKind, field: &str, value: &FieldValue) -> Result<(), FieldError> {
    if kind == RecordKind::Response && !field.starts_with('$') {
        // An answer: its value is checked against the questionnaire's definition by whoever
        // holds it (the phone before queuing, the server on arrival).
        return Ok(());
    }
    let Some(&(_, field_type)) = schema(kind).iter().find(|(name, _)| *name == field) else {
        return Err(FieldError::Unknown {
            kind,
            field: field.to_string(),
        });
    };
    let as_text_error = |error| FieldError::Text {
        field: field.to_string(),
        error,
    };
    match (field_type, value.as_str()) {
        (FieldType::Text | FieldType::OptionalText, Some(s)) => {
            text::check(s, text::SHORT).map_err(as_text_error)?
        }
        (FieldType::OptionalNote, Some(s)) => text::check(s, text::LONG).map_err(as_text_error)?,
        (FieldType::Time | FieldType::OptionalTime, Some(s)) => {
            timestamp::parse_time(s).map_err(|error| FieldError::Time {
                field: field.to_string(),
                error,
            })?;
        }
        _ => {}
    }
    let is_id = |v: &FieldValue| v.as_str().is_some_and(|s| Uuid::parse_str(s).is_ok());
    let (ok, expected) = match field_type {
        FieldType::Text => (
            value.as_str().is_some_and(|s| !s.trim().is_empty()),
            "a non-empty string".to_string(),
        ),
        FieldType::OptionalText | FieldType::OptionalNote => (
            value.is_null() || value.is_string(),
            "a string or null".to_string(),
        ),
        FieldType::Time => (value.is_string(), "an RFC 3339 time".to_string()),
        FieldType::OptionalTime => (
            value.is_null() || value.is_string(),
            "an RFC 3339 time or null".to_string(),
        ),
        FieldType::Bool => (value.is_boolean(), "true or false".to_string()),
        FieldType::Id => (is_id(value), "an id (UUID)".to_string()),
        FieldType::OptionalId => (
            value.is_null() || is_id(value),
            "an id (UUID) or null".to_string(),
        ),
        FieldType::Count => (
            value.as_u64().is_some_and(|n| n >= 1),
            "a whole number from 1".to_string(),
        ),
        FieldType::OneOf(options) => (
            value.as_str().is_some_and(|s| options.contains(&s)),
            format!("one of {}", options.join(", ")),
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(FieldError::Invalid {
            field: field.to_string(),
            expected,
        })
    }
}

/// Typed reads of a document's fields for projections (conflicts resolved deterministically).
pub trait DocFields {
    /// A string field.
    fn text(&self, key: &str) -> Option<String>;
    /// A boolean field (absent reads as false).
    fn flag(&self, key: &str) -> bool;
    /// A UUID field.
    fn id(&self, key: &str) -> Option<Uuid>;
}

impl DocFields for Doc {
    fn text(&self, key: &str) -> Option<String> {
        self.value(key).and_then(|v| v.as_str().map(str::to_string))
    }

    fn flag(&self, key: &str) -> bool {
        self.value(key).and_then(|v| v.as_bool()).unwrap_or(false)
    }

    fn id(&self, key: &str) -> Option<Uuid> {
        self.text(key).and_then(|s| Uuid::parse_str(&s).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_checked_against_the_schema() {
        assert!(check_field(RecordKind::Person, "name", &json!("Lan")).is_ok());
        assert!(check_field(RecordKind::Person, "name", &json!("  ")).is_err());
        assert!(check_field(RecordKind::Person, "cp_staff", &json!("yes")).is_err());
        assert!(check_field(RecordKind::Person, "facility_id", &json!(null)).is_ok());
        assert!(check_field(RecordKind::Event, "kind", &json!("party")).is_err());
        let unknown = check_field(RecordKind::Event, "colour", &json!("red"));
        assert_eq!(
            unknown.map_err(|e| e.field().to_string()),
            Err("colour".into())
        );
        assert!(check_field(RecordKind::Person, "name", &json!("a\u{0}b")).is_err());
        assert!(check_field(RecordKind::Person, "name", &json!("x".repeat(501))).is_err());
        let far = check_field(
            RecordKind::Event,
            "starts_at",
            &json!("9999-12-31T23:00:00Z"),
        );
        assert!(matches!(far, Err(FieldError::Time { .. })), "{far:?}");
        assert!(check_field(
            RecordKind::Event,
            "starts_at",
            &json!("2026-12-01T08:00:00+07:00")
        )
        .is_ok());
    }
}
