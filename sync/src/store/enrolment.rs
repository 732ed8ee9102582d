//! The enrolment row of this device: who it is to the server, its actor's next sequence
//! number and its pull cursor, read back and replaced by a new enrolment.

use super::outbox::count_outbox;
use super::{facts, parse_uuid, Store, BEGIN_WRITE};
use crate::error::{Error, Result};
use sachhon_shared::authority::{Principal, Role};
use sachhon_shared::wire::Enrolment;
use sachhon_shared::{ActorId, DeviceId, FacilityId};
use sqlx::sqlite::SqliteConnection;
use sqlx::Row;
use std::fmt;
use std::str::FromStr;

/// The enrolment row of this device.
#[derive(Clone)]
pub(crate) struct Enrolled {
    pub server_url: String,
    pub device_id: DeviceId,
    pub actor_id: ActorId,
    pub access_token: String,
    pub role: Role,
    pub facility_id: Option<FacilityId>,
    pub next_seq: u64,
    pub cursor: String,
    /// The private CA (PEM) the server's certificate is checked against, besides the public
    /// roots; `None` for the public roots only.
    pub ca_cert: Option<String>,
}

// The access token is a secret: never in Debug output.
impl fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrolled")
            .field("server_url", &self.server_url)
            .field("device_id", &self.device_id)
            .field("actor_id", &self.actor_id)
            .field("access_token", &"<redacted>")
            .field("role", &self.role)
            .field("facility_id", &self.facility_id)
            .field("next_seq", &self.next_seq)
            .field("cursor", &self.cursor)
            .field("ca_cert", &self.ca_cert.as_ref().map(|_| "<PEM>"))
            .finish()
    }
}

impl Enrolled {
    /// This device as the authority rules see it.
    pub fn principal(&self) -> Principal {
        Principal {
            role: self.role,
            facility: self.facility_id,
        }
    }
}

impl Store {
    /// The enrolment, if any.
    pub async fn enrolled(&self) -> Result<Option<Enrolled>> {
        let mut conn = self.pool.acquire().await?;
        read_enrolled(&mut conn).await
    }

    /// The enrolment, or [`Error::NotEnrolled`].
    pub async fn require_enrolled(&self) -> Result<Enrolled> {
        self.enrolled().await?.ok_or(Error::NotEnrolled)
    }

    /// Records a new enrolment: a new actor whose ops start at 1 (and an empty sent log), a
    /// pull from the beginning (the new role may see other records), the enrolment's ticket key
    /// ring and the private CA (PEM) that the server's certificate is checked against, if any.
    /// Refused while the outbox holds ops of the previous actor: they would never be sent.
    pub async fn install(
        &self,
        server_url: &str,
        enrolment: &Enrolment,
        ca_cert: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let outbox = count_outbox(&mut tx).await?;
        if outbox > 0 {
            return Err(Error::PendingOps { outbox });
        }
        sqlx::query(
            "INSERT OR REPLACE INTO device \
             (id, server_url, device_id, actor_id, access_token, role, facility_id, next_seq, \
             cursor, ca_cert) VALUES (1, ?, ?, ?, ?, ?, ?, 1, '', ?)",
        )
        .bind(server_url)
        .bind(enrolment.device_id.to_string())
        .bind(enrolment.actor_id.to_string())
        .bind(&enrolment.access_token)
        .bind(enrolment.role.as_str())
        .bind(enrolment.facility_id.map(|id| id.to_string()))
        .bind(ca_cert)
        .execute(&mut *tx)
        .await?;
        facts::replace_ticket_keys(&mut tx, &enrolment.ticket_keys).await?;
        // The previous actor's ops: the new one numbers its own from 1.
        sqlx::query("DELETE FROM sent").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The enrolment row, if any.
pub(super) async fn read_enrolled(conn: &mut SqliteConnection) -> Result<Option<Enrolled>> {
    let Some(row) = sqlx::query(
        "SELECT server_url, device_id, actor_id, access_token, role, facility_id, next_seq, \
         cursor, ca_cert FROM device WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let facility: Option<String> = row.try_get("facility_id")?;
    let next_seq: i64 = row.try_get("next_seq")?;
    Ok(Some(Enrolled {
        server_url: row.try_get("server_url")?,
        device_id: parse_uuid(&row.try_get::<String, _>("device_id")?)?.into(),
        actor_id: parse_uuid(&row.try_get::<String, _>("actor_id")?)?.into(),
        access_token: row.try_get("access_token")?,
        role: Role::from_str(&row.try_get::<String, _>("role")?).map_err(Error::Corrupt)?,
        facility_id: facility
            .map(|id| parse_uuid(&id).map(FacilityId::from))
            .transpose()?,
        next_seq: u64::try_from(next_seq)
            .map_err(|_| Error::Corrupt(format!("next_seq {next_seq}")))?,
        cursor: row.try_get("cursor")?,
        ca_cert: row.try_get("ca_cert")?,
    }))
}
