//! The figures of a run: a readable summary, then one JSON line with everything (for
//! scripts comparing runs), and the server's memory from `/proc`.

use crate::machine::CpuFigures;
use anyhow::Context;
use serde::Serialize;

/// Everything one `ingest` run measured.
#[derive(Serialize)]
pub struct Figures {
    /// Which benchmark.
    pub bench: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Pushing phones.
    pub devices: usize,
    /// Walk-ins per phone.
    pub walk_ins_per_device: usize,
    /// Phones pushing at once.
    pub concurrency: usize,
    /// Ops per push request.
    pub batch: usize,
    /// The timed push of every phone's queue.
    pub ingest: IngestFigures,
    /// The up-to-date phone's pull of a few new walk-ins.
    pub delta_pull: DeltaFigures,
    /// A new phone's pull of everything.
    pub cold_pull: ColdFigures,
    /// The database alone on the same rows: the ceiling.
    pub ceiling: CeilingFigures,
    /// The database alone on the same rows, one sqlx INSERT per row (for reference).
    pub single_row_inserts: CeilingFigures,
    /// Peak resident memory of the server process.
    pub server_memory: MemoryFigures,
    /// The machine: CPUs, and CPU time of the ingest (to judge how quiet the machine was).
    pub machine: MachineFigures,
    /// Attendance the server reports for the ingest event (checked to equal the walk-ins).
    pub attendance: usize,
}

/// The timed ingest.
#[derive(Serialize)]
pub struct IngestFigures {
    /// Walk-ins pushed.
    pub walk_ins: usize,
    /// Ops pushed (three per walk-in).
    pub ops: usize,
    /// Push requests.
    pub requests: usize,
    /// Wall time from the first request sent to the last acknowledgement.
    pub wall_s: f64,
    /// Walk-ins acknowledged per second.
    pub walk_ins_per_s: f64,
    /// Ops acknowledged per second.
    pub ops_per_s: f64,
    /// Request bodies as encoded (v2 CBOR, before compression), all pushes.
    pub request_bytes: usize,
    /// Request body bytes per op, before compression.
    pub bytes_per_op: f64,
    /// Request body bytes per walk-in, before compression.
    pub bytes_per_walk_in: f64,
    /// Request bodies as sent (zstd, level 3, as the phone compresses them), all pushes.
    pub compressed_request_bytes: usize,
    /// Request body bytes per op as sent.
    pub compressed_bytes_per_op: f64,
    /// Request body bytes per walk-in as sent.
    pub compressed_bytes_per_walk_in: f64,
    /// Median latency of one push request.
    pub push_p50_ms: f64,
    /// 99th percentile latency of one push request.
    pub push_p99_ms: f64,
    /// Slowest push request.
    pub push_max_ms: f64,
}

/// The delta pull.
#[derive(Serialize)]
pub struct DeltaFigures {
    /// New walk-ins waiting.
    pub walk_ins: usize,
    /// Ops received (three per walk-in).
    pub ops: usize,
    /// Requests it took.
    pub round_trips: usize,
    /// Latency of the first pull: request, answer, decompressing and decoding the page.
    pub first_ms: f64,
    /// Median latency over repeats of the same pull (same span).
    pub median_ms: f64,
    /// Response body bytes decoded (the v2 page before compression).
    pub bytes: usize,
    /// Bytes on the wire: the body as received, request and response heads.
    pub wire_bytes: usize,
    /// Response body bytes as received.
    pub wire_body_bytes: usize,
    /// Bytes of the request line, status line and header lines of the round trip.
    pub header_bytes: usize,
    /// Whether the body came in zstd (the server sends answers under 1 KiB as they are).
    pub zstd: bool,
}

/// The cold pull.
#[derive(Serialize)]
pub struct ColdFigures {
    /// Ops received.
    pub ops: usize,
    /// Pages (requests) of at most 5,000 ops.
    pub pages: usize,
    /// Wall time of all pages: requests, answers, decompressing and decoding every page.
    pub wall_s: f64,
    /// Ops received per second.
    pub ops_per_s: f64,
    /// Response body bytes decoded (the v2 pages before compression).
    pub bytes: usize,
    /// Decoded response bytes per op.
    pub bytes_per_op: f64,
    /// Bytes on the wire: bodies as received, request and response heads.
    pub wire_bytes: usize,
    /// Bytes on the wire per op.
    pub wire_bytes_per_op: f64,
    /// Response body bytes as received.
    pub wire_body_bytes: usize,
    /// Bytes of the request lines, status lines and header lines of every round trip.
    pub header_bytes: usize,
    /// Pages whose body came in zstd.
    pub zstd_pages: usize,
    /// Part of the wall time spent decompressing bodies.
    pub decompress_s: f64,
    /// Part of the wall time spent decoding pages.
    pub decode_s: f64,
}

/// The database alone on the ingest's rows.
#[derive(Serialize)]
pub struct CeilingFigures {
    /// How it was measured.
    pub method: &'static str,
    /// Rows written (the ingest's ops).
    pub rows: usize,
    /// Wall time.
    pub wall_s: f64,
    /// Rows per second.
    pub rows_per_s: f64,
    /// Server ops/s ÷ ceiling rows/s.
    pub server_ratio: f64,
}

