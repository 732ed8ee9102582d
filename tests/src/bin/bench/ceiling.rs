//! The ceiling: how fast the database alone takes the same rows the server writes to its op
//! log, with the same durability, and no HTTP, decoding, CRDT merging or projections.
//!
//! SQLite: a fresh file in WAL mode with `synchronous = FULL`, one transaction per 1,000
//! rows, into a table shaped like the server's `ops` table (same columns, keys and indexes), each
//! transaction one multi-row INSERT. PostgreSQL: a `COPY … FROM STDIN` (text format) per
//! 1,000 rows into a fresh database, each COPY its own committed transaction.
//!
//! For reference, the same rows also go in as one prepared single-row INSERT each through
//! sqlx, in the same transactions: the statement pattern (and driver) the server uses.

use crate::workload::{LogRow, WALK_IN_SCOPE};
use anyhow::Context;
use sachhon_tests::backend::Database;
use sachhon_tests::Backend;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, PgConnection, QueryBuilder, Sqlite, SqliteConnection};
use std::time::{Duration, Instant};

/// Rows per transaction (and per COPY).
pub const ROWS_PER_TRANSACTION: usize = 1_000;

/// The server's `ops` table on SQLite (server/migrations/sqlite/0007_protocol_v2.sql).
const SQLITE_SCHEMA: &str = "
CREATE TABLE ops (
    cursor      INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    batch       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    op          BLOB NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (actor_id, seq)
);";

/// The server's `ops` table on PostgreSQL (server/migrations/postgres/0007_protocol_v2.sql).
const POSTGRES_SCHEMA: &str = "
CREATE TABLE ops (
    cursor      BIGSERIAL PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    batch       BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    op          BYTEA NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (actor_id, seq)
);";

const INSERT: &str = "INSERT INTO ops (actor_id, seq, batch, kind, record_id, scope, op, \
                      received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const COPY: &str = "COPY ops (actor_id, seq, batch, kind, record_id, scope, op, received_at) \
                    FROM STDIN (FORMAT text)";

/// How the ceiling was measured and how long it took.
pub struct Measured {
    /// A short description of the method.
    pub method: &'static str,
    /// Rows written.
    pub rows: usize,
    /// Time from the first row to the last commit.
    pub wall: Duration,
}

/// The ceiling proper, and, for reference, the same rows as one prepared single-row INSERT
/// each through sqlx in the same transactions (the way the server writes).
pub struct Ceilings {
    /// The fastest plain way: one multi-row INSERT per transaction (SQLite), COPY (PostgreSQL).
    pub plain: Measured,
    /// Single-row INSERTs through sqlx.
    pub single_rows: Measured,
}

/// Writes `rows` into fresh databases of `backend`, timed, both ways.
pub async fn measure(
    backend: Backend,
    rows: &[LogRow],
    received_at: &str,
) -> anyhow::Result<Ceilings> {
    Ok(match backend {
        Backend::Sqlite => Ceilings {
            plain: sqlite(rows, received_at, Insert::MultiRow).await?,
            single_rows: sqlite(rows, received_at, Insert::SingleRow).await?,
        },
        Backend::Postgres => Ceilings {
            plain: postgres_copy(rows, received_at).await?,
            single_rows: postgres_single_rows(rows, received_at).await?,
        },
    })
}

/// How rows go into SQLite.
#[derive(Clone, Copy, PartialEq)]
enum Insert {
    /// One INSERT with 1,000 rows of values per transaction.
    MultiRow,
    /// One prepared INSERT per row.
    SingleRow,
}

