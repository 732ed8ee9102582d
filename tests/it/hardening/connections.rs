//! Connections and logins: slow clients cut off, failed logins throttled, floods refused.

use reqwest::StatusCode;
use sachhon_tests::{Backend, TestServer};

/// Slow-header clients are cut off; backend-independent, so on SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_headers_slowly_is_disconnected() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start(Backend::Sqlite).await?;
    let mut stream = tokio::net::TcpStream::connect(server.address()).await?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await?;
    // The server allows 10 s for the headers; it must close the connection by itself well
    // before this test gives up.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        stream.read_to_end(&mut rest),
    )
    .await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "the connection stayed open"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "the request was never complete"
    );
    Ok(())
}

pub(super) async fn failed_logins_are_throttled_and_a_flood_is_refused(
    backend: Backend,
) -> anyhow::Result<()> {
    use crate::web::{user_add, WebClient, PASSWORD};
    let server = TestServer::start(backend).await?;
    let (code, _, stderr) = user_add(&server.database.url, "lan", "office", PASSWORD).await?;
    assert_eq!(code, 0, "{stderr}");
    // Fifty wrong passwords at once: a few are checked (401), the rest refused unchecked
    // (429); nothing else.
    let tries = (0..50).map(|i| {
        let url = server.url.clone();
        async move {
            let mut client = WebClient::new(&url)?;
            let form = client.get("/login").await?;
            let csrf = form.csrf()?;
            let password = format!("wrong password {i}");
            let page = client
                .post(
                    "/login",
                    &[
                        ("username", "lan"),
                        ("password", &password),
                        ("csrf", &csrf),
                    ],
                )
                .await?;
            anyhow::Ok(page.status)
        }
    });
    let statuses = futures_join_all(tries).await?;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked >= 1, "{statuses:?}");
    // The account is now locked: the right password is refused too, with a time to wait.
    let mut client = WebClient::new(&server.url)?;
    let form = client.get("/login").await?;
    let csrf = form.csrf()?;
    let page = client
        .post(
            "/login",
            &[("username", "lan"), ("password", PASSWORD), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.cookie_line("sachhon_session").is_none());
    Ok(())
}

/// Runs futures concurrently on this task and collects their results in order.
async fn futures_join_all<T>(
    futures: impl Iterator<Item = impl std::future::Future<Output = anyhow::Result<T>> + Send + 'static>,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(handle.await??);
    }
    Ok(results)
}
