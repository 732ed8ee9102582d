//! What differs between SQLite and PostgreSQL: connecting, migrations, row locks and the
//! change-feed cursor. Everything else is the same SQL.

use super::{StoreError, StoreResult};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

/// The backend family behind a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// One file, one writer at a time; the default.
    Sqlite,
    /// Several server processes on one database.
    Postgres,
}

impl Dialect {
    /// The dialect a database URL names.
    pub fn of(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// Opens the writer and reader pools. SQLite gets a single writer connection (SQLite
    /// allows one writer; queuing in the pool beats retrying on SQLITE_BUSY), kept open for
    /// the life of the process so that `sachhon restore` can tell the database is in use, and
    /// readers that see WAL snapshots.
    pub async fn pools(self, url: &str) -> StoreResult<(AnyPool, AnyPool)> {
        sqlx::any::install_default_drivers();
        match self {
            Self::Sqlite => {
                let url = sqlite_url(url);
                let options = || {
                    AnyPoolOptions::new().after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await
                            .map(|_| ())
                        })
                    })
                };
                let writer = options()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect(&url)
                    .await?;
                let reader = options().max_connections(8).connect(&url).await?;
                Ok((writer, reader))
            }
            Self::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .connect(url)
                    .await?;
                Ok((pool.clone(), pool))
            }
        }
    }

    /// Runs this backend's embedded migrations, after making sure the database holds no ops
    /// of sync protocol v1, which this version cannot read (migration 0007 replaces their
    /// table).
    pub async fn migrate(self, pool: &AnyPool) -> StoreResult<()> {
        // Only v1's op log has `op_id`; on a new or v2 database the query fails, harmlessly.
        let v1_op: Result<Option<i64>, _> =
            sqlx::query_scalar("SELECT 1 FROM ops WHERE op_id IS NOT NULL LIMIT 1")
                .fetch_optional(pool)
                .await;
        if let Ok(Some(_)) = v1_op {
            return Err(StoreError::Corrupt(
                "this database holds ops of sync protocol v1, which this version of sachhon \
                 cannot read (v1 was never released to phones): serve it with the version that \
                 wrote it, or start from a new database"
                    .into(),
            ));
        }
        match self {
            Self::Sqlite => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Self::Postgres => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Takes the change-feed lock until the transaction ends (PostgreSQL: a transaction-level
    /// advisory lock; SQLite: its single writer already serialises transactions).
    pub async fn lock_feed(self, conn: &mut sqlx::AnyConnection) -> StoreResult<()> {
        if self == Self::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(FEED_LOCK_KEY)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The query of the database's size in bytes.
    pub fn database_size_query(self) -> &'static str {
        match self {
            Self::Sqlite => {
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            }
            Self::Postgres => "SELECT pg_database_size(current_database())",
        }
    }

    /// The clause that locks a selected row until commit (SQLite has one writer anyway).
    pub fn for_update(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }
}

/// `sqlite://path` with `mode=rwc`, so that a missing file is created.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The advisory-lock key of the change feed ("sachhon" in ASCII).
const FEED_LOCK_KEY: i64 = 0x0073_6163_6868_6f6e;
