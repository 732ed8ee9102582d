//! The device-scope benchmark (issue #15's bound): a province's data set — the progress
//! benchmark's, with its op log — loaded straight into a fresh database (`load`), one event
//! given exactly `--attendees` registered and scanned attendees. Against the real server, a
//! trainer device assigned that event pulls from nothing (zstd, pages of 5,000), another
//! trainer phone pushes walk-ins at other events, and the first pulls again from its cursor.
//! Reported: bytes on the wire (bodies and heads), pages, ops, time; every op of the cold pull
//! checked against the database's projections, the delta pull checked empty.

use crate::dataset::{Generated, Sizes};
use crate::device::{self, DeviceClient, Pulled};
use crate::load::{self, say, LoadFigures};
use crate::workload;
use anyhow::{ensure, Context};
use reqwest::{Method, StatusCode};
use sachhon_shared::schema::registration;
use sachhon_shared::{Change, EventId, RecordKind};
use sachhon_tests::admin::AdminClient;
use sachhon_tests::process::ServerProcess;
use sachhon_tests::{Backend, ADMIN_TOKEN};
use serde::Serialize;
use sqlx::{AnyConnection, Connection};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Page size of every pull: the largest the server allows.
const PAGE_LIMIT: u32 = 5_000;
/// The bound of the issue: a cold pull of one event's device under this many bytes on the
/// wire and this many milliseconds.
const AIM_BYTES: usize = 100_000;
const AIM_MS: f64 = 200.0;

/// What to run.
pub struct Config {
    /// Storage backend of the server.
    pub backend: Backend,
    /// How much data.
    pub sizes: Sizes,
    /// Seed of the generator.
    pub seed: u64,
    /// Registered and scanned attendees of the assigned event.
    pub attendees: usize,
    /// Walk-ins pushed at other events before the delta pull, one per event.
    pub walk_ins: usize,
    /// Keep the database afterwards and print its URL.
    pub keep: bool,
}

/// Everything one `scope` run measured.
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
    /// What the assigned event holds, from the database.
    pub event: EventFigures,
    /// The assigned device's pull from nothing.
    pub cold_pull: PullFigures,
    /// Walk-ins pushed at other events by another phone.
    pub walk_ins_elsewhere: usize,
    /// The assigned device's pull after them.
    pub delta_pull: PullFigures,
    /// Whether the cold pull met the bound (bytes and time) and the delta pull was empty.
    pub aim_met: bool,
}

/// The assigned event's records, as the database's projections hold them.
#[derive(Serialize)]
pub struct EventFigures {
    /// Its registrations.
    pub registrations: usize,
    /// The people registered.
    pub people: usize,
    /// Its scans.
    pub scans: usize,
    /// Annulments of its scans.
    pub annulments: usize,
    /// Events in the province (public records every device receives).
    pub events: usize,
}

/// One pull of all pages until nothing is waiting.
#[derive(Serialize, Default)]
pub struct PullFigures {
    /// Requests.
    pub pages: usize,
    /// Ops received.
    pub ops: usize,
    /// Records received whole (a registration's person).
    pub arrived: usize,
    /// Records to drop.
    pub left: usize,
    /// Wall time of all pages, decompressing and decoding included.
    pub ms: f64,
    /// Bytes on the wire: bodies as received and both heads of every request.
    pub wire_bytes: usize,
    /// Of which heads.
    pub header_bytes: usize,
    /// Bodies decompressed.
    pub bytes: usize,
}

/// Runs the whole benchmark and prints its figures.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    ensure!(
        config.sizes.events > config.walk_ins,
        "--events must be more than --walk-ins (one walk-in per other event)"
    );
    let database = config.backend.fresh_database().await?;
    say(format!(
        "migrating {} (the server's first start)",
        database.url
    ));
    ServerProcess::start(&database.url).await?.kill().await?;
    let focus = config.sizes.events / 2;
    let plan = load::Plan {
        backend: config.backend,
        sizes: config.sizes,
        seed: config.seed,
        focus: Some((focus, config.attendees)),
        op_log: true,
        sql: None,
    };
    let (world, load) = load::load(&plan, &database.url).await?;
    let event_of = |i: usize| -> anyhow::Result<EventId> {
        Ok(world.event_id(i).context("no such event")?.parse()?)
    };
    let event = event_of(focus)?;
    let elsewhere = (0..config.walk_ins)
        .map(|i| event_of((focus + 1 + i) % config.sizes.events))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let expected = event_figures(&database.url, event).await?;
    let server = ServerProcess::start(&database.url).await?;
    let measured = measure(&server.url, event, &elsewhere, &expected).await;
    server.kill().await?;
    let (cold_pull, delta_pull) = measured?;
    if config.keep {
        say(format!("kept {}", database.url));
        std::mem::forget(database);
    }
    let aim_met = cold_pull.wire_bytes < AIM_BYTES && cold_pull.ms < AIM_MS && delta_pull.ops == 0;
    print(&Figures {
        bench: "scope",
        backend: match config.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        seed: config.seed,
        data: world.generated,
        load,
        event: expected,
        cold_pull,
        walk_ins_elsewhere: elsewhere.len(),
        delta_pull,
        aim_met,
    })
}

