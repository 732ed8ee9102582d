//! The devices page: each device's last sync, and how far its clock is off.

use super::{with_office_user, PASSWORD};
use crate::on_both_backends;
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_tests::process::device_cli;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::Backend;

on_both_backends!(
    the_devices_page_shows_each_devices_last_sync,
    the_devices_page_shows_each_devices_clock,
);

/// The row of the devices page that lists `device`.
fn device_row<'a>(page: &'a str, device: &str) -> anyhow::Result<&'a str> {
    let start = page
        .find(&format!("data-device=\"{device}\""))
        .with_context(|| format!("no row of {device}"))?;
    let row = &page[start..];
    Ok(&row[..row.find("</tr>").context("an unended row")?])
}

async fn the_devices_page_shows_each_devices_last_sync(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    web.login("hoa", PASSWORD).await?;
    let admin = server.admin();
    let (synced, token) = admin.device("trainer", None).await?;
    let (idle, _) = admin.device("trainer", None).await?;
    let phone = RawDevice::enroll(&server.url, &token).await?;
    phone.pull_all().await?;

    let page = web.get("/devices?lang=en").await?;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Last sync"), "the column's heading");
    let year = time::OffsetDateTime::now_utc().year().to_string();
    let row = device_row(&page.body, &synced)?;
    assert!(
        row.contains("last-sync") && row.contains(&year) && !row.contains("Never"),
        "{row}"
    );
    let row = device_row(&page.body, &idle)?;
    assert!(row.contains("Never"), "{row}");
    let vi = web.get("/devices").await?;
    assert!(vi.body.contains("Đồng bộ lần cuối") && vi.body.contains("Chưa đồng bộ"));
    Ok(())
}

async fn the_devices_page_shows_each_devices_clock(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    web.login("hoa", PASSWORD).await?;
    let admin = server.admin();
    let homes = tempfile::tempdir()?;
    let mut devices = Vec::new();
    for (name, offset) in [("fast", "600000"), ("right", "0")] {
        let (device, token) = admin.device("trainer", None).await?;
        let home = homes.path().join(name);
        let args = [
            "--clock-offset-ms",
            offset,
            "enroll",
            "--server",
            &server.url,
            "--token",
            &token,
        ];
        let (code, json) = device_cli(&home, &args).await?;
        anyhow::ensure!(code == 0, "{json}");
        let (code, json) = device_cli(&home, &["--clock-offset-ms", offset, "sync"]).await?;
        anyhow::ensure!(code == 0, "{json}");
        devices.push(device);
    }
    let page = web.get("/devices?lang=en").await?;
    let fast = device_row(&page.body, &devices[0])?;
    assert!(
        fast.contains("⚠ +10 min"),
        "ten minutes ahead, past the tolerance: {fast}"
    );
    let right = device_row(&page.body, &devices[1])?;
    assert!(
        right.contains("data-offset-ms") && !right.contains("⚠"),
        "{right}"
    );
    Ok(())
}
