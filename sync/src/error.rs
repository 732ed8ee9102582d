//! The one error type of the device library, sorted so that a caller (the CLI, an app) can
//! tell a refusal from a network failure from a broken replica.

/// A result with the device library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a device operation failed. Whatever the variant, a failed operation changed nothing in
/// the replica except what it had already committed (each local action is one transaction).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The home has no enrolment yet: run `enroll` first.
    #[error("this device is not enrolled")]
    NotEnrolled,
    /// Re-enrolling would drop local ops that the server has not acknowledged.
    #[error("this device is enrolled and has {outbox} unsent ops: sync before enrolling again")]
    PendingOps {
        /// How many ops wait in the outbox.
        outbox: u64,
    },
    /// A value given by the caller is not acceptable (empty name, bad server address, …).
    #[error("invalid value: {0}")]
    Invalid(String),
    /// The replica does not hold the record named (it may not have been pulled yet).
    #[error("not found: {0}")]
    NotFound(String),
    /// The record is in a state that refuses the action (a scan already annulled).
    #[error("conflict: {0}")]
    Conflict(String),
    /// This device's role may not do that.
    #[error("not allowed for this device: {0}")]
    Forbidden(String),
    /// The server could not be reached (connection refused, timeout, connection lost).
    /// Everything stays queued.
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    /// The secure connection to the server failed: its certificate is not trusted (unknown
    /// CA, wrong name, expired) or the TLS handshake failed (a plain-HTTP server at an
    /// `https://` address, no common protocol). Not a network failure: retrying will not help
    /// until the address or the trusted CA (`enroll --ca-cert`) is fixed. Everything stays
    /// queued.
    #[error("TLS failure: {0}")]
    Tls(String),
    /// The server refused the request with a problem answer.
    #[error("the server answered {status}: {detail}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The problem's `title`, or the status text.
        title: String,
        /// The problem's `detail`, or the body.
        detail: String,
    },
    /// The server answered something this client does not understand, or answered in a way
    /// that would make the sync loop forever.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The device and the server disagree on this actor's history in a way that resending
    /// cannot repair (ops lost on one side, or an actor reused). The outbox is kept.
    #[error("unrecoverable sync state: {0}")]
    Unrecoverable(String),
    /// The local database holds something unreadable.
    #[error("the local replica is corrupt: {0}")]
    Corrupt(String),
    /// The local database failed.
    #[error("local database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The local database could not be migrated.
    #[error("local database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The home directory could not be created or read.
    #[error("home directory: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A short stable code for machine-readable output (`{"error": code}`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotEnrolled => "not_enrolled",
            Self::PendingOps { .. } => "pending_ops",
            Self::Invalid(_) => "invalid",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Forbidden(_) => "forbidden",
            Self::Offline(_) => "offline",
            Self::Tls(_) => "tls",
            Self::Server { .. } => "server",
            Self::Protocol(_) => "protocol",
            Self::Unrecoverable(_) => "unrecoverable",
            Self::Corrupt(_) => "corrupt",
            Self::Database(_) | Self::Migrate(_) | Self::Io(_) => "local_storage",
        }
    }

    /// Whether the failure was the network's: retrying later may succeed, nothing was lost.
    pub fn is_offline(&self) -> bool {
        matches!(self, Self::Offline(_))
    }
}
