//! CBOR diagnostic notation (RFC 8949 §8), for people reading the test vectors.

use ciborium::value::Value as Item;

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
