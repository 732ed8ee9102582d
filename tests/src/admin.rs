//! The administrator's side of the HTTP API, for tests and benchmarks.

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A client holding an admin token.
#[derive(Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// An HTTP answer: status, content type and parsed JSON (or `Value::Null`).
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// `Content-Type` header.
    pub content_type: String,
    /// The body as JSON, when it is JSON.
    pub json: Value,
    /// The raw body.
    pub bytes: Vec<u8>,
}

impl AdminClient {
    /// A client for the server at `base` with `token`.
    pub fn new(base: &str, token: &str) -> Self {
        Self::with_http(reqwest::Client::new(), base, token)
    }

    /// A client for the server at `base` with `token`, sending through `http` (one that
    /// trusts a test CA, say).
    pub fn with_http(http: reqwest::Client, base: &str, token: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
        }
    }

    /// Any request with the admin token; the body is sent as-is with the given content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> anyhow::Result<Answer> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response.bytes().await?.to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            content_type,
            json,
            bytes,
        })
    }

    /// Sends a request whose body is `size` bytes of zeros straight over TCP and returns the
    /// answer's status code and `Content-Type`. Unlike an HTTP client, it keeps reading the answer when the server
    /// refuses the body early and stops reading it (as it does for bodies over the limit).
    pub async fn oversized(
        &self,
        path: &str,
        content_type: &str,
        size: usize,
    ) -> anyhow::Result<(u16, String)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = self.base.trim_start_matches("http://").to_string();
        let stream = tokio::net::TcpStream::connect(&address).await?;
        let (mut reader, mut writer) = stream.into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {size}\r\n\r\n",
            self.token
        );
        let sender = tokio::spawn(async move {
            writer.write_all(head.as_bytes()).await?;
            let chunk = vec![0u8; 64 * 1024];
            let mut left = size;
            while left > 0 {
                let n = left.min(chunk.len());
                writer.write_all(&chunk[..n]).await?;
                left -= n;
            }
            std::io::Result::Ok(())
        });
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = reader.read(&mut buffer).await?;
            anyhow::ensure!(n > 0, "the server closed the connection without an answer");
            answer.extend_from_slice(&buffer[..n]);
        }
        sender.abort();
        let head = String::from_utf8_lossy(&answer).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .context("no status line")?;
        let content_type = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-type:")
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default();
        Ok((status, content_type))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.raw(Method::GET, path, None, Vec::new()).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Answer> {
        self.raw(
            Method::POST,
            path,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    /// `POST` that must answer 201 with an id.
    async fn create(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let answer = self.post(path, &body).await?;
        if answer.status != StatusCode::CREATED {
            bail!("POST {path} answered {}: {}", answer.status, answer.json);
        }
        Ok(answer.json)
    }

    fn id(answer: &Value) -> anyhow::Result<String> {
        answer["id"]
            .as_str()
            .map(str::to_string)
            .context("answer without id")
    }

    /// Creates a facility; returns its id.
    pub async fn facility(
        &self,
        name: &str,
        tax_code: &str,
        district: &str,
    ) -> anyhow::Result<String> {
        let body = json!({"name": name, "tax_code": tax_code, "district": district,
                          "sector": "food processing", "cp_potential": true});
        Self::id(&self.create("/api/v1/facilities", body).await?)
    }

    /// Creates an event; returns its id.
    pub async fn event(&self, title: &str, kind: &str) -> anyhow::Result<String> {
        let body = json!({"title": title, "kind": kind, "starts_at": "2026-12-01T08:00:00+07:00",
                          "district": "Bến Lức"});
        Self::id(&self.create("/api/v1/events", body).await?)
    }

    /// Registers a device; returns `(id, one-time enrolment token)`.
    pub async fn device(
        &self,
        role: &str,
        facility: Option<&str>,
    ) -> anyhow::Result<(String, String)> {
        let body = json!({"name": format!("{role} phone"), "role": role, "facility_id": facility});
        let answer = self.create("/api/v1/devices", body).await?;
        let token = answer["token"].as_str().context("no token")?.to_string();
        Ok((Self::id(&answer)?, token))
    }

    /// An event's attendance JSON.
    pub async fn attendance(&self, event: &str) -> anyhow::Result<Value> {
        let answer = self
            .get(&format!("/api/v1/events/{event}/attendance"))
            .await?;
        if answer.status != StatusCode::OK {
            bail!("attendance answered {}: {}", answer.status, answer.json);
        }
        Ok(answer.json)
    }

    /// The server's canonical state hash.
    pub async fn state_hash(&self) -> anyhow::Result<String> {
        let answer = self.get("/api/v1/sync/state-hash").await?;
        answer.json["state_hash"]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("state-hash answered {}", answer.status))
    }
}
