//! Pull cursors: `HISTORY-ROW`, the database's history id (see `history`) and a row number of
//! its op log. A cursor of another history — the database was restored from a backup since,
//! and its rows may be numbered again — or one without a history (handed out before cursors
//! carried one) starts from the beginning: the device receives the whole log again, which
//! changes nothing it already holds, instead of skipping rows for good.

use super::{StoreError, StoreResult};

/// The cursor of `position` (a row number, and for a trainer with assignments its view: see
/// `store::view`) in `history`.
pub fn format(history: &str, position: &str) -> String {
    format!("{history}-{position}")
}

/// The position part of a cursor of `history` (`store::view::Cursor` reads it): empty — from
/// the beginning — for an empty cursor and for one of another history or of none.
pub fn of_history<'a>(text: &'a str, history: &str) -> StoreResult<&'a str> {
    if text.is_empty() {
        return Ok("");
    }
    match text.split_once('-') {
        Some((of, position)) if of == history => Ok(position),
        Some((of, _)) if of.len() == 16 && of.bytes().all(|b| b.is_ascii_hexdigit()) => {
            tracing::info!(
                cursor = text,
                "a cursor of another history: from the beginning"
            );
            Ok("")
        }
        None if text.bytes().next().is_some_and(|b| b.is_ascii_digit()) => Ok(""),
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
        assert_eq!(of_history("", NOW).ok(), Some(""));
        assert_eq!(of_history(&format(NOW, "42"), NOW).ok(), Some("42"));
        assert_eq!(of_history(&format(NOW, "42;ab"), NOW).ok(), Some("42;ab"));
    }

    #[test]
    fn a_cursor_of_another_history_or_of_none_starts_again() {
        assert_eq!(
            of_history(&format("0123456789abcdef", "42"), NOW).ok(),
            Some("")
        );
        assert_eq!(of_history("42", NOW).ok(), Some(""));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in ["abc", "-1", "0011-5", "zz00112233445566-3"] {
            assert!(of_history(bad, NOW).is_err(), "{bad}");
        }
    }
}
