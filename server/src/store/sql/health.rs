//! What the server's metrics read from storage. On SQL.

use super::*;
use crate::store::HealthStore;

#[async_trait]
impl HealthStore for SqlStore {
    async fn database_size(&self) -> StoreResult<u64> {
        let bytes: i64 = sqlx::query_scalar(self.dialect.database_size_query())
            .fetch_one(&self.reader)
            .await?;
        u64::try_from(bytes).map_err(|_| StoreError::Corrupt(format!("database size {bytes}")))
    }
}
