//! Lists the office web pages show. On SQL.

use super::*;
use crate::store::batch::search_keys;
use crate::store::{
    DeviceRecord, Found, ListCursor, ListingStore, PersonRecord, QuestionnaireSummary,
    ResponseQuery, ResponseSummary, Search,
};
use sachhon_shared::questionnaire::Definition;
use sachhon_shared::vietnamese::fold;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;
use std::collections::HashMap;

#[async_trait]
impl ListingStore for SqlStore {
    async fn find_facilities(&self, search: &Search) -> StoreResult<Found<FacilityRecord>> {
        let (filter, binds) = search_filter("f", search);
        let sql = format!(
            "SELECT f.id, f.name, f.tax_code, f.district, f.sector, f.cp_potential, f.sort_key \
             FROM facilities f WHERE {filter} ORDER BY f.sort_key, f.id LIMIT {}",
            search.limit + 1
        );
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.reader)
            .await?;
        page_of(rows, search.limit, |row| {
            Ok(FacilityRecord {
                id: parse(&row.try_get::<String, _>("id")?)?,
                name: row.try_get("name")?,
                tax_code: row.try_get("tax_code")?,
                district: row.try_get("district")?,
                sector: row.try_get("sector")?,
                cp_potential: row.try_get::<i64, _>("cp_potential")? != 0,
            })
        })
    }

    async fn count_facilities(&self, search: &Search) -> StoreResult<(i64, i64)> {
        let whole = Search {
            after: None,
            ..search.clone()
        };
        let (filter, binds) = search_filter("f", &whole);
        let sql = format!(
            "SELECT COUNT(*) AS total, CAST(COALESCE(SUM(f.cp_potential), 0) AS BIGINT) AS potential \
             FROM facilities f WHERE {filter}"
        );
        let row = bind_all(sqlx::query(&sql), &binds)
            .fetch_one(&self.reader)
            .await?;
        Ok((row.try_get("total")?, row.try_get("potential")?))
    }

    async fn find_people(&self, search: &Search) -> StoreResult<Found<PersonRecord>> {
        let (filter, binds) = search_filter("p", search);
        let sql = format!(
            "SELECT p.id, p.name, p.facility_id, p.cp_staff, p.sort_key, f.name AS facility_name \
             FROM people p LEFT JOIN facilities f ON f.id = p.facility_id \
             WHERE {filter} ORDER BY p.sort_key, p.id LIMIT {}",
            search.limit + 1
        );
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.reader)
            .await?;
        page_of(rows, search.limit, |row| {
            let facility: Option<String> = row.try_get("facility_id")?;
            Ok(PersonRecord {
                id: parse(&row.try_get::<String, _>("id")?)?,
                name: row.try_get("name")?,
                facility: facility.as_deref().map(parse).transpose()?,
                facility_name: row.try_get("facility_name")?,
                cp_staff: row.try_get::<i64, _>("cp_staff")? != 0,
            })
        })
    }

    async fn fill_search_keys(&self) -> StoreResult<u64> {
        let mut filled = 0;
        for (table, tax_code) in [("facilities", "tax_code"), ("people", "NULL")] {
            let rows = sqlx::query(&format!(
                "SELECT id, name, {tax_code} AS tax_code FROM {table} WHERE sort_key IS NULL"
            ))
            .fetch_all(&self.writer)
            .await?;
            let mut tx = self.writer.begin().await?;
            for row in &rows {
                let name: Option<String> = row.try_get("name")?;
                let tax_code: Option<String> = row.try_get("tax_code")?;
                let [sort_key, search] = search_keys(name.as_deref(), tax_code.as_deref());
                sqlx::query(&format!(
                    "UPDATE {table} SET sort_key = $1, search = $2 WHERE id = $3"
                ))
                .bind(sort_key)
                .bind(search)
                .bind(row.try_get::<String, _>("id")?)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            filled += rows.len() as u64;
        }
        Ok(filled)
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

    async fn questionnaires(&self) -> StoreResult<Vec<QuestionnaireSummary>> {
        let rows = sqlx::query(
            "SELECT q.id, q.version, q.definition, q.published_at, \
             (SELECT COUNT(*) FROM responses r WHERE r.questionnaire_id = q.id) AS responses \
             FROM questionnaires q \
             WHERE q.version = (SELECT MAX(v.version) FROM questionnaires v WHERE v.id = q.id) \
             ORDER BY q.published_at DESC, q.id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let definition: Definition =
                    serde_json::from_str(&row.try_get::<String, _>("definition")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(QuestionnaireSummary {
                    id: parse(&row.try_get::<String, _>("id")?)?,
                    version: u32::try_from(row.try_get::<i64, _>("version")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    title: definition.title,
                    published_at: row.try_get("published_at")?,
                    responses: row.try_get("responses")?,
                })
            })
            .collect()
    }

    async fn devices(&self) -> StoreResult<Vec<DeviceRecord>> {
        let rows = sqlx::query(
            "SELECT d.id, d.name, d.role, d.facility_id, d.created_at, d.revoked_at, \
             (SELECT COUNT(*) FROM actors a WHERE a.device_id = d.id) AS enrolments, \
             (SELECT MAX(a.last_seen_ms) FROM actors a WHERE a.device_id = d.id) AS last_seen_ms, \
             (SELECT a.clock_offset_ms FROM actors a WHERE a.device_id = d.id \
              ORDER BY a.last_seen_ms IS NULL, a.last_seen_ms DESC LIMIT 1) AS clock_offset_ms \
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
                    clock_offset_ms: row.try_get("clock_offset_ms")?,
                })
            })
            .collect()
    }

    async fn response_summaries(&self, query: &ResponseQuery) -> StoreResult<Vec<ResponseSummary>> {
        let rows = sqlx::query(
            "SELECT r.id, f.name, f.district, r.answered_at, r.passes, r.conflicts, r.review \
             FROM responses r LEFT JOIN facilities f ON f.id = r.facility_id \
             WHERE ($1 IS NULL OR r.facility_id = $1) AND ($2 IS NULL OR f.district = $2) \
             ORDER BY CASE WHEN r.conflicts > 0 THEN 0 ELSE 1 END, r.answered_at DESC, r.id \
             LIMIT $3 OFFSET $4",
        )
        .bind(query.facility.map(|id| id.to_string()))
        .bind(query.district.clone())
        .bind(i64::from(query.limit))
        .bind(i64::from(query.offset))
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

/// The `WHERE` clause of a search on the table aliased `alias` (whose district is the
/// facility's, aliased `f`), and the values it binds in order.
fn search_filter(alias: &str, search: &Search) -> (String, Vec<String>) {
    let mut clauses = vec!["1 = 1".to_string()];
    let mut binds = Vec::new();
    let folded = fold(&search.q);
    if !folded.is_empty() {
        let escaped = folded
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        binds.push(format!("%{escaped}%"));
        clauses.push(format!("{alias}.search LIKE ${} ESCAPE '\\'", binds.len()));
    }
    if let Some(district) = &search.district {
        binds.push(district.clone());
        clauses.push(format!("f.district = ${}", binds.len()));
    }
    if let Some(facility) = search.facility {
        binds.push(facility.to_string());
        clauses.push(format!("f.id = ${}", binds.len()));
    }
    if let Some(after) = &search.after {
        binds.push(after.sort_key.clone());
        binds.push(after.id.to_string());
        let (key, id) = (binds.len() - 1, binds.len());
        clauses.push(format!(
            "({alias}.sort_key > ${key} OR ({alias}.sort_key = ${key} AND {alias}.id > ${id}))"
        ));
    }
    (clauses.join(" AND "), binds)
}

/// Binds text values in order.
fn bind_all<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    binds: &'q [String],
) -> Query<'q, Any, AnyArguments<'q>> {
    for value in binds {
        query = query.bind(value.as_str());
    }
    query
}

/// A page from `limit + 1` rows: the first `limit` read by `read`, and the cursor after the
/// last of them when a further row shows there is more.
fn page_of<T>(
    rows: Vec<AnyRow>,
    limit: u32,
    read: impl Fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Found<T>> {
    let more = rows.len() > limit as usize;
    let shown = &rows[..rows.len().min(limit as usize)];
    let next = match shown.last() {
        Some(last) if more => Some(ListCursor {
            sort_key: last
                .try_get::<Option<String>, _>("sort_key")?
                .unwrap_or_default(),
            id: parse(&last.try_get::<String, _>("id")?)?,
        }),
        _ => None,
    };
    Ok(Found {
        items: shown.iter().map(read).collect::<StoreResult<_>>()?,
        next,
    })
}
