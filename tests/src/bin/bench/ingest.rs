//! The ingest benchmark: many trainer phones that registered walk-ins offline push them to
//! the real `sachhon serve` process at once; then a delta pull, a cold pull, the
//! database-only ceiling on the same rows, and a correctness check of the attendance.

use crate::ceiling;
use crate::device::{self, DeviceClient};
use crate::machine::{CpuFigures, CpuSnapshot};
use crate::pull::{self, millis};
use crate::report::{
    self, CeilingFigures, ColdFigures, DeltaFigures, Figures, IngestFigures, MachineFigures,
    MemoryFigures,
};
use crate::workload::{self, Batch, LogRow, OPS_PER_WALK_IN};
use anyhow::{ensure, Context};
use sachhon_shared::{ActorId, EventId};
use sachhon_tests::process::ServerProcess;
use sachhon_tests::{AdminClient, Backend, ADMIN_TOKEN};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Walk-ins the writer phone adds for the delta pull.
const DELTA_WALK_INS: usize = 10;

/// What to run.
pub struct Config {
    /// Storage backend of the server and the ceiling.
    pub backend: Backend,
    /// Pushing phones.
    pub devices: usize,
    /// Walk-ins per phone.
    pub walk_ins: usize,
    /// Phones pushing at once.
    pub concurrency: usize,
    /// Ops per push request.
    pub batch: usize,
}

/// The server-side world the benchmark works in, made before the clock starts.
struct Setup {
    /// The event every ingest walk-in checks into.
    event: EventId,
    /// A second event for the delta walk-ins, so the ingest event's count stays exact.
    delta_event: EventId,
    /// The pushing phones.
    devices: Vec<DeviceClient>,
    /// The phone that is caught up and then pulls the delta.
    watcher: DeviceClient,
    /// The phone that writes the delta.
    writer: DeviceClient,
    /// The phone that pulls everything cold.
    newcomer: DeviceClient,
}

/// What the server phases measured, and the rows for the ceiling.
struct ServerRun {
    ingest: IngestFigures,
    ingest_cpu: CpuFigures,
    cold_pull_cpu: CpuFigures,
    delta_pull: DeltaFigures,
    cold_pull: ColdFigures,
    memory: MemoryFigures,
    attendance: usize,
    rows: Vec<LogRow>,
}

/// Runs the whole benchmark and prints its figures.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    ensure!(
        config.devices > 0 && config.walk_ins > 0 && config.concurrency > 0 && config.batch > 0,
        "--devices, --walk-ins, --concurrency and --batch must be at least 1"
    );
    let database = config.backend.fresh_database().await?;
    let server = ServerProcess::start(&database.url).await?;
    progress(format!("server {} on {}", server.url, database.url));
    let run = against_server(config, &server).await?;
    server.kill().await?;

    progress("ceiling");
    let received_at = sachhon_server::time::rfc3339(time::OffsetDateTime::now_utc());
    let measured = ceiling::measure(config.backend, &run.rows, &received_at).await?;
    report::print(&Figures {
        bench: "ingest",
        backend: backend_name(config.backend),
        devices: config.devices,
        walk_ins_per_device: config.walk_ins,
        concurrency: config.concurrency,
        batch: config.batch,
        ceiling: ceiling_figures(&measured.plain, run.ingest.ops_per_s),
        single_row_inserts: ceiling_figures(&measured.single_rows, run.ingest.ops_per_s),
        ingest: run.ingest,
        delta_pull: run.delta_pull,
        cold_pull: run.cold_pull,
        server_memory: run.memory,
        machine: MachineFigures {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            ingest_cpu: run.ingest_cpu,
            cold_pull_cpu: run.cold_pull_cpu,
        },
        attendance: run.attendance,
    })
}

