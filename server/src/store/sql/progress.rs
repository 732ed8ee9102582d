//! The plan and the indicator aggregates. On SQL: one pass over facilities with their latest
//! response, one over dedicated staff with their first training.

use super::*;
use sachhon_shared::indicators::{Counts, Plan, TASK_STATUSES};

#[async_trait]
impl ProgressStore for SqlStore {
    async fn seed_plan(&self, plan: &Plan) -> StoreResult<()> {
        let body = serde_json::to_string(plan).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query("INSERT INTO plan (id, body) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(body)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn plan(&self) -> StoreResult<Plan> {
        let body: String = sqlx::query_scalar("SELECT body FROM plan WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("plan"))?;
        let mut plan: Plan =
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows = sqlx::query("SELECT number, status, note FROM plan_tasks")
            .fetch_all(&self.reader)
            .await?;
        for row in &rows {
            let number: i64 = row.try_get("number")?;
            if let Some(task) = plan
                .tasks
                .iter_mut()
                .find(|t| i64::from(t.number) == number)
            {
                task.status = row.try_get("status")?;
                task.note = row.try_get("note")?;
            }
        }
        Ok(plan)
    }

    async fn update_task(&self, number: u32, status: &str, note: &str) -> StoreResult<()> {
        if !TASK_STATUSES.contains(&status) {
            return Err(StoreError::Invalid {
                field: Some("status".into()),
                message: format!("status must be one of {}", TASK_STATUSES.join(", ")),
            });
        }
        crate::store::check_text("note", note, sachhon_shared::text::LONG)?;
        if !self.plan().await?.tasks.iter().any(|t| t.number == number) {
            return Err(StoreError::NotFound("task"));
        }
        sqlx::query(
            "INSERT INTO plan_tasks (number, status, note, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (number) DO UPDATE SET status = excluded.status, note = excluded.note, \
             updated_at = excluded.updated_at",
        )
        .bind(i64::from(number))
        .bind(status)
        .bind(note)
        .bind(now())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn progress_counts(
        &self,
        before_ms: i64,
        min_savings_pct: f64,
    ) -> StoreResult<Vec<(Option<String>, Counts)>> {
        let before = crate::time::rfc3339_from_ms(before_ms);
        // Facilities with CP potential and their latest response answered in time, found per
        // facility through the `responses_latest` index. Being reached (attending, or answering)
        // is implied by having a scored response.
        let facilities = sqlx::query(
            "SELECT f.district, COUNT(*) AS potential, \
                 CAST(SUM(CASE WHEN l.passes = 1 THEN 1 ELSE 0 END) AS BIGINT) AS aware, \
                 CAST(SUM(CASE WHEN l.applies_cp = 1 \
                     AND l.savings_pct >= CAST($2 AS DOUBLE PRECISION) \
                     THEN 1 ELSE 0 END) AS BIGINT) AS adopting \
             FROM (SELECT f.district, \
                     (SELECT r.id FROM responses r WHERE r.facility_id = f.id \
                      AND r.answered_at_ms < $1 \
                      ORDER BY r.answered_at_ms DESC, r.id DESC LIMIT 1) AS latest \
                   FROM facilities f WHERE f.cp_potential = 1) f \
             LEFT JOIN responses l ON l.id = f.latest \
             GROUP BY f.district",
        )
        .bind(before_ms)
        .bind(min_savings_pct.to_string())
        .fetch_all(&self.reader)
        .await?;
        // Dedicated staff, and whether any of their unannulled scans at a training event that
        // started in time was made in time. `IN (subquery)` lets the database build the set of
        // trained people once; a join on it was quadratic on SQLite (docs/benchmarks.md).
        let staff = sqlx::query(
            "WITH trained AS (SELECT COALESCE(s.person_id, r.person_id) AS person_id \
                 FROM scans s JOIN events e ON e.id = s.event_id \
                 LEFT JOIN registrations r ON r.id = s.registration_id \
                 WHERE e.kind = 'training' AND e.starts_at < $1 AND s.scanned_at_ms < $2 \
                 AND NOT EXISTS (SELECT 1 FROM annulments a WHERE a.scan_id = s.id)) \
             SELECT f.district, COUNT(*) AS staff, \
                 CAST(SUM(CASE WHEN p.id IN (SELECT person_id FROM trained) THEN 1 ELSE 0 END) \
                     AS BIGINT) AS trained \
             FROM people p LEFT JOIN facilities f ON f.id = p.facility_id \
             WHERE p.cp_staff = 1 GROUP BY f.district",
        )
        .bind(before)
        .bind(before_ms)
        .fetch_all(&self.reader)
        .await?;
        let mut by_district: std::collections::BTreeMap<Option<String>, Counts> =
            Default::default();
        let count = |row: &sqlx::any::AnyRow, column: &str| -> StoreResult<u64> {
            let n: i64 = row.try_get(column)?;
            u64::try_from(n).map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        for row in &facilities {
            let counts = by_district.entry(row.try_get("district")?).or_default();
            counts.potential = count(row, "potential")?;
            counts.aware = count(row, "aware")?;
            counts.adopting = count(row, "adopting")?;
        }
        for row in &staff {
            let counts = by_district.entry(row.try_get("district")?).or_default();
            counts.staff = count(row, "staff")?;
            counts.trained = count(row, "trained")?;
        }
        Ok(by_district.into_iter().collect())
    }
}
