//! The timed part of the progress benchmark: requests to the real server, each answer
//! checked. A request that outlives the timeout is given up, and the server is restarted so
//! that the abandoned query stops taking CPU from the next measurement.

use crate::dataset::World;
use crate::progress_check;
use anyhow::{ensure, Context};
use sachhon_tests::process::ServerProcess;
use sachhon_tests::ADMIN_TOKEN;
use serde::Serialize;
use std::time::{Duration, Instant};

/// One timed query of the progress endpoint.
pub struct Case {
    /// What it asks, for the report.
    pub label: &'static str,
    /// `as_of`.
    pub as_of: &'static str,
    /// `district`, if any.
    pub district: Option<&'static str>,
}

/// The queries timed: both milestones province-wide, and one district.
pub const CASES: [Case; 3] = [
    Case {
        label: "province, as of 2015-12-31",
        as_of: "2015-12-31",
        district: None,
    },
    Case {
        label: "province, as of 2020-12-31",
        as_of: "2020-12-31",
        district: None,
    },
    Case {
        label: "district Bến Lức, as of 2020-12-31",
        as_of: "2020-12-31",
        district: Some("Bến Lức"),
    },
];

/// The as-of date of the exports.
const EXPORT_AS_OF: &str = "2020-12-31";

/// One query's latencies (`None` where nothing was measured because of a timeout).
#[derive(Serialize)]
pub struct QueryFigures {
    /// What was asked.
    pub label: &'static str,
    /// The request path and query.
    pub path: String,
    /// Whether a request outlived the timeout (nothing was measured after it).
    pub timed_out: bool,
    /// Measured requests that were answered.
    pub requests: usize,
    /// The warm-up request.
    pub first_ms: Option<f64>,
    /// Fastest.
    pub min_ms: Option<f64>,
    /// Median.
    pub median_ms: Option<f64>,
    /// 95th percentile (nearest rank).
    pub p95_ms: Option<f64>,
    /// Slowest.
    pub max_ms: Option<f64>,
    /// Response body bytes.
    pub bytes: usize,
}

/// One export's download.
#[derive(Serialize)]
pub struct ExportFigures {
    /// The request path and query.
    pub path: String,
    /// Whether it outlived the timeout.
    pub timed_out: bool,
    /// Time to the last byte.
    pub ms: Option<f64>,
    /// Body bytes.
    pub bytes: usize,
}

/// The server process, restartable on the same database.
pub struct Server {
    db_url: String,
    process: Option<ServerProcess>,
    /// The highest peak resident memory of the processes killed so far, MiB.
    killed_peak_mib: f64,
}

impl Server {
    /// Starts `sachhon serve` on `db_url`.
    pub async fn start(db_url: &str) -> anyhow::Result<Self> {
        let process = ServerProcess::start(db_url).await?;
        eprintln!("[bench] server {}", process.url);
        Ok(Self {
            db_url: db_url.to_string(),
            process: Some(process),
            killed_peak_mib: 0.0,
        })
    }

    fn process(&self) -> anyhow::Result<&ServerProcess> {
        self.process.as_ref().context("the server is not running")
    }

    /// An admin client for the running process.
    fn client(&self, timeout: Duration) -> anyhow::Result<Client> {
        Ok(Client::new(&self.process()?.url, timeout))
    }

    /// The peak resident memory so far of the server processes (the running one and any
    /// restarted), in MiB.
    pub fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let Some(process) = &self.process else {
            return Ok(self.killed_peak_mib);
        };
        let pid = process.pid().context("the server has no pid")?;
        Ok(crate::report::peak_rss_mib(pid)?.max(self.killed_peak_mib))
    }

    /// Kills the process and starts a new one on the same database.
    async fn restart(&mut self) -> anyhow::Result<()> {
        eprintln!("[bench] restarting the server to end the abandoned query");
        self.stop().await?;
        self.process = Some(ServerProcess::start(&self.db_url).await?);
        Ok(())
    }

    /// Kills the process.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.killed_peak_mib = self.peak_rss_mib()?;
        if let Some(process) = self.process.take() {
            process.kill().await?;
        }
        Ok(())
    }
}

/// Times every case and the exports, checking each answer against the data set.
pub async fn measure(
    server: &mut Server,
    world: &World,
    requests: usize,
    timeout: Duration,
) -> anyhow::Result<(Vec<QueryFigures>, Vec<ExportFigures>)> {
    let mut queries = Vec::with_capacity(CASES.len());
    for case in &CASES {
        let client = server.client(timeout)?;
        let figures = time_case(&client, case, requests, world).await?;
        if figures.timed_out {
            server.restart().await?;
        }
        queries.push(figures);
    }
    let mut exports = Vec::new();
    for path in ["/api/v1/progress.csv", "/api/v1/progress.xlsx"] {
        let client = server.client(timeout)?;
        let figures = export(&client, path, world).await?;
        if figures.timed_out {
            server.restart().await?;
        }
        exports.push(figures);
    }
    Ok((queries, exports))
}

