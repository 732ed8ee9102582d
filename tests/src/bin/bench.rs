//! `sachhon-bench`: benchmarks of the real server binary on the workload of DESIGN.md
//! ("Performance targets"). See docs/benchmarks.md for how to run it and the figures.
//!
//! Build it in release: `cargo run --release -p sachhon-tests --bin sachhon-bench -- ingest`
//! (or `-- progress`, `-- scope`).

#[path = "bench/bulk.rs"]
mod bulk;
#[path = "bench/ceiling.rs"]
mod ceiling;
#[path = "bench/dataset.rs"]
mod dataset;
#[path = "bench/device.rs"]
mod device;
#[path = "bench/explain.rs"]
mod explain;
#[path = "bench/ingest.rs"]
mod ingest;
#[path = "bench/load.rs"]
mod load;
#[path = "bench/machine.rs"]
mod machine;
#[path = "bench/oplog.rs"]
mod oplog;
#[path = "bench/progress.rs"]
mod progress;
#[path = "bench/progress_check.rs"]
mod progress_check;
#[path = "bench/progress_http.rs"]
mod progress_http;
#[path = "bench/pull.rs"]
mod pull;
#[path = "bench/report.rs"]
mod report;
#[path = "bench/scope.rs"]
mod scope;
#[path = "bench/workload.rs"]
mod workload;

use clap::{Parser, Subcommand, ValueEnum};
use sachhon_tests::Backend;

/// Benchmarks of the sachhon server.
#[derive(Parser)]
#[command(name = "sachhon-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Offline walk-ins of many trainer phones pushed at once, then a delta and a cold pull.
    Ingest(IngestArgs),
    /// A programme's worth of data loaded straight into the tables, then the progress
    /// indicators and their exports timed.
    Progress(ProgressArgs),
    /// The same data set with its op log; a trainer device assigned one event pulls from
    /// nothing, then again after walk-ins at other events.
    Scope(ScopeArgs),
}

/// The storage backend to run the server on.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendArg {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh database on the PostgreSQL server of `SACHHON_TEST_PG`.
    Postgres,
}

impl From<BackendArg> for Backend {
    fn from(arg: BackendArg) -> Self {
        match arg {
            BackendArg::Sqlite => Backend::Sqlite,
            BackendArg::Postgres => Backend::Postgres,
        }
    }
}

/// Options of `sachhon-bench ingest`.
#[derive(clap::Args)]
struct IngestArgs {
    /// Storage backend of the server (and of the ceiling).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// Trainer phones, each enrolled under its own actor.
    #[arg(long, default_value_t = 100)]
    devices: usize,
    /// Walk-ins each phone registers offline (three ops each).
    #[arg(long = "walk-ins", default_value_t = 1000)]
    walk_ins: usize,
    /// Phones pushing at the same time.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Ops per push request.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
}

/// The size of the province's data set that `progress` and `scope` load, and its seed.
#[derive(clap::Args)]
struct DatasetArgs {
    /// Facilities (70 % with CP potential).
    #[arg(long, default_value_t = 100_000)]
    facilities: usize,
    /// People (40 % dedicated CP staff).
    #[arg(long, default_value_t = 150_000)]
    people: usize,
    /// Events (half of them trainings), 2013–2020.
    #[arg(long, default_value_t = 2_000)]
    events: usize,
    /// Scans, each with its registration.
    #[arg(long, default_value_t = 1_000_000)]
    scans: usize,
    /// Questionnaire responses (1 to 4 per answering facility; `scope` writes them in the
    /// projection only: they have no ops).
    #[arg(long, default_value_t = 100_000)]
    responses: usize,
    /// Seed of the data generator.
    #[arg(long, default_value_t = 86)]
    seed: u64,
}

impl DatasetArgs {
    /// The sizes to generate.
    fn sizes(&self) -> dataset::Sizes {
        dataset::Sizes {
            facilities: self.facilities,
            people: self.people,
            events: self.events,
            scans: self.scans,
            responses: self.responses,
        }
    }
}

/// Options of `sachhon-bench progress`.
#[derive(clap::Args)]
struct ProgressArgs {
    /// Storage backend of the server.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Timed requests per query, after one warm-up.
    #[arg(long, default_value_t = 20)]
    requests: usize,
    /// Seconds to wait for one answer; a query that takes longer is reported as such, and
    /// the server restarted.
    #[arg(long = "timeout", default_value_t = 120)]
    timeout_s: u64,
    /// Print the plans of the two progress queries on the loaded database first.
    #[arg(long)]
    explain: bool,
    /// A file of SQL statements run after the load, before the server starts (e.g. an index
    /// to try).
    #[arg(long)]
    sql: Option<std::path::PathBuf>,
    /// Keep the database afterwards (its URL goes to standard error).
    #[arg(long)]
    keep: bool,
}

/// Options of `sachhon-bench scope`.
#[derive(clap::Args)]
struct ScopeArgs {
    /// Storage backend of the server.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Registered and scanned attendees of the event the trainer device is assigned.
    #[arg(long, default_value_t = 500)]
    attendees: usize,
    /// Walk-ins pushed at other events, one per event, before the delta pull.
    #[arg(long = "walk-ins", default_value_t = 10)]
    walk_ins: usize,
    /// Keep the database afterwards (its URL goes to standard error).
    #[arg(long)]
    keep: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ingest(args) => {
            let config = ingest::Config {
                backend: args.backend.into(),
                devices: args.devices,
                walk_ins: args.walk_ins,
                concurrency: args.concurrency,
                batch: args.batch,
            };
            ingest::run(&config).await
        }
        Command::Progress(args) => {
            let config = progress::Config {
                backend: args.backend.into(),
                sizes: args.dataset.sizes(),
                seed: args.dataset.seed,
                requests: args.requests,
                timeout: std::time::Duration::from_secs(args.timeout_s),
                explain: args.explain,
                sql: args.sql,
                keep: args.keep,
            };
            progress::run(&config).await
        }
        Command::Scope(args) => {
            let config = scope::Config {
                backend: args.backend.into(),
                sizes: args.dataset.sizes(),
                seed: args.dataset.seed,
                attendees: args.attendees,
                walk_ins: args.walk_ins,
                keep: args.keep,
            };
            scope::run(&config).await
        }
    }
}
