//! Multi-row statements: one `INSERT … VALUES (…), (…), …` per chunk of rows instead of one
//! statement per row. Each statement costs a round trip to the database's worker (a thread
//! hop for SQLite, a network round trip for PostgreSQL), so a push writes its rows this way.

use super::StoreResult;
use sqlx::AnyConnection;

/// A value to bind.
#[derive(Clone, Debug)]
pub enum Value {
    /// Text or NULL.
    Text(Option<String>),
    /// An integer or NULL.
    Int(Option<i64>),
    /// Bytes.
    Blob(Vec<u8>),
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Self::Text(Some(text))
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Self::Text(Some(text.to_string()))
    }
}

impl From<Option<String>> for Value {
    fn from(text: Option<String>) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Int(Some(n))
    }
}

impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Blob(bytes)
    }
}

/// Parameters per statement, kept well under SQLite's limit; SQLite finds `$n` parameters by
/// name, which costs more the more names a statement has.
const MAX_PARAMETERS: usize = 200;

/// Runs `head VALUES (…), … tail` for all `rows`, in chunks. Every row has as many values as
/// the others.
pub async fn insert_rows(
    conn: &mut AnyConnection,
    head: &str,
    tail: &str,
    rows: &[Vec<Value>],
) -> StoreResult<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    for chunk in rows.chunks((MAX_PARAMETERS / width.max(1)).max(1)) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|row| {
                let params: Vec<String> = (1..=width)
                    .map(|i| format!("${}", row * width + i))
                    .collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!("{head} VALUES {} {tail}", tuples.join(", "));
        let mut query = sqlx::query(&sql);
        for value in chunk.iter().flatten() {
            query = match value {
                Value::Text(text) => query.bind(text.clone()),
                Value::Int(n) => query.bind(*n),
                Value::Blob(bytes) => query.bind(bytes.clone()),
            };
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
