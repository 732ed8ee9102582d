//! The op envelope: one change to one record by one actor, numbered in that actor's order.

use crate::doc::{Edit, FieldValue};
use crate::ids::{ActorId, EventId, PersonId, QuestionnaireId, RegistrationId, ScanId};
use crate::questionnaire::Definition;
use crate::records;
use crate::schema::Field;
pub use crate::schema::RecordKind;
use crate::{text, timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Whether a scan admitted a person the first time on that phone or again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// The first scan of this person for this event that the phone knew of.
    Ok,
    /// The person had already been scanned for this event.
    Duplicate,
}

impl ScanStatus {
    /// The stable name used in storage and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Duplicate => "duplicate",
        }
    }
}

/// A check-in: an immutable fact. Merge is set union by scan id, so a scan is never lost and
/// never counted twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFact {
    /// The event checked into.
    pub event: EventId,
    /// The registration whose ticket was scanned (a walk-in makes one on the spot).
    pub registration: RegistrationId,
    /// The person admitted, when the phone knew the registration; a ticket registered after
    /// the phone's last sync is accepted on its signature, and the server fills in the person.
    pub person: Option<PersonId>,
    /// Who operated the phone, if the phone was told.
    pub operator: Option<String>,
    /// The phone's clock when it scanned, milliseconds since the Unix epoch (never rewritten).
    pub scanned_at_ms: i64,
    /// What the phone decided.
    pub status: ScanStatus,
    /// Whether the person was registered on the spot rather than holding a ticket.
    pub walk_in: bool,
}

/// The annulment of a scan (a mistaken scan, a person who left): another immutable fact, so
/// that it merges like scans do. An annulled scan no longer counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annulment {
    /// The scan annulled.
    pub scan: ScanId,
    /// Why, in the operator's words.
    pub reason: Option<String>,
}

/// A published version of a questionnaire: an immutable fact; changing a questionnaire
/// publishes a new version, and a response keeps the version it was answered on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    /// The questionnaire.
    pub questionnaire: QuestionnaireId,
    /// Its version: 1, 2, …
    pub version: u32,
    /// The definition.
    pub definition: Definition,
}

/// What an op does to its record.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Field writes to a document, with the causal context they supersede.
    Fields(Edit),
    /// A new scan fact.
    Scan(ScanFact),
    /// A new annulment fact.
    Annul(Annulment),
    /// A questionnaire version.
    Publish(Publication),
}

/// One change of one record by one actor. Its dot, (`actor`, `seq`), identifies it.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// The actor that made it; the server accepts it only from that actor's own token.
    pub actor: ActorId,
    /// The actor's sequence number: 1, 2, 3, … with no gaps.
    pub seq: u64,
    /// The kind of record changed.
    pub kind: RecordKind,
    /// The record changed (for a scan, the scan id).
    pub record: Uuid,
    /// The change itself.
    pub change: Change,
}

/// Why an op is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// The change does not fit the record kind.
    #[error("a {kind} record cannot take this kind of change")]
    WrongChange {
        /// The kind named in the envelope.
        kind: RecordKind,
    },
    /// The causal context claims an op of the writer that is not before this one.
    #[error("the context has seen op {seen} of this actor, not before op {seq}")]
    ContextAhead {
        /// What the context says was seen.
        seen: u64,
        /// The op's own sequence number.
        seq: u64,
    },
    /// The same field is written twice by one op.
    #[error("field {field:?} is written twice")]
    Repeated {
        /// The field concerned.
        field: String,
    },
    /// An empty change.
    #[error("the change is empty")]
    Empty,
    /// A field value is invalid.
    #[error(transparent)]
    Field(#[from] records::FieldError),
}

impl OpError {
    /// The field at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Repeated { field } => Some(field),
            Self::Field(error) => Some(error.field()),
            Self::WrongChange { .. } | Self::ContextAhead { .. } | Self::Empty => None,
        }
    }
}

impl Op {
    /// Checks everything about an op that needs no stored state: its shape
    /// ([`Op::check_shape`]) and its values ([`Op::check_values`]).
    pub fn check(&self) -> Result<(), OpError> {
        self.check_shape()?;
        self.check_values()?;
        Ok(())
    }

    /// Checks the op's shape: the change fits the kind, it is not empty, writes each field
    /// once, and its context is before the op itself. A client that follows the protocol
    /// never fails this; the server refuses such a push whole.
    pub fn check_shape(&self) -> Result<(), OpError> {
        match (&self.change, self.kind) {
            (Change::Scan(_), RecordKind::Scan)
            | (Change::Annul(_), RecordKind::Annulment)
            | (Change::Publish(_), RecordKind::Questionnaire) => Ok(()),
            (Change::Fields(edit), kind) if kind.is_document() => {
                if edit.fields.is_empty() {
                    return Err(OpError::Empty);
                }
                let seen = edit.context.get(&self.actor);
                if seen >= self.seq {
                    return Err(OpError::ContextAhead {
                        seen,
                        seq: self.seq,
                    });
                }
                let mut seen = std::collections::HashSet::new();
                match edit
                    .fields
                    .iter()
                    .find(|(name, _)| !seen.insert(name.as_str()))
                {
                    Some((name, _)) => Err(OpError::Repeated {
                        field: name.clone(),
                    }),
                    None => Ok(()),
                }
            }
            _ => Err(OpError::WrongChange { kind: self.kind }),
        }
    }

    /// Checks the op's values: every field value fits the record's schema, times lie in the
    /// accepted years, strings follow the text rule. The server refuses a failing op alone
    /// (acknowledged, reported back) so that the rest of the phone's queue goes through.
    pub fn check_values(&self) -> Result<(), records::FieldError> {
        let text = |field: &str, value: Option<&String>, limit| {
            value.map_or(Ok(()), |value| {
                text::check(value, limit).map_err(|error| records::FieldError::Text {
                    field: field.to_string(),
                    error,
                })
            })
        };
        match &self.change {
            Change::Fields(_) => self
                .field_values()
                .into_iter()
                .try_for_each(|(key, value)| records::check_field(self.kind, key, value)),
            // In wire order: the operator comes before the scan time.
            Change::Scan(fact) => {
                text("operator", fact.operator.as_ref(), text::SHORT)?;
                timestamp::from_unix_ms(fact.scanned_at_ms).map_err(|error| {
                    records::FieldError::Time {
                        field: "scanned_at_ms".into(),
                        error,
                    }
                })?;
                Ok(())
            }
            Change::Annul(annulment) => text("reason", annulment.reason.as_ref(), text::LONG),
            Change::Publish(publication) => {
                publication
                    .definition
                    .validate()
                    .map_err(|invalid| records::FieldError::Invalid {
                        field: invalid.field,
                        expected: invalid.message,
                    })
            }
        }
    }

    /// The field writes of a document change, with their values.
    pub fn field_values(&self) -> Vec<(&str, &FieldValue)> {
        match &self.change {
            Change::Fields(edit) => edit.fields.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            Change::Scan(_) | Change::Annul(_) | Change::Publish(_) => Vec::new(),
        }
    }

    /// The value this op writes to `field`, if it writes it.
    pub fn value_of(&self, field: Field) -> Option<&FieldValue> {
        self.field_values()
            .into_iter()
            .find_map(|(key, value)| (key == field.name).then_some(value))
    }
}
