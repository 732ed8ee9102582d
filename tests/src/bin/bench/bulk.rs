//! Bulk loading of rows straight into the server's tables, bypassing the server: multi-row
//! `INSERT`s with anonymous `?` parameters in one transaction per batch (SQLite), one
//! `COPY … FROM STDIN` per batch (PostgreSQL). For data sets whose ingest is not what is
//! measured.

use anyhow::Context;
use sachhon_tests::Backend;
use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, QueryBuilder, Sqlite, SqliteConnection};
use std::str::FromStr;

/// SQLite's default limit of parameters per statement (`SQLITE_MAX_VARIABLE_NUMBER`).
const SQLITE_MAX_PARAMETERS: usize = 32_766;

/// One value of a row.
#[derive(Clone, Debug)]
pub enum Value {
    /// Text.
    Text(String),
    /// An integer (also the 0/1 of boolean columns).
    Int(i64),
    /// A double.
    Real(f64),
    /// Bytes (a BLOB, or BYTEA).
    Bytes(Vec<u8>),
    /// SQL NULL.
    Null,
}

impl Value {
    /// A text value from a string slice.
    pub fn text(text: &str) -> Self {
        Self::Text(text.to_string())
    }
}

/// A row: one value per column of its [`Table`].
pub type Row = Vec<Value>;

/// A table and the columns its rows fill, in order.
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// Its columns.
    pub columns: &'static [&'static str],
}

/// A connection that writes batches of rows.
pub enum Bulk {
    /// SQLite, `synchronous = OFF` while loading.
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Postgres(PgConnection),
}

impl Bulk {
    /// Connects to the database at `url`.
    pub async fn connect(backend: Backend, url: &str) -> anyhow::Result<Self> {
        Ok(match backend {
            Backend::Sqlite => {
                let options =
                    SqliteConnectOptions::from_str(url)?.synchronous(SqliteSynchronous::Off);
                Self::Sqlite(SqliteConnection::connect_with(&options).await?)
            }
            Backend::Postgres => Self::Postgres(PgConnection::connect(url).await?),
        })
    }

    /// Writes `rows` into `table` as one transaction.
    pub async fn write(&mut self, table: &Table, rows: &[Row]) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Self::Sqlite(conn) => sqlite_insert(conn, table, rows).await,
            Self::Postgres(conn) => postgres_copy(conn, table, rows).await,
        }
        .with_context(|| format!("loading {}", table.name))
    }

    /// Runs a script of SQL statements (separated by `;`).
    pub async fn script(&mut self, sql: &str) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(conn) => {
                sqlx::raw_sql(sql).execute(conn).await?;
            }
            Self::Postgres(conn) => {
                sqlx::raw_sql(sql).execute(conn).await?;
            }
        }
        Ok(())
    }

    /// Ends the load: SQLite folds its write-ahead log into the file, so the server starts
    /// on a plain database file.
    pub async fn finish(mut self) -> anyhow::Result<()> {
        if let Self::Sqlite(conn) = &mut self {
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *conn)
                .await?;
        }
        match self {
            Self::Sqlite(conn) => conn.close().await?,
            Self::Postgres(conn) => conn.close().await?,
        }
        Ok(())
    }

    /// The largest value of an integer column, 0 for an empty table.
    pub async fn max(&mut self, table: &str, column: &str) -> anyhow::Result<i64> {
        let sql = format!("SELECT CAST(COALESCE(MAX({column}), 0) AS BIGINT) FROM {table}");
        Ok(match self {
            Self::Sqlite(conn) => sqlx::query_scalar(&sql).fetch_one(conn).await?,
            Self::Postgres(conn) => sqlx::query_scalar(&sql).fetch_one(conn).await?,
        })
    }

    /// The size of the database in bytes (SQLite: the file; PostgreSQL: `pg_database_size`).
    pub async fn size(&mut self) -> anyhow::Result<i64> {
        Ok(match self {
            Self::Sqlite(conn) => {
                sqlx::query_scalar(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                )
                .fetch_one(conn)
                .await?
            }
            Self::Postgres(conn) => {
                sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(conn)
                    .await?
            }
        })
    }
}

/// Multi-row INSERTs, as many rows each as the parameter limit allows, in one transaction.
async fn sqlite_insert(
    conn: &mut SqliteConnection,
    table: &Table,
    rows: &[Row],
) -> anyhow::Result<()> {
    let per_statement = (SQLITE_MAX_PARAMETERS / table.columns.len()).max(1);
    let head = format!("INSERT INTO {} ({}) ", table.name, table.columns.join(", "));
    let mut tx = conn.begin().await?;
    for chunk in rows.chunks(per_statement) {
        let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new(&head);
        builder.push_values(chunk, |mut values, row| {
            for value in row {
                match value {
                    Value::Text(text) => values.push_bind(text.as_str()),
                    Value::Int(n) => values.push_bind(*n),
                    Value::Real(x) => values.push_bind(*x),
                    Value::Bytes(bytes) => values.push_bind(bytes.as_slice()),
                    Value::Null => values.push_bind(None::<i64>),
                };
            }
        });
        builder.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One `COPY … FROM STDIN` in text format.
async fn postgres_copy(conn: &mut PgConnection, table: &Table, rows: &[Row]) -> anyhow::Result<()> {
    let statement = format!(
        "COPY {} ({}) FROM STDIN (FORMAT text)",
        table.name,
        table.columns.join(", ")
    );
    let mut copy = conn.copy_in_raw(&statement).await?;
    copy.send(copy_text(rows)).await?;
    copy.finish().await?;
    Ok(())
}

/// Rows in COPY text format: tab-separated, `\N` for NULL, special characters escaped.
fn copy_text(rows: &[Row]) -> Vec<u8> {
    let mut out = String::new();
    for row in rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            match value {
                Value::Text(text) => escape_into(&mut out, text),
                Value::Int(n) => out.push_str(&n.to_string()),
                Value::Real(x) => out.push_str(&x.to_string()),
                // BYTEA's hex form, its backslash escaped for COPY.
                Value::Bytes(bytes) => {
                    out.push_str("\\\\x");
                    bytes.iter().for_each(|b| out.push_str(&format!("{b:02x}")));
                }
                Value::Null => out.push_str("\\N"),
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}
