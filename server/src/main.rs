//! `sachhon`: the sync server binary. A thin layer over the `sachhon_server` library.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use sachhon_server::bootstrap::{prepare, AdminBootstrap};
use sachhon_server::store::{UserRole, UserWrite};
use sachhon_server::{maintenance, store, tls, tokens, web, AppState};
use std::path::PathBuf;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "sachhon",
    version,
    about = "Cleaner-production programme sync server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        /// Database URL: sqlite://PATH (created if missing) or postgres://…
        #[arg(long, env = "SACHHON_DB", default_value = "sqlite://sachhon.db")]
        db: String,
        /// Address to listen on.
        #[arg(long, env = "SACHHON_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Address phones use to reach this server, put in enrolment QR codes
        /// (default: http://, or https:// with --tls-cert, and the bound address).
        #[arg(long, env = "SACHHON_PUBLIC_URL")]
        public_url: Option<String>,
        /// Serve HTTPS with this certificate chain (PEM: the server's certificate, then
        /// intermediates); needs --tls-key. Session cookies become Secure and answers carry
        /// Strict-Transport-Security.
        #[arg(
            long,
            env = "SACHHON_TLS_CERT",
            value_name = "FILE",
            requires = "tls_key"
        )]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
        #[arg(
            long,
            env = "SACHHON_TLS_KEY",
            value_name = "FILE",
            requires = "tls_cert"
        )]
        tls_key: Option<PathBuf>,
        /// How logs are written on standard error: `text` for people, `json` (one object per
        /// line) for log collectors.
        #[arg(long, env = "SACHHON_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Copies a SQLite database while the server runs (PostgreSQL: use pg_dump); prints
    /// `{"to", "bytes"}`.
    Backup {
        /// Database URL, as `serve` takes it.
        #[arg(long, env = "SACHHON_DB", default_value = "sqlite://sachhon.db")]
        db: String,
        /// The backup file to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restores a backup with the server stopped: puts the SQLite backup `--from` in place of
    /// the database (the replaced file is kept beside it), then begins a new history of the
    /// database so that phones send and pull again what the restore lost. Without `--from`
    /// (after pg_restore, or a file put in place by hand) it begins the new history alone.
    Restore {
        /// Database URL, as `serve` takes it.
        #[arg(long, env = "SACHHON_DB", default_value = "sqlite://sachhon.db")]
        db: String,
        /// The SQLite backup to put in place (made by `sachhon backup`).
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Manages the accounts of the office web pages.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds an account, or sets the password and role of an existing one.
    Add {
        /// Database URL, as `serve` takes it.
        #[arg(long, env = "SACHHON_DB", default_value = "sqlite://sachhon.db")]
        db: String,
        /// The login name (kept in lower case).
        #[arg(long)]
        username: String,
        /// `office` (read, review, resolve, follow up the plan) or `admin` (also devices).
        #[arg(long, value_parser = ["office", "admin"])]
        role: String,
        /// Read the password from standard input (one line; never on the command line, where
        /// other users of the machine could see it).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (tracing-subscriber's JSON format).
    Json,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = Cli::parse().command;
    let log_format = match command {
        Command::Serve { log_format, .. } => log_format,
        _ => LogFormat::Text,
    };
    init_logging(log_format);
    match command {
        Command::Serve {
            db,
            bind,
            public_url,
            tls_cert,
            tls_key,
            log_format: _,
        } => {
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => {
                    Some(tls::load(&cert, &key).context("loading the TLS certificate and key")?)
                }
                _ => None,
            };
            serve(&db, &bind, public_url, tls).await
        }
        Command::Backup { db, to } => {
            let backup = maintenance::backup(&db, &to).await?;
            println!("{}", serde_json::to_string(&backup)?);
            Ok(())
        }
        Command::Restore { db, from } => {
            let restored = maintenance::restore(&db, from.as_deref()).await?;
            println!("{}", serde_json::to_string(&restored)?);
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    username,
                    role,
                    password_stdin: _,
                },
        } => add_user(&db, &username, &role).await,
    }
}

/// Logs on standard error, filtered by `SACHHON_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SACHHON_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
}

/// `sachhon user add`: prints `{"username", "role", "updated"}`.
async fn add_user(db: &str, username: &str, role: &str) -> anyhow::Result<()> {
    let username = web::password::username(username).map_err(anyhow::Error::msg)?;
    let role: UserRole = role.parse().map_err(anyhow::Error::msg)?;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&password);
    web::password::check(password).map_err(anyhow::Error::msg)?;
    let hash = web::password::hash(password).map_err(anyhow::Error::msg)?;
    let store = store::connect(db)
        .await
        .with_context(|| format!("opening the database {db}"))?;
    let written = store.put_user(&username, &hash, role).await?;
    let updated = written == UserWrite::Updated;
    if updated {
        eprintln!(
            "user {username} existed: its password and role are replaced and its sessions ended"
        );
    }
    println!(
        "{}",
        serde_json::json!({ "username": username, "role": role.as_str(), "updated": updated })
    );
    Ok(())
}

async fn serve(
    db: &str,
    bind: &str,
    public_url: Option<String>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> anyhow::Result<()> {
    let store = store::connect(db)
        .await
        .with_context(|| format!("opening the database {db}"))?;
    let env_token = std::env::var("SACHHON_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    if let AdminBootstrap::Generated(token) = prepare(&*store, env_token.as_deref()).await? {
        println!("admin token (shown once, keep it safe): {token}");
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = public_url.unwrap_or_else(|| format!("{scheme}://{address}"));
    let state = AppState::new(store, env_token.map(|t| tokens::hash(&t)), &public_url);
    // `address` last: scripts and the test harness read the address at the end of the line.
    tracing::info!(%scheme, %address, "listening");
    match tls {
        Some(tls) => sachhon_server::serve_tls(listener, state, tls, shutdown_signal()).await?,
        None => sachhon_server::serve(listener, state, shutdown_signal()).await?,
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
