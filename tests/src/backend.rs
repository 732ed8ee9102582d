//! Fresh databases for tests: a SQLite file in a temporary directory, or a PostgreSQL
//! database created for the test and dropped after it.

use anyhow::Context;
use sqlx::Connection;

/// The storage backends the suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A database on the PostgreSQL server named by `SACHHON_TEST_PG`
    /// (default `postgres://postgres@127.0.0.1:5432`).
    Postgres,
}

impl Backend {
    /// Both backends; every end-to-end story runs on each.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// A new, empty database.
    pub async fn fresh_database(self) -> anyhow::Result<Database> {
        match self {
            Self::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("sachhon.db").display());
                if std::env::var_os("SACHHON_TEST_KEEP_DB").is_some() {
                    eprintln!("keeping {url}");
                    let _ = dir.keep();
                    return Ok(Database {
                        url,
                        backend: Some(self),
                        _dir: None,
                        pg_name: None,
                    });
                }
                Ok(Database {
                    url,
                    backend: Some(self),
                    _dir: Some(dir),
                    pg_name: None,
                })
            }
            Self::Postgres => {
                let server = postgres_server();
                let name = format!("sachhon_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {server}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await?;
                Ok(Database {
                    url: format!("{server}/{name}"),
                    backend: Some(self),
                    _dir: None,
                    pg_name: Some(name),
                })
            }
        }
    }
}

fn postgres_server() -> String {
    std::env::var("SACHHON_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database made for one test. A PostgreSQL database is dropped when this is dropped.
pub struct Database {
    /// Its URL, as `sachhon serve --db` takes it.
    pub url: String,
    /// Which backend, if any.
    pub backend: Option<Backend>,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl Database {
    pub(crate) fn detached() -> Self {
        Self {
            url: String::new(),
            backend: None,
            _dir: None,
            pg_name: None,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async code, possibly inside a runtime: use a thread of its own.
        let server = postgres_server();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                anyhow::Ok(())
            })
        })
        .join();
    }
}
