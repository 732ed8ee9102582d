//! The CBOR of protocol v2, both ways: a writer of the canonical form (definite lengths,
//! shortest heads, map keys in the bytewise order of their encodings, whole numbers as
//! integers and other numbers as 64-bit floats), a reader that takes items in place from a
//! message's bytes and says what is wrong and where, and diagnostic notation for reading.

//!
//! `write.rs` the writer, `read.rs` the reader, `diagnostic.rs` the notation; the error both
//! directions share is here.

mod diagnostic;
mod read;
mod write;

pub use diagnostic::diagnostic;
pub use read::{unexpected, Reader, Token};
pub use write::{whole, Writer};

/// A CBOR item that does not have the shape the protocol gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct DecodeError {
    /// Where in the message: a path such as `ops[3].change.fields`.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl DecodeError {
    /// An error at `at`.
    pub fn new(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            at: at.into(),
            message: message.into(),
        }
    }

    /// The same error, its place given inside `outer` (paths are built only for errors, so
    /// that decoding a valid message allocates none).
    pub fn within(self, outer: &str) -> Self {
        let at = if self.at.is_empty() {
            outer.to_string()
        } else {
            format!("{outer}.{}", self.at)
        };
        Self { at, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_shortest_and_read_back() {
        for n in [
            0u64,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let bytes = Writer::encoded(|w| w.uint(n));
            assert_eq!(Reader::whole(&bytes, |r| r.uint("n")), Ok(n));
        }
        for n in [-1i64, -24, -25, -256, -257, i64::MIN] {
            let bytes = Writer::encoded(|w| w.int(n));
            assert_eq!(Reader::whole(&bytes, |r| r.int("n")), Ok(n));
        }
        assert_eq!(Writer::encoded(|w| w.uint(24)), vec![0x18, 24]);
        assert_eq!(Writer::encoded(|w| w.int(-1)), vec![0x20]);
    }

    #[test]
    fn numbers_are_integers_when_whole() {
        let number = |text: &str| serde_json::from_str::<serde_json::Number>(text).expect("n");
        assert_eq!(Writer::encoded(|w| w.number(&number("8.0"))), vec![0x08]);
        assert_eq!(
            Writer::encoded(|w| w.number(&number("8.5"))),
            [vec![0xfb], 8.5f64.to_be_bytes().to_vec()].concat()
        );
        assert_eq!(whole(9.3e18), None);
        assert_eq!(whole(-2.0), Some(-2));
    }

    /// Reads `hex` as one item with `read`.
    fn read<T>(
        hex: &str,
        read: impl FnOnce(&mut Reader) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let bytes = crate::ticket::unhex(hex).expect("hex");
        Reader::whole(&bytes, read)
    }

    #[test]
    fn any_well_formed_encoding_reads_as_the_canonical_one() {
        // Longer heads, and indefinite lengths of arrays, maps and chunked strings.
        assert_eq!(read("1b0000000000000007", |r| r.uint("n")), Ok(7));
        let texts = |r: &mut Reader| {
            let mut texts = Vec::new();
            r.array("a", |r, _| {
                texts.push(r.text("t")?);
                Ok(())
            })?;
            Ok(texts)
        };
        // [_ "ab", (_ "c", "d")]
        assert_eq!(
            read("9f626162 7f61636164ff ff".replace(' ', "").as_str(), texts),
            Ok(vec!["ab".to_string(), "cd".to_string()])
        );
        // {_ 1: [_ 2, 3]}
        let pairs = read("bf019f0203ffff", |r| {
            let mut pairs = Vec::new();
            r.message("m", |r, key| {
                let (a, b) = r.array_of(2, "v", |r| Ok((r.uint("v")?, r.uint("v")?)))?;
                pairs.push((key, a, b));
                Ok(())
            })?;
            Ok(pairs)
        });
        assert_eq!(pairs, Ok(vec![(1, 2, 3)]));
        // Floats of every width; a half float's 1.5.
        for hex in ["f93e00", "fa3fc00000", "fb3ff8000000000000"] {
            let float = read(hex, |r| match r.token("f")? {
                Token::Float(f) => Ok(f),
                other => Err(unexpected("f", "a float", &other)),
            });
            assert_eq!(float, Ok(1.5), "{hex}");
        }
    }

    #[test]
    fn what_is_not_well_formed_or_not_in_the_protocol_is_refused_where_it_is() {
        let refused = |hex: &str| read(hex, |r| r.skip("x").map(|_| ())).expect_err(hex);
        for hex in [
            "c1",       // a tag
            "f7",       // undefined
            "f820",     // another simple value
            "1c",       // reserved additional information
            "ff",       // a break outside an indefinite-length item
            "1f",       // an indefinite-length integer
            "62ff",     // text cut short
            "62c328",   // text that is not UTF-8
            "5f6161ff", // a text chunk in a byte string
            "9f01",     // an indefinite-length array without its break
        ] {
            let error = refused(hex);
            assert_eq!(error.at, "x", "{hex}");
            assert!(error.message.starts_with("not CBOR"), "{hex}: {error}");
        }
        assert_eq!(
            refused("0102").message.split(';').count(),
            2,
            "trailing bytes"
        );
        assert_eq!(refused("0102").at, "body");
        let deep = format!("{}00", "81".repeat(300));
        assert!(refused(&deep).message.contains("nested too deep"));
        // A fixed-length array sent with an indefinite length must still hold that many.
        let pair = |r: &mut Reader| r.array_of(2, "p", |r| Ok((r.uint("a")?, r.uint("b")?)));
        assert_eq!(read("9f0102ff", pair), Ok((1, 2)));
        assert!(read("9f010203ff", pair).is_err());
        assert!(read("83010203", pair).is_err());
    }
}
