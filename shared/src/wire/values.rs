//! Field keys and values on the wire: a schema field as its code, an answer as its key; an id
//! field's value as 16 bytes, any other value as the CBOR of its JSON form.

use super::cbor::{unexpected, whole, DecodeError, Read, Writer};
use crate::doc::FieldValue;
use crate::schema::{Field, FieldType, RecordKind};
use ciborium::value::Value as Item;

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
pub fn read_key(kind: RecordKind, item: Item, at: &str) -> Result<String, DecodeError> {
    match item {
        Item::Integer(_) => {
            let code = item.uint(at)?;
            kind.field_by_code(code)
                .map(|field| field.name.to_string())
                .ok_or_else(|| DecodeError::new(at, format!("{kind} has no field code {code}")))
        }
        Item::Text(name) if kind.has_open_fields() && !name.starts_with('$') => Ok(name),
        Item::Text(name) => Err(DecodeError::new(
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
pub fn read_value(item: Item, ty: Option<FieldType>, at: &str) -> Result<FieldValue, DecodeError> {
    match ty {
        Some(FieldType::Id) => Ok(FieldValue::String(item.uuid(at)?.to_string())),
        Some(FieldType::OptionalId) => Ok(item
            .optional_uuid(at)?
            .map_or(FieldValue::Null, |id| FieldValue::String(id.to_string()))),
        _ => read_json(item, at, 0),
    }
}

fn read_json(item: Item, at: &str, depth: usize) -> Result<FieldValue, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::new(at, "a value nested too deep"));
    }
    Ok(match item {
        Item::Null => FieldValue::Null,
        Item::Bool(b) => FieldValue::Bool(b),
        Item::Integer(n) => match (u64::try_from(n), i64::try_from(n)) {
            (Ok(u), _) => FieldValue::from(u),
            (_, Ok(i)) => FieldValue::from(i),
            _ => return Err(DecodeError::new(at, "an integer beyond 64 bits")),
        },
        Item::Float(f) => match whole(f) {
            Some(i) => FieldValue::from(i),
            None => serde_json::Number::from_f64(f)
                .map(FieldValue::Number)
                .ok_or_else(|| DecodeError::new(at, "a number that is not finite"))?,
        },
        Item::Text(s) => FieldValue::String(s),
        Item::Array(items) => FieldValue::Array(
            items
                .into_iter()
                .map(|item| read_json(item, at, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Item::Map(pairs) => {
            let mut object = serde_json::Map::new();
            for (key, value) in pairs {
                let key = key.text(at)?;
                if object.contains_key(&key) {
                    return Err(DecodeError::new(at, format!("key {key:?} appears twice")));
                }
                object.insert(key, read_json(value, at, depth + 1)?);
            }
            FieldValue::Object(object)
        }
        other => return Err(unexpected(at, "a value", &other)),
    })
}
