//! The two pulls after ingest: a phone that is up to date pulls a few new walk-ins (delta),
//! and a new phone pulls everything (cold). Responses are raw CBOR; their bytes are counted
//! as the server sends them.

use crate::device::DeviceClient;
use crate::report::{ColdFigures, DeltaFigures};
use crate::workload;
use anyhow::ensure;
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
    let ops = workload::walk_ins(writer.actor(), event, walk_ins);
    for batch in workload::outbox(&ops, ops.len()).batches {
        writer.push(batch).await?;
    }
    let mut latencies = Vec::with_capacity(DELTA_REPEATS);
    let mut bytes = 0;
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
        bytes = pulled.bytes;
    }
    let first = latencies.first().copied().unwrap_or_default();
    let figures = DeltaFigures {
        walk_ins,
        ops: ops.len(),
        round_trips: 1,
        first_ms: millis(first),
        median_ms: millis(median(&mut latencies)),
        bytes,
    };
    Ok((figures, caught_up))
}

/// The cold pull: a device that never pulled fetches everything in pages of the largest size.
/// Every op of every pushing actor must arrive exactly once, and `total` ops in all.
pub async fn cold(
    device: &DeviceClient,
    expected: &HashMap<ActorId, usize>,
    total: usize,
) -> anyhow::Result<ColdFigures> {
    let mut per_actor: HashMap<ActorId, usize> = HashMap::new();
    let (mut cursor, mut pages, mut bytes, mut ops) = (String::new(), 0, 0, 0);
    let started = Instant::now();
    loop {
        let pulled = device.pull(&cursor, PAGE_LIMIT).await?;
        pages += 1;
        bytes += pulled.bytes;
        ops += pulled.page.ops.len();
        for op in &pulled.page.ops {
            *per_actor.entry(op.actor).or_default() += 1;
        }
        cursor = pulled.page.next;
        if !pulled.page.more {
            break;
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
        ops == total,
        "cold pull received {ops} ops, the log holds {total}"
    );
    Ok(ColdFigures {
        ops,
        pages,
        wall_s: wall.as_secs_f64(),
        ops_per_s: ops as f64 / wall.as_secs_f64(),
        bytes,
        bytes_per_op: bytes as f64 / ops.max(1) as f64,
    })
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
