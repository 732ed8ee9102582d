//! The field app over HTTPS in headless Chromium: the server serves TLS itself with a
//! certificate from a test CA for `sachhon.test`, a name Chromium resolves to 127.0.0.1 —
//! not a loopback name, so the page is a secure context only thanks to HTTPS. Without the
//! certificate trusted, Chromium refuses the page; trusting it (by its key's SPKI hash), the
//! service worker registers and becomes ready, and the app enrols and syncs over TLS.

use super::field_app::{controlled, enrol, open};
use super::webdriver::Driver;
use super::with_browsers;
use crate::https::pki::pki;
use anyhow::Context;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;

/// Registers the app's service worker and waits for `navigator.serviceWorker.ready`.
const REGISTER: &str = "const done = arguments[arguments.length - 1];
    navigator.serviceWorker.register('/app/sw.js')
      .then(() => navigator.serviceWorker.ready)
      .then((r) => done({scope: r.scope, active: r.active ? r.active.state : null,
                         secure: window.isSecureContext, protocol: location.protocol}))
      .catch((e) => done({error: String(e)}));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_worker_registers_over_https() -> anyhow::Result<()> {
    let pki = pki("Field app CA")?;
    let server = TestServer::start_tls(Backend::Sqlite, &pki.files).await?;
    let port = server
        .address()
        .rsplit(':')
        .next()
        .context("port")?
        .to_string();
    let base = format!("https://sachhon.test:{port}");
    let (_, token) = server.admin().device("trainer", None).await?;

    let driver = Driver::start().await?;
    let profiles = tempfile::tempdir()?;
    let resolve = "--host-resolver-rules=MAP sachhon.test 127.0.0.1".to_string();
    let untrusting = driver
        .session_with(
            &profiles.path().join("untrusting"),
            std::slice::from_ref(&resolve),
        )
        .await?;
    let trust = format!("--ignore-certificate-errors-spki-list={}", pki.spki_sha256);
    let trusting = driver
        .session_with(&profiles.path().join("trusting"), &[resolve, trust])
        .await?;
    with_browsers(vec![untrusting, trusting], move |browsers| async move {
        let (untrusting, trusting) = (&browsers[0], &browsers[1]);
        // Chromium shows its certificate error page instead of the app.
        untrusting.goto(&format!("{base}/app/")).await?;
        let page = untrusting
            .execute("return [location.href, document.body.innerText]")
            .await?;
        assert_eq!(page[0], json!("chrome-error://chromewebdata/"), "{page}");
        let text = page[1].as_str().unwrap_or_default();
        assert!(text.contains("ERR_CERT_AUTHORITY_INVALID"), "{text}");

        open(trusting, &base).await?;
        let registered = trusting.execute_async(REGISTER, json!([])).await?;
        assert_eq!(registered["error"], serde_json::Value::Null, "{registered}");
        assert_eq!(registered["scope"], json!(format!("{base}/app/")));
        assert_eq!(registered["secure"], json!(true));
        assert_eq!(registered["protocol"], json!("https:"));
        let active = registered["active"].as_str().unwrap_or_default();
        assert!(matches!(active, "activating" | "activated"), "{registered}");

        // The app's own requests go over TLS too: it enrols, syncs, and the worker takes over.
        enrol(trusting, &base, &token).await?;
        controlled(trusting).await?;
        Ok(())
    })
    .await
}
