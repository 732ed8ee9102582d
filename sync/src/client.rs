//! The HTTP transport of the sync protocol: enrol, push one batch, pull one page. It holds no
//! sync state; what to send and what to do with the answers is decided in `sync`. Every push
//! and pull carries the device's clock in the device-time header.
//!
//! `https://` servers are verified with rustls against the Mozilla roots built in, plus the
//! enrolment's private CA when it has one. A request that fails in TLS (certificate refused,
//! handshake failed) is [`Error::Tls`]; one that fails for want of network is
//! [`Error::Offline`].

use crate::clock::Clock;
use crate::error::{Error, Result};
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{Response, StatusCode};
use sachhon_shared::wire::{
    self, EnrollRequest, Enrolment, PullPage, PushAck, CBOR_MEDIA_TYPE, DEVICE_TIME_HEADER,
    ENROLL_PATH, PULL_PATH, PUSH_PATH,
};
use sachhon_shared::{ActorId, Op};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;

/// An HTTP client for one or more sync servers. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    clock: Clock,
}

/// How the server answered a push.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PushOutcome {
    /// The batch committed (or had been committed before).
    Acked(PushAck),
    /// The batch was refused whole: the server expects this sequence number next.
    Gap {
        /// The sequence number expected next.
        expected: u64,
    },
    /// The body was too large for the server (413): send fewer ops at a time.
    TooLarge,
}

/// The fields of a `problem+json` answer this client reads.
#[derive(Debug, Default, Deserialize)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    expected_seq: Option<u64>,
}

