//! Just enough of the W3C WebDriver protocol to drive headless Chromium through Debian's
//! `chromedriver`.
//!
//! Why this and not a client crate: WebDriver is plain JSON over HTTP, and the suite already
//! has an HTTP client (reqwest). The dozen commands below cost ~150 lines and no new
//! dependency, where `fantoccini` would bring hyper-util, a TLS stack choice, cookie and
//! websocket-free-but-still-heavy layers for features we do not use, and
//! `chromiumoxide`/DevTools a websocket stack and a protocol that changes with each Chromium.
//! The W3C protocol is stable, and chromedriver ships with Debian's chromium, same version.

use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver on a loopback port; killed when dropped.
pub struct Driver {
    base: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl Driver {
    /// Starts chromedriver; fails (not skips) with a clear message when Chromium is missing.
    pub async fn start() -> anyhow::Result<Self> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            if !Path::new(path).exists() {
                bail!(
                    "{path} is missing: the browser test needs Debian's Chromium. Install it with \
                     `apt-get install -y chromium chromium-driver` (.ci/run does; package {package})"
                );
            }
        }
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.local_addr()?.port()
        };
        let child = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver")?;
        let driver = Self {
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            _child: child,
        };
        for _ in 0..100 {
            let ready = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await;
            if let Ok(response) = ready {
                let status: Value = response.json().await.unwrap_or_default();
                if status["value"]["ready"] == json!(true) {
                    return Ok(driver);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("chromedriver did not become ready within 10 s")
    }

    /// A new headless Chromium with a fresh profile in `profile`.
    pub async fn session(&self, profile: &Path) -> anyhow::Result<Session> {
        self.session_with(profile, &[]).await
    }

    /// A new headless Chromium with a fresh profile and more command-line switches (a fake
    /// camera, say).
    pub async fn session_with(&self, profile: &Path, extra: &[String]) -> anyhow::Result<Session> {
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,1600".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend_from_slice(extra);
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let answer = self
            .http
            .post(format!("{}/session", self.base))
            .json(&capabilities)
            .send()
            .await?;
        let answer: Value = answer.json().await?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("chromedriver refused a session: {answer}"))?;
        Ok(Session {
            http: self.http.clone(),
            base: format!("{}/session/{id}", self.base),
        })
    }
}

/// One browser window.
#[derive(Clone)]
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// An element of the page.
pub struct Element(String);

impl Session {
    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await?.json().await?;
        if let Some(error) = answer["value"]["error"].as_str() {
            bail!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        Ok(answer["value"].clone())
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.command(reqwest::Method::GET, path, None).await
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    /// The current URL.
    pub async fn url(&self) -> anyhow::Result<String> {
        self.get("/url")
            .await?
            .as_str()
            .map(str::to_string)
            .context("no url")
    }

    /// Waits until the current URL is `expected` (a click's navigation may still be under
    /// way when the click returns); fails with the URL it is at after 10 s.
    pub async fn wait_for_url(&self, expected: &str) -> anyhow::Result<()> {
        let mut url = String::new();
        for _ in 0..100 {
            url = self.url().await?;
            let loaded = self.execute("return document.readyState").await?;
            if url == expected && loaded == json!("complete") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("still at {url}, not {expected}")
    }

    /// The first element matching a CSS selector.
    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        let found = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await
            .with_context(|| format!("finding {css}"))?;
        found[ELEMENT]
            .as_str()
            .map(|id| Element(id.to_string()))
            .with_context(|| format!("no element {css}: {found}"))
    }

    /// Types text into an element.
    pub async fn type_into(&self, element: &Element, text: &str) -> anyhow::Result<()> {
        self.post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await
        .map(drop)
    }

    /// Clicks an element (a submit button submits its form and waits for the next page).
    pub async fn click(&self, element: &Element) -> anyhow::Result<()> {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await
            .map(drop)
    }

    /// The rendered text of an element.
    pub async fn text(&self, element: &Element) -> anyhow::Result<String> {
        Ok(self
            .get(&format!("/element/{}/text", element.0))
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Runs a script in the page and returns its result.
    pub async fn execute(&self, script: &str) -> anyhow::Result<Value> {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// Runs an asynchronous script in the page: its last argument is the callback that
    /// returns the result (WebDriver "execute async script").
    pub async fn execute_async(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        self.post("/execute/async", json!({"script": script, "args": args}))
            .await
    }

    /// Cuts the page off the network, or gives it back (chromedriver's network emulation,
    /// which DevTools' "offline" is).
    pub async fn set_offline(&self, offline: bool) -> anyhow::Result<()> {
        let conditions = json!({"network_conditions": {
            "offline": offline, "latency": 0,
            "download_throughput": 10_000_000, "upload_throughput": 10_000_000,
        }});
        self.post("/chromium/network_conditions", conditions)
            .await
            .map(drop)
    }

    /// Resizes the window (CSS pixels).
    pub async fn resize(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.post("/window/rect", json!({"width": width, "height": height}))
            .await
            .map(drop)
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        let text = self.get("/screenshot").await?;
        let text = text.as_str().context("no screenshot")?;
        Ok(data_encoding::BASE64.decode(text.as_bytes())?)
    }

    /// Closes the browser.
    pub async fn close(self) -> anyhow::Result<()> {
        self.command(reqwest::Method::DELETE, "", None)
            .await
            .map(drop)
    }
}
