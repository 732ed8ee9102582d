//! Test and benchmark support: start the real server (in-process or as a process) on a fresh
//! SQLite file or a fresh PostgreSQL database, over HTTP or HTTPS, and talk to it as the
//! administrator.

pub mod admin;
pub mod backend;
pub mod process;
pub mod raw;

pub use admin::AdminClient;
pub use backend::Backend;

use anyhow::Context;
use sachhon_server::{store, AppState};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::sync::oneshot;

/// The admin token every test server accepts.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A server certificate and its key in PEM files, for `serve --tls-cert FILE --tls-key FILE`,
/// and the PEM of the CA that issued the certificate.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// The issuing CA's certificate (PEM text).
    pub ca_pem: String,
}

impl TlsFiles {
    /// An HTTP client that trusts the CA (and no redirects are followed, as in the other
    /// test clients' checks).
    pub fn client(&self) -> anyhow::Result<reqwest::Client> {
        let ca = reqwest::Certificate::from_pem(self.ca_pem.as_bytes())?;
        Ok(reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca)
            .redirect(reqwest::redirect::Policy::none())
            .build()?)
    }
}

/// The `host:port` of a base URL (`http://…` or `https://…`).
fn host_port(url: &str) -> &str {
    url.split_once("://").map_or(url, |(_, rest)| rest)
}

/// A server running inside the test process on a random port with a fresh database.
pub struct TestServer {
    /// Base URL, e.g. `http://127.0.0.1:40123` (`https://` when started with TLS).
    pub url: String,
    /// The fresh database behind it (dropped with the server).
    pub database: backend::Database,
    /// The client its admin uses: one that trusts the test CA when it serves HTTPS.
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server on a fresh database of the given backend.
    pub async fn start(backend: Backend) -> anyhow::Result<Self> {
        let database = backend.fresh_database().await?;
        Self::start_on(database).await
    }

    /// Starts a server on an existing database (several servers may share one PostgreSQL
    /// database).
    pub async fn start_on(database: backend::Database) -> anyhow::Result<Self> {
        Self::start_at(database, "127.0.0.1:0").await
    }

    /// Starts a server on an existing database at a given address (to come back on the
    /// address phones know after a stop).
    pub async fn start_at(database: backend::Database, address: &str) -> anyhow::Result<Self> {
        Self::launch(database, address, None).await
    }

    /// Starts a server that serves HTTPS itself with `tls`, as `serve --tls-cert --tls-key`
    /// does, on a fresh database of the given backend.
    pub async fn start_tls(backend: Backend, tls: &TlsFiles) -> anyhow::Result<Self> {
        let database = backend.fresh_database().await?;
        Self::launch(database, "127.0.0.1:0", Some(tls)).await
    }

    async fn launch(
        database: backend::Database,
        address: &str,
        tls: Option<&TlsFiles>,
    ) -> anyhow::Result<Self> {
        init_logging();
        let store = store::connect(&database.url)
            .await
            .with_context(|| format!("opening {}", database.url))?;
        sachhon_server::bootstrap::prepare(&*store, Some(ADMIN_TOKEN)).await?;
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address: SocketAddr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{address}");
        let state = AppState::new(store, Some(sachhon_server::tokens::hash(ADMIN_TOKEN)), &url);
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped = async {
            let _ = stopped.await;
        };
        let (task, http) = match tls {
            Some(tls) => {
                let config = sachhon_server::tls::load(&tls.cert, &tls.key)?;
                let task = sachhon_server::serve_tls(listener, state, config, stopped);
                (tokio::spawn(task), tls.client()?)
            }
            None => {
                let task = sachhon_server::serve(listener, state, stopped);
                (tokio::spawn(task), reqwest::Client::new())
            }
        };
        Ok(Self {
            url,
            database,
            http,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The `host:port` it listens on.
    pub fn address(&self) -> &str {
        host_port(&self.url)
    }

    /// An admin client for this server.
    pub fn admin(&self) -> AdminClient {
        AdminClient::with_http(self.http.clone(), &self.url, ADMIN_TOKEN)
    }

    /// Stops the server and waits for it; the database stays.
    pub async fn stop(mut self) -> backend::Database {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        std::mem::replace(&mut self.database, backend::Database::detached())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Sends the server's logs to the test output, filtered by `SACHHON_LOG` (default: errors).
fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_env("SACHHON_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}
