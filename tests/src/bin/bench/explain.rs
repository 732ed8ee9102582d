//! The query plans of the two progress queries on the loaded database, as the server's own
//! SQLite (the one bundled with sqlx, not the system's `sqlite3`) or PostgreSQL would run
//! them as of 2020-12-31: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN (ANALYZE, BUFFERS)` on
//! PostgreSQL.
//!
//! The SQL is a copy of `progress_counts` in server/src/store/sql/progress.rs; keep the two
//! in step.

use sachhon_tests::Backend;
use sqlx::{Connection, PgConnection, Row, SqliteConnection};

/// Facilities with CP potential and their latest response (`$1` before-ms, `$2` floor).
const FACILITIES: &str = "WITH latest AS (SELECT facility_id, passes, applies_cp, savings_pct, \
         ROW_NUMBER() OVER (PARTITION BY facility_id \
                            ORDER BY answered_at_ms DESC, id DESC) AS rank \
         FROM responses WHERE answered_at_ms < $1) \
     SELECT f.district, COUNT(*) AS potential, \
         CAST(SUM(CASE WHEN l.passes = 1 THEN 1 ELSE 0 END) AS BIGINT) AS aware, \
         CAST(SUM(CASE WHEN l.applies_cp = 1 AND l.savings_pct >= CAST($2 AS DOUBLE PRECISION) \
             THEN 1 ELSE 0 END) AS BIGINT) AS adopting \
     FROM facilities f LEFT JOIN latest l ON l.facility_id = f.id AND l.rank = 1 \
     WHERE f.cp_potential = 1 GROUP BY f.district";

/// Dedicated staff and whether they were trained (`$1` before as RFC 3339, `$2` before-ms).
const STAFF: &str =
    "WITH trained AS (SELECT DISTINCT COALESCE(s.person_id, r.person_id) AS person_id \
         FROM scans s JOIN events e ON e.id = s.event_id \
         LEFT JOIN registrations r ON r.id = s.registration_id \
         WHERE e.kind = 'training' AND e.starts_at < $1 AND s.scanned_at_ms < $2 \
         AND NOT EXISTS (SELECT 1 FROM annulments a WHERE a.scan_id = s.id)) \
     SELECT f.district, COUNT(*) AS staff, \
         CAST(SUM(CASE WHEN t.person_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS trained \
     FROM people p LEFT JOIN facilities f ON f.id = p.facility_id \
     LEFT JOIN trained t ON t.person_id = p.id \
     WHERE p.cp_staff = 1 GROUP BY f.district";

/// 2021-01-01T00:00:00Z: the end of the as-of day 2020-12-31.
const BEFORE: &str = "2021-01-01T00:00:00Z";
const BEFORE_MS: i64 = 1_609_459_200_000;
/// The 2020 milestone's savings floor, as the server binds it.
const FLOOR: &str = "8";

/// Prints both plans to standard output.
pub async fn print(backend: Backend, url: &str) -> anyhow::Result<()> {
    let plans = match backend {
        Backend::Sqlite => sqlite(url).await?,
        Backend::Postgres => postgres(url).await?,
    };
    for (name, plan) in ["facilities", "staff"].iter().zip(plans) {
        println!("plan of the {name} query:\n{plan}");
    }
    Ok(())
}

async fn sqlite(url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = SqliteConnection::connect(url).await?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&mut conn)
        .await?;
    println!("SQLite {version}");
    let facilities = sqlx::query(&format!("EXPLAIN QUERY PLAN {FACILITIES}"))
        .bind(BEFORE_MS)
        .bind(FLOOR)
        .fetch_all(&mut conn)
        .await?;
    let staff = sqlx::query(&format!("EXPLAIN QUERY PLAN {STAFF}"))
        .bind(BEFORE)
        .bind(BEFORE_MS)
        .fetch_all(&mut conn)
        .await?;
    Ok(vec![sqlite_tree(&facilities)?, sqlite_tree(&staff)?])
}

/// `EXPLAIN QUERY PLAN` rows (`id`, `parent`, `detail`) as an indented tree.
fn sqlite_tree(rows: &[sqlx::sqlite::SqliteRow]) -> anyhow::Result<String> {
    let mut depths: Vec<(i64, usize)> = Vec::new();
    let mut out = String::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let parent: i64 = row.try_get("parent")?;
        let detail: String = row.try_get("detail")?;
        let depth = depths
            .iter()
            .find(|(node, _)| *node == parent)
            .map_or(0, |(_, d)| d + 1);
        depths.push((id, depth));
        out.push_str(&format!("{}{detail}\n", "  ".repeat(depth + 1)));
    }
    Ok(out)
}

async fn postgres(url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::connect(url).await?;
    let facilities = sqlx::query(&format!("EXPLAIN (ANALYZE, BUFFERS) {FACILITIES}"))
        .bind(BEFORE_MS)
        .bind(FLOOR)
        .fetch_all(&mut conn)
        .await?;
    let staff = sqlx::query(&format!("EXPLAIN (ANALYZE, BUFFERS) {STAFF}"))
        .bind(BEFORE)
        .bind(BEFORE_MS)
        .fetch_all(&mut conn)
        .await?;
    let text = |rows: &[sqlx::postgres::PgRow]| -> anyhow::Result<String> {
        let mut out = String::new();
        for row in rows {
            let line: String = row.try_get(0)?;
            out.push_str(&format!("  {line}\n"));
        }
        Ok(out)
    };
    Ok(vec![text(&facilities)?, text(&staff)?])
}
