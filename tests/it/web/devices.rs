//! The devices page: each device's last sync.

use super::{with_office_user, PASSWORD};
use crate::on_both_backends;
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::Backend;

on_both_backends!(the_devices_page_shows_each_devices_last_sync);

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
