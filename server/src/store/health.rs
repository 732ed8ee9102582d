//! What the server's metrics read from storage besides the listings: the database's size.

use super::StoreResult;
use async_trait::async_trait;

/// What the server's metrics read from storage.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// The database's size in bytes: SQLite's main file (its pages, free ones included; the
    /// write-ahead log aside), PostgreSQL's `pg_database_size`.
    async fn database_size(&self) -> StoreResult<u64>;
}
