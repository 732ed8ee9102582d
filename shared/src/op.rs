//! The op envelope: one change to one record by one actor, numbered in that actor's order.

use crate::doc::FieldOp;
use crate::ids::{ActorId, EventId, OpId, PersonId, QuestionnaireId, RegistrationId, ScanId};
use crate::questionnaire::Definition;
use crate::records;
use crate::{text, timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The kinds of record a phone or the server can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A facility (factory); a document.
    Facility,
    /// A person; a document.
    Person,
    /// An event; a document.
    Event,
    /// A registration of a person for an event; a document.
    Registration,
    /// A check-in scan; an immutable fact.
    Scan,
    /// The annulment of a scan; an immutable fact.
    Annulment,
    /// A published questionnaire version; an immutable fact.
    Questionnaire,
    /// A facility's questionnaire response; a document of answers.
    Response,
}

impl RecordKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RecordKind; 8] = [
        Self::Facility,
        Self::Person,
        Self::Event,
        Self::Registration,
        Self::Scan,
        Self::Annulment,
        Self::Questionnaire,
        Self::Response,
    ];

    /// The stable name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Facility => "facility",
            Self::Person => "person",
            Self::Event => "event",
            Self::Registration => "registration",
            Self::Scan => "scan",
            Self::Annulment => "annulment",
            Self::Questionnaire => "questionnaire",
            Self::Response => "response",
        }
    }

    /// Whether records of this kind are field documents (as opposed to immutable facts).
    pub fn is_document(self) -> bool {
        !matches!(self, Self::Scan | Self::Annulment | Self::Questionnaire)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown record kind {s:?}"))
    }
}

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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Field edits to a document, in the order they were made.
    Fields(Vec<FieldOp>),
    /// A new scan fact.
    Scan(ScanFact),
    /// A new annulment fact.
    Annul(Annulment),
    /// A questionnaire version.
    Publish(Publication),
}

/// The envelope every change travels in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Unique id of this op.
    pub id: OpId,
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
    /// A field op is stamped with an actor other than the envelope's, or with an
    /// inconsistent causal context.
    #[error("field op for {field:?} is not stamped by the op's actor")]
    ForeignDot {
        /// The field concerned.
        field: String,
    },
    /// Removing fields is not part of the protocol.
    #[error("field removal is not supported")]
    Removal,
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
            Self::ForeignDot { field } => Some(field),
            Self::Field(error) => Some(error.field()),
            Self::WrongChange { .. } | Self::Removal | Self::Empty => None,
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

    /// Checks the op's shape: the change fits the kind, it is not empty or a removal, and
    /// every dot belongs to the op's actor. A client that follows the protocol never fails
    /// this; the server refuses such a push whole.
    pub fn check_shape(&self) -> Result<(), OpError> {
        match (&self.change, self.kind) {
            (Change::Scan(_), RecordKind::Scan)
            | (Change::Annul(_), RecordKind::Annulment)
            | (Change::Publish(_), RecordKind::Questionnaire) => Ok(()),
            (Change::Fields(ops), kind) if kind.is_document() => {
                if ops.is_empty() {
                    return Err(OpError::Empty);
                }
                ops.iter().try_for_each(|op| self.check_field_op(op))
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
            Change::Scan(fact) => {
                timestamp::from_unix_ms(fact.scanned_at_ms).map_err(|error| {
                    records::FieldError::Time {
                        field: "scanned_at_ms".into(),
                        error,
                    }
                })?;
                text("operator", fact.operator.as_ref(), text::SHORT)
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

    fn check_field_op(&self, op: &FieldOp) -> Result<(), OpError> {
        let crdts::map::Op::Up { dot, key, op } = op else {
            return Err(OpError::Removal);
        };
        let crdts::mvreg::Op::Put { clock, .. } = op;
        if dot.actor != self.actor || clock.get(&self.actor) != dot.counter {
            return Err(OpError::ForeignDot { field: key.clone() });
        }
        Ok(())
    }

    /// The field edits of a document change, with their values, in order.
    pub fn field_values(&self) -> Vec<(&str, &crate::doc::FieldValue)> {
        match &self.change {
            Change::Fields(ops) => ops
                .iter()
                .filter_map(|op| match op {
                    crdts::map::Op::Up {
                        key,
                        op: crdts::mvreg::Op::Put { val, .. },
                        ..
                    } => Some((key.as_str(), val)),
                    crdts::map::Op::Rm { .. } => None,
                })
                .collect(),
            Change::Scan(_) | Change::Annul(_) | Change::Publish(_) => Vec::new(),
        }
    }
}
