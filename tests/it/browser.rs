//! The office pages in a real browser: headless Chromium (Debian's, driven over WebDriver)
//! logs in through the form, opens the progress page, and the rendered figures and the SVG
//! chart are checked against the programme seeded through the API; screenshots go to
//! `target/browser/` for people to look at. SQLite is enough here: the page logic runs on
//! both backends in `web.rs`.
//!
//! Chromium must be installed (`.ci/run` installs it); without it the test fails, it does not
//! skip.

mod field_app;
mod field_https;
mod field_tickets;
mod field_vectors;
mod office_setup;
mod webdriver;

use crate::web::{seed_programme, user_add, PASSWORD};
use anyhow::Context;
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};
use std::path::PathBuf;
use webdriver::Driver;

/// Where screenshots go: `target/browser/` of the workspace (or of `CARGO_TARGET_DIR`).
fn screenshot_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("browser")
}

/// Runs `drive` with browsers in a task of its own, closing them whatever happens: a failed
/// assertion is a panic, and chromedriver dies with the test but Chromium would outlive it.
async fn with_browsers<F, Fut>(sessions: Vec<webdriver::Session>, drive: F) -> anyhow::Result<()>
where
    F: FnOnce(Vec<webdriver::Session>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let driven = tokio::spawn(drive(sessions.clone())).await;
    let mut closed = Ok(());
    for session in sessions {
        closed = closed.and(session.close().await);
    }
    match driven {
        Ok(outcome) => outcome?,
        Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
        Err(failure) => return Err(failure.into()),
    }
    closed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_page_in_chromium() -> anyhow::Result<()> {
    let driver = Driver::start().await?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let seeded = seed_programme(&server).await?;
    let (code, json, stderr) = user_add(&server.database.url, "hoa", "office", PASSWORD).await?;
    anyhow::ensure!(code == 0, "user add exited {code}: {json} {stderr}");
    let expected = server.admin().get("/api/v1/progress").await?.json;

    let profile = tempfile::tempdir()?;
    let browser = driver.session(profile.path()).await?;
    let url = server.url.clone();
    with_browsers(vec![browser], move |b| async move {
        drive(&b[0], &url, &expected, &seeded.training).await
    })
    .await
}

/// Fills and sends the login form shown at the browser's current page (`/login`), then waits
/// for the progress page.
async fn log_in(browser: &webdriver::Session, base: &str, username: &str) -> anyhow::Result<()> {
    browser
        .type_into(&browser.find("input[name=username]").await?, username)
        .await?;
    browser
        .type_into(&browser.find("input[name=password]").await?, PASSWORD)
        .await?;
    browser
        .click(&browser.find("button[type=submit]").await?)
        .await?;
    browser.wait_for_url(&format!("{base}/")).await
}

async fn drive(
    browser: &webdriver::Session,
    base: &str,
    expected: &Value,
    training: &str,
) -> anyhow::Result<()> {
    // Not logged in: the progress page sends the browser to the login form.
    browser.goto(&format!("{base}/")).await?;
    let url = browser.url().await?;
    assert!(url.starts_with(&format!("{base}/login?next=")), "{url}");
    log_in(browser, base, "hoa").await?;

    // The three indicators province-wide, as seeded (see `seed_programme`).
    let cards = browser
        .execute(
            "return [...document.querySelectorAll('article.indicator')].map(a => ({
                key: a.dataset.key,
                value: a.querySelector('.value').textContent.trim(),
                fraction: a.querySelector('.fraction').textContent.trim(),
                target: a.querySelector('.target').textContent.trim(),
                badge: a.querySelector('.badge').textContent.trim()}))",
        )
        .await?;
    assert_eq!(
        cards,
        json!([
            {"key": "awareness", "value": "60%", "fraction": "3/5", "target": "Mục tiêu 90%", "badge": "Chưa đạt"},
            {"key": "adoption", "value": "20%", "fraction": "1/5", "target": "Mục tiêu 50%", "badge": "Chưa đạt"},
            {"key": "staff_trained", "value": "75%", "fraction": "3/4", "target": "Mục tiêu 100%", "badge": "Chưa đạt"},
        ])
    );

    // Each chart: one slot per district, a bar for each district with data (value printed on
    // it), "—" for the others, and the target line at the target's height.
    let charts = browser
        .execute(
            "return [...document.querySelectorAll('svg.chart')].map(svg => {
                const line = svg.querySelector('line.target-line');
                const bars = [...svg.querySelectorAll('g.district')].map(g => ({
                    district: g.dataset.district,
                    value: g.querySelector('rect.bar') ? Number(g.querySelector('rect.bar').dataset.value) : null,
                    label: (g.querySelector('.bar-value') || g.querySelector('.no-data')).textContent.trim(),
                    height: g.querySelector('rect.bar') ? g.querySelector('rect.bar').getBBox().height : 0}));
                const axis = svg.querySelector('line.axis').y1.baseVal.value;
                return {key: svg.dataset.indicator, bars,
                        target: Number(line.dataset.target),
                        target_drawn: (axis - line.y1.baseVal.value) / 180,
                        target_label: svg.querySelector('.target-label').textContent.trim(),
                        width: svg.getBoundingClientRect().width};
            })",
        )
        .await?;
    let charts = charts.as_array().context("charts")?;
    assert_eq!(charts.len(), 3);
    let indicators = expected["indicators"].as_array().context("indicators")?;
    let districts = expected["by_district"].as_array().context("districts")?;
    for (i, (chart, indicator)) in charts.iter().zip(indicators).enumerate() {
        assert_eq!(chart["key"], indicator["key"]);
        let target = indicator["target"].as_f64().context("target")?;
        assert_eq!(chart["target"].as_f64(), Some(target));
        let drawn = chart["target_drawn"].as_f64().context("drawn")?;
        assert!(
            (drawn - target).abs() < 0.01,
            "target line at {drawn}, not {target}"
        );
        assert!(
            chart["width"].as_f64().unwrap_or(0.0) > 300.0,
            "the chart is visible"
        );
        let bars = chart["bars"].as_array().context("bars")?;
        assert_eq!(bars.len(), districts.len(), "one slot per district");
        for (bar, district) in bars.iter().zip(districts) {
            assert_eq!(bar["district"], district["district"]);
            let value = &district["indicators"][i]["value"];
            match value.as_f64() {
                Some(v) => {
                    assert_eq!(bar["value"].as_f64(), Some(v), "{bar}");
                    let height = bar["height"].as_f64().unwrap_or(0.0);
                    assert!((height - v * 180.0).abs() < 0.5, "{bar}");
                }
                None => assert_eq!(bar["label"], json!("—"), "{bar}"),
            }
        }
    }
    let awareness = &charts[0]["bars"];
    let label = |district: &str| {
        awareness
            .as_array()
            .and_then(|bars| bars.iter().find(|b| b["district"] == district))
            .map(|b| b["label"].clone())
    };
    assert_eq!(label("Bến Lức"), Some(json!("66,7%")));
    assert_eq!(label("Đức Hòa"), Some(json!("50%")));
    assert_eq!(label("Tân An"), Some(json!("—")));
    assert_eq!(charts[0]["target_label"], json!("Mục tiêu 90%"));

    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("progress.png"), browser.screenshot().await?)?;

    // On a phone's width nothing spills sideways but the tables inside their own box.
    browser.resize(390, 1800).await?;
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        )
        .await?;
    assert_eq!(overflow, json!(0), "no sideways scrolling on a phone");
    std::fs::write(dir.join("progress-phone.png"), browser.screenshot().await?)?;
    browser.resize(1280, 1600).await?;

    // The as-of form: the 2015 milestone, every indicator met.
    browser
        .execute("document.querySelector('input[name=as_of]').value = '2015-12-31'")
        .await?;
    browser
        .click(&browser.find("form.inline button").await?)
        .await?;
    browser
        .wait_for_url(&format!("{base}/?as_of=2015-12-31"))
        .await?;
    let badges = browser
        .execute("return [...document.querySelectorAll('article.indicator .badge')].map(b => b.textContent.trim())")
        .await?;
    assert_eq!(badges, json!(["Đạt", "Đạt", "Đạt"]));
    let value = browser
        .text(&browser.find("article[data-key=adoption] .value").await?)
        .await?;
    let fraction = browser
        .text(&browser.find("article[data-key=adoption] .fraction").await?)
        .await?;
    assert_eq!((value.as_str(), fraction.as_str()), ("40%", "2/5"));

    // English, and the language carried through the links.
    browser
        .click(&browser.find("a[hreflang=en]").await?)
        .await?;
    browser
        .wait_for_url(&format!("{base}/?as_of=2015-12-31&lang=en"))
        .await?;
    let heading = browser.text(&browser.find("h1").await?).await?;
    assert_eq!(heading, "Progress against the targets");
    let awareness = browser
        .text(&browser.find("article[data-key=awareness]").await?)
        .await?;
    assert!(
        awareness.contains("Awareness of cleaner production")
            && awareness.contains("Target 50%")
            && awareness.contains("Met"),
        "{awareness}"
    );
    std::fs::write(dir.join("progress-en.png"), browser.screenshot().await?)?;
    browser
        .click(&browser.find("a[href='/events?lang=en']").await?)
        .await?;
    browser
        .wait_for_url(&format!("{base}/events?lang=en"))
        .await?;
    let title = browser.text(&browser.find("h1").await?).await?;
    assert_eq!(title, "Events");

    // The other pages, for people to look at.
    browser.goto(&format!("{base}/events/{training}")).await?;
    let count = browser.text(&browser.find(".count").await?).await?;
    assert_eq!(count, "3");
    std::fs::write(dir.join("attendance.png"), browser.screenshot().await?)?;
    browser.goto(&format!("{base}/plan")).await?;
    std::fs::write(dir.join("plan.png"), browser.screenshot().await?)?;

    // The JSON API answers the browser's session too.
    browser
        .goto(&format!("{base}/api/v1/progress?as_of=2015-12-31"))
        .await?;
    let text = browser.text(&browser.find("body").await?).await?;
    let api: Value = serde_json::from_str(&text).context("the API's JSON in the browser")?;
    assert_eq!(api["indicators"][1]["numerator"], json!(2));
    Ok(())
}
