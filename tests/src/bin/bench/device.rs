//! A phone's side of the sync protocol over HTTP: enrol, push a batch, pull a page, each
//! request carrying the phone's clock as a phone's does. Every answer is checked; anything
//! unexpected fails the benchmark loudly.
//!
//! Pushes go in zstd (`Content-Encoding: zstd`), as the phone's client sends them. Pulls ask
//! for zstd (`Accept-Encoding: zstd`) and the HTTP client hands the body over as it came —
//! its automatic decompression is off — so that the bytes received are counted before this
//! module decompresses and decodes them. reqwest does not expose the raw bytes of a message's
//! head, so the request line, status line and header lines are counted as HTTP/1.1 writes
//! them (`name: value\r\n`, each head ended by an empty line); the framing of a chunked body
//! (a few bytes per chunk) is not counted.

use crate::workload::{now_ms, Batch};
use anyhow::{bail, ensure, Context};
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE,
    HOST, USER_AGENT,
};
use reqwest::{Request, Response, StatusCode};
use sachhon_shared::wire::{
    decode_page, EnrollRequest, Enrolment, PullPage, PushAck, CBOR_MEDIA_TYPE, DEVICE_TIME_HEADER,
    ENROLL_PATH, MORE_HEADER, NEXT_HEADER, PULL_PATH, PUSH_PATH,
};
use sachhon_shared::ActorId;
use std::time::{Duration, Instant};

/// The content coding of push bodies: the phone's (`PUSH_CODING` in sync/src/client.rs).
const PUSH_CODING: &str = "zstd";

/// The content coding pulls ask for: the one the server prefers and the phone accepts.
const PULL_CODING: &str = "zstd";

/// The user agent of the phone's client, so that requests are the size a phone's are.
const PHONE_USER_AGENT: &str = concat!("sachhon-device/", env!("CARGO_PKG_VERSION"));

/// The HTTP version every request and answer goes in.
const HTTP_VERSION: &str = "HTTP/1.1";

/// The headers the HTTP client adds to every request that does not set them itself.
fn client_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    headers.insert(USER_AGENT, HeaderValue::from_static(PHONE_USER_AGENT));
    headers
}

/// The bench's HTTP client: no automatic decompression of answers (so that their compressed
/// size is seen), no proxy (the server is local), [`client_headers`] on every request.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_zstd()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_proxy()
        .default_headers(client_headers())
        .build()
        .context("building the HTTP client")
}

/// An enrolled device talking to one server.
#[derive(Clone)]
pub struct DeviceClient {
    http: reqwest::Client,
    base: String,
    actor: ActorId,
    access_token: String,
}

/// One pulled page with its size on the wire and decoded, and the time its body took to
/// decompress and decode.
pub struct Pulled {
    /// The decoded page.
    pub page: PullPage,
    /// Bytes of the response body decompressed: the v2 page as encoded.
    pub bytes: usize,
    /// Bytes of the response body as received (compressed, unless the server sent it as it
    /// is).
    pub wire_body_bytes: usize,
    /// Bytes of the request's and the response's heads: request line, status line, headers.
    pub header_bytes: usize,
    /// Whether the body came in zstd (else as it is: the server leaves small answers alone).
    pub zstd: bool,
    /// Time spent decompressing the body.
    pub decompress: Duration,
    /// Time spent decoding the page.
    pub decode: Duration,
}

impl Pulled {
    /// Bytes on the wire: the body as received and both heads.
    pub fn wire_bytes(&self) -> usize {
        self.wire_body_bytes + self.header_bytes
    }
}

