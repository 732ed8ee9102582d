//! The check of a field's value against the schema table ([`crate::schema`]), and typed
//! reads of a document's fields.

use crate::doc::{Doc, FieldValue};
use crate::schema::{Field, FieldType, RecordKind};
use crate::text::{self, TextError};
use crate::timestamp::{self, TimeError};
use uuid::Uuid;

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
    if kind.has_open_fields() && !field.starts_with('$') {
        // An answer: its value is checked against the questionnaire's definition by whoever
        // holds it (the phone before queuing, the server on arrival).
        return Ok(());
    }
    let Some(Field { ty: field_type, .. }) = kind.field(field) else {
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
    fn text(&self, field: Field) -> Option<String>;
    /// A boolean field (absent reads as false).
    fn flag(&self, field: Field) -> bool;
    /// A UUID field.
    fn id(&self, field: Field) -> Option<Uuid>;
}

impl DocFields for Doc {
    fn text(&self, field: Field) -> Option<String> {
        self.value(field.name)
            .and_then(|v| v.as_str().map(str::to_string))
    }

    fn flag(&self, field: Field) -> bool {
        self.value(field.name)
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    fn id(&self, field: Field) -> Option<Uuid> {
        self.text(field).and_then(|s| Uuid::parse_str(&s).ok())
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
