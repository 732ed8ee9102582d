//! `sachhon-device`: the reference field client, one phone per `--home` directory.
//!
//! Every command prints exactly one JSON object on standard output. Exit 0 on success; 1 when
//! the command was understood but refused or failed (`{"error", "detail"}`: `"offline"` when
//! the server cannot be reached, `"tls"` when its certificate or the TLS handshake fails, …),
//! or when a scan's verdict turns the person away (the verdict is printed as on success); 2 on
//! usage errors (`{"error": "usage", "detail"}`, with clap's message on standard error too).

use clap::{Parser, Subcommand};
use sachhon_shared::{EventId, FacilityId, QuestionnaireId, ResponseId, ScanId};
use sachhon_sync::{Device, Error, Options};
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
    /// For testing: milliseconds added to this phone's clock (scan times and the device time
    /// sent to the server), to play a phone whose clock is wrong.
    #[arg(
        long,
        value_name = "N",
        global = true,
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    clock_offset_ms: i64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrols this phone with a server, using a one-time device token.
    Enroll {
        /// The server address, e.g. http://127.0.0.1:8080 or https://sachhon.example.org.
        #[arg(long, value_name = "URL")]
        server: String,
        /// The one-time enrolment token.
        #[arg(long, value_name = "TOKEN")]
        token: String,
        /// A private CA (PEM file) that issued an https:// server's certificate: trusted
        /// besides the public roots, kept with the enrolment for every later sync.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
    },
    /// Pushes queued changes and pulls the server's.
    Sync,
    /// Checks a badge into an event (offline): prints the verdict; exit 1 unless admitted.
    Scan {
        /// The event being checked into.
        #[arg(long, value_name = "EVENT_ID")]
        event: EventId,
        /// The ticket text the QR code carries.
        #[arg(long, value_name = "PAYLOAD")]
        qr: String,
        /// Who operates the phone.
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
    },
    /// Annuls a scan (offline): it no longer counts.
    Annul {
        /// The scan to annul.
        #[arg(long, value_name = "ID")]
        scan: ScanId,
        /// Why, in the operator's words.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
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
        /// Who operates the phone.
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
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
    /// Answers a questionnaire for a facility (offline): starts a new response on the newest
    /// version held, or adds answers to a response with --response. One invalid value refuses
    /// them all.
    Answer {
        /// The questionnaire.
        #[arg(long, value_name = "Q_ID")]
        questionnaire: QuestionnaireId,
        /// The facility answering.
        #[arg(long, value_name = "FACILITY_ID")]
        facility: FacilityId,
        /// The response to add answers to; without it a new response is started.
        #[arg(long, value_name = "RESPONSE_ID")]
        response: Option<ResponseId>,
        /// An answer, as typed: `knows_cp=yes`, `topics=energy,water`, `applies_cp=true`,
        /// `savings_pct=12`. Repeat for several questions.
        #[arg(
            long = "set",
            value_name = "KEY=VALUE",
            value_parser = parse_set,
            required = true
        )]
        sets: Vec<(String, String)>,
    },
    /// Shows a record as this replica holds it.
    Show {
        #[command(subcommand)]
        record: Show,
    },
    /// Prints the canonical hash of the replica's state.
    StateHash,
    /// Prints the enrolment, the number of queued ops and of ticket keys.
    Status,
}

#[derive(Subcommand)]
enum Show {
    /// A questionnaire response: answers, conflicts, score, review, and the server's
    /// rejections of this phone's answers. Exit 1 when the replica does not hold it.
    Response {
        /// The response.
        #[arg(value_name = "RESPONSE_ID")]
        id: ResponseId,
    },
}

