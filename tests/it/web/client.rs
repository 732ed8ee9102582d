//! A client for the web pages without a browser (cookies kept by hand, redirects not
//! followed, so both can be checked), and `sachhon user add` run as the real binary.

use anyhow::{bail, Context};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use sachhon_tests::process::binary;
use serde_json::Value;
use std::collections::BTreeMap;

/// The password of the accounts the tests make.
pub const PASSWORD: &str = "mật khẩu văn phòng";

/// Runs `sachhon user add` on a database; returns the exit code, stdout's JSON (or null) and
/// stderr.
pub async fn user_add(
    db: &str,
    username: &str,
    role: &str,
    password: &str,
) -> anyhow::Result<(i32, Value, String)> {
    user_add_args(
        db,
        &["--username", username, "--role", role, "--password-stdin"],
        password,
    )
    .await
}

/// Runs `sachhon user add` with any arguments after `--db`.
pub async fn user_add_args(
    db: &str,
    args: &[&str],
    stdin: &str,
) -> anyhow::Result<(i32, Value, String)> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(binary("sachhon")?)
        .args(["user", "add", "--db", db])
        .args(args)
        .env_remove("SACHHON_DB")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let mut input = child.stdin.take().context("stdin")?;
    // A child that refuses its arguments exits without reading standard input; its exit code
    // and standard error tell the outcome, not the broken pipe.
    match input.write_all(stdin.as_bytes()).await {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written?,
    }
    drop(input);
    let output = child.wait_with_output().await?;
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    Ok((
        output.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&output.stderr).to_string(),
    ))
}

/// An HTTP answer of a page.
pub struct Page {
    /// Status.
    pub status: StatusCode,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// `Set-Cookie` headers.
    pub set_cookies: Vec<String>,
    /// The body.
    pub body: String,
}

impl Page {
    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> anyhow::Result<String> {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .context("no csrf field on the page")?
            + "name=\"csrf\" value=\"".len();
        let end = self.body[start..].find('"').context("unterminated csrf")?;
        Ok(self.body[start..start + end].to_string())
    }

    /// The `Set-Cookie` line of a cookie, if the answer set it.
    pub fn cookie_line(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .map(String::as_str)
            .find(|line| line.starts_with(&format!("{name}=")))
    }
}

/// A request body.
pub enum Body<'a> {
    /// None.
    Empty,
    /// `application/x-www-form-urlencoded`.
    Form(&'a [(&'a str, &'a str)]),
    /// `application/json`.
    Json(&'a str),
    /// `multipart/form-data`: text fields, then files as (field, file name, bytes).
    Multipart(&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str, &'a [u8])]),
}

/// The boundary of the multipart bodies the client sends.
const BOUNDARY: &str = "sachhon-test-boundary-7d4a";

/// A `multipart/form-data` body (RFC 7578).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes());
    }
    for (name, file_name, bytes) in files {
        body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes());
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

/// A browser without a browser: keeps cookies, follows no redirects (so they can be checked).
pub struct WebClient {
    http: reqwest::Client,
    base: String,
    /// The cookies it holds.
    pub cookies: BTreeMap<String, String>,
}

impl WebClient {
    /// A client for a server.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self::with_http(http, base))
    }

    /// A client for a server that sends through `http` (one that trusts a test CA, say),
    /// which must not follow redirects.
    pub fn with_http(http: reqwest::Client, base: &str) -> Self {
        Self {
            http,
            base: base.to_string(),
            cookies: BTreeMap::new(),
        }
    }

    /// Any request, with extra headers.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Body<'_>,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Page> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request = request.header(COOKIE, jar.join("; "));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        match body {
            Body::Empty => {}
            Body::Form(form) => {
                let pairs: Vec<String> = form
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect();
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(pairs.join("&"));
            }
            Body::Json(json) => {
                request = request
                    .header("content-type", "application/json")
                    .body(json.to_string());
            }
            Body::Multipart(fields, files) => {
                request = request
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(multipart(fields, files));
            }
        }
        let response = request.send().await?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        for line in &set_cookies {
            let pair = line.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || line.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        let body = response.text().await?;
        Ok(Page {
            status,
            location,
            set_cookies,
            body,
        })
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Page> {
        self.send(Method::GET, path, Body::Empty, &[]).await
    }

    /// `POST path` with a form.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<Page> {
        self.send(Method::POST, path, Body::Form(form), &[]).await
    }

    /// `POST path` with a multipart form: fields, then files as (field, file name, bytes).
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> anyhow::Result<Page> {
        self.send(Method::POST, path, Body::Multipart(fields, files), &[])
            .await
    }

    /// Logs in through the form; fails unless the server answers with a session.
    pub async fn login(&mut self, username: &str, password: &str) -> anyhow::Result<Page> {
        let form = self.get("/login").await?;
        let csrf = form.csrf()?;
        let answer = self
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/"),
                ],
            )
            .await?;
        if answer.status != StatusCode::SEE_OTHER || answer.cookie_line("sachhon_session").is_none()
        {
            bail!("login answered {}: {}", answer.status, answer.body);
        }
        Ok(answer)
    }
}

/// Percent-encodes a form value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