/// Peak resident set size of the server (`VmHWM`), in MiB, at four moments.
#[derive(Serialize)]
pub struct MemoryFigures {
    /// After set-up, before the timed ingest.
    pub after_setup_mib: f64,
    /// After the ingest.
    pub after_ingest_mib: f64,
    /// After the delta and cold pulls.
    pub after_pulls_mib: f64,
    /// After the attendance check (which reads every attendee).
    pub at_end_mib: f64,
}

/// The machine the run was on, and where its CPU time went during the timed ingest.
#[derive(Serialize)]
pub struct MachineFigures {
    /// CPUs available to this process.
    pub cpus: usize,
    /// CPU seconds during the timed ingest.
    pub ingest_cpu: CpuFigures,
    /// CPU seconds during the cold pull.
    pub cold_pull_cpu: CpuFigures,
}

/// The peak resident set size of a process so far (`VmHWM`), in MiB.
pub fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc status")?;
    Ok(kib / 1024.0)
}

/// Prints the summary and the JSON line to standard output.
pub fn print(figures: &Figures) -> anyhow::Result<()> {
    print_summary(figures);
    println!("{}", serde_json::to_string(figures)?);
    Ok(())
}

fn print_summary(f: &Figures) {
    let (i, d, c, x, m) = (
        &f.ingest,
        &f.delta_pull,
        &f.cold_pull,
        &f.ceiling,
        &f.server_memory,
    );
    println!(
        "sachhon ingest — {}: {} phones × {} walk-ins, {} at a time, {} ops per push",
        f.backend, f.devices, f.walk_ins_per_device, f.concurrency, f.batch
    );
    println!(
        "ingest      {} walk-ins = {} ops in {} pushes, {:.2} s: {:.0} walk-ins/s, {:.0} ops/s",
        i.walk_ins, i.ops, i.requests, i.wall_s, i.walk_ins_per_s, i.ops_per_s
    );
    println!(
        "            push latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        i.push_p50_ms, i.push_p99_ms, i.push_max_ms
    );
    println!(
        "            request bodies as encoded {} bytes: {:.1} B/op, {:.1} B/walk-in",
        i.request_bytes, i.bytes_per_op, i.bytes_per_walk_in
    );
    println!(
        "            as sent (zstd level 3) {} bytes: {:.1} B/op, {:.1} B/walk-in",
        i.compressed_request_bytes, i.compressed_bytes_per_op, i.compressed_bytes_per_walk_in
    );
    println!(
        "ceiling     {} rows in {:.2} s = {:.0} rows/s ({})",
        x.rows, x.wall_s, x.rows_per_s, x.method
    );
    println!(
        "            server ops/s ÷ ceiling rows/s = {:.2}",
        x.server_ratio
    );
    let y = &f.single_row_inserts;
    println!(
        "reference   {:.0} rows/s in {:.2} s ({}); server ÷ this = {:.2}",
        y.rows_per_s, y.wall_s, y.method, y.server_ratio
    );
    println!(
        "delta pull  {} walk-ins = {} ops in {} round trip: first {:.2} ms, median {:.2} ms \
         (decompressing and decoding included)",
        d.walk_ins, d.ops, d.round_trips, d.first_ms, d.median_ms
    );
    println!(
        "            {} bytes on the wire = body {} ({}) + heads {}; decoded body {} bytes",
        d.wire_bytes,
        d.wire_body_bytes,
        if d.zstd { "zstd" } else { "not compressed" },
        d.header_bytes,
        d.bytes
    );
    println!(
        "cold pull   {} ops in {} pages, {:.2} s ({:.0} ops/s), of which decompressing {:.3} s, \
         decoding {:.3} s",
        c.ops, c.pages, c.wall_s, c.ops_per_s, c.decompress_s, c.decode_s
    );
    println!(
        "            {} bytes on the wire ({:.1} B/op) = bodies {} ({} of {} pages zstd) + heads \
         {}; decoded bodies {} bytes ({:.1} B/op)",
        c.wire_bytes,
        c.wire_bytes_per_op,
        c.wire_body_bytes,
        c.zstd_pages,
        c.pages,
        c.header_bytes,
        c.bytes,
        c.bytes_per_op
    );
    println!(
        "server RSS  peak {:.1} MiB after set-up, {:.1} MiB after ingest, {:.1} MiB after \
         pulls, {:.1} MiB after the attendance check",
        m.after_setup_mib, m.after_ingest_mib, m.after_pulls_mib, m.at_end_mib
    );
    let cpu = &f.machine.ingest_cpu;
    println!(
        "CPU         {} CPUs; during ingest: server {:.1} s ({:.0} µs/op), bench client {:.2} s, \
         other processes {:.1} s (PostgreSQL's own included)",
        f.machine.cpus,
        cpu.server_s,
        cpu.server_s * 1e6 / i.ops as f64,
        cpu.client_s,
        cpu.other_s
    );
    println!(
        "            server threads switched context {} times ({:.1} per op)",
        cpu.server_context_switches,
        cpu.server_context_switches as f64 / i.ops as f64
    );
    let cpu = &f.machine.cold_pull_cpu;
    println!(
        "            during the cold pull: server {:.2} s, bench client {:.2} s, other processes \
         {:.2} s; server threads switched context {} times",
        cpu.server_s, cpu.client_s, cpu.other_s, cpu.server_context_switches
    );
    println!(
        "verified    attendance {} = phones × walk-ins; every push acknowledged exactly",
        f.attendance
    );
}
