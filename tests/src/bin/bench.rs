//! `sachhon-bench`: benchmarks of the real server binary on the workload of DESIGN.md
//! ("Performance targets"). See docs/benchmarks.md for how to run it and the figures.
//!
//! Build it in release: `cargo run --release -p sachhon-tests --bin sachhon-bench -- ingest`.

#[path = "bench/ceiling.rs"]
mod ceiling;
#[path = "bench/device.rs"]
mod device;
#[path = "bench/ingest.rs"]
mod ingest;
#[path = "bench/machine.rs"]
mod machine;
#[path = "bench/pull.rs"]
mod pull;
#[path = "bench/report.rs"]
mod report;
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
    }
}