/// Set-up, the timed ingest, the pulls and the attendance check, against the running server.
async fn against_server(config: &Config, server: &ServerProcess) -> anyhow::Result<ServerRun> {
    let pid = server.pid().context("the server process has no pid")?;
    let admin = AdminClient::new(&server.url, ADMIN_TOKEN);
    let setup = set_up(&admin, &server.url, config.devices).await?;
    let after_setup_mib = report::peak_rss_mib(pid)?;
    let (queues, rows) = prepare(&setup, config)?;

    let cpu_before = CpuSnapshot::take(pid)?;
    let ingest = push_all(queues, config).await?;
    let ingest_cpu = cpu_before.until(&CpuSnapshot::take(pid)?);
    let after_ingest_mib = report::peak_rss_mib(pid)?;

    progress("delta pull");
    let (watcher, writer) = (&setup.watcher, &setup.writer);
    let (delta_pull, caught_up) =
        pull::delta(watcher, writer, setup.delta_event, DELTA_WALK_INS).await?;
    progress("cold pull");
    let expected = expected_ops(&setup, config);
    let cpu_before = CpuSnapshot::take(pid)?;
    let cold_pull = pull::cold(&setup.newcomer, &expected, caught_up + delta_pull.ops).await?;
    let cold_pull_cpu = cpu_before.until(&CpuSnapshot::take(pid)?);
    let after_pulls_mib = report::peak_rss_mib(pid)?;

    let attendance = verify_attendance(&admin, &setup, config).await?;
    Ok(ServerRun {
        ingest,
        ingest_cpu,
        cold_pull_cpu,
        delta_pull,
        cold_pull,
        memory: MemoryFigures {
            after_setup_mib,
            after_ingest_mib,
            after_pulls_mib,
            at_end_mib: report::peak_rss_mib(pid)?,
        },
        attendance,
        rows,
    })
}

/// Creates the events and enrols every phone (untimed).
async fn set_up(admin: &AdminClient, base: &str, devices: usize) -> anyhow::Result<Setup> {
    progress(format!("set-up: 2 events, {} trainer phones", devices + 3));
    let event: EventId = admin.event("Bench workshop", "training").await?.parse()?;
    let delta_event: EventId = admin.event("Bench follow-up", "awareness").await?.parse()?;
    let http = device::http_client()?;
    let mut phones = Vec::with_capacity(devices + 3);
    for _ in 0..devices + 3 {
        let (_, token) = admin.device("trainer", None).await?;
        phones.push(DeviceClient::enroll(&http, base, &token).await?);
    }
    let newcomer = phones.pop().context("no newcomer phone")?;
    let writer = phones.pop().context("no writer phone")?;
    let watcher = phones.pop().context("no watcher phone")?;
    Ok(Setup {
        event,
        delta_event,
        devices: phones,
        watcher,
        writer,
        newcomer,
    })
}

/// The push queue of every phone, and the log rows for the ceiling.
type Prepared = (Vec<(DeviceClient, Vec<Batch>)>, Vec<LogRow>);

/// Generates every phone's walk-ins and encodes and compresses its push batches (untimed: a
/// phone compresses a batch when it sends it, on its own CPU). Returns the queues and the
/// log rows for the ceiling.
fn prepare(setup: &Setup, config: &Config) -> anyhow::Result<Prepared> {
    progress(format!(
        "generating {} walk-ins offline",
        config.devices * config.walk_ins
    ));
    let mut queues = Vec::with_capacity(setup.devices.len());
    let mut rows = Vec::with_capacity(config.devices * config.walk_ins * OPS_PER_WALK_IN);
    for device in &setup.devices {
        let ops = workload::walk_ins(device.actor(), &vec![setup.event; config.walk_ins]);
        let outbox = workload::outbox(&ops, config.batch)?;
        rows.extend(outbox.rows);
        queues.push((device.clone(), outbox.batches));
    }
    Ok((queues, rows))
}

