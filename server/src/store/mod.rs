//! Storage: the [`Store`] trait of domain operations, and its SQL implementation for SQLite
//! and PostgreSQL.
//!
//! Architecture invariant: an op is acknowledged only after the transaction that applied it
//! committed; every change of a record goes through the one op path in [`apply`], so the
//! change feed, the document states and the projections never disagree.

mod apply;
mod batch;
mod checkin;
mod cursor;
mod devices;
mod dialect;
mod find;
mod health;
mod history;
mod listings;
mod progress;
mod questionnaires;
mod registry;
mod responses;
mod rows;
mod sql;
mod sync;
mod users;
mod view;

pub use checkin::*;
pub use devices::*;
pub use find::*;
pub use health::*;
pub use history::{begin_new_history, NewHistory};
pub use listings::*;
pub use progress::*;
pub use questionnaires::*;
pub use registry::*;
pub use sync::*;
pub use users::*;

use std::sync::Arc;

pub use dialect::Dialect;
pub use sql::SqlStore;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A push skipped sequence numbers.
    #[error("sequence gap: expected seq {expected}")]
    Gap {
        /// The sequence number expected next.
        expected: u64,
    },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// An op or edit is invalid; nothing was stored.
    #[error("{message}")]
    Invalid {
        /// The field at fault, when one is.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The request conflicts with the stored state (e.g. an enrolment token already used).
    #[error("{0}")]
    Conflict(String),
    /// The database URL names no supported backend.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A stored value cannot be read back.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Checks a string written outside ops (a device's name, a task's note) against the text rule
/// that ops follow (`sachhon_shared::text`).
pub fn check_text(field: &str, value: &str, limit: usize) -> StoreResult<()> {
    sachhon_shared::text::check(value, limit).map_err(|error| StoreError::Invalid {
        field: Some(field.to_string()),
        message: format!("{field}: {error}"),
    })
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// The domain operations the server needs from storage, grouped by domain. One implementation
/// per backend family; held as `Arc<dyn Store>`.
pub trait Store:
    DeviceStore
    + SyncStore
    + RegistryStore
    + CheckinStore
    + QuestionnaireStore
    + ProgressStore
    + UserStore
    + ListingStore
    + HealthStore
{
}

impl<T> Store for T where
    T: DeviceStore
        + SyncStore
        + RegistryStore
        + CheckinStore
        + QuestionnaireStore
        + ProgressStore
        + UserStore
        + ListingStore
        + HealthStore
{
}

/// Opens the store named by a URL (`sqlite://…` or `postgres://…`) and runs its migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::connect(url).await?))
}
