//! The district list as forms and imports use it: a name must be a listed district; an
//! unknown one is refused with the closest listed name suggested.

use super::{Refusal, Refused, SetupResult};
use crate::store::{Store, StoreResult};
use sachhon_shared::district::{self, District};
use sachhon_shared::vietnamese::{compose, sort_key};

/// The listed districts, loaded once for a form or a whole import.
pub struct Districts(Vec<District>);

impl Districts {
    /// The districts listed in the store, in Vietnamese order of their names.
    pub async fn load(store: &dyn Store) -> StoreResult<Self> {
        let mut districts = store.districts().await?;
        districts.sort_by_cached_key(|district| sort_key(&district.name));
        Ok(Self(districts))
    }

    /// Every listed district, in Vietnamese order.
    pub fn all(&self) -> &[District] {
        &self.0
    }

    /// The listed name `name` stands for; an unknown one is refused as `field`'s value, with
    /// the closest listed name suggested.
    pub fn resolve(&self, field: &'static str, name: &str) -> Result<String, Refused> {
        district::resolve(name, &self.0)
            .map(|district| district.name.clone())
            .map_err(|unknown| Refused::new(field, Refusal::UnknownDistrict(unknown)))
    }
}

/// Adds a district to the list (its name checked like any stored text).
pub async fn add(store: &dyn Store, district: &District) -> SetupResult<()> {
    let name = district.name.trim();
    if name.is_empty() {
        return Err(Refused::new("name", Refusal::Empty).into());
    }
    crate::store::check_text("name", name, sachhon_shared::text::SHORT)?;
    Ok(store
        .add_district(&District {
            name: compose(name),
            kind: district.kind,
        })
        .await?)
}