/// The timed ingest: `concurrency` phones at a time, each pushing its batches in order.
async fn push_all(
    queues: Vec<(DeviceClient, Vec<Batch>)>,
    config: &Config,
) -> anyhow::Result<IngestFigures> {
    let requests: usize = queues.iter().map(|(_, batches)| batches.len()).sum();
    let bytes = RequestBytes {
        encoded: queues
            .iter()
            .flat_map(|(_, batches)| batches.iter().map(|b| b.encoded_bytes))
            .sum(),
        compressed: queues
            .iter()
            .flat_map(|(_, batches)| batches.iter().map(|b| b.body.len()))
            .sum(),
    };
    progress(format!(
        "timed ingest: {requests} pushes, {} bytes encoded, {} bytes in zstd",
        bytes.encoded, bytes.compressed
    ));
    let semaphore = Arc::new(Semaphore::new(config.concurrency));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for (device, batches) in queues {
        let permit = Arc::clone(&semaphore).acquire_owned().await?;
        tasks.spawn(async move {
            let latencies = push_queue(&device, batches).await;
            drop(permit);
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(requests);
    while let Some(joined) = tasks.join_next().await {
        latencies.extend(joined??);
    }
    let wall = started.elapsed();
    Ok(ingest_figures(config, wall, &bytes, &mut latencies))
}

/// The push bodies of the whole ingest, as encoded and as sent.
struct RequestBytes {
    /// v2 pushes as encoded.
    encoded: usize,
    /// The same, compressed with zstd: what went over the wire.
    compressed: usize,
}

/// One phone's queue, batch after batch; returns each request's latency.
async fn push_queue(device: &DeviceClient, batches: Vec<Batch>) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(batches.len());
    for batch in batches {
        let started = Instant::now();
        device.push(batch).await?;
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

fn ingest_figures(
    config: &Config,
    wall: Duration,
    bytes: &RequestBytes,
    latencies: &mut [Duration],
) -> IngestFigures {
    let walk_ins = config.devices * config.walk_ins;
    let ops = walk_ins * OPS_PER_WALK_IN;
    let seconds = wall.as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        latencies.get(index).map_or(0.0, |d| millis(*d))
    };
    IngestFigures {
        walk_ins,
        ops,
        requests: latencies.len(),
        wall_s: seconds,
        walk_ins_per_s: walk_ins as f64 / seconds,
        ops_per_s: ops as f64 / seconds,
        request_bytes: bytes.encoded,
        bytes_per_op: bytes.encoded as f64 / ops as f64,
        bytes_per_walk_in: bytes.encoded as f64 / walk_ins as f64,
        compressed_request_bytes: bytes.compressed,
        compressed_bytes_per_op: bytes.compressed as f64 / ops as f64,
        compressed_bytes_per_walk_in: bytes.compressed as f64 / walk_ins as f64,
        push_p50_ms: percentile(0.5),
        push_p99_ms: percentile(0.99),
        push_max_ms: percentile(1.0),
    }
}

/// The ops the cold pull must bring of each phone that pushed.
fn expected_ops(setup: &Setup, config: &Config) -> HashMap<ActorId, usize> {
    let per_device = config.walk_ins * OPS_PER_WALK_IN;
    let mut expected: HashMap<ActorId, usize> = setup
        .devices
        .iter()
        .map(|device| (device.actor(), per_device))
        .collect();
    expected.insert(setup.writer.actor(), DELTA_WALK_INS * OPS_PER_WALK_IN);
    expected
}

/// The server's attendance of each event must count every walk-in exactly once.
async fn verify_attendance(
    admin: &AdminClient,
    setup: &Setup,
    config: &Config,
) -> anyhow::Result<usize> {
    let count = |json: serde_json::Value| json["count"].as_u64().map(|n| n as usize);
    let ingest = count(admin.attendance(&setup.event.to_string()).await?)
        .context("attendance without count")?;
    let expected = config.devices * config.walk_ins;
    ensure!(
        ingest == expected,
        "attendance is {ingest}, expected {expected}"
    );
    let delta = count(admin.attendance(&setup.delta_event.to_string()).await?)
        .context("attendance without count")?;
    ensure!(
        delta == DELTA_WALK_INS,
        "delta attendance is {delta}, expected {DELTA_WALK_INS}"
    );
    Ok(ingest)
}

fn ceiling_figures(measured: &ceiling::Measured, server_ops_per_s: f64) -> CeilingFigures {
    let rows_per_s = measured.rows as f64 / measured.wall.as_secs_f64();
    CeilingFigures {
        method: measured.method,
        rows: measured.rows,
        wall_s: measured.wall.as_secs_f64(),
        rows_per_s,
        server_ratio: server_ops_per_s / rows_per_s,
    }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// A progress line on standard error (standard output carries only the results).
fn progress(message: impl std::fmt::Display) {
    eprintln!("[bench] {message}");
}
