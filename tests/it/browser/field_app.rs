//! The field app in Chromium, on both backends: a trainer's phone enrols, keeps working with no
//! network after its first load (the service worker and IndexedDB), checks tickets offline
//! through the fake camera and the typed fallback, registers a walk-in, and syncs when the
//! network returns; two enterprise phones answer one response offline and the office sees the
//! merge and the conflict, whose resolution reaches both. Screenshots at 390 px go to
//! `target/browser/`.

use super::webdriver::{Driver, Session};
use super::{screenshot_dir, with_browsers};
use crate::on_both_backends;
use anyhow::{bail, Context};
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

on_both_backends!(
    a_trainer_checks_in_offline_and_syncs,
    two_enterprise_phones_answer_one_response
);

/// Evaluates a JavaScript expression in the page.
async fn eval(session: &Session, expression: &str) -> anyhow::Result<Value> {
    session.execute(&format!("return ({expression});")).await
}

/// Waits (up to 40 s: seven browsers may share two cores in CI) until the expression is truthy.
async fn wait_for(session: &Session, expression: &str) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        let value = eval(session, expression).await.unwrap_or(Value::Null);
        if !matches!(value, Value::Null | Value::Bool(false)) && value != json!("") {
            return Ok(value);
        }
        if started.elapsed() > Duration::from_secs(40) {
            let message = eval(session, "document.querySelector('#message')?.textContent")
                .await
                .unwrap_or(Value::Null);
            bail!("timed out waiting for {expression} (the app says {message})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sets a control's value as typing or choosing would, then fires its events.
async fn set(session: &Session, css: &str, value: &str) -> anyhow::Result<()> {
    let script = format!(
        "const e = document.querySelector({css}); e.value = {value}; \
         e.dispatchEvent(new Event('input', {{bubbles: true}})); \
         e.dispatchEvent(new Event('change', {{bubbles: true}}));",
        css = json!(css),
        value = json!(value),
    );
    session.execute(&script).await.map(drop)
}

async fn click(session: &Session, css: &str) -> anyhow::Result<()> {
    let script = format!("document.querySelector({}).click();", json!(css));
    session.execute(&script).await.map(drop)
}

/// Opens the app and waits until it has started.
pub(super) async fn open(session: &Session, base: &str) -> anyhow::Result<()> {
    session.goto(&format!("{base}/app/")).await?;
    wait_for(session, "document.body.dataset.ready === 'true'").await?;
    Ok(())
}

/// Enrols the app with a device token and waits for the first sync.
pub(super) async fn enrol(session: &Session, base: &str, token: &str) -> anyhow::Result<()> {
    open(session, base).await?;
    set(session, "#enroll-token", token).await?;
    click(session, "#enroll").await?;
    wait_for(
        session,
        "document.querySelector('#last-sync').textContent.includes(':')",
    )
    .await?;
    Ok(())
}

/// Syncs and waits until the outbox is empty and the sync is done (the app marks the body with
/// the time of its last successful sync).
async fn sync(session: &Session) -> anyhow::Result<()> {
    let before = eval(session, "document.body.dataset.synced ?? ''").await?;
    click(session, "#sync").await?;
    wait_for(
        session,
        &format!(
            "document.querySelector('#outbox').dataset.count === '0' && \
             (document.body.dataset.synced ?? '') !== {before}"
        ),
    )
    .await?;
    Ok(())
}

async fn outbox(session: &Session) -> anyhow::Result<u64> {
    let count = eval(session, "document.querySelector('#outbox').dataset.count").await?;
    count
        .as_str()
        .and_then(|c| c.parse().ok())
        .context("no outbox count")
}

async fn screenshot(session: &Session, name: &str) -> anyhow::Result<()> {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.png")), session.screenshot().await?)?;
    Ok(())
}

/// Waits until the service worker controls the page, so that it can load with no network.
pub(super) async fn controlled(session: &Session) -> anyhow::Result<()> {
    wait_for(session, "navigator.serviceWorker.controller !== null").await?;
    Ok(())
}

/// Checks a ticket as typed and returns the verdict shown.
async fn check(session: &Session, ticket: &str) -> anyhow::Result<String> {
    eval(
        session,
        "document.querySelector('#verdict').dataset.status = ''",
    )
    .await?;
    set(session, "#ticket", ticket).await?;
    click(session, "#check").await?;
    let status = wait_for(session, "document.querySelector('#verdict').dataset.status").await?;
    Ok(status.as_str().unwrap_or_default().to_string())
}

/// A person registered for an event: its ticket text and registration id.
async fn registered(
    server: &TestServer,
    event: &str,
    name: &str,
) -> anyhow::Result<(String, String)> {
    let admin = server.admin();
    let person = admin
        .post("/api/v1/people", &json!({"name": name, "cp_staff": false}))
        .await?;
    let person = person.json["id"].as_str().context("person id")?.to_string();
    let answer = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": person}),
        )
        .await?;
    Ok((
        answer.json["qr"].as_str().context("ticket")?.to_string(),
        answer.json["id"]
            .as_str()
            .context("registration id")?
            .to_string(),
    ))
}

/// A Y4M video (Chromium's fake camera) showing the QR image `png` on white, a few frames.
fn qr_video(png: &[u8], path: &Path) -> anyhow::Result<()> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info()?;
    let mut pixels = vec![0; reader.output_buffer_size().context("a PNG size")?];
    let frame = reader.next_frame(&mut pixels)?;
    let channels = frame.color_type.samples();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (width, height) = (640usize, 480usize);
    let scale = (400 / w.max(h)).max(1);
    let (left, top) = ((width - w * scale) / 2, (height - h * scale) / 2);
    let mut luma = vec![255u8; width * height];
    for y in 0..h * scale {
        for x in 0..w * scale {
            luma[(top + y) * width + left + x] = pixels[((y / scale) * w + x / scale) * channels];
        }
    }
    let mut video = format!("YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..5 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend(std::iter::repeat_n(128u8, width * height / 2));
    }
    std::fs::write(path, video)?;
    Ok(())
}

