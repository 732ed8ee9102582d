//! The programme plan and the aggregates behind the indicators.

use super::StoreResult;
use async_trait::async_trait;
use sachhon_shared::indicators::{Counts, Plan};

/// The plan and the indicator aggregates.
#[async_trait]
pub trait ProgressStore: Send + Sync {
    /// Stores the plan unless one is stored already (first start).
    async fn seed_plan(&self, plan: &Plan) -> StoreResult<()>;
    /// The plan, its tasks with the office's status and note.
    async fn plan(&self) -> StoreResult<Plan>;
    /// Sets a task's status and note.
    async fn update_task(&self, number: u32, status: &str, note: &str) -> StoreResult<()>;
    /// The counts behind the indicators per district (`None`: people with no facility), for
    /// data up to `before_ms` (exclusive; events by their start, scans by the phone's time,
    /// responses by when they were answered) and the given savings floor.
    async fn progress_counts(
        &self,
        before_ms: i64,
        min_savings_pct: f64,
    ) -> StoreResult<Vec<(Option<String>, Counts)>>;
}
