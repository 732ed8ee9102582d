//! Accounts of the office web pages and their sessions. On SQL.

use super::*;
use crate::store::{NewSession, SessionUser, User, UserRole, UserStore, UserSummary, UserWrite};

#[async_trait]
impl UserStore for SqlStore {
    #[instrument(skip_all)]
    async fn put_user(
        &self,
        username: &str,
        password_hash: &str,
        role: UserRole,
    ) -> StoreResult<UserWrite> {
        let now = now();
        let mut tx = self.writer.begin().await?;
        // Insert-or-nothing, then update: safe when two `user add` run at once.
        let inserted = sqlx::query(
            "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (username) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(username)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
            return Ok(UserWrite::Created);
        }
        let id: String = sqlx::query_scalar(&format!(
            "SELECT id FROM users WHERE username = $1{}",
            self.dialect.for_update()
        ))
        .bind(username)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, role = $2, updated_at = $3, disabled_at = NULL \
             WHERE id = $4",
        )
        .bind(password_hash)
        .bind(role.as_str())
        .bind(&now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        // A new password ends every session opened with the old one.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(UserWrite::Updated)
    }

    async fn user(&self, username: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(
            "SELECT id, username, password_hash, role FROM users \
                 WHERE username = $1 AND disabled_at IS NULL",
        )
        .bind(username)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(User {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                password_hash: row.try_get("password_hash")?,
                role: role(&row)?,
            })
        })
        .transpose()
    }

    async fn users(&self) -> StoreResult<Vec<UserSummary>> {
        let rows = sqlx::query(
            "SELECT username, role, created_at, disabled_at FROM users ORDER BY username",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UserSummary {
                    username: row.try_get("username")?,
                    role: role(row)?,
                    created_at: row.try_get("created_at")?,
                    disabled_at: row.try_get("disabled_at")?,
                })
            })
            .collect()
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let changed = sqlx::query("UPDATE users SET disabled_at = $1 WHERE username = $2")
            .bind(disabled.then(now))
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound("account"));
        }
        sqlx::query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn create_session(&self, session: &NewSession<'_>) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1")
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session.token_hash)
        .bind(session.user_id)
        .bind(session.csrf_token)
        .bind(now())
        .bind(session.expires_at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<SessionUser>> {
        let row = sqlx::query(
            "SELECT u.username, u.role, s.csrf_token FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at_ms > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(SessionUser {
                username: row.try_get("username")?,
                role: role(&row)?,
                csrf_token: row.try_get("csrf_token")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

fn role(row: &AnyRow) -> StoreResult<UserRole> {
    row.try_get::<String, _>("role")?
        .parse()
        .map_err(StoreError::Corrupt)
}

/// The current time in milliseconds since the epoch.
fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}
