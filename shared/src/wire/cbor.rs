//! The CBOR of protocol v2, both ways: a writer of the canonical form (definite lengths,
//! shortest heads, map keys in the bytewise order of their encodings, whole numbers as
//! integers and other numbers as 64-bit floats), a reader that takes items in place from a
//! message's bytes and says what is wrong and where, and diagnostic notation for reading.

use ciborium::value::Value as Item;
use std::borrow::Cow;

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

/// `bytes` in CBOR diagnostic notation (RFC 8949 §8): what a test vector shows for reading.
pub fn diagnostic(bytes: &[u8]) -> String {
    let mut rest = bytes;
    match ciborium::from_reader::<Item, _>(&mut rest) {
        Ok(item) => {
            let mut out = String::new();
            write_diagnostic(&item, &mut out);
            if !rest.is_empty() {
                out.push_str(&format!(" (followed by {} more bytes)", rest.len()));
            }
            out
        }
        Err(e) => format!("(not CBOR: {e})"),
    }
}

fn write_diagnostic(item: &Item, out: &mut String) {
    let list = |items: &mut dyn Iterator<Item = &Item>, out: &mut String| {
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_diagnostic(item, out);
        }
    };
    match item {
        Item::Integer(n) => out.push_str(&i128::from(*n).to_string()),
        Item::Bytes(bytes) => {
            out.push_str("h'");
            bytes.iter().for_each(|b| out.push_str(&format!("{b:02x}")));
            out.push('\'');
        }
        Item::Float(f) => out.push_str(&format!("{f:?}")),
        Item::Text(text) => out.push_str(&serde_json::Value::from(text.as_str()).to_string()),
        Item::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Item::Null => out.push_str("null"),
        Item::Tag(tag, item) => {
            out.push_str(&format!("{tag}("));
            write_diagnostic(item, out);
            out.push(')');
        }
        Item::Array(items) => {
            out.push('[');
            list(&mut items.iter(), out);
            out.push(']');
        }
        Item::Map(pairs) => {
            out.push('{');
            for (i, (key, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_diagnostic(key, out);
                out.push_str(": ");
                write_diagnostic(value, out);
            }
            out.push('}');
        }
        _ => out.push_str("undefined"),
    }
}

/// Appends canonical CBOR to a buffer.
#[derive(Default)]
pub struct Writer {
    /// The bytes written so far.
    pub bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    fn head(&mut self, major: u8, n: u64) {
        let major = major << 5;
        match n {
            0..=23 => self.bytes.push(major | n as u8),
            24..=0xff => self.bytes.extend([major | 24, n as u8]),
            0x100..=0xffff => {
                self.bytes.push(major | 25);
                self.bytes.extend((n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.bytes.push(major | 26);
                self.bytes.extend((n as u32).to_be_bytes());
            }
            _ => {
                self.bytes.push(major | 27);
                self.bytes.extend(n.to_be_bytes());
            }
        }
    }

    /// An unsigned integer.
    pub fn uint(&mut self, n: u64) {
        self.head(0, n);
    }

    /// A signed integer.
    pub fn int(&mut self, n: i64) {
        match u64::try_from(n) {
            Ok(n) => self.head(0, n),
            Err(_) => self.head(1, n.unsigned_abs() - 1),
        }
    }

    /// A byte string.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.head(2, bytes.len() as u64);
        self.bytes.extend_from_slice(bytes);
    }

    /// A text string.
    pub fn text(&mut self, text: &str) {
        self.head(3, text.len() as u64);
        self.bytes.extend_from_slice(text.as_bytes());
    }

    /// The head of an array of `len` items.
    pub fn array(&mut self, len: usize) {
        self.head(4, len as u64);
    }

    /// The head of a map of `len` pairs; the caller writes keys in canonical order.
    pub fn map(&mut self, len: usize) {
        self.head(5, len as u64);
    }

    /// true or false.
    pub fn bool(&mut self, value: bool) {
        self.bytes.push(if value { 0xf5 } else { 0xf4 });
    }

    /// null.
    pub fn null(&mut self) {
        self.bytes.push(0xf6);
    }

    /// A number: a whole number as an integer, any other as a 64-bit float.
    pub fn number(&mut self, n: &serde_json::Number) {
        if let Some(u) = n.as_u64() {
            self.uint(u);
        } else if let Some(i) = n.as_i64() {
            self.int(i);
        } else {
            let f = n.as_f64().unwrap_or(f64::NAN);
            match whole(f) {
                Some(i) => self.int(i),
                None => {
                    self.bytes.push(0xfb);
                    self.bytes.extend(f.to_be_bytes());
                }
            }
        }
    }

    /// Items already encoded, spliced in as they are.
    pub fn raw(&mut self, encoded: &[u8]) {
        self.bytes.extend_from_slice(encoded);
    }

    /// A map whose pairs are written by `pairs` as (encoded key, encoded value) — sorted here
    /// into canonical order.
    pub fn sorted_map(&mut self, mut pairs: Vec<(Vec<u8>, Vec<u8>)>) {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        self.map(pairs.len());
        for (key, value) in pairs {
            self.raw(&key);
            self.raw(&value);
        }
    }

    /// Encodes with a fresh writer and returns the bytes.
    pub fn encoded(write: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut writer = Writer::new();
        write(&mut writer);
        writer.bytes
    }
}

/// A float that holds a whole number that fits an i64, as that integer.
pub fn whole(f: f64) -> Option<i64> {
    // -2^63 and 2^63 are exact as floats; i64 holds the first, not the second.
    let bound = -(i64::MIN as f64);
    (f.fract() == 0.0 && (-bound..bound).contains(&f)).then_some(f as i64)
}

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
