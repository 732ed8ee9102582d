//! The published schema table of the sync protocol (docs/sync-protocol.md): every record kind
//! and every document field as a small integer, with its name and the type of its value.
//!
//! Codes are append-only: a released code never changes meaning. Names are what views, JSON,
//! projections and the office pages use; codes are what the wire carries.

use std::fmt;
use std::str::FromStr;

/// The kinds of record a phone or the server can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// Every kind, in the order of their codes.
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

    /// The stable name used in storage, JSON and messages.
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

    /// The code on the wire: 1 to 8, in the order of [`RecordKind::ALL`].
    pub fn code(self) -> u8 {
        match self {
            Self::Facility => 1,
            Self::Person => 2,
            Self::Event => 3,
            Self::Registration => 4,
            Self::Scan => 5,
            Self::Annulment => 6,
            Self::Questionnaire => 7,
            Self::Response => 8,
        }
    }

    /// The kind of a wire code.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| u64::from(kind.code()) == code)
    }

    /// Whether records of this kind are field documents (as opposed to immutable facts).
    pub fn is_document(self) -> bool {
        !matches!(self, Self::Scan | Self::Annulment | Self::Questionnaire)
    }

    /// The fields of a document kind, in the order of their codes; none for facts.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::Facility => facility::ALL,
            Self::Person => person::ALL,
            Self::Event => event::ALL,
            Self::Registration => registration::ALL,
            Self::Response => response::ALL,
            Self::Scan | Self::Annulment | Self::Questionnaire => &[],
        }
    }

    /// The field of this kind named `name`.
    pub fn field(self, name: &str) -> Option<Field> {
        self.fields().iter().copied().find(|f| f.name == name)
    }

    /// The field of this kind with wire code `code`.
    pub fn field_by_code(self, code: u64) -> Option<Field> {
        self.fields()
            .iter()
            .copied()
            .find(|f| u64::from(f.code) == code)
    }

    /// Whether documents of this kind also carry fields named by text outside the table: a
    /// response's answers, keyed by the questionnaire's question keys.
    pub fn has_open_fields(self) -> bool {
        self == Self::Response
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

/// The type a field's value must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A non-empty short string ([`crate::text::SHORT`]).
    Text,
    /// A short string or null.
    OptionalText,
    /// A long string ([`crate::text::LONG`]) or null: comments, notes.
    OptionalNote,
    /// An RFC 3339 time within the accepted years ([`crate::timestamp`]).
    Time,
    /// A time or null.
    OptionalTime,
    /// true or false.
    Bool,
    /// A record id; a UUID string in views, 16 bytes on the wire.
    Id,
    /// A record id or null.
    OptionalId,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// A whole number from 1.
    Count,
}

impl FieldType {
    /// Whether values of this type are record ids (16-byte strings on the wire).
    pub fn is_id(self) -> bool {
        matches!(self, Self::Id | Self::OptionalId)
    }
}

/// One field of a document kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Its code on the wire, unique within its kind.
    pub code: u8,
    /// Its name in views, JSON and projections.
    pub name: &'static str,
    /// The type of its value.
    pub ty: FieldType,
}

impl Field {
    const fn new(code: u8, name: &'static str, ty: FieldType) -> Self {
        Self { code, name, ty }
    }
}

/// The kinds of event.
pub const EVENT_KINDS: &[&str] = &["awareness", "training"];

/// Office review states of a response.
pub const REVIEW_STATES: &[&str] = &["received", "has_issues", "approved"];

/// The fields of a facility.
pub mod facility {
    use super::{Field, FieldType::*};
    /// Its name.
    pub const NAME: Field = Field::new(0, "name", Text);
    /// Its tax code, the key of imports.
    pub const TAX_CODE: Field = Field::new(1, "tax_code", Text);
    /// Its district.
    pub const DISTRICT: Field = Field::new(2, "district", Text);
    /// Its industrial sector.
    pub const SECTOR: Field = Field::new(3, "sector", Text);
    /// Whether it has cleaner-production potential (the plan's denominator).
    pub const CP_POTENTIAL: Field = Field::new(4, "cp_potential", Bool);
    /// Every field, by code.
    pub const ALL: &[Field] = &[NAME, TAX_CODE, DISTRICT, SECTOR, CP_POTENTIAL];
}

