//! HTTPS end to end, with a CA and a server certificate made in the test (`pki`): the real
//! `sachhon serve --tls-cert --tls-key` and real `sachhon-device` processes that enrol with
//! `--ca-cert` and sync; a wrong CA (or none) is a TLS failure, exit 1, never "offline", and a
//! server that is down is still "offline"; over TLS the session cookies are `Secure` and
//! answers carry `Strict-Transport-Security`, over plain HTTP neither; clients that fail or
//! stall in the handshake end only their own connection; bad certificate files stop the
//! server before it listens. The field app over HTTPS in
//! Chromium is in `browser/field_https.rs`.

pub mod pki;

use crate::on_both_backends;
use crate::web::{user_add, WebClient, PASSWORD};
use anyhow::Context;
use pki::{pki, TestPki};
use reqwest::StatusCode;
use sachhon_tests::process::{device_cli, ServerProcess};
use sachhon_tests::{AdminClient, Backend, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_backends!(
    phones_enrol_and_sync_over_https_trusting_a_private_ca,
    a_wrong_ca_is_a_tls_failure_and_a_server_that_is_down_is_offline,
    cookies_are_secure_and_hsts_is_sent_over_tls_only,
);

/// The `Strict-Transport-Security` value the server sends over TLS.
const HSTS: &str = "max-age=31536000";

/// The admin of a server process that serves HTTPS with `pki`'s certificate.
fn admin_of(server: &ServerProcess, pki: &TestPki) -> anyhow::Result<AdminClient> {
    Ok(AdminClient::with_http(
        pki.files.client()?,
        &server.url,
        ADMIN_TOKEN,
    ))
}

/// `sachhon-device enroll`, with `--ca-cert FILE` when given.
async fn enroll(
    home: &Path,
    server: &str,
    token: &str,
    ca_cert: Option<&Path>,
) -> anyhow::Result<(i32, Value)> {
    let ca_cert = ca_cert.map(|path| path.display().to_string());
    let mut args = vec!["enroll", "--server", server, "--token", token];
    if let Some(path) = &ca_cert {
        args.extend(["--ca-cert", path.as_str()]);
    }
    device_cli(home, &args).await
}

/// Registers a person for `event`; returns the ticket text.
async fn ticket(admin: &AdminClient, event: &str, name: &str) -> anyhow::Result<String> {
    let person = admin
        .post("/api/v1/people", &json!({"name": name, "cp_staff": true}))
        .await?;
    let person = person.json["id"].as_str().context("person id")?;
    let registration = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": person}),
        )
        .await?;
    Ok(registration.json["qr"]
        .as_str()
        .context("ticket text")?
        .to_string())
}

async fn phones_enrol_and_sync_over_https_trusting_a_private_ca(
    backend: Backend,
) -> anyhow::Result<()> {
    let pki = pki("Sở TN&MT Long An test CA")?;
    let database = backend.fresh_database().await?;
    let server = ServerProcess::start_tls(&database.url, "127.0.0.1:0", &pki.files).await?;
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let admin = admin_of(&server, &pki)?;
    let event = admin.event("Hội thảo SXSH qua HTTPS", "awareness").await?;
    let lan = ticket(&admin, &event, "Nguyễn Thị Lan").await?;

    let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (a, b) = (a.path(), b.path());
    for home in [a, b] {
        let (_, token) = admin.device("trainer", None).await?;
        let (code, enrolled) = enroll(home, &server.url, &token, Some(&pki.ca_file)).await?;
        assert_eq!(code, 0, "{enrolled}");
        assert_eq!(enrolled["role"], json!("trainer"));
        let (_, status) = device_cli(home, &["status"]).await?;
        assert_eq!(status["private_ca"], json!(true), "{status}");
        assert_eq!(status["server_url"], json!(server.url));
    }

    // Offline work on both phones; every later sync trusts the CA kept with the enrolment.
    let (code, made) = device_cli(a, &["simulate", "--event", &event, "--walk-ins", "5"]).await?;
    assert_eq!(code, 0, "{made}");
    let (code, walk_in) = device_cli(
        b,
        &["walk-in", "--event", &event, "--name", "Trần Văn Minh"],
    )
    .await?;
    assert_eq!(code, 0, "{walk_in}");
    for home in [a, b] {
        let (code, scan) = device_cli(home, &["scan", "--event", &event, "--qr", &lan]).await?;
        assert_eq!((code, scan["status"].clone()), (0, json!("ok")), "{scan}");
    }
    let (code, synced) = device_cli(a, &["sync"]).await?;
    assert_eq!((code, synced["pushed"].clone()), (0, json!(16)), "{synced}");
    let (code, synced) = device_cli(b, &["sync"]).await?;
    assert_eq!((code, synced["pushed"].clone()), (0, json!(4)), "{synced}");
    let (code, synced) = device_cli(a, &["sync"]).await?;
    assert_eq!((code, synced["pulled"].clone()), (0, json!(4)), "{synced}");

    // Exact: five walk-ins on A, one on B, and Lan once, scanned on both phones.
    let attendance = admin.attendance(&event).await?;
    assert_eq!(attendance["count"], json!(7), "{attendance}");
    let attendees = attendance["attendees"].as_array().context("attendees")?;
    let scans: Vec<u64> = attendees
        .iter()
        .filter_map(|a| a["scans"].as_u64())
        .collect();
    assert_eq!(scans.iter().sum::<u64>(), 8, "{attendance}");
    assert_eq!(scans.iter().filter(|&&n| n == 2).count(), 1, "{attendance}");
    let server_hash = json!(admin.state_hash().await?);
    for home in [a, b] {
        let (_, hash) = device_cli(home, &["state-hash"]).await?;
        assert_eq!(hash["state_hash"], server_hash);
    }
    server.kill().await
}

