//! Who may read and write which records: device roles and record scopes.

use crate::doc::Doc;
use crate::ids::{FacilityId, PersonId};
use crate::op::RecordKind;
use crate::questionnaire::meta;
use crate::records::DocFields;
use crate::schema::{person, registration, response};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The role of an enrolled device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A trainer's phone: scans badges and registers walk-ins; sees everything.
    Trainer,
    /// An enterprise's phone: sees and writes only its own facility's records.
    Enterprise,
    /// An office phone or tablet: like a trainer.
    Office,
}

impl Role {
    /// The stable name used in storage and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trainer => "trainer",
            Self::Enterprise => "enterprise",
            Self::Office => "office",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Trainer, Self::Enterprise, Self::Office]
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

/// Who a record belongs to, for read and write permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Seen by every device (events).
    Public,
    /// Programme staff only: trainers and office (e.g. a walk-in with no facility).
    Staff,
    /// One facility's records.
    Facility(FacilityId),
}

impl Scope {
    /// The stored form: `public`, `staff` or the facility id.
    pub fn to_key(self) -> String {
        match self {
            Self::Public => "public".into(),
            Self::Staff => "staff".into(),
            Self::Facility(id) => id.to_string(),
        }
    }

    /// The scope of a facility's records, or programme staff's when there is no facility.
    pub fn of_facility(facility: Option<FacilityId>) -> Self {
        facility.map_or(Self::Staff, Self::Facility)
    }

    /// Reads the stored form written by [`Scope::to_key`].
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "public" => Some(Self::Public),
            "staff" => Some(Self::Staff),
            id => id.parse().ok().map(Self::Facility),
        }
    }
}

/// Where a document belongs, as far as its own fields tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// In this scope.
    In(Scope),
    /// With this person: a registration belongs where its person does.
    WithPerson(PersonId),
}

/// The one scope rule, used by the phone and the server alike: a facility is its own scope; a
/// person and a response belong to their facility (programme staff's when none); events and
/// questionnaires are public; a registration follows its person. (Scans and annulments follow
/// their registration, which the store that holds it knows.)
pub fn placement(kind: RecordKind, id: Uuid, doc: &Doc) -> Placement {
    let facility = |field| Scope::of_facility(doc.id(field).map(FacilityId));
    match kind {
        RecordKind::Facility => Placement::In(Scope::Facility(FacilityId(id))),
        RecordKind::Person => Placement::In(facility(person::FACILITY_ID)),
        RecordKind::Response => Placement::In(facility(response::FACILITY)),
        RecordKind::Event | RecordKind::Questionnaire => Placement::In(Scope::Public),
        RecordKind::Registration | RecordKind::Scan | RecordKind::Annulment => doc
            .id(registration::PERSON_ID)
            .map_or(Placement::In(Scope::Staff), |person| {
                Placement::WithPerson(PersonId(person))
            }),
    }
}

/// A device as the authority rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The device's role.
    pub role: Role,
    /// The facility an enterprise device belongs to.
    pub facility: Option<FacilityId>,
}

impl Principal {
    /// Whether this device may receive a record of this scope.
    pub fn may_read(&self, scope: Scope) -> bool {
        match self.role {
            Role::Trainer | Role::Office => true,
            Role::Enterprise => match scope {
                Scope::Public => true,
                Scope::Staff => false,
                Scope::Facility(id) => self.facility == Some(id),
            },
        }
    }

    /// Whether this device may change a record of this kind and scope. Facilities, events and
    /// questionnaires belong to the registry that administrators keep; an enterprise device
    /// writes only its own facility's people and responses.
    pub fn may_write(&self, kind: RecordKind, scope: Scope) -> bool {
        let staff_kind = matches!(
            kind,
            RecordKind::Person
                | RecordKind::Registration
                | RecordKind::Scan
                | RecordKind::Annulment
                | RecordKind::Response
        );
        match self.role {
            Role::Trainer | Role::Office => staff_kind,
            Role::Enterprise => {
                matches!(kind, RecordKind::Person | RecordKind::Response)
                    && matches!(scope, Scope::Facility(id) if self.facility == Some(id))
            }
        }
    }
}

impl Principal {
    /// The field rules, in one table: whether this device may write `field` of a `kind`
    /// record, beyond [`Principal::may_write`] (the server's own writes are not subject to
    /// them).
    ///
    /// | record, field | who may write it |
    /// | --- | --- |
    /// | response `$review`, `$review_comment` | office devices only |
    /// | response `$questionnaire`, `$version`, `$facility`; registration `event_id` | set when the record is created, never changed by a device |
    /// | registration `person_id`, `revoked`, `revoked_at` | set when created; changed by office devices only |
    /// | anything else | whoever may write the record |
    ///
    /// `creating` tells whether the op creates the record.
    pub fn may_write_field(&self, kind: RecordKind, field: &str, creating: bool) -> bool {
        // Patterns need plain constants: the names of the schema's fields.
        const EVENT_ID: &str = registration::EVENT_ID.name;
        const PERSON_ID: &str = registration::PERSON_ID.name;
        const REVOKED: &str = registration::REVOKED.name;
        const REVOKED_AT: &str = registration::REVOKED_AT.name;
        let office = self.role == Role::Office;
        match (kind, field) {
            (RecordKind::Response, meta::REVIEW | meta::REVIEW_COMMENT) => office,
            (RecordKind::Response, meta::QUESTIONNAIRE | meta::VERSION | meta::FACILITY)
            | (RecordKind::Registration, EVENT_ID) => creating,
            (RecordKind::Registration, PERSON_ID | REVOKED | REVOKED_AT) => creating || office,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enterprise_device_sees_only_its_facility() {
        let own = FacilityId::new();
        let device = Principal {
            role: Role::Enterprise,
            facility: Some(own),
        };
        assert!(device.may_read(Scope::Public));
        assert!(device.may_read(Scope::Facility(own)));
        assert!(!device.may_read(Scope::Facility(FacilityId::new())));
        assert!(!device.may_read(Scope::Staff));
        assert!(!device.may_write(RecordKind::Scan, Scope::Facility(own)));
        assert!(device.may_write(RecordKind::Person, Scope::Facility(own)));
    }

    #[test]
    fn field_rules_by_role() {
        let device = |role| Principal {
            role,
            facility: None,
        };
        let (trainer, enterprise, office) = (
            device(Role::Trainer),
            device(Role::Enterprise),
            device(Role::Office),
        );
        let review = |p: Principal| p.may_write_field(RecordKind::Response, meta::REVIEW, false);
        assert!(!review(enterprise) && !review(trainer) && review(office));
        for p in [trainer, enterprise, office] {
            assert!(p.may_write_field(RecordKind::Response, meta::FACILITY, true));
            assert!(!p.may_write_field(RecordKind::Response, meta::FACILITY, false));
            assert!(!p.may_write_field(
                RecordKind::Registration,
                registration::EVENT_ID.name,
                false
            ));
            assert!(p.may_write_field(RecordKind::Response, "knows_cp", false));
        }
        let (person, revoked) = (registration::PERSON_ID.name, registration::REVOKED.name);
        assert!(trainer.may_write_field(RecordKind::Registration, person, true));
        assert!(!trainer.may_write_field(RecordKind::Registration, revoked, false));
        assert!(office.may_write_field(RecordKind::Registration, revoked, false));
    }

    #[test]
    fn scopes_round_trip() {
        for scope in [
            Scope::Public,
            Scope::Staff,
            Scope::Facility(FacilityId::new()),
        ] {
            assert_eq!(Scope::from_key(&scope.to_key()), Some(scope));
        }
    }
}