/// Reads `--set KEY=VALUE` (the value may be empty or hold `=`; the key may not be empty).
fn parse_set(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
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
    let options = Options {
        clock_offset_ms: cli.clock_offset_ms,
        ..Options::default()
    };
    match run(home, options, cli.command).await {
        Ok(Output { json, refused }) => {
            println!("{json}");
            if refused {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
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

/// What a command printed, and whether it was a refusal (exit 1) all the same.
struct Output {
    json: Value,
    refused: bool,
}

impl From<Value> for Output {
    fn from(json: Value) -> Self {
        Self {
            json,
            refused: false,
        }
    }
}

async fn run(home: PathBuf, options: Options, command: Command) -> Result<Output, Error> {
    let device = Device::open_with(&home, options).await?;
    let output = execute(&device, command).await;
    device.close().await;
    output
}

async fn execute(device: &Device, command: Command) -> Result<Output, Error> {
    let output = match command {
        Command::Enroll {
            server,
            token,
            ca_cert,
        } => {
            let ca_cert = ca_cert
                .map(|path| {
                    std::fs::read_to_string(&path)
                        .map_err(|e| Error::Invalid(format!("--ca-cert {}: {e}", path.display())))
                })
                .transpose()?;
            let enrolment = device
                .enroll_with_ca(&server, &token, ca_cert.as_deref())
                .await?;
            json!({
                "device_id": enrolment.device_id,
                "actor_id": enrolment.actor_id,
                "role": enrolment.role,
                "facility_id": enrolment.facility_id,
            })
        }
        Command::Sync => json!(device.sync().await?),
        Command::Scan {
            event,
            qr,
            operator,
        } => {
            let result = device.scan(event, &qr, operator.as_deref()).await?;
            return Ok(Output {
                json: json!(result),
                refused: !result.admitted(),
            });
        }
        Command::Annul { scan, reason } => json!(device.annul(scan, reason.as_deref()).await?),
        Command::WalkIn {
            event,
            name,
            facility,
            cp_staff,
            operator,
        } => json!(
            device
                .walk_in_by(event, &name, facility, cp_staff, operator.as_deref())
                .await?
        ),
        Command::Simulate { event, walk_ins } => {
            let made = device.simulate(event, walk_ins).await?;
            json!({"walk_ins": made.len(), "event_id": event})
        }
        Command::Answer {
            questionnaire,
            facility,
            response,
            sets,
        } => {
            let id = device
                .answer(questionnaire, facility, response, &sets)
                .await?;
            json!({"response_id": id})
        }
        Command::Show {
            record: Show::Response { id },
        } => json!(device.response(id).await?),
        Command::StateHash => json!({"state_hash": device.state_hash().await?}),
        Command::Status => json!(device.status().await?),
    };
    Ok(output.into())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_key_and_value() {
        assert_eq!(
            parse_set(" topics =energy,water"),
            Ok(("topics".to_string(), "energy,water".to_string()))
        );
        assert_eq!(
            parse_set("notes=a=b"),
            Ok(("notes".to_string(), "a=b".to_string()))
        );
        assert_eq!(
            parse_set("notes="),
            Ok(("notes".to_string(), String::new()))
        );
        assert!(parse_set("=yes").is_err());
        assert!(parse_set("knows_cp").is_err());
    }

    #[test]
    fn answer_and_show_response_parse() {
        let (q, f, r) = (QuestionnaireId::new(), FacilityId::new(), ResponseId::new());
        let cli = Cli::try_parse_from([
            "sachhon-device",
            "--home",
            "/tmp/x",
            "answer",
            "--questionnaire",
            &q.to_string(),
            "--facility",
            &f.to_string(),
            "--response",
            &r.to_string(),
            "--set",
            "knows_cp=yes",
            "--set",
            "topics=energy,water",
        ])
        .expect("parses");
        match cli.command {
            Command::Answer {
                questionnaire,
                facility,
                response,
                sets,
            } => {
                assert_eq!((questionnaire, facility, response), (q, f, Some(r)));
                assert_eq!(sets.len(), 2);
            }
            _ => panic!("expected answer"),
        }
        let no_answer = Cli::try_parse_from([
            "sachhon-device",
            "answer",
            "--questionnaire",
            &q.to_string(),
            "--facility",
            &f.to_string(),
        ]);
        assert!(no_answer.is_err());
        let show = Cli::try_parse_from(["sachhon-device", "show", "response", &r.to_string()])
            .expect("parses");
        assert!(matches!(
            show.command,
            Command::Show {
                record: Show::Response { id }
            } if id == r
        ));
    }
}
