//! The two pulls after ingest: a phone that is up to date pulls a few new walk-ins (delta),
//! and a new phone pulls everything (cold). Pulls ask for zstd; bytes are counted as received
//! (bodies and heads, see `device`) and decoded, and each timed span includes decompressing and
//! decoding the pages — not applying them to a phone's store, which this bench does not do.

use crate::device::{DeviceClient, Pulled};
use crate::report::{ColdFigures, DeltaFigures};
use crate::workload;
use anyhow::{ensure, Context};
use sachhon_shared::{ActorId, EventId};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Page size of every pull: the largest the server allows.
const PAGE_LIMIT: u32 = 5_000;

/// How often the delta pull is repeated (same cursor, same answer) for its median.
const DELTA_REPEATS: usize = 5;

/// Pulls until nothing is waiting; returns the cursor reached and the ops received.
pub async fn catch_up(device: &DeviceClient) -> anyhow::Result<(String, usize)> {
    let mut cursor = String::new();
    let mut ops = 0;
    loop {
        let pulled = device.pull(&cursor, PAGE_LIMIT).await?;
        ops += pulled.page.ops.len();
        cursor = pulled.page.next;
        if !pulled.page.more {
            return Ok((cursor, ops));
        }
    }
}

/// The delta pull: `watcher` is first brought fully up to date (untimed), then `writer`
/// pushes `walk_ins` walk-ins into `event`, then the watcher's pull of just those is timed.
pub async fn delta(
    watcher: &DeviceClient,
    writer: &DeviceClient,
    event: EventId,
    walk_ins: usize,
) -> anyhow::Result<(DeltaFigures, usize)> {
    let (cursor, caught_up) = catch_up(watcher).await?;
    let ops = workload::walk_ins(writer.actor(), &vec![event; walk_ins]);
    for batch in workload::outbox(&ops, ops.len())?.batches {
        writer.push(batch).await?;
    }
    let mut latencies = Vec::with_capacity(DELTA_REPEATS);
    let mut last = None;
    for _ in 0..DELTA_REPEATS {
        let started = Instant::now();
        let pulled = watcher.pull(&cursor, PAGE_LIMIT).await?;
        latencies.push(started.elapsed());
        let page = &pulled.page;
        ensure!(
            !page.more && page.ops.len() == ops.len(),
            "the delta pull returned {} ops (more: {}), expected exactly the {} new ones",
            page.ops.len(),
            page.more,
            ops.len()
        );
        ensure!(
            page.ops.iter().all(|op| op.actor == writer.actor()),
            "the delta pull returned ops of another actor"
        );
        last = Some(pulled);
    }
    let last = last.context("the delta pull was not repeated")?;
    let first = latencies.first().copied().unwrap_or_default();
    let figures = DeltaFigures {
        walk_ins,
        ops: ops.len(),
        round_trips: 1,
        first_ms: millis(first),
        median_ms: millis(median(&mut latencies)),
        bytes: last.bytes,
        wire_bytes: last.wire_bytes(),
        wire_body_bytes: last.wire_body_bytes,
        header_bytes: last.header_bytes,
        zstd: last.zstd,
    };
    Ok((figures, caught_up))
}

/// Totals of the pages of a cold pull.
#[derive(Default)]
struct Pages {
    /// Pages received.
    pages: usize,
    /// Pages whose body came in zstd.
    zstd_pages: usize,
    /// Ops received.
    ops: usize,
    /// Bodies decoded.
    bytes: usize,
    /// Bodies as received.
    wire_body_bytes: usize,
    /// Request and response heads.
    header_bytes: usize,
    /// Time decompressing.
    decompress: Duration,
    /// Time decoding.
    decode: Duration,
}

impl Pages {
    /// Adds one page.
    fn add(&mut self, pulled: &Pulled) {
        self.pages += 1;
        self.zstd_pages += usize::from(pulled.zstd);
        self.ops += pulled.page.ops.len();
        self.bytes += pulled.bytes;
        self.wire_body_bytes += pulled.wire_body_bytes;
        self.header_bytes += pulled.header_bytes;
        self.decompress += pulled.decompress;
        self.decode += pulled.decode;
    }
}

/// The cold pull: a device that never pulled fetches everything in pages of the largest size.
/// Every op of every pushing actor must arrive exactly once, and `total` ops in all.
pub async fn cold(
    device: &DeviceClient,
    expected: &HashMap<ActorId, usize>,
    total: usize,
) -> anyhow::Result<ColdFigures> {
    let mut per_actor: HashMap<ActorId, usize> = HashMap::new();
    let (cursor, mut pages) = (String::new(), Pages::default());
    let started = Instant::now();
    // As a phone does: the next page is asked for (from this one's `x-sachhon-next` header)
    // while this one is read and decoded.
    let mut asked = device.ask(&cursor, PAGE_LIMIT).await?;
    loop {
        let next = match (asked.more, asked.next.clone()) {
            (true, Some(next)) => {
                let device = device.clone();
                Some(tokio::spawn(
                    async move { device.ask(&next, PAGE_LIMIT).await },
                ))
            }
            _ => None,
        };
        let pulled = asked.read().await?;
        pages.add(&pulled);
        for op in &pulled.page.ops {
            *per_actor.entry(op.actor).or_default() += 1;
        }
        ensure!(
            next.is_some() == pulled.page.more,
            "the more header and the page disagree"
        );
        match next {
            Some(next) => asked = next.await??,
            None => break,
        }
    }
    let wall = started.elapsed();
    for (actor, count) in expected {
        let got = per_actor.get(actor).copied().unwrap_or(0);
        ensure!(
            got == *count,
            "cold pull: actor {actor} sent {count} ops, {got} came back"
        );
    }
    ensure!(
        pages.ops == total,
        "cold pull received {} ops, the log holds {total}",
        pages.ops
    );
    Ok(cold_figures(&pages, wall))
}

/// The figures of a cold pull from its pages' totals and wall time.
fn cold_figures(pages: &Pages, wall: Duration) -> ColdFigures {
    let per_op = |bytes: usize| bytes as f64 / pages.ops.max(1) as f64;
    let wire_bytes = pages.wire_body_bytes + pages.header_bytes;
    ColdFigures {
        ops: pages.ops,
        pages: pages.pages,
        wall_s: wall.as_secs_f64(),
        ops_per_s: pages.ops as f64 / wall.as_secs_f64(),
        bytes: pages.bytes,
        bytes_per_op: per_op(pages.bytes),
        wire_bytes,
        wire_bytes_per_op: per_op(wire_bytes),
        wire_body_bytes: pages.wire_body_bytes,
        header_bytes: pages.header_bytes,
        zstd_pages: pages.zstd_pages,
        decompress_s: pages.decompress.as_secs_f64(),
        decode_s: pages.decode.as_secs_f64(),
    }
}

/// The median of some durations (the upper one of an even count).
pub fn median(durations: &mut [Duration]) -> Duration {
    durations.sort_unstable();
    durations
        .get(durations.len() / 2)
        .copied()
        .unwrap_or_default()
}

/// A duration in milliseconds.
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
