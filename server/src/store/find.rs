//! Findable lists: facilities and people searched by name (and tax code), accents and case
//! ignored, in Vietnamese order, a page at a time with a cursor that names the last row seen.

use super::{StoreError, StoreResult};
use sachhon_shared::{FacilityId, PersonId};
use uuid::Uuid;

/// The largest page a list answers; a request for more gets this many.
pub const MAX_PAGE: u32 = 500;

/// Where a page ends: the last row's sort key and id. As text, `SORTKEY_ID`: opaque to
/// clients, who pass back what `next` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    /// The last row's `sort_key`.
    pub sort_key: String,
    /// The last row's id.
    pub id: Uuid,
}

impl ListCursor {
    /// The cursor as clients see it.
    pub fn format(&self) -> String {
        format!("{}_{}", self.sort_key, self.id)
    }

    /// A cursor that [`ListCursor::format`] wrote; anything else is refused (field `after`).
    pub fn parse(text: &str) -> StoreResult<Self> {
        let invalid = || StoreError::Invalid {
            field: Some("after".into()),
            message: "after must be the `next` of a previous page".into(),
        };
        let (sort_key, id) = text.rsplit_once('_').ok_or_else(invalid)?;
        let well_formed = sort_key
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'.');
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self {
            sort_key: sort_key.to_string(),
            id: Uuid::parse_str(id).map_err(|_| invalid())?,
        })
    }
}

/// What to find: words of a name or tax code (folded before comparing), a district, the
/// page after a cursor, and a page size (at most [`MAX_PAGE`]).
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Text the name (or a facility's tax code) must contain; empty for every row.
    pub q: String,
    /// Only rows of this district (a facility's, or a person's facility's).
    pub district: Option<String>,
    /// Only the people of this facility (people lists only).
    pub facility: Option<FacilityId>,
    /// The page after this cursor.
    pub after: Option<ListCursor>,
    /// How many rows at most.
    pub limit: u32,
}

/// A page of a list, in Vietnamese order of the name.
#[derive(Debug, Clone)]
pub struct Found<T> {
    /// The rows.
    pub items: Vec<T>,
    /// The cursor of the next page, when there are more rows.
    pub next: Option<ListCursor>,
}

/// A person as the lists show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// Their id.
    pub id: PersonId,
    /// Their name.
    pub name: Option<String>,
    /// The facility they work for.
    pub facility: Option<FacilityId>,
    /// That facility's name.
    pub facility_name: Option<String>,
    /// Whether they are dedicated cleaner-production staff.
    pub cp_staff: bool,
}
