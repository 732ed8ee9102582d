//! Lists the office web pages show. On SQL.

use super::*;
use crate::store::{DeviceRecord, ListingStore, ResponseSummary};
use std::collections::HashMap;

#[async_trait]
impl ListingStore for SqlStore {
    async fn facilities(&self) -> StoreResult<Vec<FacilityRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, tax_code, district, sector, cp_potential FROM facilities \
             ORDER BY district, name, id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FacilityRecord {
                    id: parse(&row.try_get::<String, _>("id")?)?,
                    name: row.try_get("name")?,
                    tax_code: row.try_get("tax_code")?,
                    district: row.try_get("district")?,
                    sector: row.try_get("sector")?,
                    cp_potential: row.try_get::<i64, _>("cp_potential")? != 0,
                })
            })
            .collect()
    }

    async fn events(&self) -> StoreResult<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT id, title, kind, starts_at, district FROM events ORDER BY starts_at DESC, id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(EventRecord {
                    id: parse(&row.try_get::<String, _>("id")?)?,
                    title: row.try_get("title")?,
                    kind: row.try_get("kind")?,
                    starts_at: row.try_get("starts_at")?,
                    district: row.try_get("district")?,
                })
            })
            .collect()
    }

    async fn devices(&self) -> StoreResult<Vec<DeviceRecord>> {
        let rows = sqlx::query(
            "SELECT d.id, d.name, d.role, d.facility_id, d.created_at, d.revoked_at, \
             (SELECT COUNT(*) FROM actors a WHERE a.device_id = d.id) AS enrolments, \
             (SELECT MAX(a.last_seen_ms) FROM actors a WHERE a.device_id = d.id) AS last_seen_ms \
             FROM devices d ORDER BY d.created_at DESC, d.id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let facility: Option<String> = row.try_get("facility_id")?;
                Ok(DeviceRecord {
                    id: parse(&row.try_get::<String, _>("id")?)?,
                    name: row.try_get("name")?,
                    role: row
                        .try_get::<String, _>("role")?
                        .parse()
                        .map_err(StoreError::Corrupt)?,
                    facility: facility.map(|f| parse(&f)).transpose()?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                    enrolments: row.try_get("enrolments")?,
                    last_seen_ms: row.try_get("last_seen_ms")?,
                })
            })
            .collect()
    }

    async fn response_summaries(&self, limit: u32) -> StoreResult<Vec<ResponseSummary>> {
        let rows = sqlx::query(
            "SELECT r.id, f.name, f.district, r.answered_at, r.passes, r.conflicts, r.review \
             FROM responses r LEFT JOIN facilities f ON f.id = r.facility_id \
             ORDER BY CASE WHEN r.conflicts > 0 THEN 0 ELSE 1 END, r.answered_at DESC, r.id \
             LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ResponseSummary {
                    id: parse(&row.try_get::<String, _>("id")?)?,
                    facility_name: row.try_get("name")?,
                    district: row.try_get("district")?,
                    answered_at: row.try_get("answered_at")?,
                    passes: row.try_get::<i64, _>("passes")? != 0,
                    conflicts: row.try_get("conflicts")?,
                    review: row.try_get("review")?,
                })
            })
            .collect()
    }

    async fn person_names(&self, ids: &[PersonId]) -> StoreResult<HashMap<PersonId, String>> {
        let mut names = HashMap::with_capacity(ids.len());
        // Bounded batches: both backends cap the number of bound parameters.
        for batch in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=batch.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT id, name FROM people WHERE name IS NOT NULL AND id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for id in batch {
                query = query.bind(id.to_string());
            }
            for row in query.fetch_all(&self.reader).await? {
                names.insert(
                    parse(&row.try_get::<String, _>("id")?)?,
                    row.try_get("name")?,
                );
            }
        }
        Ok(names)
    }
}
