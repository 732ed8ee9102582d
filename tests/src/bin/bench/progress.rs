//! The progress benchmark: a programme's worth of data (100,000 facilities, 150,000 people,
//! 2,000 events, 1,000,000 scans, 100,000 responses by default) written straight into the
//! projection tables of a fresh database, then the real `sachhon serve` process answering
//! `/api/v1/progress` (province-wide for two milestones, and one district) and its CSV and
//! XLSX exports, timed, every answer checked against counts computed while generating.
//!
//! The load bypasses the server (multi-row INSERTs / COPY in large transactions): this
//! measures the query, not the ingest.

use crate::dataset::{Generated, Sizes, DISTRICTS};
use crate::load::{self, say, LoadFigures};
use crate::progress_http::{self, ExportFigures, QueryFigures, Server};
use anyhow::ensure;
use sachhon_tests::process::ServerProcess;
use sachhon_tests::Backend;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// The aim of the issue: a progress answer in under this many milliseconds on SQLite.
const AIM_MS: f64 = 100.0;

/// What to run.
pub struct Config {
    /// Storage backend of the server.
    pub backend: Backend,
    /// How much data.
    pub sizes: Sizes,
    /// Seed of the generator (the same seed, the same data).
    pub seed: u64,
    /// Measured requests per query (after one warm-up).
    pub requests: usize,
    /// How long to wait for one answer before giving up on it.
    pub timeout: Duration,
    /// Print the query plans of the progress SQL on the loaded database.
    pub explain: bool,
    /// SQL run on the database after the load, before the server starts (to try indexes).
    pub sql: Option<PathBuf>,
    /// Keep the database afterwards and print its URL.
    pub keep: bool,
}

/// Everything one `progress` run measured.
#[derive(Serialize)]
pub struct Figures {
    /// Which benchmark.
    pub bench: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The generator's seed.
    pub seed: u64,
    /// What was loaded.
    pub data: Generated,
    /// The load.
    pub load: LoadFigures,
    /// The timed queries.
    pub queries: Vec<QueryFigures>,
    /// The exports, once each.
    pub exports: Vec<ExportFigures>,
    /// Peak resident memory of the server processes (restarts included), MiB.
    pub server_peak_rss_mib: f64,
    /// The aim, in milliseconds.
    pub aim_ms: f64,
    /// How long a request was waited for.
    pub timeout_s: f64,
    /// Whether every query's median met the aim.
    pub aim_met: bool,
}

/// Runs the whole benchmark and prints its figures.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    ensure!(
        config.sizes.facilities > 0 && config.sizes.people > 0 && config.requests > 0,
        "--facilities, --people and --requests must be at least 1"
    );
    ensure!(
        config.sizes.events > 0 || config.sizes.scans == 0,
        "scans need events"
    );
    let database = config.backend.fresh_database().await?;
    say(format!(
        "migrating {} (the server's first start)",
        database.url
    ));
    ServerProcess::start(&database.url).await?.kill().await?;
    let plan = load::Plan {
        backend: config.backend,
        sizes: config.sizes,
        seed: config.seed,
        focus: None,
        op_log: false,
        sql: config.sql.clone(),
    };
    let (world, load) = load::load(&plan, &database.url).await?;
    if config.explain {
        crate::explain::print(config.backend, &database.url).await?;
    }
    let mut server = Server::start(&database.url).await?;
    let measured =
        progress_http::measure(&mut server, &world, config.requests, config.timeout).await;
    let rss = server.peak_rss_mib();
    server.stop().await?;
    let (queries, exports) = measured?;
    if config.keep {
        say(format!("kept {}", database.url));
        std::mem::forget(database);
    }
    let aim_met = queries
        .iter()
        .all(|q| !q.timed_out && q.median_ms.is_some_and(|ms| ms < AIM_MS));
    print(&Figures {
        bench: "progress",
        backend: backend_name(config.backend),
        seed: config.seed,
        data: world.generated,
        load,
        queries,
        exports,
        server_peak_rss_mib: rss?,
        aim_ms: AIM_MS,
        timeout_s: config.timeout.as_secs_f64(),
        aim_met,
    })
}

/// Prints the summary and the JSON line to standard output.
fn print(figures: &Figures) -> anyhow::Result<()> {
    let d = &figures.data;
    println!(
        "sachhon progress — {} (seed {})",
        figures.backend, figures.seed
    );
    println!(
        "data        {} facilities ({} with CP potential) in {} districts, {} people ({} CP \
         staff, {} without facility)",
        d.facilities,
        d.cp_potential,
        DISTRICTS.len(),
        d.people,
        d.cp_staff,
        d.people_without_facility
    );
    println!(
        "            {} events ({} trainings), {} registrations, {} scans ({} without person, \
         {} annulled), {} responses from {} facilities ({} answered more than once)",
        d.events,
        d.training_events,
        d.registrations,
        d.scans,
        d.scans_without_person,
        d.annulments,
        d.responses,
        d.facilities_answering,
        d.facilities_answering_again
    );
    let l = &figures.load;
    println!(
        "load        {:.1} s, database {:.0} MiB{}",
        l.wall_s,
        l.database_bytes as f64 / 1_048_576.0,
        l.extra_sql
            .as_ref()
            .map(|p| format!("; then {p} in {:.1} s", l.extra_sql_s))
            .unwrap_or_default()
    );
    for q in &figures.queries {
        print_query(q, figures.timeout_s);
    }
    for e in &figures.exports {
        match e.ms {
            Some(ms) => println!("export      {}: {ms:.1} ms, {} bytes", e.path, e.bytes),
            None => println!(
                "export      {}: no answer within {:.0} s",
                e.path, figures.timeout_s
            ),
        }
    }
    println!("server RSS  peak {:.1} MiB", figures.server_peak_rss_mib);
    println!(
        "aim         median under {:.0} ms: {}",
        figures.aim_ms,
        if figures.aim_met { "met" } else { "MISSED" }
    );
    if figures.queries.iter().any(|q| q.timed_out) {
        println!("verified    every answer received equals the counts computed while generating");
    } else {
        println!("verified    every answer equals the counts computed while generating");
    }
    println!("{}", serde_json::to_string(figures)?);
    Ok(())
}

fn print_query(q: &QueryFigures, timeout_s: f64) {
    let ms = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.1}"));
    if q.first_ms.is_none() {
        println!("query       {}: no answer within {timeout_s:.0} s", q.label);
        return;
    }
    println!(
        "query       {}: first {} ms; {} requests: min {}, median {}, p95 {}, max {} ms; \
         {} bytes{}",
        q.label,
        ms(q.first_ms),
        q.requests,
        ms(q.min_ms),
        ms(q.median_ms),
        ms(q.p95_ms),
        ms(q.max_ms),
        q.bytes,
        if q.timed_out {
            format!("; then a repeat got no answer within {timeout_s:.0} s")
        } else {
            String::new()
        }
    );
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}
