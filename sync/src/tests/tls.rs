//! HTTPS on the phone's side: a TLS failure is its own error, never "offline", and keeps
//! the outbox; a private CA is checked before the enrolment token is spent. (Real
//! certificates against the real server are tested end to end in `sachhon-tests`.)

use super::fake_server::{FakeServer, Knobs};
use super::trainer;
use crate::{Device, Error, Options};
use sachhon_shared::EventId;

#[tokio::test]
async fn a_plain_http_server_at_an_https_address_is_a_tls_failure_not_offline() {
    let server = FakeServer::start(Knobs::default()).await;
    let https = server.url.replace("http://", "https://");
    let home = tempfile::tempdir().expect("home");
    let device = trainer(home.path(), &https, Options::default()).await;
    device
        .walk_in(EventId::new(), "Lan", None, false)
        .await
        .expect("walk-in");
    let error = device.sync().await.expect_err("no TLS there");
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    assert_eq!(error.code(), "tls");
    assert!(!error.is_offline());
    assert_eq!(device.outbox_len().await.expect("len"), 3, "kept queued");

    let fresh = tempfile::tempdir().expect("home");
    let fresh = Device::open(fresh.path()).await.expect("opens");
    let error = fresh.enroll(&https, "token").await.expect_err("no TLS");
    assert_eq!(error.code(), "tls", "{error:?}");
}

#[tokio::test]
async fn no_server_at_an_https_address_is_offline() {
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("https://{}", unused.local_addr().expect("address"));
    drop(unused);
    let home = tempfile::tempdir().expect("home");
    let device = trainer(home.path(), &url, Options::default()).await;
    let error = device.sync().await.expect_err("offline");
    assert!(error.is_offline(), "{error:?}");
}

#[tokio::test]
async fn a_ca_needs_an_https_address_and_a_certificate() {
    let home = tempfile::tempdir().expect("home");
    let device = Device::open(home.path()).await.expect("opens");
    let not_pem = device
        .enroll_with_ca("https://127.0.0.1:1", "token", Some("not a certificate"))
        .await
        .expect_err("no certificate");
    assert!(matches!(not_pem, Error::Invalid(_)), "{not_pem:?}");
    let plain = device
        .enroll_with_ca("http://127.0.0.1:1", "token", Some("irrelevant"))
        .await
        .expect_err("http");
    assert!(matches!(plain, Error::Invalid(_)), "{plain:?}");
    assert!(!device.status().await.expect("status").enrolled);
}
