//! Accounts of the office web pages and their sessions. Passwords arrive here already hashed
//! (argon2id, `crate::web::password`); session tokens arrive as their SHA-256 (`crate::tokens`).

use super::StoreResult;
use async_trait::async_trait;
use std::fmt;
use std::str::FromStr;

/// What a web account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserRole {
    /// Office staff: read every view, resolve conflicts, review, follow up the plan.
    Office,
    /// Administrator: also what the admin token may do (devices and their enrolment QR, …).
    Admin,
}

impl UserRole {
    /// The stable name used in storage, JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office => "office",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for UserRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "office" => Ok(Self::Office),
            "admin" => Ok(Self::Admin),
            _ => Err(format!("unknown role {s:?}: use office or admin")),
        }
    }
}

/// A stored account.
#[derive(Clone)]
pub struct User {
    /// Its id.
    pub id: String,
    /// The login name (lower case).
    pub username: String,
    /// The argon2id hash of its password, as a PHC string.
    pub password_hash: String,
    /// Its role.
    pub role: UserRole,
}

impl fmt::Debug for User {
    // The hash stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Whether `put_user` made a new account or changed an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserWrite {
    /// A new account.
    Created,
    /// The password and role of an existing account were replaced (its sessions ended).
    Updated,
}

/// A session to store.
pub struct NewSession<'a> {
    /// SHA-256 of the session token that the cookie carries.
    pub token_hash: &'a str,
    /// The account.
    pub user_id: &'a str,
    /// The token every form of this session must carry.
    pub csrf_token: &'a str,
    /// When it stops working, ms since the epoch.
    pub expires_at_ms: i64,
}

/// The account behind a live session.
#[derive(Clone)]
pub struct SessionUser {
    /// The login name.
    pub username: String,
    /// Its role.
    pub role: UserRole,
    /// The session's CSRF token.
    pub csrf_token: String,
}

impl fmt::Debug for SessionUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// An account as the accounts page lists it.
#[derive(Clone, Debug)]
pub struct UserSummary {
    /// The login name.
    pub username: String,
    /// Its role.
    pub role: UserRole,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was disabled, if it is.
    pub disabled_at: Option<String>,
}

/// Accounts of the office web pages and their sessions.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates an account, or replaces the password hash and role of the one with this name
    /// (ending its sessions, and enabling it if it was disabled).
    async fn put_user(
        &self,
        username: &str,
        password_hash: &str,
        role: UserRole,
    ) -> StoreResult<UserWrite>;
    /// The enabled account with this name (a disabled one is as good as unknown).
    async fn user(&self, username: &str) -> StoreResult<Option<User>>;
    /// Every account, by name.
    async fn users(&self) -> StoreResult<Vec<UserSummary>>;
    /// Disables an account (ending its sessions) or enables it again; `NotFound` when there
    /// is none by this name.
    async fn set_user_disabled(&self, username: &str, disabled: bool) -> StoreResult<()>;
    /// Stores a new session (and drops expired ones).
    async fn create_session(&self, session: &NewSession<'_>) -> StoreResult<()>;
    /// The account of an unexpired session.
    async fn session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<SessionUser>>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
}
