//! Identifier newtypes over UUID v7: time-ordered, so they insert into B-trees in order.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered (UUID v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    )*};
}

id_type! {
    /// One enrolment of a phone: the CRDT actor under which it writes. Every enrolment makes a
    /// new actor, so a reinstalled phone never reuses a reset counter.
    ActorId;
    /// A device registered by an administrator; it may be enrolled several times.
    DeviceId;
    /// A factory or other production facility.
    FacilityId;
    /// A person: an attendee, possibly dedicated CP staff of a facility.
    PersonId;
    /// A workshop or training event.
    EventId;
    /// A person's registration for an event; its ticket is what the QR badge carries.
    RegistrationId;
    /// One scan of a badge (or a walk-in check-in) on one phone.
    ScanId;
    /// One op in the sync log.
    OpId;
    /// A questionnaire (all its versions).
    QuestionnaireId;
    /// One facility's response to a questionnaire.
    ResponseId;
}
