//! HTTP content coding of the sync endpoints, through the real server: pulls answered in zstd
//! or gzip as the client asks, pushes read in either (from a real phone and by hand), a zip
//! bomb refused by its decoded size without being inflated, unknown or corrupt codings refused
//! with problem+json — each refusal changing nothing.

use crate::on_both_backends;
use crate::sync::phone;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use reqwest::{Response, StatusCode};
use sachhon_shared::wire::CBOR_MEDIA_TYPE;
use sachhon_tests::raw::{push_body, RawDevice};
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};
use std::io::{Read, Write};

on_both_backends!(
    pulls_are_answered_in_zstd_or_gzip_as_asked,
    pushes_in_zstd_or_gzip_are_applied,
    a_zip_bomb_is_refused_by_its_decoded_size,
    unknown_or_corrupt_codings_are_refused,
);

/// An HTTP client that neither asks for compressed answers nor decodes them, so that the test
/// sees the bytes on the wire.
fn raw_http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_gzip().no_zstd().build()?)
}

/// A raw trainer device enrolled on the server at `url`.
async fn trainer(url: &str, admin: &AdminClient) -> anyhow::Result<RawDevice> {
    let (_, token) = admin.device("trainer", None).await?;
    RawDevice::enroll(url, &token).await
}

fn header(response: &Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn gunzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut decoded)?;
    Ok(decoded)
}

/// A push answer: status, content type, JSON body.
struct Answer {
    status: StatusCode,
    content_type: String,
    accept_encoding: String,
    json: Value,
}

/// Sends `body` to the push endpoint as `device`, in content coding `coding` (none when
/// `None`).
async fn push_coded(
    url: &str,
    device: &RawDevice,
    body: Vec<u8>,
    coding: Option<&str>,
) -> anyhow::Result<Answer> {
    let mut request = raw_http()?
        .post(format!("{url}/api/v1/sync/push"))
        .bearer_auth(&device.token)
        .header(CONTENT_TYPE, CBOR_MEDIA_TYPE)
        .body(body);
    if let Some(coding) = coding {
        request = request.header(CONTENT_ENCODING, coding);
    }
    let response = request.send().await?;
    Ok(Answer {
        status: response.status(),
        content_type: header(&response, CONTENT_TYPE),
        accept_encoding: header(&response, ACCEPT_ENCODING),
        json: serde_json::from_slice(&response.bytes().await?).unwrap_or(Value::Null),
    })
}

/// Sends `body` to the push endpoint as `device`, compressed in zstd as a phone sends it.
async fn push_zstd(url: &str, device: &RawDevice, body: &[u8]) -> anyhow::Result<Answer> {
    push_coded(url, device, zstd::encode_all(body, 3)?, Some("zstd")).await
}

/// The acknowledgement of a push that must have been applied whole: its `acked_through`.
fn acked(answer: &Answer) -> u64 {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let rejected = &answer.json["rejected"];
    assert!(
        rejected.is_null() || rejected == &json!([]),
        "{}",
        answer.json
    );
    answer.json["acked_through"].as_u64().unwrap_or(0)
}

/// Asserts a problem+json refusal of `status`.
fn assert_problem(answer: &Answer, status: StatusCode, why: &str) {
    assert_eq!(answer.status, status, "{why}: {}", answer.json);
    assert_eq!(answer.content_type, "application/problem+json", "{why}");
    assert_eq!(answer.json["status"], json!(status.as_u16()), "{why}");
}