impl DeviceClient {
    /// Enrols with a one-time token (`POST /api/v1/enroll`).
    pub async fn enroll(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Self> {
        let response = http
            .post(format!("{base}{ENROLL_PATH}"))
            .json(&EnrollRequest {
                token: token.to_string(),
            })
            .send()
            .await?;
        let status = response.status();
        if status != StatusCode::OK {
            bail!("enrol answered {status}: {}", response.text().await?);
        }
        let enrolment: Enrolment = response.json().await.context("enrolment answer")?;
        Ok(Self {
            http: http.clone(),
            base: base.to_string(),
            actor: enrolment.actor_id,
            access_token: enrolment.access_token,
        })
    }

    /// The actor this device writes under.
    pub fn actor(&self) -> ActorId {
        self.actor
    }

    /// Pushes one batch, its body in zstd; it must answer 200 with exactly the expected
    /// acknowledgement. (No `Accept-Encoding` is sent, so the answer comes as it is.)
    pub async fn push(&self, batch: Batch) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}{PUSH_PATH}", self.base))
            .bearer_auth(&self.access_token)
            .header(CONTENT_TYPE, CBOR_MEDIA_TYPE)
            .header(CONTENT_ENCODING, PUSH_CODING)
            .header(DEVICE_TIME_HEADER, now_ms())
            .body(batch.body)
            .send()
            .await?;
        let status = response.status();
        if status != StatusCode::OK {
            bail!("push answered {status}: {}", response.text().await?);
        }
        let ack: PushAck = response.json().await.context("push answer")?;
        ensure!(
            ack.acked_through == batch.acked_through && ack.applied == batch.ops,
            "push of {} ops through seq {} was acknowledged as {ack:?}",
            batch.ops,
            batch.acked_through
        );
        Ok(())
    }

    /// Pulls one page of changes after `after` (`GET /api/v1/sync/pull`) in zstd, counts its
    /// bytes as received, then decompresses and decodes it.
    pub async fn pull(&self, after: &str, limit: u32) -> anyhow::Result<Pulled> {
        self.ask(after, limit).await?.read().await
    }

    /// Sends a pull and waits for the answer's head only: its `x-sachhon-next` and
    /// `x-sachhon-more` headers let the next page be asked for before this one is read.
    pub async fn ask(&self, after: &str, limit: u32) -> anyhow::Result<Asked> {
        let request = self.pull_request(after, limit)?;
        let request_head = request_head_bytes(&request);
        let response = self.http.execute(request).await?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let next = header(NEXT_HEADER);
        let more = header(MORE_HEADER).as_deref() == Some("true");
        Ok(Asked {
            response,
            request_head,
            next,
            more,
        })
    }
}

/// A pull whose answer's head has arrived, not yet its body.
pub struct Asked {
    response: Response,
    request_head: usize,
    /// The page's `next`, from its header.
    pub next: Option<String>,
    /// The page's `more`, from its header.
    pub more: bool,
}

impl Asked {
    /// Reads, decompresses and decodes the page.
    pub async fn read(self) -> anyhow::Result<Pulled> {
        let (response, request_head) = (self.response, self.request_head);
        let status = response.status();
        let response_head = response_head_bytes(&response);
        let zstd = body_in_zstd(&response)?;
        let body = response.bytes().await?;
        let started = Instant::now();
        let decoded = if zstd {
            zstd::decode_all(body.as_ref()).context("decompressing a pull answer")?
        } else {
            body.to_vec()
        };
        let decompress = started.elapsed();
        if status != StatusCode::OK {
            bail!(
                "pull answered {status}: {}",
                String::from_utf8_lossy(&decoded)
            );
        }
        let started = Instant::now();
        let page = decode_page(&decoded)?;
        let decode = started.elapsed();
        Ok(Pulled {
            page,
            bytes: decoded.len(),
            wire_body_bytes: body.len(),
            header_bytes: request_head + response_head,
            zstd,
            decompress,
            decode,
        })
    }
}

impl DeviceClient {
    /// The pull request as it is sent: the phone's headers and `Accept-Encoding: zstd`.
    fn pull_request(&self, after: &str, limit: u32) -> reqwest::Result<Request> {
        self.http
            .get(format!("{}{PULL_PATH}", self.base))
            .query(&[("after", after), ("limit", &limit.to_string())])
            .bearer_auth(&self.access_token)
            .header(DEVICE_TIME_HEADER, now_ms())
            .header(ACCEPT_ENCODING, PULL_CODING)
            .build()
    }
}

