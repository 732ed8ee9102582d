//! `sachhon serve --log-format json`: structured logs, one JSON object per line on standard
//! error; without it, lines for people.

use crate::on_both_backends;
use anyhow::Context;
use sachhon_tests::process::binary;
use sachhon_tests::Backend;
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

on_both_backends!(json_logs_are_one_object_per_line);

/// Starts `sachhon serve` with `args` and reads its standard error until it listens; returns
/// the lines read.
async fn lines_until_listening(db: &str, args: &[&str]) -> anyhow::Result<Vec<String>> {
    let mut child = Command::new(binary("sachhon")?)
        .args(["serve", "--db", db, "--bind", "127.0.0.1:0"])
        .args(args)
        .env("SACHHON_ADMIN_TOKEN", sachhon_tests::ADMIN_TOKEN)
        .env("SACHHON_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stderr.take().context("stderr")?).lines();
    let mut read = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            let listening = line.contains("listening");
            read.push(line);
            if listening {
                return anyhow::Ok(());
            }
        }
        anyhow::bail!("the server exited before listening: {read:?}")
    })
    .await
    .context("the server did not start within 60 s")??;
    child.start_kill()?;
    child.wait().await?;
    Ok(read)
}

async fn json_logs_are_one_object_per_line(backend: Backend) -> anyhow::Result<()> {
    let database = backend.fresh_database().await?;
    let json = lines_until_listening(&database.url, &["--log-format", "json"]).await?;
    for line in &json {
        let object: Value = serde_json::from_str(line).with_context(|| line.clone())?;
        assert!(object["timestamp"].is_string(), "{line}");
        assert!(object["level"].is_string(), "{line}");
        assert!(object["target"].is_string(), "{line}");
        assert!(object["fields"]["message"].is_string(), "{line}");
    }
    let listening = json.last().context("no line")?;
    let listening: Value = serde_json::from_str(listening)?;
    assert_eq!(listening["level"], "INFO");
    assert!(
        listening["fields"]["address"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:")),
        "{listening}"
    );

    let text = lines_until_listening(&database.url, &[]).await?;
    let listening = text.last().context("no line")?;
    assert!(
        serde_json::from_str::<Value>(listening).is_err(),
        "{listening}"
    );
    assert!(listening.contains("INFO") && listening.contains("address=127.0.0.1:"));
    Ok(())
}
