//! The one range check for every time and date the system accepts — in phone ops, API bodies
//! and queries — and formatting that cannot fail on what the check let through.
//!
//! Why a range: the `time` crate's arithmetic panics past year 9999, and a time such as
//! `9999-12-31T23:59:59-23:59` is valid RFC 3339 whose UTC form does not exist. Anything the
//! programme records lies between [`EARLIEST_YEAR`] and [`LATEST_YEAR`], far from those edges, so
//! conversions of an accepted value (to UTC, to Vietnam's time) can never overflow.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// The first year a time or date may fall in.
pub const EARLIEST_YEAR: i32 = 2000;
/// The last year a time or date may fall in.
pub const LATEST_YEAR: i32 = 2099;

/// Why a time or date is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not RFC 3339 (`2026-12-01T08:00:00+07:00`).
    #[error("{0:?} is not an RFC 3339 time (e.g. 2026-12-01T08:00:00+07:00)")]
    NotATime(String),
    /// Not `YYYY-MM-DD`.
    #[error("{0:?} is not a date (YYYY-MM-DD)")]
    NotADate(String),
    /// Outside the accepted years.
    #[error("{0} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR}")]
    OutOfRange(String),
}

/// Parses an RFC 3339 time within the accepted years, as UTC.
pub fn parse_time(text: &str) -> Result<OffsetDateTime, TimeError> {
    let at =
        OffsetDateTime::parse(text, &Rfc3339).map_err(|_| TimeError::NotATime(text.to_string()))?;
    at.checked_to_offset(UtcOffset::UTC)
        .filter(in_range)
        .ok_or_else(|| TimeError::OutOfRange(text.to_string()))
}

/// Parses a `YYYY-MM-DD` date within the accepted years.
pub fn parse_date(text: &str) -> Result<Date, TimeError> {
    let date = Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| TimeError::NotADate(text.to_string()))?;
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(TimeError::OutOfRange(text.to_string()))
    }
}

/// Checks milliseconds since the Unix epoch (a phone's scan time) against the accepted years.
pub fn from_unix_ms(ms: i64) -> Result<OffsetDateTime, TimeError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .filter(in_range)
        .ok_or_else(|| TimeError::OutOfRange(format!("{ms} ms since 1970")))
}

/// Milliseconds since the Unix epoch of an accepted time.
pub fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Formats a time as RFC 3339 in UTC (`2026-11-29T08:00:00Z`). Never panics: a time whose
/// UTC form does not exist (only possible outside the accepted years) prints its Unix seconds.
pub fn format_utc(at: OffsetDateTime) -> String {
    at.checked_to_offset(UtcOffset::UTC)
        .and_then(|utc| utc.format(&Rfc3339).ok())
        .unwrap_or_else(|| at.unix_timestamp().to_string())
}

fn in_range(at: &OffsetDateTime) -> bool {
    (EARLIEST_YEAR..=LATEST_YEAR).contains(&at.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_normalised_to_utc() {
        let at = parse_time("2026-12-01T08:00:00+07:00").expect("valid");
        assert_eq!(format_utc(at), "2026-12-01T01:00:00Z");
        assert_eq!(
            unix_ms(from_unix_ms(unix_ms(at)).expect("in range")),
            unix_ms(at)
        );
    }

    #[test]
    fn the_edges_of_the_calendar_are_refused_not_panicked_on() {
        for text in [
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:00:00Z",
            "0000-01-01T00:00:00+23:59",
            "1999-12-31T23:59:59Z",
            "2100-01-01T00:00:00Z",
        ] {
            assert!(
                matches!(parse_time(text), Err(TimeError::OutOfRange(_))),
                "{text}"
            );
        }
        assert!(matches!(
            parse_time("tomorrow"),
            Err(TimeError::NotATime(_))
        ));
        assert!(parse_date("9999-12-31").is_err());
        assert!(parse_date("2015-12-31").is_ok());
        assert!(matches!(
            parse_date("31/12/2015"),
            Err(TimeError::NotADate(_))
        ));
        for ms in [i64::MIN, -1, 0, i64::MAX, 4_102_444_800_000] {
            assert!(from_unix_ms(ms).is_err(), "{ms}");
        }
        assert!(from_unix_ms(1_764_547_200_000).is_ok());
    }
}
