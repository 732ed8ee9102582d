//! `sachhon-device`: the reference field client, one phone per `--home` directory.
//!
//! Every command prints exactly one JSON object on standard output. Exit 0 on success; 1 when
//! the command was understood but refused or failed (`{"error", "detail"}`); 2 on usage errors
//! (`{"error": "usage", "detail"}`, with clap's message on standard error too).

use clap::{Parser, Subcommand};
use sachhon_shared::{EventId, FacilityId};
use sachhon_sync::{Device, Error};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;

/// One field phone of the sachhon cleaner-production programme.
#[derive(Parser)]
#[command(name = "sachhon-device", version)]
struct Cli {
    /// The phone's home directory, holding its replica (created if missing).
    #[arg(long, value_name = "DIR", global = true)]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrols this phone with a server, using a one-time device token.
    Enroll {
        /// The server address, e.g. http://127.0.0.1:8080.
        #[arg(long, value_name = "URL")]
        server: String,
        /// The one-time enrolment token.
        #[arg(long, value_name = "TOKEN")]
        token: String,
    },
    /// Pushes queued changes and pulls the server's.
    Sync,
    /// Registers a walk-in and checks them into an event (offline).
    WalkIn {
        /// The event.
        #[arg(long, value_name = "EVENT_ID")]
        event: EventId,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// The person's facility.
        #[arg(long, value_name = "FACILITY_ID")]
        facility: Option<FacilityId>,
        /// The person is dedicated cleaner-production staff.
        #[arg(long)]
        cp_staff: bool,
    },
    /// Makes N walk-ins offline in one go, exactly as N walk-in commands would.
    Simulate {
        /// The event.
        #[arg(long, value_name = "EVENT_ID")]
        event: EventId,
        /// How many walk-ins.
        #[arg(long, value_name = "N")]
        walk_ins: usize,
    },
    /// Prints the canonical hash of the replica's state.
    StateHash,
    /// Prints the enrolment and the number of queued ops.
    Status,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.exit_code() == 0 => {
            // --help, --version: not a command, clap's own output.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => return usage(&error.render().to_string(), Some(&error)),
    };
    let Some(home) = cli.home else {
        return usage("the argument '--home <DIR>' is required", None);
    };
    match run(home, cli.command).await {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            let mut output = json!({"error": error.code(), "detail": error.to_string()});
            if let Error::Server { status, .. } = &error {
                output["status"] = json!(status);
            }
            println!("{output}");
            ExitCode::from(1)
        }
    }
}

async fn run(home: PathBuf, command: Command) -> Result<Value, Error> {
    let device = Device::open(&home).await?;
    let output = match command {
        Command::Enroll { server, token } => {
            let enrolment = device.enroll(&server, &token).await?;
            json!({
                "device_id": enrolment.device_id,
                "actor_id": enrolment.actor_id,
                "role": enrolment.role,
                "facility_id": enrolment.facility_id,
            })
        }
        Command::Sync => json!(device.sync().await?),
        Command::WalkIn {
            event,
            name,
            facility,
            cp_staff,
        } => json!(device.walk_in(event, &name, facility, cp_staff).await?),
        Command::Simulate { event, walk_ins } => {
            let made = device.simulate(event, walk_ins).await?;
            json!({"walk_ins": made.len(), "event_id": event})
        }
        Command::StateHash => json!({"state_hash": device.state_hash().await?}),
        Command::Status => json!(device.status().await?),
    };
    device.close().await;
    Ok(output)
}

/// A usage error: one JSON object on standard output, clap's message on standard error, exit 2.
fn usage(detail: &str, error: Option<&clap::Error>) -> ExitCode {
    println!("{}", json!({"error": "usage", "detail": detail.trim()}));
    match error {
        Some(error) => {
            let _ = error.print();
        }
        None => eprintln!("error: {detail}"),
    }
    ExitCode::from(2)
}