async fn a_trainer_checks_in_offline_and_syncs(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo SXSH Bến Lức", "awareness").await?;
    let other = admin.event("Tập huấn Cần Giuộc", "training").await?;
    let (ticket, _) = registered(&server, &event, "Nguyễn Thị Lan").await?;
    let (camera_ticket, camera_registration) = registered(&server, &event, "Trần Văn Bình").await?;
    let (other_ticket, _) = registered(&server, &other, "Lê Thị Chi").await?;
    let png = admin
        .get(&format!(
            "/api/v1/registrations/{camera_registration}/qr.png"
        ))
        .await?;
    let profile = tempfile::tempdir()?;
    let video = profile.path().join("qr.y4m");
    qr_video(&png.bytes, &video)?;
    let (_, token) = admin.device("trainer", None).await?;

    let driver = Driver::start().await?;
    let camera = [
        "--use-fake-ui-for-media-stream".to_string(),
        "--use-fake-device-for-media-stream".into(),
        format!("--use-file-for-fake-video-capture={}", video.display()),
    ];
    let browser = driver
        .session_with(&profile.path().join("chromium"), &camera)
        .await?;
    let base = server.url.clone();
    let tickets = (ticket.clone(), camera_ticket, other_ticket, event.clone());
    with_browsers(vec![browser], move |browsers| async move {
        let b = &browsers[0];
        let (ticket, camera_ticket, other_ticket, event) = tickets;
        b.resize(390, 844).await?;
        enrol(b, &base, &token).await?;
        screenshot(b, "field-trainer-enrolled").await?;
        controlled(b).await?;

        // No network from here: the app still loads, from the service worker and IndexedDB.
        b.set_offline(true).await?;
        open(b, &base).await?;
        wait_for(
            b,
            &format!(
                "[...document.querySelectorAll('#event option')].some(o => o.value === {})",
                json!(event)
            ),
        )
        .await?;
        set(b, "#event", &event).await?;

        assert_eq!(check(b, &ticket).await?, "ok");
        screenshot(b, "field-trainer-ok").await?;
        assert_eq!(check(b, &ticket).await?, "duplicate");
        let mut forged: Vec<char> = ticket.chars().collect();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == 'A' { 'B' } else { 'A' };
        assert_eq!(
            check(b, &forged.into_iter().collect::<String>()).await?,
            "invalid"
        );
        assert_eq!(check(b, &other_ticket).await?, "wrong_event");
        screenshot(b, "field-trainer-wrong-event").await?;

        // The fake camera shows the second person's badge.
        eval(b, "document.querySelector('#verdict').dataset.status = ''").await?;
        click(b, "#scan").await?;
        let status = wait_for(b, "document.querySelector('#verdict').dataset.status").await?;
        assert_eq!(status, json!("ok"), "the camera's ticket {camera_ticket}");
        screenshot(b, "field-trainer-camera").await?;
        click(b, "#scan").await?;

        set(b, "#walkin-name", "Phạm Văn Dũng").await?;
        eval(b, "document.querySelector('#verdict').dataset.status = ''").await?;
        click(b, "#walkin").await?;
        wait_for(
            b,
            "document.querySelector('#verdict').dataset.status === 'ok'",
        )
        .await?;
        let attendees = eval(b, "document.querySelector('#attendees').textContent").await?;
        assert!(
            attendees.as_str().unwrap_or_default().starts_with('3'),
            "{attendees}"
        );
        // Two scans of the first ticket, the camera's, and the walk-in's three ops.
        assert_eq!(outbox(b).await?, 6);

        b.set_offline(false).await?;
        sync(b).await?;
        screenshot(b, "field-trainer-synced").await?;
        Ok(())
    })
    .await?;

    let attendance = admin.attendance(&event).await?;
    assert_eq!(attendance["count"], json!(3), "{attendance}");
    let scans: Vec<u64> = attendance["attendees"]
        .as_array()
        .context("attendees")?
        .iter()
        .filter_map(|a| a["scans"].as_u64())
        .collect();
    assert_eq!(scans.iter().sum::<u64>(), 4, "{attendance}");
    Ok(())
}