async fn pulls_are_answered_in_zstd_or_gzip_as_asked(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin
        .event("Hội thảo sản xuất sạch hơn", "awareness")
        .await?;
    let mut writer = trainer(&server.url, &admin).await?;
    let mut ops = Vec::new();
    for i in 0..100 {
        ops.extend(writer.walk_in(&event, &format!("Nguyễn Văn {i}"))?);
    }
    let (status, ack) = writer.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let reader = trainer(&server.url, &admin).await?;

    let http = raw_http()?;
    let pull = |accept: Option<&'static str>, after: &str| {
        let mut request = http
            .get(format!("{}/api/v1/sync/pull", server.url))
            .query(&[("limit", "1000"), ("after", after)])
            .bearer_auth(&reader.token);
        if let Some(accept) = accept {
            request = request.header(ACCEPT_ENCODING, accept);
        }
        request.send()
    };

    let plain = pull(None, "").await?;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header(&plain, CONTENT_ENCODING), "");
    let plain = plain.bytes().await?.to_vec();
    let page = sachhon_shared::wire::decode_page(&plain)?;
    assert_eq!(page.ops.len(), 1 + 300, "the event and the walk-ins");

    let zstd = pull(Some("zstd"), "").await?;
    assert_eq!(zstd.status(), StatusCode::OK);
    assert_eq!(header(&zstd, CONTENT_ENCODING), "zstd");
    assert_eq!(header(&zstd, CONTENT_TYPE), CBOR_MEDIA_TYPE);
    assert!(header(&zstd, VARY)
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    let zstd = zstd.bytes().await?.to_vec();
    assert!(
        zstd.len() < plain.len() / 2,
        "{} of {}",
        zstd.len(),
        plain.len()
    );
    assert_eq!(zstd::decode_all(zstd.as_slice())?, plain);

    let gzip = pull(Some("gzip"), "").await?;
    assert_eq!(header(&gzip, CONTENT_ENCODING), "gzip");
    let gzip = gzip.bytes().await?.to_vec();
    assert!(
        gzip.len() < plain.len() / 2,
        "{} of {}",
        gzip.len(),
        plain.len()
    );
    assert_eq!(gunzip(&gzip)?, plain);

    // zstd is preferred when both are welcome, whatever their order; a q-value decides.
    for accept in [
        "gzip, zstd",
        "zstd, gzip, br",
        "gzip;q=1.0, zstd;q=1.0, *;q=0.1",
    ] {
        assert_eq!(
            header(&pull(Some(accept), "").await?, CONTENT_ENCODING),
            "zstd",
            "{accept}"
        );
    }
    let gzip_first = pull(Some("gzip;q=1, zstd;q=0.5"), "").await?;
    assert_eq!(header(&gzip_first, CONTENT_ENCODING), "gzip");
    assert_eq!(gunzip(&gzip_first.bytes().await?)?, plain);
    let identity = pull(Some("identity, br"), "").await?;
    assert_eq!(header(&identity, CONTENT_ENCODING), "");
    assert_eq!(identity.bytes().await?.to_vec(), plain);

    // An empty page is a few bytes: it goes as it is.
    let empty = pull(Some("zstd, gzip"), &page.next).await?;
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(header(&empty, CONTENT_ENCODING), "");
    let empty = empty.bytes().await?;
    assert!(empty.len() < 1024, "{} bytes", empty.len());

    // A real phone asks for compressed pages and reads them: it converges with the server.
    let phone = phone(&server, "trainer", None).await?;
    assert_eq!(phone.device.sync().await?.pulled, 301);
    assert_eq!(phone.device.state_hash().await?, admin.state_hash().await?);
    Ok(())
}

async fn pushes_in_zstd_or_gzip_are_applied(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut raw = trainer(&server.url, &admin).await?;

    let lan = push_body(&raw.walk_in(&event, "Lan")?);
    let answer = push_coded(&server.url, &raw, gzip(&lan)?, Some("gzip")).await?;
    assert_eq!(acked(&answer), 3);
    let body = push_body(&raw.walk_in(&event, "Minh")?);
    let answer = push_zstd(&server.url, &raw, &body).await?;
    assert_eq!(acked(&answer), 6);
    // Content-coding names are case-insensitive; `identity` is no coding at all.
    let body = push_body(&raw.walk_in(&event, "Hoa")?);
    let answer = push_coded(
        &server.url,
        &raw,
        zstd::encode_all(&body[..], 3)?,
        Some("ZSTD"),
    )
    .await?;
    assert_eq!(acked(&answer), 9);
    let body = push_body(&raw.walk_in(&event, "Tuấn")?);
    let answer = push_coded(&server.url, &raw, body, Some("identity")).await?;
    assert_eq!(acked(&answer), 12);
    assert_eq!(admin.attendance(&event).await?["count"], json!(4));

    // A replay in another coding changes nothing.
    let before = admin.state_hash().await?;
    let answer = push_zstd(&server.url, &raw, &lan).await?;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["applied"], json!(0), "{}", answer.json);
    assert_eq!(admin.state_hash().await?, before);

    // A real phone pushes in zstd (checked in sachhon-sync): its batches land too.
    let phone = phone(&server, "trainer", None).await?;
    for i in 0..50 {
        phone
            .device
            .walk_in(event.parse()?, &format!("Người {i}"), None, false)
            .await?;
    }
    assert_eq!(phone.device.sync().await?.pushed, 150);
    assert_eq!(admin.attendance(&event).await?["count"], json!(54));
    assert_eq!(phone.device.state_hash().await?, admin.state_hash().await?);
    Ok(())
}