/// Whether the answer's body is in zstd; any coding but zstd and none is an error.
fn body_in_zstd(response: &Response) -> anyhow::Result<bool> {
    let codings: Vec<&[u8]> = response
        .headers()
        .get_all(CONTENT_ENCODING)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    match codings.as_slice() {
        [] => Ok(false),
        [coding] if coding.eq_ignore_ascii_case(b"zstd") => Ok(true),
        _ => bail!("a pull answer came in the content coding {codings:?}, not zstd"),
    }
}

/// Bytes of a request's head as HTTP/1.1 sends it: the request line (origin form), the
/// request's headers, the client's headers it does not set itself, `Host` (added by the
/// connection), and the empty line. A request without a body has no `Content-Length`.
fn request_head_bytes(request: &Request) -> usize {
    let url = request.url();
    let target = url.path().len() + url.query().map_or(0, |query| 1 + query.len());
    let request_line = request.method().as_str().len() + 1 + target + 1 + HTTP_VERSION.len() + 2;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let own = request.headers();
    let defaults = client_headers();
    let added = defaults
        .iter()
        .filter(|(name, _)| !own.contains_key(*name))
        .map(|(name, value)| header_line(name, value.as_bytes()));
    let host_line = if own.contains_key(HOST) {
        0
    } else {
        header_line(&HOST, host.as_bytes())
    };
    request_line + headers_bytes(own) + added.sum::<usize>() + host_line + 2
}

/// Bytes of an answer's head: the status line, every header, the empty line.
fn response_head_bytes(response: &Response) -> usize {
    let status = response.status();
    let reason = status.canonical_reason().unwrap_or_default();
    let status_line = format!("{:?}", response.version()).len() + 1 + 3 + 1 + reason.len() + 2;
    status_line + headers_bytes(response.headers()) + 2
}

/// Bytes of header lines, one `name: value\r\n` per value.
fn headers_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| header_line(name, value.as_bytes()))
        .sum()
}

/// Bytes of one header line: `name: value\r\n`.
fn header_line(name: &HeaderName, value: &[u8]) -> usize {
    name.as_str().len() + 2 + value.len() + 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A raw answer such as the server's to a compressed pull, body chunked.
    const RAW_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/cbor\r\n\
                            vary: accept-encoding\r\ncontent-encoding: zstd\r\n\
                            transfer-encoding: chunked\r\n\
                            date: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n";

    /// Reads one request head (up to its empty line) from a socket.
    async fn read_head(socket: &mut tokio::net::TcpStream) -> Vec<u8> {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            socket.read_exact(&mut byte).await.expect("reads the head");
            head.push(byte[0]);
        }
        head
    }

    #[tokio::test]
    async fn heads_are_counted_as_they_go_over_the_wire() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let body = zstd::bulk::compress(b"not a page", 3).expect("compresses");
        let chunked = [
            format!("{:x}\r\n", body.len()).into_bytes(),
            body.clone(),
            b"\r\n0\r\n\r\n".to_vec(),
        ]
        .concat();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accepts");
            let head = read_head(&mut socket).await;
            socket
                .write_all(&[RAW_HEAD.as_bytes(), &chunked].concat())
                .await
                .expect("answers");
            head
        });
        let device = DeviceClient {
            http: http_client().expect("client"),
            base,
            actor: ActorId::new(),
            access_token: "a-token-of-some-length".into(),
        };
        let request = device
            .pull_request("0123456789abcdef", 5_000)
            .expect("request");
        let counted = request_head_bytes(&request);
        let response = device.http.execute(request).await.expect("answer");
        assert_eq!(response_head_bytes(&response), RAW_HEAD.len());
        assert!(body_in_zstd(&response).expect("zstd"));
        let received = response.bytes().await.expect("body");
        assert_eq!(
            received.as_ref(),
            body.as_slice(),
            "handed over as received"
        );
        let head = server.await.expect("server");
        let text = String::from_utf8_lossy(&head);
        assert!(text.contains("accept-encoding: zstd\r\n"), "{text}");
        assert!(text.starts_with("GET /api/v1/sync/pull?after="), "{text}");
        assert_eq!(counted, head.len(), "{text}");
    }
}
