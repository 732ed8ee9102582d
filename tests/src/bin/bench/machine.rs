//! Where the CPU time of a timed phase went: to the server, to this benchmark client, or to
//! other processes on the machine (PostgreSQL when used, and noise); and how often the
//! server's threads switched. Read from `/proc`; CPU times are in clock ticks.

use anyhow::Context;
use serde::Serialize;

/// Clock ticks per second of `/proc` CPU times (`USER_HZ`, 100 on Linux).
const TICKS_PER_S: f64 = 100.0;

/// CPU times at one moment.
pub struct CpuSnapshot {
    busy: u64,
    server: u64,
    client: u64,
    switches: u64,
}

/// CPU seconds spent during a phase.
#[derive(Serialize)]
pub struct CpuFigures {
    /// By the server process.
    pub server_s: f64,
    /// By this benchmark process (HTTP client, decoding).
    pub client_s: f64,
    /// By everything else on the machine: the PostgreSQL server when used, and noise.
    pub other_s: f64,
    /// Context switches of the server's threads (voluntary and not).
    pub server_context_switches: u64,
}

impl CpuSnapshot {
    /// Reads the machine's busy time and the CPU time of the server and of this process.
    pub fn take(server_pid: u32) -> anyhow::Result<Self> {
        Ok(Self {
            busy: machine_busy_ticks()?,
            server: process_ticks(&server_pid.to_string())?,
            client: process_ticks("self")?,
            switches: context_switches(server_pid)?,
        })
    }

    /// The CPU seconds spent from `self` to `later`.
    pub fn until(&self, later: &CpuSnapshot) -> CpuFigures {
        let seconds = |ticks: u64| ticks as f64 / TICKS_PER_S;
        let server = later.server.saturating_sub(self.server);
        let client = later.client.saturating_sub(self.client);
        let busy = later.busy.saturating_sub(self.busy);
        CpuFigures {
            server_s: seconds(server),
            client_s: seconds(client),
            other_s: seconds(busy.saturating_sub(server + client)),
            server_context_switches: later.switches.saturating_sub(self.switches),
        }
    }
}

/// Busy ticks of all CPUs: the first line of `/proc/stat` minus idle and iowait.
fn machine_busy_ticks() -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .context("empty /proc/stat")?
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let total: u64 = fields.iter().sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Ok(total.saturating_sub(idle))
}

/// User plus system ticks of a process (`/proc/<pid>/stat` fields 14 and 15).
fn process_ticks(pid: &str) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let after_name = stat.rsplit_once(')').context("malformed /proc stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |index: usize| -> anyhow::Result<u64> {
        Ok(fields.get(index).context("short /proc stat")?.parse()?)
    };
    // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    Ok(field(11)? + field(12)?)
}

/// Context switches so far of every live thread of a process (`/proc/<pid>/task/*/status`).
fn context_switches(pid: u32) -> anyhow::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Ok(status) = std::fs::read_to_string(task?.path().join("status")) else {
            continue; // the thread ended meanwhile
        };
        total += status
            .lines()
            .filter(|line| line.contains("ctxt_switches:"))
            .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    Ok(total)
}