/// The fields of a person.
pub mod person {
    use super::{Field, FieldType::*};
    /// Their name.
    pub const NAME: Field = Field::new(0, "name", Text);
    /// Their facility, if any; it decides the person's scope.
    pub const FACILITY_ID: Field = Field::new(1, "facility_id", OptionalId);
    /// Whether they are their facility's dedicated cleaner-production staff.
    pub const CP_STAFF: Field = Field::new(2, "cp_staff", Bool);
    /// Their phone number.
    pub const PHONE: Field = Field::new(3, "phone", OptionalText);
    /// Every field, by code.
    pub const ALL: &[Field] = &[NAME, FACILITY_ID, CP_STAFF, PHONE];
}

/// The fields of an event.
pub mod event {
    use super::{Field, FieldType::*, EVENT_KINDS};
    /// Its title.
    pub const TITLE: Field = Field::new(0, "title", Text);
    /// Awareness or training ([`EVENT_KINDS`]).
    pub const KIND: Field = Field::new(1, "kind", OneOf(EVENT_KINDS));
    /// When it starts.
    pub const STARTS_AT: Field = Field::new(2, "starts_at", Time);
    /// Its district.
    pub const DISTRICT: Field = Field::new(3, "district", Text);
    /// Every field, by code.
    pub const ALL: &[Field] = &[TITLE, KIND, STARTS_AT, DISTRICT];
}

/// The fields of a registration.
pub mod registration {
    use super::{Field, FieldType::*};
    /// The event registered for.
    pub const EVENT_ID: Field = Field::new(0, "event_id", Id);
    /// The person registered.
    pub const PERSON_ID: Field = Field::new(1, "person_id", Id);
    /// Whether the office revoked it (its ticket no longer admits).
    pub const REVOKED: Field = Field::new(2, "revoked", Bool);
    /// When it was revoked.
    pub const REVOKED_AT: Field = Field::new(3, "revoked_at", OptionalTime);
    /// Every field, by code.
    pub const ALL: &[Field] = &[EVENT_ID, PERSON_ID, REVOKED, REVOKED_AT];
}

/// The fields of a questionnaire response besides its answers (which are named by the
/// questionnaire's question keys). Their names start with `$`, which no question key does.
pub mod response {
    use super::{Field, FieldType::*, REVIEW_STATES};
    /// The questionnaire answered.
    pub const QUESTIONNAIRE: Field = Field::new(0, "$questionnaire", Id);
    /// The version of the questionnaire answered.
    pub const VERSION: Field = Field::new(1, "$version", Count);
    /// The facility answering.
    pub const FACILITY: Field = Field::new(2, "$facility", Id);
    /// When the response was started, RFC 3339, phone's clock.
    pub const ANSWERED_AT: Field = Field::new(3, "$answered_at", Time);
    /// Office review ([`REVIEW_STATES`]).
    pub const REVIEW: Field = Field::new(4, "$review", OneOf(REVIEW_STATES));
    /// The office's comment with the review.
    pub const REVIEW_COMMENT: Field = Field::new(5, "$review_comment", OptionalNote);
    /// Every field, by code.
    pub const ALL: &[Field] = &[
        QUESTIONNAIRE,
        VERSION,
        FACILITY,
        ANSWERED_AT,
        REVIEW,
        REVIEW_COMMENT,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_order() {
        for (i, kind) in RecordKind::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(kind.code()), i + 1);
            assert_eq!(RecordKind::from_code(u64::from(kind.code())), Some(kind));
            for (j, field) in kind.fields().iter().enumerate() {
                assert_eq!(usize::from(field.code), j, "{kind} {}", field.name);
                assert_eq!(kind.field(field.name), Some(*field));
            }
        }
        assert_eq!(RecordKind::from_code(9), None);
    }
}
