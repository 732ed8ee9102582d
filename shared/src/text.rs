//! The one rule for every string the system stores, from phones and from the API alike: a
//! length limit, and no characters that break storage or display — NUL and other control
//! characters (PostgreSQL refuses NUL in text; SQLite keeps it) and the bidirectional controls
//! that make a name read backwards on the office's pages.

/// Longest short text, in characters: names, titles, codes, districts, operators.
pub const SHORT: usize = 500;
/// Longest long text, in characters: notes, comments, reasons, text answers.
pub const LONG: usize = 10_000;

/// Why a text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Over the limit.
    #[error("at most {limit} characters, not {length}")]
    TooLong {
        /// The limit.
        limit: usize,
        /// The text's length.
        length: usize,
    },
    /// A forbidden character.
    #[error("the character U+{0:04X} is not allowed (control or bidirectional character)")]
    Forbidden(u32),
}

/// Checks a text against the rule with `limit` characters at most.
pub fn check(text: &str, limit: usize) -> Result<(), TextError> {
    if let Some(bad) = text.chars().find(|&c| is_forbidden(c)) {
        return Err(TextError::Forbidden(u32::from(bad)));
    }
    // Counting stops past the limit, so a 25 MB name costs no more than a long one.
    let length = text.chars().take(limit + 1).count();
    if length > limit {
        return Err(TextError::TooLong {
            limit,
            length: text.chars().count(),
        });
    }
    Ok(())
}

/// Control characters other than tab and line breaks, and the Unicode bidirectional
/// embeddings, overrides, isolates and marks.
fn is_forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_passes_and_controls_do_not() {
        assert!(check("Nguyễn Thị Lan — Công ty TNHH Bến Lức\nghi chú", SHORT).is_ok());
        assert_eq!(check("a\0b", SHORT), Err(TextError::Forbidden(0)));
        assert_eq!(
            check("evil\u{202E}gnp.exe", SHORT),
            Err(TextError::Forbidden(0x202E))
        );
        assert_eq!(
            check(&"x".repeat(SHORT + 1), SHORT),
            Err(TextError::TooLong {
                limit: SHORT,
                length: SHORT + 1
            })
        );
        assert!(check(&"ễ".repeat(SHORT), SHORT).is_ok());
    }
}
