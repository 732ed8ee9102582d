//! The reader: items taken in place from a message's bytes, checked as they are read, with
//! errors that say where.

use super::DecodeError;
use std::borrow::Cow;

/// What an item read in place is: a scalar with its value, or the head of an array or map
/// (whose entries follow). Tags and simple values other than false, true and null are not in
/// the protocol, so the reader refuses them as it meets them.
#[derive(Debug)]
pub enum Token<'a> {
    /// An unsigned integer.
    Uint(u64),
    /// A negative integer: −1 − n.
    Negative(u64),
    /// A byte string (borrowed from the message unless it came in chunks).
    Bytes(Cow<'a, [u8]>),
    /// A text string.
    Text(Cow<'a, str>),
    /// An array of this many items (`None`: up to a break).
    Array(Option<u64>),
    /// A map of this many pairs (`None`: up to a break).
    Map(Option<u64>),
    /// true or false.
    Bool(bool),
    /// null.
    Null,
    /// A float, of whichever width it was sent in.
    Float(f64),
}

/// Deepest nesting that [`Reader::skip`] follows.
const MAX_SKIP_DEPTH: usize = 256;

/// Reads a message's CBOR in place, item by item, checking that it is well formed as it goes:
/// nothing is built but what the caller keeps. Errors say where (`at`), as the caller names
/// the item read.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads `bytes` as exactly one item with `read` (trailing bytes are an error).
    pub fn whole<T>(
        bytes: &'a [u8],
        read: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut reader = Self { bytes, pos: 0 };
        let value = read(&mut reader)?;
        match bytes.len() - reader.pos {
            0 => Ok(value),
            rest => Err(DecodeError::new(
                "body",
                format!("{rest} bytes follow the CBOR item; a body is exactly one item"),
            )),
        }
    }

    fn malformed(&self, at: &str, what: &str) -> DecodeError {
        DecodeError::new(at, format!("not CBOR: {what} (at byte {})", self.pos))
    }

    fn take(&mut self, n: u64, at: &str) -> Result<&'a [u8], DecodeError> {
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.bytes.len() - self.pos)
            .ok_or_else(|| self.malformed(at, "the message ends inside an item"))?;
        let taken = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(taken)
    }

    /// An item's head: its major type, additional information and argument (`None` for an
    /// indefinite length).
    fn head(&mut self, at: &str) -> Result<(u8, u8, Option<u64>), DecodeError> {
        let initial = self.take(1, at)?[0];
        let (major, info) = (initial >> 5, initial & 0x1f);
        let mut be = |n: u64| -> Result<u64, DecodeError> {
            Ok(self
                .take(n, at)?
                .iter()
                .fold(0, |acc, b| (acc << 8) | u64::from(*b)))
        };
        let argument = match info {
            0..=23 => Some(u64::from(info)),
            24 => Some(be(1)?),
            25 => Some(be(2)?),
            26 => Some(be(4)?),
            27 => Some(be(8)?),
            31 => None,
            _ => return Err(self.malformed(at, "reserved additional information")),
        };
        Ok((major, info, argument))
    }

    /// Reads the next item: a scalar whole, or the head of an array or a map.
    pub fn token(&mut self, at: &str) -> Result<Token<'a>, DecodeError> {
        let (major, info, argument) = self.head(at)?;
        Ok(match (major, argument) {
            (0, Some(n)) => Token::Uint(n),
            (1, Some(n)) => Token::Negative(n),
            (2, len) => Token::Bytes(self.string(2, len, at)?),
            (3, len) => Token::Text(match self.string(3, len, at)? {
                Cow::Borrowed(bytes) => Cow::Borrowed(self.utf8(bytes, at)?),
                Cow::Owned(bytes) => Cow::Owned(self.utf8(&bytes, at)?.to_string()),
            }),
            (4, len) => Token::Array(len),
            (5, len) => Token::Map(len),
            (6, _) => return Err(self.malformed(at, "a tag; the protocol has none")),
            (7, argument) => match (info, argument) {
                (20, _) => Token::Bool(false),
                (21, _) => Token::Bool(true),
                (22, _) => Token::Null,
                (25, Some(bits)) => Token::Float(half(bits as u16)),
                (26, Some(bits)) => Token::Float(f64::from(f32::from_bits(bits as u32))),
                (27, Some(bits)) => Token::Float(f64::from_bits(bits)),
                (31, _) => return Err(self.malformed(at, "a break where an item belongs")),
                _ => return Err(self.malformed(at, "a simple value other than false, true, null")),
            },
            _ => return Err(self.malformed(at, "an indefinite length on an integer")),
        })
    }

    fn utf8<'s>(&self, bytes: &'s [u8], at: &str) -> Result<&'s str, DecodeError> {
        std::str::from_utf8(bytes).map_err(|_| self.malformed(at, "text that is not UTF-8"))
    }

    /// A string's content after its head: in place, or its chunks joined.
    fn string(
        &mut self,
        major: u8,
        len: Option<u64>,
        at: &str,
    ) -> Result<Cow<'a, [u8]>, DecodeError> {
        if let Some(len) = len {
            return Ok(Cow::Borrowed(self.take(len, at)?));
        }
        let mut joined = Vec::new();
        while !self.at_break(at)? {
            let chunk = match self.head(at)? {
                (chunk_major, _, Some(len)) if chunk_major == major => self.take(len, at)?,
                _ => return Err(self.malformed(at, "a chunk that is not a string of its type")),
            };
            if major == 3 {
                self.utf8(chunk, at)?;
            }
            joined.extend_from_slice(chunk);
        }
        Ok(Cow::Owned(joined))
    }

    /// Whether a break comes next (and then passes it).
    fn at_break(&mut self, at: &str) -> Result<bool, DecodeError> {
        match self.bytes.get(self.pos) {
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(self.malformed(at, "the message ends inside an item")),
        }
    }

    /// Reads the entries that follow an array's or a map's head of length `len`, each with
    /// `entry` (given its index; a map's entry reads its key, then its value).
    pub fn each(
        &mut self,
        len: Option<u64>,
        at: &str,
        mut entry: impl FnMut(&mut Self, usize) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let mut i = 0;
        loop {
            let another = match len {
                Some(len) => (i as u64) < len,
                None => !self.at_break(at)?,
            };
            if !another {
                return Ok(());
            }
            entry(self, i)?;
            i += 1;
        }
    }

    /// Reads an array, each item with `item` (given its index).
    pub fn array(
        &mut self,
        at: &str,
        item: impl FnMut(&mut Self, usize) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        match self.token(at)? {
            Token::Array(len) => self.each(len, at, item),
            other => Err(unexpected(at, "an array", &other)),
        }
    }

    /// Reads an array of exactly `len` items with `items`, which reads them all.
    pub fn array_of<T>(
        &mut self,
        len: usize,
        at: &str,
        items: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let expected = || format!("expected an array of {len} items");
        match self.token(at)? {
            Token::Array(Some(n)) if n == len as u64 => items(self),
            Token::Array(Some(n)) => {
                Err(DecodeError::new(at, format!("{}, found {n}", expected())))
            }
            Token::Array(None) => {
                let value = items(self)?;
                match self.at_break(at)? {
                    true => Ok(value),
                    false => Err(DecodeError::new(at, format!("{}, found more", expected()))),
                }
            }
            other => Err(unexpected(at, "an array", &other)),
        }
    }

    /// Reads a map, each pair with `pair` (which reads the key, then the value).
    pub fn map(
        &mut self,
        at: &str,
        pair: impl FnMut(&mut Self, usize) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        match self.token(at)? {
            Token::Map(len) => self.each(len, at, pair),
            other => Err(unexpected(at, "a map", &other)),
        }
    }

    /// Reads a message: a map of unsigned integer keys, none twice; `value` reads the value of
    /// each key (and skips, with [`Reader::skip`], those it does not know).
    pub fn message(
        &mut self,
        at: &str,
        mut value: impl FnMut(&mut Self, u64) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let mut seen = Vec::new();
        self.map(at, |r, _| {
            let key = r.uint(at)?;
            if seen.contains(&key) {
                return Err(DecodeError::new(at, format!("key {key} appears twice")));
            }
            seen.push(key);
            value(r, key)
        })
    }

    /// Passes over one item, which must be well formed, and returns its bytes.
    pub fn skip(&mut self, at: &str) -> Result<&'a [u8], DecodeError> {
        let start = self.pos;
        self.skip_nested(at, 0)?;
        Ok(&self.bytes[start..self.pos])
    }

    fn skip_nested(&mut self, at: &str, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_SKIP_DEPTH {
            return Err(self.malformed(at, "items nested too deep"));
        }
        match self.token(at)? {
            Token::Array(len) => self.each(len, at, |r, _| r.skip_nested(at, depth + 1)),
            Token::Map(len) => self.each(len, at, |r, _| {
                r.skip_nested(at, depth + 1)?;
                r.skip_nested(at, depth + 1)
            }),
            _ => Ok(()),
        }
    }

    /// An unsigned integer.
    pub fn uint(&mut self, at: &str) -> Result<u64, DecodeError> {
        match self.token(at)? {
            Token::Uint(n) => Ok(n),
            other => Err(unexpected(at, "an unsigned integer", &other)),
        }
    }

    /// A signed 64-bit integer.
    pub fn int(&mut self, at: &str) -> Result<i64, DecodeError> {
        let beyond = || DecodeError::new(at, "expected an int64, found an integer beyond it");
        match self.token(at)? {
            Token::Uint(n) => i64::try_from(n).map_err(|_| beyond()),
            Token::Negative(n) => i64::try_from(n).map(|n| -1 - n).map_err(|_| beyond()),
            other => Err(unexpected(at, "an integer", &other)),
        }
    }

    /// A 16-byte id.
    pub fn uuid(&mut self, at: &str) -> Result<uuid::Uuid, DecodeError> {
        match self.token(at)? {
            Token::Bytes(bytes) => id_of(&bytes, at),
            other => Err(unexpected(at, "a 16-byte id", &other)),
        }
    }

    /// A 16-byte id or null.
    pub fn optional_uuid(&mut self, at: &str) -> Result<Option<uuid::Uuid>, DecodeError> {
        match self.token(at)? {
            Token::Null => Ok(None),
            Token::Bytes(bytes) => id_of(&bytes, at).map(Some),
            other => Err(unexpected(at, "a 16-byte id", &other)),
        }
    }

    /// Text.
    pub fn text(&mut self, at: &str) -> Result<String, DecodeError> {
        match self.token(at)? {
            Token::Text(text) => Ok(text.into_owned()),
            other => Err(unexpected(at, "text", &other)),
        }
    }

    /// Text or null.
    pub fn optional_text(&mut self, at: &str) -> Result<Option<String>, DecodeError> {
        match self.token(at)? {
            Token::Null => Ok(None),
            Token::Text(text) => Ok(Some(text.into_owned())),
            other => Err(unexpected(at, "text", &other)),
        }
    }

    /// true or false.
    pub fn bool(&mut self, at: &str) -> Result<bool, DecodeError> {
        match self.token(at)? {
            Token::Bool(b) => Ok(b),
            other => Err(unexpected(at, "true or false", &other)),
        }
    }
}

fn id_of(bytes: &[u8], at: &str) -> Result<uuid::Uuid, DecodeError> {
    uuid::Uuid::from_slice(bytes).map_err(|_| {
        DecodeError::new(
            at,
            format!("expected a 16-byte id, found {} bytes", bytes.len()),
        )
    })
}

/// A half-precision float's value (RFC 8949, appendix D).
fn half(bits: u16) -> f64 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x3ff);
    sign * match exponent {
        0 => mantissa * 2f64.powi(-24),
        31 if mantissa == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1024.0 + mantissa) * 2f64.powi(exponent - 25),
    }
}

/// An error for an item of the wrong type.
pub fn unexpected(at: &str, expected: &str, found: &Token) -> DecodeError {
    let found = match found {
        Token::Uint(_) | Token::Negative(_) => "an integer",
        Token::Bytes(_) => "a byte string",
        Token::Float(_) => "a float",
        Token::Text(_) => "text",
        Token::Bool(_) => "a boolean",
        Token::Null => "null",
        Token::Array(_) => "an array",
        Token::Map(_) => "a map",
    };
    DecodeError::new(at, format!("expected {expected}, found {found}"))
}
