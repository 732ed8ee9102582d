//! The writer of canonical CBOR: definite lengths, shortest heads, map keys in the bytewise
//! order of their encodings, whole numbers as integers and other numbers as 64-bit floats.

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
