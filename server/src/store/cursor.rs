//! Pull cursors: `HISTORY-ROW`, the database's history id (see `history`) and a row number of
//! its op log. A cursor of another history — the database was restored from a backup since,
//! and its rows may be numbered again — or one without a history (handed out before cursors
//! carried one) starts from the beginning: the device receives the whole log again, which
//! changes nothing it already holds, instead of skipping rows for good.

use super::{StoreError, StoreResult};

/// The cursor of `row` in `history`.
pub fn format(history: &str, row: i64) -> String {
    format!("{history}-{row}")
}

/// The op-log row after which a pull that gave `text` starts: 0 (the beginning) for an empty
/// cursor and for one of another history.
pub fn start(text: &str, history: &str) -> StoreResult<i64> {
    if text.is_empty() {
        return Ok(0);
    }
    let (of, row) = match text.split_once('-') {
        Some((of, row)) => (Some(of), row),
        None => (None, text),
    };
    let row = (!row.is_empty() && row.bytes().all(|b| b.is_ascii_digit()))
        .then(|| row.parse::<i64>().ok())
        .flatten();
    match (of, row) {
        (Some(of), Some(row)) if of == history => Ok(row),
        (None, Some(_)) => Ok(0),
        (Some(of), Some(_)) if of.len() == 16 && of.bytes().all(|b| b.is_ascii_hexdigit()) => {
            tracing::info!(
                cursor = text,
                "a cursor of another history: from the beginning"
            );
            Ok(0)
        }
        _ => Err(StoreError::Invalid {
            field: Some("after".into()),
            message: format!("{text:?} is not a cursor this server handed out"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "00112233445566ff";

    #[test]
    fn a_cursor_of_this_history_continues_where_it_stopped() {
        assert_eq!(start("", NOW).ok(), Some(0));
        assert_eq!(start(&format(NOW, 42), NOW).ok(), Some(42));
    }

    #[test]
    fn a_cursor_of_another_history_or_of_none_starts_again() {
        assert_eq!(start(&format("0123456789abcdef", 42), NOW).ok(), Some(0));
        assert_eq!(start("42", NOW).ok(), Some(0));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "abc",
            "-1",
            "0011-5",
            &format(NOW, 1).replace('-', "+"),
            "x-1",
            "1-",
        ] {
            assert!(
                matches!(start(bad, NOW), Err(StoreError::Invalid { .. })),
                "{bad}"
            );
        }
    }
}
