//! Field keys and values on the wire: a schema field as its code, an answer as its key; an id
//! field's value as 16 bytes, any other value as the CBOR of its JSON form.

use super::cbor::{unexpected, whole, DecodeError, Reader, Token, Writer};
use crate::doc::FieldValue;
use crate::schema::{Field, FieldType, RecordKind};

/// Deepest nesting of lists inside a value (an answer is at most a list of strings).
const MAX_DEPTH: usize = 8;

/// Writes a field's key: its code, or its name for a field outside the table (an answer).
pub fn write_key(w: &mut Writer, kind: RecordKind, name: &str) {
    match kind.field(name) {
        Some(field) => w.uint(u64::from(field.code)),
        None => w.text(name),
    }
}

/// Reads a field's key as the field's name.
pub fn read_key(kind: RecordKind, r: &mut Reader, at: &str) -> Result<String, DecodeError> {
    match r.token(at)? {
        Token::Uint(code) => kind
            .field_by_code(code)
            .map(|field| field.name.to_string())
            .ok_or_else(|| DecodeError::new(at, format!("{kind} has no field code {code}"))),
        Token::Text(name) if kind.has_open_fields() && !name.starts_with('$') => {
            Ok(name.into_owned())
        }
        Token::Text(name) => Err(DecodeError::new(
            at,
            format!("{kind} has no field named {name:?} (schema fields are sent by code)"),
        )),
        other => Err(unexpected(at, "a field code or an answer key", &other)),
    }
}

/// The type of a field of `kind` named `name`, if it is in the table.
pub fn field_type(kind: RecordKind, name: &str) -> Option<FieldType> {
    kind.field(name).map(|Field { ty, .. }| ty)
}

/// Writes a value; `ty` is the field's type when the field is in the table.
pub fn write_value(w: &mut Writer, ty: Option<FieldType>, value: &FieldValue) {
    if ty.is_some_and(FieldType::is_id) {
        if let Some(id) = value.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()) {
            return w.bytes(id.as_bytes());
        }
    }
    write_json(w, value);
}

fn write_json(w: &mut Writer, value: &FieldValue) {
    match value {
        FieldValue::Null => w.null(),
        FieldValue::Bool(b) => w.bool(*b),
        FieldValue::Number(n) => w.number(n),
        FieldValue::String(s) => w.text(s),
        FieldValue::Array(items) => {
            w.array(items.len());
            items.iter().for_each(|item| write_json(w, item));
        }
        FieldValue::Object(map) => {
            let pairs = map
                .iter()
                .map(|(k, v)| {
                    (
                        Writer::encoded(|w| w.text(k)),
                        Writer::encoded(|w| write_json(w, v)),
                    )
                })
                .collect();
            w.sorted_map(pairs);
        }
    }
}

/// Reads a value; `ty` is the field's type when the field is in the table.
pub fn read_value(
    r: &mut Reader,
    ty: Option<FieldType>,
    at: &str,
) -> Result<FieldValue, DecodeError> {
    match ty {
        Some(FieldType::Id) => Ok(FieldValue::String(r.uuid(at)?.to_string())),
        Some(FieldType::OptionalId) => Ok(r
            .optional_uuid(at)?
            .map_or(FieldValue::Null, |id| FieldValue::String(id.to_string()))),
        _ => read_json(r, at, 0),
    }
}

fn read_json(r: &mut Reader, at: &str, depth: usize) -> Result<FieldValue, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::new(at, "a value nested too deep"));
    }
    Ok(match r.token(at)? {
        Token::Null => FieldValue::Null,
        Token::Bool(b) => FieldValue::Bool(b),
        Token::Uint(u) => FieldValue::from(u),
        Token::Negative(n) => match i64::try_from(n) {
            Ok(n) => FieldValue::from(-1 - n),
            Err(_) => return Err(DecodeError::new(at, "an integer beyond 64 bits")),
        },
        Token::Float(f) => match whole(f) {
            Some(i) => FieldValue::from(i),
            None => serde_json::Number::from_f64(f)
                .map(FieldValue::Number)
                .ok_or_else(|| DecodeError::new(at, "a number that is not finite"))?,
        },
        Token::Text(s) => FieldValue::String(s.into_owned()),
        Token::Array(len) => {
            let mut items = Vec::new();
            r.each(len, at, |r, _| {
                items.push(read_json(r, at, depth + 1)?);
                Ok(())
            })?;
            FieldValue::Array(items)
        }
        Token::Map(len) => {
            let mut object = serde_json::Map::new();
            r.each(len, at, |r, _| {
                let key = r.text(at)?;
                if object.contains_key(&key) {
                    return Err(DecodeError::new(at, format!("key {key:?} appears twice")));
                }
                let value = read_json(r, at, depth + 1)?;
                object.insert(key, value);
                Ok(())
            })?;
            FieldValue::Object(object)
        }
        other @ Token::Bytes(_) => return Err(unexpected(at, "a value", &other)),
    })
}