async fn a_wrong_ca_is_a_tls_failure_and_a_server_that_is_down_is_offline(
    backend: Backend,
) -> anyhow::Result<()> {
    let (right, wrong) = (pki("Right CA")?, pki("Wrong CA")?);
    let database = backend.fresh_database().await?;
    let server = ServerProcess::start_tls(&database.url, "127.0.0.1:0", &right.files).await?;
    let admin = admin_of(&server, &right)?;
    let event = admin.event("Tập huấn", "training").await?;
    let (_, token) = admin.device("trainer", None).await?;
    let home = tempfile::tempdir()?;
    let home = home.path();

    // The public roots do not know the test CA, and another CA does not vouch for the server.
    for ca in [None, Some(wrong.ca_file.as_path())] {
        let (code, refused) = enroll(home, &server.url, &token, ca).await?;
        assert_eq!(
            (code, refused["error"].clone()),
            (1, json!("tls")),
            "{refused}"
        );
        let detail = refused["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("certificate"), "{detail}");
    }
    // TLS failed before the request was sent: the one-time token is still good.
    let (code, enrolled) = enroll(home, &server.url, &token, Some(&right.ca_file)).await?;
    assert_eq!(code, 0, "{enrolled}");
    let (code, _) = device_cli(home, &["walk-in", "--event", &event, "--name", "Lan"]).await?;
    assert_eq!(code, 0);

    // Down: offline, as before HTTPS.
    let address = server.address().to_string();
    server.kill().await?;
    let (code, offline) = device_cli(home, &["sync"]).await?;
    assert_eq!(
        (code, offline["error"].clone()),
        (1, json!("offline")),
        "{offline}"
    );

    // Back at the same address with another CA's certificate: a TLS failure, not offline,
    // and everything stays queued.
    let impostor = ServerProcess::start_tls(&database.url, &address, &wrong.files).await?;
    let (code, refused) = device_cli(home, &["sync"]).await?;
    assert_eq!(
        (code, refused["error"].clone()),
        (1, json!("tls")),
        "{refused}"
    );
    let (_, status) = device_cli(home, &["status"]).await?;
    assert_eq!(status["outbox"], json!(3), "{status}");
    impostor.kill().await?;

    // The right certificate again: the queue goes through, once.
    let server = ServerProcess::start_tls(&database.url, &address, &right.files).await?;
    let (code, synced) = device_cli(home, &["sync"]).await?;
    assert_eq!((code, synced["pushed"].clone()), (0, json!(3)), "{synced}");
    let admin = admin_of(&server, &right)?;
    assert_eq!(admin.attendance(&event).await?["count"], json!(1));
    server.kill().await
}

async fn cookies_are_secure_and_hsts_is_sent_over_tls_only(backend: Backend) -> anyhow::Result<()> {
    let pki = pki("Cookie CA")?;
    let tls = TestServer::start_tls(backend, &pki.files).await?;
    let plain = TestServer::start(backend).await?;
    let plain_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    for (server, http, over_tls) in [
        (&tls, pki.files.client()?, true),
        (&plain, plain_http, false),
    ] {
        let (code, json, stderr) =
            user_add(&server.database.url, "hoa", "office", PASSWORD).await?;
        anyhow::ensure!(code == 0, "user add exited {code}: {json} {stderr}");
        let mut web = WebClient::with_http(http.clone(), &server.url);
        let form = web.get("/login").await?;
        let pre_session = form.cookie_line("sachhon_login").context("pre-session")?;
        let session = web.login("hoa", PASSWORD).await?;
        let session = session
            .cookie_line("sachhon_session")
            .context("session cookie")?;
        for line in [pre_session, session] {
            assert_eq!(line.contains("; Secure"), over_tls, "{line}");
            assert!(line.contains("HttpOnly") && line.contains("SameSite=Strict"));
        }
        for path in [
            "/healthz",
            "/login",
            "/app/",
            "/api/v1/openapi.json",
            "/nowhere",
        ] {
            let answer = http.get(format!("{}{path}", server.url)).send().await?;
            let hsts = answer
                .headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok());
            assert_eq!(hsts, over_tls.then_some(HSTS), "{path} over {}", server.url);
        }
        let home = web.get("/").await?;
        assert_eq!(home.status, StatusCode::OK, "logged in over {}", server.url);
    }
    Ok(())
}

