//! Why a setup form or API call was refused, kept as data so that the API can answer it in
//! English (`detail`, with the field) and the office pages in the page's language.

use crate::store::StoreError;
use sachhon_shared::district::UnknownDistrict;
use sachhon_shared::questionnaire::Invalid;
use sachhon_shared::timestamp::TimeError;
use sachhon_shared::FacilityId;
use std::fmt;

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing was given where something is needed.
    Empty,
    /// Not a listed district.
    UnknownDistrict(UnknownDistrict),
    /// Not a time (or outside the accepted years).
    Time(TimeError),
    /// Not one of the event kinds.
    EventKind,
    /// No facility has this id.
    NoFacility(String),
    /// No person has this id.
    NoPerson(String),
    /// Another facility already has this tax code.
    TaxCodeTaken(FacilityId),
    /// An enterprise device without its facility.
    FacilityRequired,
    /// A questionnaire definition that does not hold (the path at fault is inside).
    Definition(Invalid),
}

/// A refused value: the field it was given for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The field, as the API names it (`district`, `starts_at`, …).
    pub field: &'static str,
    /// Why.
    pub refusal: Refusal,
}

impl Refused {
    /// `field`'s value refused for `refusal`.
    pub fn new(field: &'static str, refusal: Refusal) -> Self {
        Self { field, refusal }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.refusal {
            Refusal::Empty => write!(f, "{} must not be empty", self.field),
            Refusal::UnknownDistrict(unknown) => write!(f, "{unknown}"),
            Refusal::Time(error) => write!(f, "{error}"),
            Refusal::EventKind => write!(
                f,
                "kind must be one of {}",
                sachhon_shared::schema::EVENT_KINDS.join(", ")
            ),
            Refusal::NoFacility(id) => write!(f, "no facility {id}"),
            Refusal::NoPerson(id) => write!(f, "no person {id}"),
            Refusal::TaxCodeTaken(other) => write!(
                f,
                "facility {other} already has this tax code; update it through the import"
            ),
            Refusal::FacilityRequired => {
                write!(f, "an enterprise device needs the facility it belongs to")
            }
            Refusal::Definition(invalid) => write!(f, "{}", invalid.message),
        }
    }
}

/// A setup call that failed: a refused value (nothing written), or the store.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A value was refused.
    #[error("{0}")]
    Refused(Refused),
    /// The store failed or refused (a stored text rule, a missing record).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Refused> for SetupError {
    fn from(refused: Refused) -> Self {
        Self::Refused(refused)
    }
}

/// The result of a setup call.
pub type SetupResult<T> = Result<T, SetupError>;