async fn two_enterprise_phones_answer_one_response(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let facility = admin
        .facility("Công ty Thủy sản Long An", "0301", "Bến Lức")
        .await?;
    crate::questionnaires::publish(&admin).await?;
    let (_, first_token) = admin.device("enterprise", Some(&facility)).await?;
    let (_, second_token) = admin.device("enterprise", Some(&facility)).await?;
    let driver = Driver::start().await?;
    let profiles = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sessions = vec![
        driver.session(profiles.0.path()).await?,
        driver.session(profiles.1.path()).await?,
    ];
    let base = server.url.clone();
    with_browsers(sessions, move |phones| async move {
        let (first, second) = (&phones[0], &phones[1]);

        // Phone 1 starts the response and sends it; phone 2 receives it.
        enrol(first, &base, &first_token).await?;
        enrol(second, &base, &second_token).await?;
        first.resize(390, 844).await?;
        wait_for(first, "document.querySelector('#questionnaire').value").await?;
        set(first, "[name=knows_cp]", "yes").await?;
        click(first, "#save").await?;
        let response = wait_for(first, "document.querySelector('#response').value").await?;
        let response = response.as_str().context("response id")?.to_string();
        screenshot(first, "field-enterprise-started").await?;
        sync(first).await?;
        sync(second).await?;
        set(second, "#response", &response).await?;
        wait_for(
            second,
            "document.querySelector('[name=knows_cp]').value === 'yes'",
        )
        .await?;

        // Offline, each answers one field, and both the notes.
        for phone in [first, second] {
            phone.set_offline(true).await?;
        }
        set(first, "[name=savings_pct]", "8,5").await?;
        set(first, "[name=notes]", "Đã thay đèn LED").await?;
        click(first, "#save").await?;
        wait_for(
            first,
            "document.querySelector('#outbox').dataset.count === '1'",
        )
        .await?;
        second
            .execute("for (const o of document.querySelector('[name=topics]').options) o.selected = o.value === 'energy';")
            .await?;
        set(second, "[name=notes]", "Tiết kiệm nước").await?;
        click(second, "#save").await?;
        wait_for(
            second,
            "document.querySelector('#outbox').dataset.count === '1'",
        )
        .await?;
        for phone in [first, second] {
            phone.set_offline(false).await?;
        }
        sync(first).await?;
        sync(second).await?;
        sync(first).await?;

        let merged = admin
            .get(&format!("/api/v1/responses/{response}"))
            .await?
            .json;
        assert_eq!(merged["answers"]["knows_cp"], json!(["yes"]), "{merged}");
        assert_eq!(merged["answers"]["savings_pct"], json!([8.5]), "{merged}");
        assert_eq!(merged["answers"]["topics"], json!([["energy"]]), "{merged}");
        assert_eq!(merged["conflicts"], json!(["notes"]), "{merged}");
        wait_for(first, "document.querySelector('.conflict')").await?;
        screenshot(first, "field-enterprise-conflict").await?;

        // The office resolves the conflict; both phones receive the resolution.
        let resolved = admin
            .raw(
                reqwest::Method::PUT,
                &format!("/api/v1/responses/{response}/answers/notes"),
                Some("application/json"),
                json!({"value": "Đèn LED và tiết kiệm nước"})
                    .to_string()
                    .into_bytes(),
            )
            .await?;
        assert!(resolved.status.is_success(), "{}", resolved.json);
        for phone in [first, second] {
            sync(phone).await?;
            wait_for(
                phone,
                "document.querySelector('[name=notes]').value === 'Đèn LED và tiết kiệm nước' \
                 && !document.querySelector('.conflict')",
            )
            .await?;
        }
        screenshot(second, "field-enterprise-resolved").await?;
        Ok(())
    })
    .await
}
