//! `GET /metrics`: Prometheus' text format, for the administrator only, whose counters match
//! what the test did — pushes, ops applied, replayed and rejected, pulls and their bytes,
//! request latencies by route — and whose gauges read the database (devices not seen lately,
//! its size).

use crate::hardening::{registration_and_person, rejections, trainer};
use crate::on_both_backends;
use anyhow::Context;
use reqwest::{Method, StatusCode};
use sachhon_tests::{Backend, TestServer};
use std::collections::BTreeMap;

on_both_backends!(the_metrics_count_what_happened);

/// A scrape: each sample (`name{labels}` as written) and its value; checks that every
/// sample's family has its `# HELP` and `# TYPE` lines first.
fn parse(text: &str) -> anyhow::Result<BTreeMap<String, f64>> {
    let (mut samples, mut typed) = (BTreeMap::new(), Vec::new());
    for line in text.lines() {
        if let Some(family) = line.strip_prefix("# TYPE ") {
            let (name, kind) = family.split_once(' ').context("a TYPE line")?;
            anyhow::ensure!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.push(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (sample, value) = line.rsplit_once(' ').context("a sample line")?;
        let name = sample.split('{').next().unwrap_or(sample);
        anyhow::ensure!(
            typed.iter().any(|family| name == family
                || ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|suffix| name == format!("{family}{suffix}"))),
            "{name} has no TYPE line before it"
        );
        samples.insert(sample.to_string(), value.parse()?);
    }
    Ok(samples)
}

fn value(samples: &BTreeMap<String, f64>, sample: &str) -> f64 {
    samples.get(sample).copied().unwrap_or(f64::NAN)
}

async fn the_metrics_count_what_happened(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut phone = trainer(&server, &admin).await?;

    // Three pushes: two walk-ins, then a walk-in with a scan of year 9999 (rejected), and one
    // push replayed whole (its acknowledgement lost, say).
    let first = phone.walk_in(&event, "Lan")?;
    assert_eq!(phone.push(&first).await?.0, StatusCode::OK);
    let second = phone.walk_in(&event, "Minh")?;
    assert_eq!(phone.push(&second).await?.0, StatusCode::OK);
    let mut third = phone.walk_in(&event, "Hoa")?;
    let (registration, person) = registration_and_person(&third[1])?;
    third.push(phone.scan(event.parse()?, registration, person, 253_402_300_000_000));
    let (status, ack) = phone.push(&third).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(rejections(&ack), vec![(10, "scanned_at_ms".into())]);
    assert_eq!(phone.push(&first).await?.0, StatusCode::OK);
    // A gap is refused: no push counted.
    let gap = phone.walk_in(&event, "Nam")?;
    assert_eq!(phone.push(&gap[1..]).await?.0, StatusCode::CONFLICT);

    // One pull page; its bytes as sent (this client asks for no content coding).
    let pulled = reqwest::Client::new()
        .get(format!("{}/api/v1/sync/pull", server.url))
        .bearer_auth(&phone.token)
        .send()
        .await?;
    assert_eq!(pulled.status(), StatusCode::OK);
    let page_bytes = pulled.bytes().await?.len();

    // A device registered long ago that never synced, and the phone last seen two days ago.
    let (old, _) = admin.device("trainer", None).await?;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&server.database.url).await?;
    sqlx::query("UPDATE devices SET created_at = '2020-01-01T00:00:00Z' WHERE id = $1")
        .bind(&old)
        .execute(&db)
        .await?;
    let two_days_ago =
        sachhon_shared::timestamp::unix_ms(time::OffsetDateTime::now_utc()) - 2 * 24 * 3600 * 1000;
    sqlx::query("UPDATE actors SET last_seen_ms = $1 WHERE id = $2")
        .bind(two_days_ago)
        .bind(phone.actor.to_string())
        .execute(&db)
        .await?;
    db.close().await;

    let scrape = admin.get("/metrics").await?;
    assert_eq!(scrape.status, StatusCode::OK);
    assert_eq!(
        scrape.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let samples = parse(std::str::from_utf8(&scrape.bytes)?)?;
    assert_eq!(value(&samples, "sachhon_sync_pushes_total"), 4.0);
    assert_eq!(value(&samples, "sachhon_sync_ops_applied_total"), 9.0);
    assert_eq!(value(&samples, "sachhon_sync_ops_replayed_total"), 3.0);
    assert_eq!(
        value(
            &samples,
            "sachhon_sync_ops_rejected_total{field=\"scanned_at_ms\"}"
        ),
        1.0
    );
    assert_eq!(value(&samples, "sachhon_sync_pulls_total"), 1.0);
    assert_eq!(
        value(&samples, "sachhon_sync_pull_bytes_total"),
        page_bytes as f64
    );
    let pushes = "sachhon_http_request_duration_seconds_count\
                  {method=\"POST\",route=\"/api/v1/sync/push\",status=\"200\"}";
    assert_eq!(value(&samples, pushes), 4.0);
    let refused = "sachhon_http_request_duration_seconds_count\
                   {method=\"POST\",route=\"/api/v1/sync/push\",status=\"409\"}";
    assert_eq!(value(&samples, refused), 1.0);
    let every = "sachhon_http_request_duration_seconds_bucket\
                 {method=\"POST\",route=\"/api/v1/sync/push\",status=\"200\",le=\"+Inf\"}";
    assert_eq!(value(&samples, every), 4.0);
    let pull = "sachhon_http_request_duration_seconds_count\
                {method=\"GET\",route=\"/api/v1/sync/pull\",status=\"200\"}";
    assert_eq!(value(&samples, pull), 1.0);
    assert_eq!(
        value(&samples, "sachhon_devices_not_seen{days=\"1\"}"),
        2.0,
        "the phone seen two days ago and the device that never synced"
    );
    assert_eq!(value(&samples, "sachhon_devices_not_seen{days=\"7\"}"), 1.0);
    assert!(value(&samples, "sachhon_database_size_bytes") > 0.0);

    // For the administrator only.
    let anonymous = reqwest::get(format!("{}/metrics", server.url)).await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let device = reqwest::Client::new()
        .get(format!("{}/metrics", server.url))
        .bearer_auth(&phone.token)
        .send()
        .await?;
    assert_eq!(device.status(), StatusCode::FORBIDDEN);
    // The scrapes are timed too, by route.
    let again = parse(std::str::from_utf8(
        &admin
            .raw(Method::GET, "/metrics", None, vec![])
            .await?
            .bytes,
    )?)?;
    let scrapes = "sachhon_http_request_duration_seconds_count\
                   {method=\"GET\",route=\"/metrics\",status=\"200\"}";
    assert_eq!(value(&again, scrapes), 1.0);
    Ok(())
}