/// One warm-up request (checked against the data set), then `requests` timed ones that must
/// answer the same bytes.
async fn time_case(
    client: &Client,
    case: &Case,
    requests: usize,
    world: &World,
) -> anyhow::Result<QueryFigures> {
    let query = case_query(case);
    let path = format!("/api/v1/progress?{}", display_query(&query));
    eprintln!("[bench] timing {path}: 1 warm-up + {requests}");
    let mut figures = QueryFigures {
        label: case.label,
        path,
        timed_out: true,
        requests: 0,
        first_ms: None,
        min_ms: None,
        median_ms: None,
        p95_ms: None,
        max_ms: None,
        bytes: 0,
    };
    let Some((first, body)) = client.get("/api/v1/progress", &query).await? else {
        eprintln!("[bench] {} timed out", figures.path);
        return Ok(figures);
    };
    let json: serde_json::Value = serde_json::from_slice(&body)
        .with_context(|| format!("{} answered no JSON", figures.path))?;
    progress_check::verify(&json, world, case.as_of, case.district)
        .with_context(|| format!("{} does not match the data set", figures.path))?;
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let Some((elapsed, again)) = client.get("/api/v1/progress", &query).await? else {
            eprintln!("[bench] {} timed out on a repeat", figures.path);
            break;
        };
        ensure!(
            again == body,
            "{} answered differently on a repeat",
            figures.path
        );
        latencies.push(elapsed);
    }
    latencies.sort_unstable();
    figures.timed_out = latencies.len() < requests;
    figures.requests = latencies.len();
    figures.first_ms = Some(millis(first));
    figures.min_ms = percentile(&latencies, 0.0);
    figures.median_ms = median(&latencies);
    figures.p95_ms = percentile(&latencies, 0.95);
    figures.max_ms = percentile(&latencies, 1.0);
    figures.bytes = body.len();
    Ok(figures)
}

fn case_query(case: &Case) -> Vec<(&'static str, &'static str)> {
    let mut query = vec![("as_of", case.as_of)];
    if let Some(district) = case.district {
        query.push(("district", district));
    }
    query
}

fn display_query(query: &[(&str, &str)]) -> String {
    query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The nearest-rank percentile `p` (0 to 1) of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    let index = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted.get(index).map(|d| millis(*d))
}

/// The median of sorted durations, in milliseconds (the mean of the middle two when even).
fn median(sorted: &[Duration]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(millis(sorted[n / 2])),
        n => Some((millis(sorted[n / 2 - 1]) + millis(sorted[n / 2])) / 2.0),
    }
}

/// One export as of 2020-12-31, once, checked for its shape.
async fn export(client: &Client, path: &str, world: &World) -> anyhow::Result<ExportFigures> {
    eprintln!("[bench] export {path}");
    let answer = client.get(path, &[("as_of", EXPORT_AS_OF)]).await?;
    let path_and_query = format!("{path}?as_of={EXPORT_AS_OF}");
    let Some((elapsed, body)) = answer else {
        eprintln!("[bench] {path_and_query} timed out");
        return Ok(ExportFigures {
            path: path_and_query,
            timed_out: true,
            ms: None,
            bytes: 0,
        });
    };
    progress_check::export(path, &body, world, EXPORT_AS_OF)?;
    Ok(ExportFigures {
        path: path_and_query,
        timed_out: false,
        ms: Some(millis(elapsed)),
        bytes: body.len(),
    })
}

/// An HTTP client with the admin token, over one kept-alive connection.
struct Client {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
}

impl Client {
    fn new(base: &str, timeout: Duration) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_string(),
            timeout,
        }
    }

    /// A GET to the last byte of the body, which must answer 200; `None` when it outlives
    /// the timeout.
    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> anyhow::Result<Option<(Duration, Vec<u8>)>> {
        let started = Instant::now();
        let sent = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(ADMIN_TOKEN)
            .timeout(self.timeout)
            .send()
            .await;
        let response = match sent {
            Err(e) if e.is_timeout() => return Ok(None),
            other => other?,
        };
        let status = response.status();
        let body = match response.bytes().await {
            Err(e) if e.is_timeout() => return Ok(None),
            other => other?.to_vec(),
        };
        let elapsed = started.elapsed();
        ensure!(
            status == reqwest::StatusCode::OK,
            "{path} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        Ok(Some((elapsed, body)))
    }
}

/// Milliseconds of a duration.
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
