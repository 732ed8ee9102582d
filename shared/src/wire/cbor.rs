//! The CBOR of protocol v2, both ways: a writer of the canonical form (definite lengths,
//! shortest heads, map keys in the bytewise order of their encodings, whole numbers as
//! integers and other numbers as 64-bit floats) and readers of decoded items that say what is
//! wrong and where.

use ciborium::value::Value as Item;

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

/// Decodes exactly one CBOR item from `bytes` (trailing bytes are an error).
pub fn read_item(bytes: &[u8]) -> Result<Item, DecodeError> {
    let mut rest = bytes;
    let item: Item = ciborium::from_reader(&mut rest)
        .map_err(|e| DecodeError::new("body", format!("not CBOR: {e}")))?;
    if !rest.is_empty() {
        return Err(DecodeError::new(
            "body",
            format!(
                "{} bytes follow the CBOR item; a body is exactly one item",
                rest.len()
            ),
        ));
    }
    Ok(item)
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

/// Reading decoded items, with the path of what is read for errors.
pub trait Read: Sized {
    /// The item as an array of exactly `len` items.
    fn array_of(self, len: usize, at: &str) -> Result<Vec<Item>, DecodeError>;
    /// The item as an array of any length.
    fn array(self, at: &str) -> Result<Vec<Item>, DecodeError>;
    /// The item as a map's pairs.
    fn map(self, at: &str) -> Result<Vec<(Item, Item)>, DecodeError>;
    /// The item as a message: a map of unsigned integer keys, none twice.
    fn message(self, at: &str) -> Result<Vec<(u64, Item)>, DecodeError>;
    /// The item as an unsigned integer.
    fn uint(&self, at: &str) -> Result<u64, DecodeError>;
    /// The item as a signed 64-bit integer.
    fn int(&self, at: &str) -> Result<i64, DecodeError>;
    /// The item as a 16-byte id.
    fn uuid(&self, at: &str) -> Result<uuid::Uuid, DecodeError>;
    /// The item as a 16-byte id or null.
    fn optional_uuid(&self, at: &str) -> Result<Option<uuid::Uuid>, DecodeError>;
    /// The item as text.
    fn text(self, at: &str) -> Result<String, DecodeError>;
    /// The item as text or null.
    fn optional_text(self, at: &str) -> Result<Option<String>, DecodeError>;
    /// The item as true or false.
    fn bool(&self, at: &str) -> Result<bool, DecodeError>;
}

impl Read for Item {
    fn array_of(self, len: usize, at: &str) -> Result<Vec<Item>, DecodeError> {
        let items = self.array(at)?;
        if items.len() != len {
            return Err(DecodeError::new(
                at,
                format!("expected an array of {len} items, found {}", items.len()),
            ));
        }
        Ok(items)
    }

    fn array(self, at: &str) -> Result<Vec<Item>, DecodeError> {
        match self {
            Item::Array(items) => Ok(items),
            other => Err(unexpected(at, "an array", &other)),
        }
    }

    fn map(self, at: &str) -> Result<Vec<(Item, Item)>, DecodeError> {
        match self {
            Item::Map(pairs) => Ok(pairs),
            other => Err(unexpected(at, "a map", &other)),
        }
    }

    fn message(self, at: &str) -> Result<Vec<(u64, Item)>, DecodeError> {
        let mut seen = Vec::new();
        self.map(at)?
            .into_iter()
            .map(|(key, value)| {
                let key = key.uint(at)?;
                if seen.contains(&key) {
                    return Err(DecodeError::new(at, format!("key {key} appears twice")));
                }
                seen.push(key);
                Ok((key, value))
            })
            .collect()
    }

    fn uint(&self, at: &str) -> Result<u64, DecodeError> {
        match self {
            Item::Integer(n) => u64::try_from(*n).map_err(|_| unexpected(at, "a uint", self)),
            other => Err(unexpected(at, "an unsigned integer", other)),
        }
    }

    fn int(&self, at: &str) -> Result<i64, DecodeError> {
        match self {
            Item::Integer(n) => i64::try_from(*n).map_err(|_| unexpected(at, "an int64", self)),
            other => Err(unexpected(at, "an integer", other)),
        }
    }

    fn uuid(&self, at: &str) -> Result<uuid::Uuid, DecodeError> {
        match self {
            Item::Bytes(bytes) => uuid::Uuid::from_slice(bytes).map_err(|_| {
                DecodeError::new(
                    at,
                    format!("expected a 16-byte id, found {} bytes", bytes.len()),
                )
            }),
            other => Err(unexpected(at, "a 16-byte id", other)),
        }
    }

    fn optional_uuid(&self, at: &str) -> Result<Option<uuid::Uuid>, DecodeError> {
        match self {
            Item::Null => Ok(None),
            other => other.uuid(at).map(Some),
        }
    }

    fn text(self, at: &str) -> Result<String, DecodeError> {
        match self {
            Item::Text(text) => Ok(text),
            other => Err(unexpected(at, "text", &other)),
        }
    }

    fn optional_text(self, at: &str) -> Result<Option<String>, DecodeError> {
        match self {
            Item::Null => Ok(None),
            other => other.text(at).map(Some),
        }
    }

    fn bool(&self, at: &str) -> Result<bool, DecodeError> {
        match self {
            Item::Bool(b) => Ok(*b),
            other => Err(unexpected(at, "true or false", other)),
        }
    }
}

/// An error for an item of the wrong type.
pub fn unexpected(at: &str, expected: &str, found: &Item) -> DecodeError {
    let found = match found {
        Item::Integer(_) => "an integer",
        Item::Bytes(_) => "a byte string",
        Item::Float(_) => "a float",
        Item::Text(_) => "text",
        Item::Bool(_) => "a boolean",
        Item::Null => "null",
        Item::Tag(..) => "a tagged item",
        Item::Array(_) => "an array",
        Item::Map(_) => "a map",
        _ => "an unknown item",
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
            assert_eq!(read_item(&bytes).expect("reads").uint("n"), Ok(n));
        }
        for n in [-1i64, -24, -25, -256, -257, i64::MIN] {
            let bytes = Writer::encoded(|w| w.int(n));
            assert_eq!(read_item(&bytes).expect("reads").int("n"), Ok(n));
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
}
