//! The server's metrics in Prometheus' text format (`GET /metrics`, for the administrator).
//!
//! Counters of sync work and the latency histograms of HTTP requests live in this process
//! ([`Metrics`]): they start at zero when it starts, and with several processes on one
//! PostgreSQL database each reports its own (Prometheus sums them). Gauges are read from the
//! database at each scrape ([`Gauges`]), so every process reports the same.

mod gauges;
mod histogram;
mod text;

pub use gauges::Gauges;
pub use text::CONTENT_TYPE;

use histogram::Histogram;
use sachhon_shared::wire::PushAck;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use text::{Exposition, Kind};

/// The metrics this process counts.
#[derive(Default)]
pub struct Metrics {
    pushes: AtomicU64,
    ops_applied: AtomicU64,
    ops_replayed: AtomicU64,
    ops_rejected: Mutex<BTreeMap<String, u64>>,
    pulls: AtomicU64,
    pull_bytes: AtomicU64,
    requests: Mutex<BTreeMap<RequestKey, Histogram>>,
}

/// The labels of a request's latency.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RequestKey {
    method: &'static str,
    route: String,
    status: u16,
}

/// The request methods counted by name; any other is counted as `other`, so that a client
/// cannot make up label values.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

impl Metrics {
    /// Counts an acknowledged push of `received` ops.
    pub fn push_acknowledged(&self, received: usize, ack: &PushAck) {
        let rejected = ack.rejected.len() as u64;
        self.pushes.fetch_add(1, Ordering::Relaxed);
        self.ops_applied
            .fetch_add(ack.applied.saturating_sub(rejected), Ordering::Relaxed);
        self.ops_replayed.fetch_add(
            (received as u64).saturating_sub(ack.applied),
            Ordering::Relaxed,
        );
        let mut by_field = lock(&self.ops_rejected);
        for rejection in &ack.rejected {
            *by_field.entry(rejection.field.clone()).or_default() += 1;
        }
    }

    /// Counts a pull page of `bytes` (before content coding).
    pub fn pulled(&self, bytes: usize) {
        self.pulls.fetch_add(1, Ordering::Relaxed);
        self.pull_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts an answered request: its method, route pattern (`/api/v1/events/{id}`, or
    /// `unmatched`), status and time to answer.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = METHODS
            .iter()
            .find(|known| **known == method)
            .copied()
            .unwrap_or("other");
        let key = RequestKey {
            method,
            route: route.to_string(),
            status,
        };
        lock(&self.requests)
            .entry(key)
            .or_default()
            .observe(seconds);
    }

    /// The exposition of this process's metrics and the database's `gauges`.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut text = Exposition::default();
        let counter = |text: &mut Exposition, name: &str, help: &str, value: &AtomicU64| {
            text.family(name, Kind::Counter, help);
            text.sample(name, &[], value.load(Ordering::Relaxed) as f64);
        };
        counter(
            &mut text,
            "sachhon_sync_pushes_total",
            "Pushes acknowledged (each a batch of one device's ops, committed).",
            &self.pushes,
        );
        counter(
            &mut text,
            "sachhon_sync_ops_applied_total",
            "Pushed ops received for the first time and applied.",
            &self.ops_applied,
        );
        text.family(
            "sachhon_sync_ops_rejected_total",
            Kind::Counter,
            "Pushed ops received for the first time and refused one by one (acknowledged, not \
             applied), by the field at fault.",
        );
        for (field, count) in lock(&self.ops_rejected).iter() {
            text.sample(
                "sachhon_sync_ops_rejected_total",
                &[("field", field)],
                *count as f64,
            );
        }
        counter(
            &mut text,
            "sachhon_sync_ops_replayed_total",
            "Pushed ops received again (their acknowledgement was lost) and skipped.",
            &self.ops_replayed,
        );
        counter(
            &mut text,
            "sachhon_sync_pulls_total",
            "Pull pages served.",
            &self.pulls,
        );
        counter(
            &mut text,
            "sachhon_sync_pull_bytes_total",
            "Bytes of the pull pages served, before content coding.",
            &self.pull_bytes,
        );
        text.family(
            "sachhon_http_request_duration_seconds",
            Kind::Histogram,
            "Time to answer HTTP requests (to the answer's head), by method, route pattern and \
             status.",
        );
        for (key, histogram) in lock(&self.requests).iter() {
            let status = key.status.to_string();
            let labels = [
                ("method", key.method),
                ("route", key.route.as_str()),
                ("status", status.as_str()),
            ];
            histogram.write(&mut text, "sachhon_http_request_duration_seconds", &labels);
        }
        gauges.write(&mut text);
        text.finish()
    }
}

/// A counter map is valid whatever a panicking holder left: use it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
