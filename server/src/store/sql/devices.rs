//! Credentials: admin tokens, devices, enrolments. On SQL.

use super::*;

#[async_trait]
impl DeviceStore for SqlStore {
    async fn has_admin_token(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admin_tokens")
            .fetch_one(&self.reader)
            .await?;
        Ok(n > 0)
    }

    async fn add_admin_token(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO admin_tokens (token_hash, created_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(now())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn is_admin_token(&self, token_hash: &str) -> StoreResult<bool> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT token_hash FROM admin_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.reader)
                .await?;
        Ok(found.is_some())
    }

    #[instrument(skip_all)]
    async fn create_device(
        &self,
        device: &NewDevice,
        enrolment_hash: &str,
    ) -> StoreResult<DeviceId> {
        crate::store::check_text("name", &device.name, sachhon_shared::text::SHORT)?;
        let id = DeviceId::new();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO devices (id, name, role, facility_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(&device.name)
        .bind(device.role.as_str())
        .bind(device.facility.map(|f| f.to_string()))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        insert_enrolment_token(&mut tx, id, enrolment_hash).await?;
        tx.commit().await?;
        Ok(id)
    }

    #[instrument(skip_all)]
    async fn renew_enrolment_token(&self, device: DeviceId, token_hash: &str) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let revoked: Option<Option<String>> =
            sqlx::query_scalar("SELECT revoked_at FROM devices WHERE id = $1")
                .bind(device.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        match revoked {
            None => return Err(StoreError::NotFound("device")),
            Some(Some(_)) => return Err(StoreError::Conflict("the device is revoked".into())),
            Some(None) => {}
        }
        sqlx::query("DELETE FROM enrolment_tokens WHERE device_id = $1 AND used_at IS NULL")
            .bind(device.to_string())
            .execute(&mut *tx)
            .await?;
        insert_enrolment_token(&mut tx, device, token_hash).await?;
        tx.commit().await?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn enroll(
        &self,
        enrolment_hash: &str,
        actor: ActorId,
        access_hash: &str,
    ) -> StoreResult<(DeviceId, Principal)> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "SELECT d.id, d.role, d.facility_id, t.used_at, d.revoked_at \
             FROM enrolment_tokens t JOIN devices d ON d.id = t.device_id WHERE t.token_hash = $1",
        )
        .bind(enrolment_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("enrolment token"))?;
        let used: Option<String> = row.try_get("used_at")?;
        let revoked: Option<String> = row.try_get("revoked_at")?;
        if used.is_some() || revoked.is_some() {
            return Err(StoreError::Conflict(
                "this enrolment token was already used or its device revoked; ask for a new one"
                    .into(),
            ));
        }
        let device: DeviceId = parse(&row.try_get::<String, _>("id")?)?;
        let principal = principal(&row)?;
        let now = now();
        sqlx::query("UPDATE enrolment_tokens SET used_at = $1 WHERE token_hash = $2")
            .bind(&now)
            .bind(enrolment_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO actors (id, device_id, token_hash, enrolled_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(actor.to_string())
        .bind(device.to_string())
        .bind(access_hash)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((device, principal))
    }

    #[instrument(skip_all)]
    async fn revoke_device(&self, device: DeviceId) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let changed =
            sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now())
                .bind(device.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            let known: Option<String> = sqlx::query_scalar("SELECT id FROM devices WHERE id = $1")
                .bind(device.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            known.ok_or(StoreError::NotFound("device"))?;
        }
        sqlx::query("UPDATE actors SET token_hash = NULL WHERE device_id = $1")
            .bind(device.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM enrolment_tokens WHERE device_id = $1 AND used_at IS NULL")
            .bind(device.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn assignments(&self, device: DeviceId) -> StoreResult<Assignments> {
        let mut conn = self.reader.acquire().await?;
        device_role(&mut conn, device).await?;
        read_assignments(&mut conn, device).await
    }

    #[instrument(skip_all)]
    async fn set_assignments(
        &self,
        device: DeviceId,
        assignments: &Assignments,
    ) -> StoreResult<Assignments> {
        let mut tx = self.writer.begin().await?;
        if device_role(&mut tx, device).await? != Role::Trainer {
            return Err(StoreError::Invalid {
                field: Some("role".into()),
                message: "only a trainer device is assigned events".into(),
            });
        }
        for event in &assignments.events {
            let known: Option<String> = sqlx::query_scalar("SELECT id FROM events WHERE id = $1")
                .bind(event.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Err(StoreError::Invalid {
                    field: Some("events".into()),
                    message: format!("no event {event}"),
                });
            }
        }
        for district in &assignments.districts {
            crate::store::check_text("districts", district, sachhon_shared::text::SHORT)?;
            if district.trim().is_empty() {
                return Err(StoreError::Invalid {
                    field: Some("districts".into()),
                    message: "a district must not be empty".into(),
                });
            }
        }
        sqlx::query("DELETE FROM device_assignments WHERE device_id = $1")
            .bind(device.to_string())
            .execute(&mut *tx)
            .await?;
        let rows = assignments
            .events
            .iter()
            .map(|event| ("event", event.to_string()))
            .chain(
                assignments
                    .districts
                    .iter()
                    .map(|district| ("district", district.trim().to_string())),
            );
        for (kind, value) in rows {
            sqlx::query(
                "INSERT INTO device_assignments (device_id, kind, value) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(device.to_string())
            .bind(kind)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        let stored = read_assignments(&mut tx, device).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn author_by_token(&self, access_hash: &str) -> StoreResult<Option<Author>> {
        let row = sqlx::query(
            "SELECT a.id AS actor_id, d.id, d.role, d.facility_id FROM actors a \
             JOIN devices d ON d.id = a.device_id \
             WHERE a.token_hash = $1 AND d.revoked_at IS NULL",
        )
        .bind(access_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(Author {
                actor: parse(&row.try_get::<String, _>("actor_id")?)?,
                device: parse(&row.try_get::<String, _>("id")?)?,
                principal: principal(&row)?,
            })
        })
        .transpose()
    }
}

fn principal(row: &AnyRow) -> StoreResult<Principal> {
    let role: String = row.try_get("role")?;
    let facility: Option<String> = row.try_get("facility_id")?;
    Ok(Principal {
        role: role.parse().map_err(StoreError::Corrupt)?,
        facility: facility.map(|f| parse::<FacilityId>(&f)).transpose()?,
    })
}

/// A device's role; [`StoreError::NotFound`] when there is no such device.
async fn device_role(conn: &mut AnyConnection, device: DeviceId) -> StoreResult<Role> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM devices WHERE id = $1")
        .bind(device.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    role.ok_or(StoreError::NotFound("device"))?
        .parse()
        .map_err(StoreError::Corrupt)
}

async fn read_assignments(conn: &mut AnyConnection, device: DeviceId) -> StoreResult<Assignments> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, value FROM device_assignments WHERE device_id = $1 ORDER BY kind, value",
    )
    .bind(device.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut assignments = Assignments::default();
    for (kind, value) in rows {
        match kind.as_str() {
            "event" => assignments.events.push(parse(&value)?),
            _ => assignments.districts.push(value),
        }
    }
    Ok(assignments)
}

async fn insert_enrolment_token(
    conn: &mut AnyConnection,
    device: DeviceId,
    token_hash: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO enrolment_tokens (token_hash, device_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(device.to_string())
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