impl Client {
    /// A client whose requests give up after `timeout` (connecting: at most 10 s of it), that
    /// reports `clock` to the server and that trusts the certificates of `ca_cert` (PEM, one
    /// or more) besides the public roots.
    pub fn new(timeout: Duration, clock: Clock, ca_cert: Option<&str>) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .user_agent(concat!("sachhon-device/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_cert {
            for certificate in ca_certificates(pem)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder
            .build()
            .map_err(|e| Error::Invalid(format!("HTTP client: {}", chain(&e))))?;
        Ok(Self { http, clock })
    }

    /// Enrols with a one-time token.
    pub async fn enroll(&self, server: &str, token: &str) -> Result<Enrolment> {
        let response = self
            .http
            .post(endpoint(server, ENROLL_PATH))
            .json(&EnrollRequest {
                token: token.to_string(),
            })
            .send()
            .await
            .map_err(transport)?;
        let (status, _, body) = read(response).await?;
        if !status.is_success() {
            return Err(problem(status, &body));
        }
        decode_json(&body)
    }

    /// Pushes one batch of this actor's ops (ascending by seq).
    pub async fn push(
        &self,
        server: &str,
        token: &str,
        actor: ActorId,
        ops: &[Op],
    ) -> Result<PushOutcome> {
        let body = compress_push(wire::encode_push(actor, ops))?;
        let response = self
            .http
            .post(endpoint(server, PUSH_PATH))
            .bearer_auth(token)
            .header(DEVICE_TIME_HEADER, self.device_time())
            .header(CONTENT_TYPE, CBOR_MEDIA_TYPE)
            .header(CONTENT_ENCODING, PUSH_CODING)
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let (status, _, body) = read(response).await?;
        match status {
            status if status.is_success() => Ok(PushOutcome::Acked(decode_json(&body)?)),
            StatusCode::CONFLICT => {
                let parsed: Problem = serde_json::from_slice(&body).unwrap_or_default();
                match parsed.expected_seq {
                    Some(expected) => Ok(PushOutcome::Gap { expected }),
                    None => Err(problem(status, &body)),
                }
            }
            StatusCode::PAYLOAD_TOO_LARGE => Ok(PushOutcome::TooLarge),
            _ => Err(problem(status, &body)),
        }
    }

    /// Pulls one page of changes after `after` ('' = from the beginning).
    pub async fn pull(
        &self,
        server: &str,
        token: &str,
        after: &str,
        limit: u32,
    ) -> Result<PullPage> {
        let mut request = self
            .http
            .get(endpoint(server, PULL_PATH))
            .bearer_auth(token)
            .header(DEVICE_TIME_HEADER, self.device_time())
            .header(reqwest::header::ACCEPT, CBOR_MEDIA_TYPE)
            .query(&[("limit", limit.to_string())]);
        if !after.is_empty() {
            request = request.query(&[("after", after)]);
        }
        let response = request.send().await.map_err(transport)?;
        let (status, content_type, body) = read(response).await?;
        if !status.is_success() {
            return Err(problem(status, &body));
        }
        if content_type != CBOR_MEDIA_TYPE {
            return Err(Error::Protocol(format!(
                "a pull page is {CBOR_MEDIA_TYPE}, not {content_type:?}"
            )));
        }
        wire::decode_page(&body).map_err(|e| Error::Protocol(format!("pull page: {e}")))
    }

    /// The device-time header's value: this device's clock now, in ms since the epoch.
    fn device_time(&self) -> String {
        self.clock.now_ms().to_string()
    }
}

/// Checks and normalises a server address: `http(s)://host[:port][/prefix]`, no trailing `/`.
pub(crate) fn normalize_server_url(server: &str) -> Result<String> {
    let url = reqwest::Url::parse(server.trim())
        .map_err(|e| Error::Invalid(format!("server address {server:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Invalid(format!(
            "server address {server:?}: expected http://host[:port]"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Invalid(format!(
            "server address {server:?}: no query or fragment expected"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The content coding of push bodies. (Answers come compressed without help: the client asks
/// for zstd or gzip in `Accept-Encoding` and decodes what it gets.)
const PUSH_CODING: &str = "zstd";

/// The zstd level of push bodies: fast, and most of what higher levels would save.
const PUSH_ZSTD_LEVEL: i32 = 3;

/// A push body in the [`PUSH_CODING`] content coding.
fn compress_push(body: Vec<u8>) -> Result<Vec<u8>> {
    zstd::bulk::compress(&body, PUSH_ZSTD_LEVEL)
        .map_err(|e| Error::Invalid(format!("compressing the push body: {e}")))
}

fn endpoint(server: &str, path: &str) -> String {
    format!("{}{path}", server.trim_end_matches('/'))
}

async fn read(response: Response) -> Result<(StatusCode, String, Vec<u8>)> {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = response.bytes().await.map_err(transport)?;
    Ok((status, content_type, body.to_vec()))
}

/// Decodes a JSON success body (an enrolment, an acknowledgement).
fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Protocol(format!("JSON body: {e}")))
}

/// The error for a refused request, from its `problem+json` body when there is one.
fn problem(status: StatusCode, body: &[u8]) -> Error {
    let parsed: Problem = serde_json::from_slice(body).unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("error").to_string();
    Error::Server {
        status: status.as_u16(),
        title: parsed.title.unwrap_or_else(|| reason.clone()),
        detail: parsed
            .detail
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(500).collect()),
    }
}

/// The certificates of a PEM text (a CA file): at least one, or [`Error::Invalid`].
fn ca_certificates(pem: &str) -> Result<Vec<reqwest::Certificate>> {
    let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
        .map_err(|e| Error::Invalid(format!("CA certificate: {}", chain(&e))))?;
    if certificates.is_empty() {
        return Err(Error::Invalid(
            "CA certificate: no PEM certificate (-----BEGIN CERTIFICATE-----) found".into(),
        ));
    }
    Ok(certificates)
}

/// A request that did not get an answer: a TLS failure when rustls refused the connection, the
/// network's fault otherwise, unless the request itself could not be built.
fn transport(error: reqwest::Error) -> Error {
    if error.is_builder() {
        Error::Invalid(chain(&error))
    } else if is_tls(&error) {
        Error::Tls(chain(&error))
    } else {
        Error::Offline(chain(&error))
    }
}

/// Whether rustls failed somewhere in an error's causes. The TLS error travels inside an
/// `io::Error`, whose `source()` skips it, so those are opened with `get_ref()`.
fn is_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(cause) = next {
        if cause.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if is_tls(inner) {
                return true;
            }
        }
        next = cause.source();
    }
    false
}

/// An error with its causes, `outer: inner: …` (reqwest's own message omits them).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalised() {
        assert_eq!(
            normalize_server_url("http://127.0.0.1:8080/").ok(),
            Some("http://127.0.0.1:8080".to_string())
        );
        assert_eq!(
            normalize_server_url(" http://example.org/sachhon/ ").ok(),
            Some("http://example.org/sachhon".to_string())
        );
        assert!(normalize_server_url("ftp://example.org").is_err());
        assert!(normalize_server_url("localhost:8080").is_err());
        assert_eq!(
            endpoint("http://h:1/p", PUSH_PATH),
            "http://h:1/p/api/v1/sync/push"
        );
    }

    #[test]
    fn a_push_body_is_zstd_and_decodes_to_itself() {
        let body = wire::encode_push(ActorId::new(), &[]).repeat(100);
        let compressed = compress_push(body.clone()).expect("compresses");
        assert!(compressed.len() < body.len(), "{} bytes", compressed.len());
        assert_eq!(zstd::decode_all(compressed.as_slice()).ok(), Some(body));
    }

    #[test]
    fn a_problem_body_gives_title_and_detail() {
        let body = br#"{"type":"about:blank","title":"Forbidden","status":403,"detail":"revoked"}"#;
        match problem(StatusCode::FORBIDDEN, body) {
            Error::Server {
                status,
                title,
                detail,
            } => {
                assert_eq!(
                    (status, title.as_str(), detail.as_str()),
                    (403, "Forbidden", "revoked")
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
