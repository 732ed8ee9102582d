//! Districts as reference data: the province's district-level units (a city, towns, rural
//! districts) that facilities, events and device assignments name. Seeded with Long An's
//! fifteen units of the programme's years; a province adds its own as data. A name that is not
//! in the list is refused with the closest known name suggested.

use crate::vietnamese;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of district-level unit a district is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DistrictKind {
    /// A provincial city (thành phố), such as Tân An.
    City,
    /// A town (thị xã), such as Kiến Tường.
    Town,
    /// A rural district (huyện).
    District,
}

impl DistrictKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [DistrictKind; 3] = [Self::City, Self::Town, Self::District];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::Town => "town",
            Self::District => "district",
        }
    }

    /// The kind with this API name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A district-level unit of the province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct District {
    /// Its name, as written in Vietnamese ("Bến Lức").
    pub name: String,
    /// City, town or rural district.
    pub kind: DistrictKind,
}

/// Long An's district-level units of 2013–2020, as seeded in a new database.
pub fn long_an() -> Vec<District> {
    serde_json::from_str(include_str!("../seed/long-an-districts.json"))
        .expect("the embedded district list parses")
}

/// A district name that is not in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDistrict {
    /// The name as given.
    pub name: String,
    /// The closest known name (accents and case ignored), when one is close.
    pub suggestion: Option<String>,
}

impl fmt::Display for UnknownDistrict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown district \"{}\"", self.name)?;
        match &self.suggestion {
            Some(suggestion) => write!(f, "; did you mean \"{suggestion}\"?"),
            None => write!(f, "; the administrator adds districts to the list"),
        }
    }
}

impl std::error::Error for UnknownDistrict {}

/// The known name `name` stands for: the same letters once trimmed and in composed Unicode
/// form (a Mac's decomposed "Bến Lức" is the same district); anything else is unknown, with
/// the closest known name suggested.
pub fn resolve<'a>(name: &str, known: &'a [District]) -> Result<&'a District, UnknownDistrict> {
    let composed = vietnamese::compose(name);
    known
        .iter()
        .find(|district| district.name == composed)
        .ok_or_else(|| UnknownDistrict {
            name: name.trim().to_string(),
            suggestion: vietnamese::closest(&composed, known.iter().map(|d| d.name.as_str()))
                .map(str::to_string),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_holds_the_provinces_fifteen_units() {
        let districts = long_an();
        assert_eq!(districts.len(), 15);
        let kind = |name: &str| districts.iter().find(|d| d.name == name).map(|d| d.kind);
        assert_eq!(kind("Tân An"), Some(DistrictKind::City));
        assert_eq!(kind("Kiến Tường"), Some(DistrictKind::Town));
        assert_eq!(kind("Bến Lức"), Some(DistrictKind::District));
        for focus in crate::indicators::long_an_2013().districts {
            assert!(kind(&focus).is_some(), "{focus} is seeded");
        }
    }

    #[test]
    fn a_name_resolves_exactly_or_is_refused_with_a_suggestion() {
        let districts = long_an();
        use unicode_normalization::UnicodeNormalization;
        let decomposed: String = "Bến Lức".nfd().collect();
        assert_eq!(
            resolve(&decomposed, &districts).expect("listed").name,
            "Bến Lức"
        );
        assert_eq!(
            resolve(" Tân An ", &districts).expect("listed").name,
            "Tân An"
        );
        let refused = resolve("Ben Luc", &districts).expect_err("unlisted");
        assert_eq!(refused.suggestion.as_deref(), Some("Bến Lức"));
        assert_eq!(
            refused.to_string(),
            "unknown district \"Ben Luc\"; did you mean \"Bến Lức\"?"
        );
        assert_eq!(
            resolve("Hà Nội", &districts)
                .expect_err("unlisted")
                .suggestion,
            None
        );
    }
}
