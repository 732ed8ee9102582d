//! Time formats of the contract: RFC 3339 UTC strings and `YYYY-MM-DD` dates. The range rule
//! and the parsing live in `sachhon_shared::timestamp`, shared with the phone; this module
//! only formats, and never panics, whatever a stored value holds.

use sachhon_shared::timestamp;
use time::OffsetDateTime;

pub use sachhon_shared::timestamp::{format_utc as rfc3339, unix_ms};

/// Formats milliseconds since the Unix epoch as RFC 3339 UTC (the number itself when it is no
/// time at all).
pub fn rfc3339_from_ms(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map(rfc3339)
        .unwrap_or_else(|_| ms.to_string())
}

/// Parses a stored or received RFC 3339 time within the accepted years, as UTC.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    timestamp::parse_time(text).ok()
}