/// The device set-up (untimed), the cold pull, the walk-ins elsewhere and the delta pull.
async fn measure(
    base: &str,
    event: EventId,
    elsewhere: &[EventId],
    expected: &EventFigures,
) -> anyhow::Result<(PullFigures, PullFigures)> {
    let admin = AdminClient::new(base, ADMIN_TOKEN);
    let http = device::http_client()?;
    let (trainer_id, token) = admin.device("trainer", None).await?;
    let trainer = DeviceClient::enroll(&http, base, &token).await?;
    assign(&admin, &trainer_id, event).await?;
    let (_, token) = admin.device("trainer", None).await?;
    let writer = DeviceClient::enroll(&http, base, &token).await?;

    say(format!("cold pull of event {event}"));
    let (cursor, pages, cold) = pull_all(&trainer, "").await?;
    check_cold(&pages, event, expected)?;

    say(format!("{} walk-ins at other events", elsewhere.len()));
    let ops = workload::walk_ins(writer.actor(), elsewhere);
    for batch in workload::outbox(&ops, ops.len())?.batches {
        writer.push(batch).await?;
    }
    say("delta pull");
    let (_, _, delta) = pull_all(&trainer, &cursor).await?;
    Ok((cold, delta))
}

/// Assigns the device to one event (`PUT /api/v1/devices/{id}/assignments`).
async fn assign(admin: &AdminClient, device: &str, event: EventId) -> anyhow::Result<()> {
    let body = serde_json::json!({"events": [event.to_string()], "districts": []});
    let answer = admin
        .raw(
            Method::PUT,
            &format!("/api/v1/devices/{device}/assignments"),
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await?;
    ensure!(
        answer.status == StatusCode::OK,
        "assignments answered {}: {}",
        answer.status,
        answer.json
    );
    Ok(())
}

/// Pulls pages from `after` until nothing is waiting; returns the cursor reached, the pages
/// and their totals.
async fn pull_all(
    device: &DeviceClient,
    after: &str,
) -> anyhow::Result<(String, Vec<Pulled>, PullFigures)> {
    let mut cursor = after.to_string();
    let mut pages = Vec::new();
    let started = Instant::now();
    loop {
        let pulled = device.pull(&cursor, PAGE_LIMIT).await?;
        cursor.clone_from(&pulled.page.next);
        let more = pulled.page.more;
        pages.push(pulled);
        if !more {
            break;
        }
    }
    let figures = pull_figures(&pages, started.elapsed());
    Ok((cursor, pages, figures))
}

fn pull_figures(pages: &[Pulled], wall: Duration) -> PullFigures {
    let mut figures = PullFigures {
        ms: wall.as_secs_f64() * 1000.0,
        ..PullFigures::default()
    };
    for pulled in pages {
        figures.pages += 1;
        figures.ops += pulled.page.ops.len();
        figures.arrived += pulled.page.arrived.len();
        figures.left += pulled.page.left.len();
        figures.wire_bytes += pulled.wire_bytes();
        figures.header_bytes += pulled.header_bytes;
        figures.bytes += pulled.bytes;
    }
    figures
}

/// The cold pull holds exactly the public records (the events) and the event's records: its
/// registrations, their people's ops (and whole states, if a page needs them), its scans and
/// their annulments.
fn check_cold(pages: &[Pulled], event: EventId, expected: &EventFigures) -> anyhow::Result<()> {
    let ops = pages.iter().flat_map(|p| &p.page.ops);
    let (mut events, mut registrations, mut scans, mut annulments) = (0, 0, 0, 0);
    let mut people = HashSet::new();
    let mut scan_ids = HashSet::new();
    let mut annulled = Vec::new();
    let mut registered = HashSet::new();
    for op in ops {
        match (op.kind, &op.change) {
            (RecordKind::Event, _) => events += 1,
            (RecordKind::Person, _) => {
                ensure!(people.insert(op.record), "person {} came twice", op.record);
            }
            (RecordKind::Registration, Change::Fields(_)) => {
                let of_event = op.value_of(registration::EVENT_ID);
                ensure!(
                    of_event.and_then(|v| v.as_str()) == Some(event.to_string().as_str()),
                    "a registration of another event came"
                );
                let person = op.value_of(registration::PERSON_ID);
                registered.insert(person.and_then(|v| v.as_str()).unwrap_or("").to_string());
                registrations += 1;
            }
            (RecordKind::Scan, Change::Scan(fact)) => {
                ensure!(fact.event == event, "a scan of another event came");
                scan_ids.insert(op.record);
                scans += 1;
            }
            (RecordKind::Annulment, Change::Annul(annulment)) => {
                annulled.push(annulment.scan.0);
                annulments += 1;
            }
            (kind, _) => anyhow::bail!("a {kind} came to a device assigned one event"),
        }
    }
    ensure!(
        annulled.iter().all(|scan| scan_ids.contains(scan)),
        "an annulment of another event's scan came"
    );
    let people_registered: HashSet<Uuid> = registered
        .iter()
        .map(|p| p.parse())
        .collect::<Result<_, _>>()?;
    ensure!(
        people == people_registered,
        "the people received are not the people registered"
    );
    let arrived: HashSet<Uuid> = pages
        .iter()
        .flat_map(|p| &p.page.arrived)
        .map(|a| a.record)
        .collect();
    ensure!(
        arrived.is_subset(&people),
        "a state came of a record that is not a registered person"
    );
    let got = (events, registrations, people.len(), scans, annulments);
    let want = (
        expected.events,
        expected.registrations,
        expected.people,
        expected.scans,
        expected.annulments,
    );
    ensure!(
        got == want,
        "cold pull: (events, registrations, people, scans, annulments) = {got:?}, the database \
         holds {want:?}"
    );
    Ok(())
}

/// What the database's projections hold for the event (not the op log: the pull is checked
/// against them).
async fn event_figures(url: &str, event: EventId) -> anyhow::Result<EventFigures> {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await?;
    let event = event.to_string();
    let of_event = Some(event.as_str());
    let figures = EventFigures {
        registrations: count(
            &mut conn,
            "SELECT COUNT(*) FROM registrations WHERE event_id = $1",
            of_event,
        )
        .await?,
        people: count(
            &mut conn,
            "SELECT COUNT(DISTINCT person_id) FROM registrations WHERE event_id = $1",
            of_event,
        )
        .await?,
        scans: count(
            &mut conn,
            "SELECT COUNT(*) FROM scans WHERE event_id = $1",
            of_event,
        )
        .await?,
        annulments: count(
            &mut conn,
            "SELECT COUNT(*) FROM annulments a JOIN scans s ON s.id = a.scan_id \
             WHERE s.event_id = $1",
            of_event,
        )
        .await?,
        events: count(&mut conn, "SELECT COUNT(*) FROM events", None).await?,
    };
    conn.close().await?;
    Ok(figures)
}

/// A `COUNT(*)` query, with its one parameter when it has one.
async fn count(conn: &mut AnyConnection, sql: &str, bind: Option<&str>) -> anyhow::Result<usize> {
    let query = sqlx::query_scalar::<_, i64>(sql);
    let query = match bind {
        Some(value) => query.bind(value.to_string()),
        None => query,
    };
    Ok(usize::try_from(query.fetch_one(conn).await?)?)
}

/// Prints the summary and the JSON line to standard output.
fn print(figures: &Figures) -> anyhow::Result<()> {
    let d = &figures.data;
    println!(
        "sachhon scope — {} (seed {})",
        figures.backend, figures.seed
    );
    println!(
        "data        {} facilities, {} people, {} events, {} registrations, {} scans, {} \
         annulments; {} op-log rows; loaded in {:.1} s, database {:.0} MiB",
        d.facilities,
        d.people,
        d.events,
        d.registrations,
        d.scans,
        d.annulments,
        figures.load.ops,
        figures.load.wall_s,
        figures.load.database_bytes as f64 / 1_048_576.0
    );
    let e = &figures.event;
    println!(
        "event       {} registrations of {} people, {} scans, {} annulled; {} events are public",
        e.registrations, e.people, e.scans, e.annulments, e.events
    );
    print_pull("cold pull", &figures.cold_pull);
    println!(
        "elsewhere   {} walk-ins pushed at {} other events by another trainer phone",
        figures.walk_ins_elsewhere, figures.walk_ins_elsewhere
    );
    print_pull("delta pull", &figures.delta_pull);
    println!(
        "aim         cold pull under {AIM_BYTES} bytes and {AIM_MS:.0} ms on the wire, delta pull \
         empty: {}",
        if figures.aim_met { "met" } else { "MISSED" }
    );
    println!(
        "verified    the cold pull holds exactly the events and the event's registrations, \
         people, scans and annulments"
    );
    println!("{}", serde_json::to_string(figures)?);
    Ok(())
}

fn print_pull(label: &str, p: &PullFigures) {
    println!(
        "{label:<11} {} ops, {} records whole, {} to drop, in {} pages, {:.1} ms; {} bytes on \
         the wire (heads {}), {} bytes decompressed",
        p.ops, p.arrived, p.left, p.pages, p.ms, p.wire_bytes, p.header_bytes, p.bytes
    );
}
