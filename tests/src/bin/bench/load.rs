//! Loading the generated data set (`dataset`) straight into a fresh database, for the
//! benchmarks whose subject is not the ingest (`progress`, `scope`): multi-row INSERTs in one
//! transaction per batch on SQLite (`synchronous = OFF` while loading), one COPY per batch on
//! PostgreSQL, then `ANALYZE` there as autovacuum would do shortly after. With an op log, the
//! rows' ops and document states are written too (`oplog`), so that pulls see the data set.

use crate::bulk::Bulk;
use crate::dataset::{self, Sizes, World};
use crate::oplog::{LogRows, OpLog, DOCS, OPS, OP_BATCHES};
use anyhow::Context;
use sachhon_shared::RecordKind;
use sachhon_tests::Backend;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Rows per transaction (SQLite) or per COPY (PostgreSQL).
const BATCH_ROWS: usize = 50_000;

/// What to load.
pub struct Plan {
    /// Storage backend.
    pub backend: Backend,
    /// How much data.
    pub sizes: Sizes,
    /// Seed of the generator (the same seed, the same data).
    pub seed: u64,
    /// An event that gets exactly this many scans (and registrations): its index among the
    /// events in order of start, and the count.
    pub focus: Option<(usize, usize)>,
    /// Write the op log and document states too.
    pub op_log: bool,
    /// SQL run on the database after the load (to try indexes).
    pub sql: Option<PathBuf>,
}

/// The load (not what a benchmark measures).
#[derive(Serialize)]
pub struct LoadFigures {
    /// Generation and writing, wall time.
    pub wall_s: f64,
    /// Op-log rows written (0 without an op log).
    pub ops: usize,
    /// The SQL file run after the load, if any.
    pub extra_sql: Option<String>,
    /// Time the extra SQL took.
    pub extra_sql_s: f64,
    /// Database size after the load.
    pub database_bytes: i64,
}

/// Generates the data set and writes it into the database at `url`, in large transactions.
pub async fn load(plan: &Plan, url: &str) -> anyhow::Result<(World, LoadFigures)> {
    let started = Instant::now();
    let mut bulk = Bulk::connect(plan.backend, url).await?;
    let mut world = World::new(plan.sizes, plan.seed);
    let mut log = match plan.op_log {
        true => Some(OpLog::new(
            sachhon_server::time::rfc3339(time::OffsetDateTime::now_utc()),
            bulk.max("op_batches", "id").await?,
        )),
        false => None,
    };
    let sizes = world.sizes();
    say(format!(
        "loading {sizes:?}{}",
        if plan.op_log { " with its op log" } else { "" }
    ));
    let mut ops = 0;
    for range in batches(sizes.facilities, BATCH_ROWS) {
        let rows = world.facilities(range);
        bulk.write(&dataset::FACILITIES, &rows).await?;
        if let Some(log) = &mut log {
            let logged = log.registry(RecordKind::Facility, &dataset::FACILITIES, &rows);
            ops += write_log(&mut bulk, &logged).await?;
        }
    }
    for range in batches(sizes.people, BATCH_ROWS) {
        let rows = world.people(range);
        bulk.write(&dataset::PEOPLE, &rows).await?;
        if let Some(log) = &mut log {
            let logged = log.registry(RecordKind::Person, &dataset::PEOPLE, &rows);
            ops += write_log(&mut bulk, &logged).await?;
        }
    }
    let events = world.events();
    if let Some((event, scans)) = plan.focus {
        world.set_scans(event, scans)?;
    }
    bulk.write(&dataset::EVENTS, &events).await?;
    if let Some(log) = &mut log {
        let logged = log.registry(RecordKind::Event, &dataset::EVENTS, &events);
        ops += write_log(&mut bulk, &logged).await?;
    }
    for range in world.event_batches(BATCH_ROWS) {
        let attendance = world.attendance(range);
        bulk.write(&dataset::REGISTRATIONS, &attendance.registrations)
            .await?;
        bulk.write(&dataset::SCANS, &attendance.scans).await?;
        bulk.write(&dataset::ANNULMENTS, &attendance.annulments)
            .await?;
        if let Some(log) = &mut log {
            let logged = log.attendance(
                (&dataset::REGISTRATIONS, &attendance.registrations),
                (&dataset::SCANS, &attendance.scans),
                (&dataset::ANNULMENTS, &attendance.annulments),
            );
            ops += write_log(&mut bulk, &logged).await?;
        }
    }
    let counts = world.plan_responses();
    for range in batches(sizes.facilities, BATCH_ROWS / 2) {
        let rows = world.responses(range, &counts);
        bulk.write(&dataset::RESPONSES, &rows).await?;
    }
    if plan.backend == Backend::Postgres && log.is_some() {
        // The batch rows were numbered here: the sequence goes on after them.
        bulk.script(
            "SELECT setval(pg_get_serial_sequence('op_batches', 'id'), \
             (SELECT MAX(id) FROM op_batches))",
        )
        .await?;
    }
    let (extra_sql, extra_sql_s) = extra_sql(plan, &mut bulk).await?;
    if plan.backend == Backend::Postgres {
        // What autovacuum does by itself shortly after a bulk load; done now so that every
        // timed request sees the same plans.
        bulk.script("ANALYZE").await?;
    }
    let database_bytes = bulk.size().await?;
    bulk.finish().await?;
    let wall_s = started.elapsed().as_secs_f64();
    say(format!(
        "loaded in {wall_s:.1} s: {:?}, {ops} op-log rows",
        world.generated
    ));
    Ok((
        world,
        LoadFigures {
            wall_s,
            ops,
            extra_sql,
            extra_sql_s,
            database_bytes,
        },
    ))
}

/// Writes what an op log adds for some rows; returns the ops written.
async fn write_log(bulk: &mut Bulk, logged: &LogRows) -> anyhow::Result<usize> {
    bulk.write(&OP_BATCHES, &logged.batches).await?;
    bulk.write(&DOCS, &logged.docs).await?;
    for chunk in logged.ops.chunks(BATCH_ROWS) {
        bulk.write(&OPS, chunk).await?;
    }
    Ok(logged.ops.len())
}

/// Runs the plan's SQL file, if any; returns its path and duration.
async fn extra_sql(plan: &Plan, bulk: &mut Bulk) -> anyhow::Result<(Option<String>, f64)> {
    let Some(path) = &plan.sql else {
        return Ok((None, 0.0));
    };
    let sql =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    say(format!("running {}", path.display()));
    let started = Instant::now();
    bulk.script(&sql).await?;
    Ok((
        Some(path.display().to_string()),
        started.elapsed().as_secs_f64(),
    ))
}

/// `0..total` cut into ranges of at most `size`.
fn batches(total: usize, size: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..total)
        .step_by(size.max(1))
        .map(move |from| from..(from + size).min(total))
}

/// A progress line on standard error (standard output carries only the results).
pub fn say(message: impl std::fmt::Display) {
    eprintln!("[bench] {message}");
}
