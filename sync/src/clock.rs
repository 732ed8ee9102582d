//! The device's clock: the system time plus a fixed offset, so that tests can make a phone
//! whose clock is wrong. Scan times, answer times and the device-time header all read it.

use crate::error::{Error, Result};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The phone's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clock {
    /// Added to the system time, in milliseconds (0 on a real phone).
    pub offset_ms: i64,
}

impl Clock {
    /// A clock `offset_ms` milliseconds ahead of the system's (behind when negative).
    pub fn new(offset_ms: i64) -> Self {
        Self { offset_ms }
    }

    /// The time on this clock in milliseconds since the Unix epoch.
    pub fn now_ms(self) -> i64 {
        let ms = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms)
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset_ms)
    }

    /// The time on this clock as an RFC 3339 UTC string, to the millisecond.
    pub fn now_rfc3339(self) -> Result<String> {
        let nanos = i128::from(self.now_ms()) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|time| time.format(&Rfc3339).ok())
            .ok_or_else(|| Error::Invalid(format!("the device clock is out of range ({nanos} ns)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_the_clock() {
        let (right, behind) = (Clock::default(), Clock::new(-3_600_000));
        let skew = right.now_ms() - behind.now_ms();
        assert!((3_600_000..3_660_000).contains(&skew), "{skew}");
    }

    #[test]
    fn the_offset_moves_the_rfc3339_time_too() {
        let past = Clock::new(-365 * 24 * 3_600_000)
            .now_rfc3339()
            .expect("formats");
        let now = Clock::default().now_rfc3339().expect("formats");
        assert!(past.ends_with('Z') && now.ends_with('Z'), "{past} {now}");
        let year = |text: &str| text[..4].parse::<i32>().expect("year");
        assert!(year(&now) - year(&past) <= 1 && past < now, "{past} {now}");
    }
}
