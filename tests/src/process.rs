//! The real binaries as child processes: the server (for kill and restart tests and
//! benchmarks) and the device CLI.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The path of a workspace binary next to the running test or bench executable, built on
/// demand with the same profile when missing.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe
        .parent()
        .context("executable without directory")?
        .to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let package = if name == "sachhon" {
            "sachhon-server"
        } else {
            "sachhon-sync"
        };
        let mut command = std::process::Command::new(cargo);
        command.args(["build", "-p", package, "--bin", name]);
        if dir.ends_with("release") {
            command.arg("--release");
        }
        let status = command.status()?;
        if !status.success() || !path.exists() {
            bail!("could not build {name}");
        }
    }
    Ok(path)
}

/// A `sachhon serve` process.
pub struct ServerProcess {
    /// Base URL.
    pub url: String,
    child: Child,
}

impl ServerProcess {
    /// Starts `sachhon serve --db URL --bind 127.0.0.1:0` with the test admin token and
    /// waits until it listens.
    pub async fn start(db_url: &str) -> anyhow::Result<Self> {
        Self::start_at(db_url, "127.0.0.1:0").await
    }

    /// Starts the server on a given address (to come back where phones know it).
    pub async fn start_at(db_url: &str, bind: &str) -> anyhow::Result<Self> {
        Self::spawn(db_url, bind, None).await
    }

    /// Starts `sachhon serve … --tls-cert FILE --tls-key FILE` on a given address
    /// (`127.0.0.1:0` for any port): it serves HTTPS.
    pub async fn start_tls(
        db_url: &str,
        bind: &str,
        tls: &crate::TlsFiles,
    ) -> anyhow::Result<Self> {
        Self::spawn(db_url, bind, Some(tls)).await
    }

    async fn spawn(
        db_url: &str,
        bind: &str,
        tls: Option<&crate::TlsFiles>,
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(binary("sachhon")?);
        command.args(["serve", "--db", db_url, "--bind", bind]);
        if let Some(tls) = tls {
            command
                .arg("--tls-cert")
                .arg(&tls.cert)
                .arg("--tls-key")
                .arg(&tls.key);
        }
        let mut child = command
            .env("SACHHON_ADMIN_TOKEN", crate::ADMIN_TOKEN)
            .env("SACHHON_LOG", "warn,sachhon=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stderr = child.stderr.take().context("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let address = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(address) = line.split("address=").nth(1) {
                    return anyhow::Ok(address.trim().to_string());
                }
            }
            bail!("the server exited before listening")
        })
        .await
        .context("the server did not start within 60 s")??;
        // Keep draining stderr so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let scheme = if tls.is_some() { "https" } else { "http" };
        Ok(Self {
            url: format!("{scheme}://{address}"),
            child,
        })
    }

    /// The `host:port` it listens on.
    pub fn address(&self) -> &str {
        crate::host_port(&self.url)
    }

    /// The operating-system process id (to read its memory use).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the process with SIGKILL, as a crash would, and waits for it.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}

/// Runs `sachhon-device --home HOME ARGS…`; returns the exit code and the JSON it printed
/// (or, when it printed no JSON, what it wrote on stdout and stderr).
pub async fn device_cli(home: &Path, args: &[&str]) -> anyhow::Result<(i32, serde_json::Value)> {
    let output = Command::new(binary("sachhon-device")?)
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .await?;
    let code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        // Not one JSON object: hand back everything printed, for the failure message.
        serde_json::json!({
            "stdout": stdout,
            "stderr": String::from_utf8_lossy(&output.stderr),
        })
    });
    Ok((code, json))
}