/// Clients that stall in the TLS handshake, speak plain HTTP to the TLS port, send garbage or
/// refuse the certificate end only their own connections: the server keeps answering others
/// at once, and drops a stalled handshake after its timeout. (Backend-independent.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_handshakes_do_not_block_other_connections() -> anyhow::Result<()> {
    let pki = pki("Handshake CA")?;
    let server = TestServer::start_tls(Backend::Sqlite, &pki.files).await?;
    let address = server.address().to_string();
    let admin = server.admin();

    let mut stalled = TcpStream::connect(&address).await?;
    let mut half_hello = TcpStream::connect(&address).await?;
    half_hello
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
        .await?;
    let stalled_since = Instant::now();

    // Plain HTTP on the TLS port: the connection ends, with no HTTP answer.
    let mut plain = TcpStream::connect(&address).await?;
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut answer))
        .await
        .context("a plain-HTTP client is let go at once")?;
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
    let refused = reqwest::Client::new()
        .get(format!("http://{address}/healthz"))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");

    let mut garbage = TcpStream::connect(&address).await?;
    garbage.write_all(&[0u8; 512]).await?;
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .build()?;
    let distrusted = untrusting
        .get(format!("https://{address}/healthz"))
        .send()
        .await;
    assert!(distrusted.is_err(), "{distrusted:?}");

    // Meanwhile everyone else is served, while the stalled handshakes are still held (they
    // are dropped 10 s after they began).
    for _ in 0..5 {
        assert_eq!(admin.get("/healthz").await?.status, StatusCode::OK);
    }
    let event = admin.event("Sau các lỗi TLS", "awareness").await?;
    assert_eq!(admin.attendance(&event).await?["count"], json!(0));
    assert!(
        stalled_since.elapsed() < Duration::from_secs(9),
        "served only after {:?}",
        stalled_since.elapsed()
    );

    // The stalled handshakes are dropped after the handshake timeout (10 s).
    for stream in [&mut stalled, &mut half_hello] {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut byte))
            .await
            .context("a stalled handshake is dropped")?;
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    assert!(
        stalled_since.elapsed() >= Duration::from_secs(9),
        "{:?}",
        stalled_since.elapsed()
    );
    assert_eq!(admin.get("/healthz").await?.status, StatusCode::OK);
    Ok(())
}

/// `--tls-cert` and `--tls-key` go together, and a certificate and key that do not make a
/// server stop it before it listens, with a message that names the problem.
#[tokio::test]
async fn bad_certificate_files_are_refused_at_start() -> anyhow::Result<()> {
    let (one, other) = (pki("One CA")?, pki("Other CA")?);
    let (cert, key) = (&one.files.cert, &one.files.key);
    let refused = |cert: &Path, key: &Path| {
        sachhon_server::tls::load(cert, key)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(sachhon_server::tls::load(cert, key).is_ok());
    assert!(
        refused(cert, &other.files.key).contains("KeyMismatch"),
        "{}",
        refused(cert, &other.files.key)
    );
    assert!(refused(key, key).contains("no PEM certificate"));
    assert!(refused(cert, cert).contains("no PEM private key"));
    assert!(refused(&one.ca_file.with_file_name("missing.pem"), key).contains("missing.pem"));

    let only_cert = tokio::process::Command::new(sachhon_tests::process::binary("sachhon")?)
        .args(["serve", "--db", "sqlite::memory:", "--bind", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(cert)
        .env_remove("SACHHON_TLS_KEY")
        .output()
        .await?;
    assert_eq!(only_cert.status.code(), Some(2), "{only_cert:?}");
    let mismatched = tokio::process::Command::new(sachhon_tests::process::binary("sachhon")?)
        .args(["serve", "--db", "sqlite::memory:", "--bind", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(&other.files.key)
        .env("SACHHON_ADMIN_TOKEN", ADMIN_TOKEN)
        .output()
        .await?;
    let stderr = String::from_utf8_lossy(&mismatched.stderr);
    assert_eq!(mismatched.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("loading the TLS certificate and key"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening"), "{stderr}");
    Ok(())
}
