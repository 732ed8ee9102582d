//! Gauges read from the database at each scrape: its size, and the devices not seen lately.

use super::text::{Exposition, Kind};
use crate::store::{DeviceRecord, Store, StoreResult};
use crate::time::{parse_rfc3339, unix_ms};
use time::OffsetDateTime;

/// The ages, in days, after which a device that has not pushed or pulled is counted as not
/// seen (one gauge each).
pub const NOT_SEEN_DAYS: [u32; 2] = [1, 7];

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The database's gauges at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gauges {
    /// The database's size in bytes.
    pub database_bytes: u64,
    /// Per entry of [`NOT_SEEN_DAYS`]: the days, and how many devices were not seen for as long.
    pub not_seen: Vec<(u32, u64)>,
}

impl Gauges {
    /// Reads the gauges as of `now`.
    pub async fn read(store: &dyn Store, now: OffsetDateTime) -> StoreResult<Self> {
        let devices = store.devices().await?;
        let now_ms = unix_ms(now);
        Ok(Self {
            database_bytes: store.database_size().await?,
            not_seen: NOT_SEEN_DAYS
                .iter()
                .map(|&days| (days, not_seen(&devices, now_ms - i64::from(days) * DAY_MS)))
                .collect(),
        })
    }

    /// Writes the gauges' families.
    pub fn write(&self, text: &mut Exposition) {
        text.family(
            "sachhon_devices_not_seen",
            Kind::Gauge,
            "Devices, not revoked, that have not pushed or pulled for this many days (or never \
             did, registered at least that long ago).",
        );
        for (days, count) in &self.not_seen {
            let days = days.to_string();
            text.sample(
                "sachhon_devices_not_seen",
                &[("days", &days)],
                *count as f64,
            );
        }
        text.family(
            "sachhon_database_size_bytes",
            Kind::Gauge,
            "Size of the database: SQLite's main file, or PostgreSQL's pg_database_size.",
        );
        text.sample(
            "sachhon_database_size_bytes",
            &[],
            self.database_bytes as f64,
        );
    }
}

/// How many devices, not revoked, were last seen (or, never seen, registered) before
/// `since_ms`.
fn not_seen(devices: &[DeviceRecord], since_ms: i64) -> u64 {
    let registered_ms =
        |device: &DeviceRecord| parse_rfc3339(&device.created_at).map_or(i64::MIN, unix_ms);
    devices
        .iter()
        .filter(|device| device.revoked_at.is_none())
        .filter(|device| device.last_seen_ms.unwrap_or_else(|| registered_ms(device)) < since_ms)
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use sachhon_shared::authority::Role;
    use sachhon_shared::DeviceId;

    fn device(created_at: &str, last_seen_ms: Option<i64>, revoked: bool) -> DeviceRecord {
        DeviceRecord {
            id: DeviceId::new(),
            name: "phone".into(),
            role: Role::Trainer,
            facility: None,
            created_at: created_at.into(),
            revoked_at: revoked.then(|| created_at.to_string()),
            enrolments: 1,
            last_seen_ms,
            clock_offset_ms: None,
        }
    }

    #[test]
    fn a_device_counts_by_its_last_contact_or_else_its_registration() {
        // 2026-01-10T00:00:00Z.
        let now = 1_768_003_200_000;
        let devices = [
            device("2026-01-01T00:00:00Z", Some(now - DAY_MS / 2), false),
            device("2026-01-01T00:00:00Z", Some(now - 3 * DAY_MS), false),
            device("2026-01-01T00:00:00Z", None, false),
            device("2026-01-09T12:00:00Z", None, false),
            device("2026-01-01T00:00:00Z", None, true),
        ];
        assert_eq!(not_seen(&devices, now - DAY_MS), 2);
        assert_eq!(not_seen(&devices, now - 7 * DAY_MS), 1);
    }
}