async fn sqlite(rows: &[LogRow], received_at: &str, insert: Insert) -> anyhow::Result<Measured> {
    let dir = tempfile::tempdir()?;
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("ceiling.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    sqlx::raw_sql(SQLITE_SCHEMA).execute(&mut conn).await?;
    let started = Instant::now();
    for chunk in rows.chunks(ROWS_PER_TRANSACTION) {
        let mut tx = conn.begin().await?;
        match insert {
            Insert::MultiRow => {
                multi_row_insert(chunk, received_at)
                    .build()
                    .execute(&mut *tx)
                    .await?;
            }
            Insert::SingleRow => {
                for row in chunk {
                    single_row_insert(row, received_at)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
    }
    let wall = started.elapsed();
    conn.close().await?;
    let method = match insert {
        Insert::MultiRow => "SQLite WAL, synchronous=FULL, one 1,000-row INSERT per transaction",
        Insert::SingleRow => {
            "SQLite WAL, synchronous=FULL, sqlx single-row INSERTs, 1,000 per transaction"
        }
    };
    Ok(Measured {
        method,
        rows: rows.len(),
        wall,
    })
}

/// One INSERT statement carrying every row of `chunk`.
fn multi_row_insert<'a>(chunk: &'a [LogRow], received_at: &'a str) -> QueryBuilder<'a, Sqlite> {
    let mut builder = QueryBuilder::new(
        "INSERT INTO ops (actor_id, seq, batch, kind, record_id, scope, op, received_at) ",
    );
    builder.push_values(chunk, |mut values, row| {
        values
            .push_bind(&row.actor)
            .push_bind(row.seq)
            .push_bind(row.batch)
            .push_bind(row.kind)
            .push_bind(&row.record)
            .push_bind(WALK_IN_SCOPE)
            .push_bind(&row.op)
            .push_bind(received_at);
    });
    builder
}

/// The prepared single-row INSERT of one row, on either database.
fn single_row_insert<'a, DB>(
    row: &'a LogRow,
    received_at: &'a str,
) -> sqlx::query::Query<'a, DB, <DB as sqlx::Database>::Arguments<'a>>
where
    DB: sqlx::Database,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a Vec<u8>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    sqlx::query(INSERT)
        .bind(&row.actor)
        .bind(row.seq)
        .bind(row.batch)
        .bind(row.kind)
        .bind(&row.record)
        .bind(WALK_IN_SCOPE)
        .bind(&row.op)
        .bind(received_at)
}

/// A fresh PostgreSQL database holding the `ops` table, and a connection to it.
async fn postgres_table() -> anyhow::Result<(Database, PgConnection)> {
    let database = Backend::Postgres.fresh_database().await?;
    let mut conn = PgConnection::connect(&database.url)
        .await
        .context("connecting to the ceiling database")?;
    sqlx::raw_sql(POSTGRES_SCHEMA).execute(&mut conn).await?;
    Ok((database, conn))
}

async fn postgres_copy(rows: &[LogRow], received_at: &str) -> anyhow::Result<Measured> {
    let (_database, mut conn) = postgres_table().await?;
    let chunks: Vec<Vec<u8>> = rows
        .chunks(ROWS_PER_TRANSACTION)
        .map(|chunk| copy_text(chunk, received_at))
        .collect();
    let started = Instant::now();
    for data in chunks {
        let mut copy = conn.copy_in_raw(COPY).await?;
        copy.send(data).await?;
        copy.finish().await?;
    }
    let wall = started.elapsed();
    conn.close().await?;
    Ok(Measured {
        method: "PostgreSQL COPY FROM STDIN (text), 1,000 rows per COPY, each committed",
        rows: rows.len(),
        wall,
    })
}

async fn postgres_single_rows(rows: &[LogRow], received_at: &str) -> anyhow::Result<Measured> {
    let (_database, mut conn) = postgres_table().await?;
    let started = Instant::now();
    for chunk in rows.chunks(ROWS_PER_TRANSACTION) {
        let mut tx = conn.begin().await?;
        for row in chunk {
            single_row_insert(row, received_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let wall = started.elapsed();
    conn.close().await?;
    Ok(Measured {
        method: "PostgreSQL, sqlx single-row INSERTs, 1,000 per transaction",
        rows: rows.len(),
        wall,
    })
}
/// Rows in COPY text format: tab-separated, `bytea` as `\\x` followed by hex.
fn copy_text(rows: &[LogRow], received_at: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        for text in [
            row.actor.as_str(),
            &row.seq.to_string(),
            &row.batch.to_string(),
            row.kind,
            &row.record,
            WALK_IN_SCOPE,
        ] {
            out.extend_from_slice(text.as_bytes());
            out.push(b'\t');
        }
        out.extend_from_slice(b"\\\\x");
        push_hex(&mut out, &row.op);
        out.push(b'\t');
        out.extend_from_slice(received_at.as_bytes());
        out.push(b'\n');
    }
    out
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0x0f)]);
    }
}
