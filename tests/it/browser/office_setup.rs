//! An office user with no token sets up a programme in Chromium, in the pages alone: imports
//! facilities (a preview, a refused line with the district it meant suggested), creates an
//! event, registers a person and prints the badges, creates a trainer and an enterprise device
//! and enrols a `sachhon-device` with each QR page's token, uploads the example XLSForm and
//! publishes it. The phones then scan the badge and answer the questionnaire, and the office
//! sees the attendance and the response in the pages.

use super::webdriver::{Driver, Session};
use super::{log_in, screenshot_dir, with_browsers};
use crate::web::{user_add, PASSWORD};
use anyhow::Context;
use sachhon_tests::process::device_cli;
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const FACILITIES: &str = "name,tax_code,district,sector,cp_potential\n\
    Công ty TNHH Lúa Vàng,0301234567,Bến Lức,thực phẩm,có\n\
    Công ty Dệt Sai Huyện,0307654321,Ben Luc,dệt may,có\n\
    Công ty Cơ khí Đức Hòa,0305555555,Đức Hòa,cơ khí,không\n";

/// Everything the browser part hands to the phones.
struct SetUp {
    event: String,
    ticket: String,
    facility: String,
    questionnaire: String,
    trainer_token: String,
    enterprise_token: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_user_sets_up_a_programme_in_chromium() -> anyhow::Result<()> {
    let driver = Driver::start().await?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let (code, json, stderr) = user_add(&server.database.url, "hoa", "office", PASSWORD).await?;
    anyhow::ensure!(code == 0, "user add exited {code}: {json} {stderr}");
    let files = tempfile::tempdir()?;
    let csv = files.path().join("co-so.csv");
    std::fs::write(&csv, FACILITIES)?;
    let xlsform =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/cp-awareness.xlsx");

    let profile = tempfile::tempdir()?;
    let browser = driver.session(profile.path()).await?;
    let url = server.url.clone();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    with_browsers(vec![browser.clone()], move |b| async move {
        let set_up = set_up(&b[0], &url, &csv, &xlsform.canonicalize()?).await?;
        sender.send(set_up).ok().context("the test went away")
    })
    .await?;
    let set_up = receiver.await?;

    let phones = tempfile::tempdir()?;
    let (trainer, enterprise) = (
        phones.path().join("trainer"),
        phones.path().join("enterprise"),
    );
    run(
        &trainer,
        &[
            "enroll",
            "--server",
            &server.url,
            "--token",
            &set_up.trainer_token,
        ],
    )
    .await?;
    run(&trainer, &["sync"]).await?;
    let scanned = run(
        &trainer,
        &["scan", "--event", &set_up.event, "--qr", &set_up.ticket],
    )
    .await?;
    assert_eq!(scanned["status"], "ok", "{scanned}");
    run(&trainer, &["sync"]).await?;
    run(
        &enterprise,
        &[
            "enroll",
            "--server",
            &server.url,
            "--token",
            &set_up.enterprise_token,
        ],
    )
    .await?;
    run(&enterprise, &["sync"]).await?;
    let answered = run(
        &enterprise,
        &[
            "answer",
            "--questionnaire",
            &set_up.questionnaire,
            "--facility",
            &set_up.facility,
            "--set",
            "knows_cp=yes",
            "--set",
            "topics=energy,water",
        ],
    )
    .await?;
    run(&enterprise, &["sync"]).await?;
    let response = answered["response_id"]
        .as_str()
        .context("a response")?
        .to_string();

    let profile = tempfile::tempdir()?;
    let browser = driver.session(profile.path()).await?;
    let (url, event) = (server.url.clone(), set_up.event.clone());
    with_browsers(vec![browser], move |b| async move {
        results(&b[0], &url, &event, &response).await
    })
    .await
}

/// Runs `sachhon-device` and insists that it succeeded.
async fn run(home: &Path, args: &[&str]) -> anyhow::Result<Value> {
    let (code, json) = device_cli(home, args).await?;
    anyhow::ensure!(code == 0, "sachhon-device {args:?} exited {code}: {json}");
    Ok(json)
}

/// Sets a form control's value as a person choosing it would (selects and date pickers).
async fn choose(browser: &Session, css: &str, value: &str) -> anyhow::Result<()> {
    browser
        .execute(&format!(
            "const e = document.querySelector({css}); e.value = {value}; \
             e.dispatchEvent(new Event('change', {{bubbles: true}}));",
            css = json!(css),
            value = json!(value)
        ))
        .await
        .map(drop)
}

/// Submits the form that `css` finds a button of, and waits for the next page.
async fn submit(browser: &Session, css: &str) -> anyhow::Result<()> {
    browser.click(&browser.find(css).await?).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

async fn text_of(browser: &Session, css: &str) -> anyhow::Result<String> {
    browser.text(&browser.find(css).await?).await
}

async fn set_up(
    browser: &Session,
    base: &str,
    csv: &Path,
    xlsform: &Path,
) -> anyhow::Result<SetUp> {
    browser.goto(&format!("{base}/login")).await?;
    log_in(browser, base, "hoa").await?;
    browser.goto(&format!("{base}/facilities/import")).await?;
    browser
        .type_into(
            &browser.find("input[type=file]").await?,
            &csv.display().to_string(),
        )
        .await?;
    submit(browser, "form.import button").await?;
    let summary = text_of(browser, "p.summary").await?;
    assert_eq!(
        summary,
        "2 cơ sở mới · 0 cơ sở cập nhật · 1 dòng bị từ chối"
    );
    let refused = text_of(browser, "ul.refused-lines").await?;
    assert!(
        refused.contains("Dòng 3") && refused.contains("có phải là \"Bến Lức\"?"),
        "{refused}"
    );
    submit(browser, "form.confirm button").await?;
    assert_eq!(text_of(browser, "p.done").await?, "Đã nhập.");

    browser
        .goto(&format!("{base}/facilities?q=lua+vang"))
        .await?;
    let facility = browser
        .execute("return document.querySelector('tr[data-facility]').dataset.facility")
        .await?
        .as_str()
        .context("the facility's row")?
        .to_string();

    browser.goto(&format!("{base}/events/new")).await?;
    browser
        .type_into(
            &browser.find("input[name=title]").await?,
            "Hội thảo SXSH Bến Lức",
        )
        .await?;
    choose(browser, "#kind", "training").await?;
    choose(browser, "#starts_at", "2026-12-01T08:00").await?;
    choose(browser, "#district", "Bến Lức").await?;
    submit(browser, "form.event-form button").await?;
    let url = browser.url().await?;
    let event = url
        .strip_prefix(&format!("{base}/events/"))
        .and_then(|rest| rest.strip_suffix("/people"))
        .with_context(|| format!("the event's people page, not {url}"))?
        .to_string();

    browser
        .type_into(
            &browser.find("form.new-person input[name=name]").await?,
            "Nguyễn Thị Lan",
        )
        .await?;
    browser
        .type_into(
            &browser.find("input[name=facility_tax_code]").await?,
            "0301234567",
        )
        .await?;
    browser
        .click(&browser.find("input[name=cp_staff]").await?)
        .await?;
    submit(browser, "form.new-person button").await?;
    assert!(text_of(browser, "ul.registered")
        .await?
        .contains("Nguyễn Thị Lan · Công ty TNHH Lúa Vàng"));
    browser
        .goto(&format!("{base}/api/v1/events/{event}/badges"))
        .await?;
    let badges = browser
        .execute("return document.querySelectorAll('section.badge svg').length")
        .await?;
    assert_eq!(badges, json!(1), "one badge with its QR code");
    // What the trainer's camera reads from the printed QR code.
    let ticket = browser
        .execute("return document.querySelector('section.badge').dataset.ticket")
        .await?
        .as_str()
        .context("the badge's ticket")?
        .to_string();
    std::fs::create_dir_all(screenshot_dir())?;
    std::fs::write(
        screenshot_dir().join("badges.png"),
        browser.screenshot().await?,
    )?;

    let device = |name: &'static str, role: &'static str, tax_code: &'static str| async move {
        browser.goto(&format!("{base}/devices")).await?;
        browser
            .click(&browser.find("details.new-device summary").await?)
            .await?;
        browser
            .type_into(
                &browser.find("details.new-device input[name=name]").await?,
                name,
            )
            .await?;
        choose(browser, "details.new-device select[name=role]", role).await?;
        browser
            .type_into(
                &browser
                    .find("details.new-device input[name=facility_tax_code]")
                    .await?,
                tax_code,
            )
            .await?;
        submit(browser, "details.new-device button").await?;
        let svg = browser
            .execute("return document.querySelectorAll('div.qr svg').length")
            .await?;
        anyhow::ensure!(svg == json!(1), "the QR page of {name}");
        text_of(browser, "code.token").await
    };
    let trainer_token = device("Điện thoại tập huấn", "trainer", "").await?;
    let enterprise_token = device("Điện thoại Lúa Vàng", "enterprise", "0301234567").await?;

    browser.goto(&format!("{base}/questionnaires")).await?;
    browser
        .type_into(
            &browser.find("input[type=file]").await?,
            &xlsform.display().to_string(),
        )
        .await?;
    submit(browser, "form.upload button").await?;
    let questionnaire = browser
        .execute("return document.querySelector('p.published').dataset.id")
        .await?
        .as_str()
        .context("published")?
        .to_string();
    Ok(SetUp {
        event,
        ticket,
        facility,
        questionnaire,
        trainer_token,
        enterprise_token,
    })
}

async fn results(browser: &Session, base: &str, event: &str, response: &str) -> anyhow::Result<()> {
    browser.goto(&format!("{base}/login")).await?;
    log_in(browser, base, "hoa").await?;
    browser.goto(&format!("{base}/events/{event}")).await?;
    let count = browser
        .execute("return document.querySelector('.count').dataset.count")
        .await?;
    assert_eq!(count, json!("1"), "the badge scanned offline counts");
    browser.goto(&format!("{base}/responses")).await?;
    let listed = browser
        .execute(&format!(
            "return !!document.querySelector('a[href=\"/responses/{response}\"]')"
        ))
        .await?;
    assert_eq!(
        listed,
        json!(true),
        "the answered questionnaire is in the review list"
    );
    std::fs::write(
        screenshot_dir().join("responses.png"),
        browser.screenshot().await?,
    )?;
    Ok(())
}