/// The peak resident memory of this process (`VmHWM`), in bytes.
fn peak_memory() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/self/status"))?;
    Ok(kib * 1024)
}

const MIB: usize = 1024 * 1024;

async fn a_zip_bomb_is_refused_by_its_decoded_size(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut raw = trainer(&server.url, &admin).await?;
    let body = push_body(&raw.walk_in(&event, "Lan")?);
    let answer = push_zstd(&server.url, &raw, &body).await?;
    assert_eq!(acked(&answer), 3);
    let before = admin.state_hash().await?;

    // 1 GiB of zeros, 32 times the push limit, in about 33 KiB: 64 zstd frames of 16 MiB each
    // (a body may hold several frames).
    let frame = zstd::bulk::compress(&vec![0u8; 16 * MIB], 3)?;
    let bomb = frame.repeat(64);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    // The server runs in this process: its peak memory grows by a limit's worth or two (the
    // body read, then copied whole), nowhere near the gibibyte. Other tests running meanwhile
    // use far less than the margin.
    let peak_before = peak_memory()?;
    let answer = push_coded(&server.url, &raw, bomb, Some("zstd")).await?;
    let growth = peak_memory()?.saturating_sub(peak_before);
    assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, "zip bomb");
    assert!(
        growth < 512 * MIB as u64,
        "peak memory grew by {} MiB",
        growth / MIB as u64
    );
    assert_eq!(admin.state_hash().await?, before);

    // Just over the limit once decoded, a small body all the same.
    let over = zstd::bulk::compress(&vec![0u8; sachhon_server::service::PUSH_BODY_LIMIT + 1], 3)?;
    let answer = push_coded(&server.url, &raw, over, Some("zstd")).await?;
    assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, "one byte over");
    assert_eq!(admin.state_hash().await?, before);

    // The phone goes on.
    let body = push_body(&raw.walk_in(&event, "Minh")?);
    let answer = push_zstd(&server.url, &raw, &body).await?;
    assert_eq!(acked(&answer), 6);
    assert_eq!(admin.attendance(&event).await?["count"], json!(2));
    Ok(())
}

async fn unknown_or_corrupt_codings_are_refused(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut raw = trainer(&server.url, &admin).await?;
    let before = admin.state_hash().await?;
    let body = push_body(&raw.walk_in(&event, "Lan")?);

    // Codings the server does not read, and two codings one over the other.
    for coding in ["br", "compress", "deflate", "x-unknown", "gzip, zstd"] {
        let answer = push_coded(&server.url, &raw, body.clone(), Some(coding)).await?;
        assert_problem(&answer, StatusCode::UNSUPPORTED_MEDIA_TYPE, coding);
        assert_eq!(answer.accept_encoding, "zstd, gzip", "{coding}");
    }

    // Bodies that do not decode.
    let compressed = zstd::encode_all(&body[..], 3)?;
    let cut = compressed[..compressed.len() / 2].to_vec();
    let mut garbage = b"not zstd at all, just some bytes".to_vec();
    garbage.extend_from_slice(&body);
    for (why, coded, coding) in [
        ("garbage as zstd", garbage.clone(), "zstd"),
        ("a cut zstd frame", cut, "zstd"),
        ("garbage as gzip", garbage, "gzip"),
        ("plain CBOR as zstd", body.clone(), "zstd"),
        ("zstd as gzip", compressed, "gzip"),
    ] {
        let answer = push_coded(&server.url, &raw, coded, Some(coding)).await?;
        assert_problem(&answer, StatusCode::BAD_REQUEST, why);
    }
    assert_eq!(admin.state_hash().await?, before);

    // The same batch, sent properly, lands.
    let answer = push_zstd(&server.url, &raw, &body).await?;
    assert_eq!(acked(&answer), 3);
    assert_eq!(admin.attendance(&event).await?["count"], json!(1));
    Ok(())
}
