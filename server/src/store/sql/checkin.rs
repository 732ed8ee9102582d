//! Check-in: ticket keys, registrations, badges, annulments, attendance. On SQL.

use super::*;
use crate::store::EventAttended;

#[async_trait]
impl CheckinStore for SqlStore {
    #[instrument(skip_all)]
    async fn annul_as_server(&self, scan: ScanId, reason: Option<String>) -> StoreResult<Uuid> {
        let mut tx = self.writer.begin().await?;
        let seq = self.last_seq(&mut tx, self.server_actor).await? + 1;
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM scans WHERE id = $1")
            .bind(scan.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        known.ok_or(StoreError::NotFound("scan"))?;
        let already: Option<String> =
            sqlx::query_scalar("SELECT id FROM annulments WHERE scan_id = $1 LIMIT 1")
                .bind(scan.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if already.is_some() {
            return Err(StoreError::Conflict(format!(
                "scan {scan} is already annulled"
            )));
        }
        let id = Uuid::now_v7();
        let change = Change::Annul(Annulment { scan, reason });
        self.commit_server_fact(tx, seq, RecordKind::Annulment, id, change)
            .await?;
        Ok(id)
    }

    async fn ticket_keys(&self) -> StoreResult<Vec<TicketKey>> {
        let rows =
            sqlx::query("SELECT public_key, retired_at FROM ticket_keys ORDER BY created_at")
                .fetch_all(&self.reader)
                .await?;
        rows.iter()
            .map(|row| {
                let key = verifying_key(&row.try_get::<String, _>("public_key")?)?;
                let retired: Option<String> = row.try_get("retired_at")?;
                Ok(TicketKey::of(&key, retired.is_some()))
            })
            .collect()
    }

    async fn signing_key(&self) -> StoreResult<Option<SigningKey>> {
        let secret: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT secret_key FROM ticket_keys WHERE retired_at IS NULL \
             ORDER BY created_at DESC, id LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        secret
            .map(|bytes| {
                let bytes: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("ticket secret key length".into()))?;
                Ok(SigningKey::from_bytes(&bytes))
            })
            .transpose()
    }

    async fn add_ticket_key(&self, key: &SigningKey) -> StoreResult<String> {
        let public = TicketKey::of(&key.verifying_key(), false);
        sqlx::query(
            "INSERT INTO ticket_keys (id, public_key, secret_key, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&public.id)
        .bind(&public.public_key)
        .bind(key.to_bytes().to_vec())
        .bind(now())
        .execute(&self.writer)
        .await?;
        Ok(public.id)
    }

    async fn retire_ticket_key(&self, id: &str) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let active: Vec<String> =
            sqlx::query_scalar("SELECT id FROM ticket_keys WHERE retired_at IS NULL")
                .fetch_all(&mut *tx)
                .await?;
        if !active.iter().any(|a| a == id) {
            let known: Option<String> =
                sqlx::query_scalar("SELECT id FROM ticket_keys WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return match known {
                Some(_) => Err(StoreError::Conflict(format!("key {id} is already retired"))),
                None => Err(StoreError::NotFound("ticket key")),
            };
        }
        if active.len() == 1 {
            return Err(StoreError::Conflict(
                "this is the only active ticket key: rotate first, then retire it".into(),
            ));
        }
        sqlx::query("UPDATE ticket_keys SET retired_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn registration(&self, id: RegistrationId) -> StoreResult<Option<RegistrationRecord>> {
        let row =
            sqlx::query("SELECT event_id, person_id, revoked FROM registrations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.reader)
                .await?;
        row.map(|row| {
            Ok(RegistrationRecord {
                id,
                event: parse(&row.try_get::<String, _>("event_id")?)?,
                person: parse(&row.try_get::<String, _>("person_id")?)?,
                revoked: row.try_get::<i64, _>("revoked")? != 0,
            })
        })
        .transpose()
    }

    async fn registration_for(
        &self,
        event: EventId,
        person: PersonId,
    ) -> StoreResult<Option<RegistrationId>> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM registrations WHERE event_id = $1 AND person_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(event.to_string())
        .bind(person.to_string())
        .fetch_optional(&self.reader)
        .await?;
        id.map(|id| parse(&id)).transpose()
    }

    async fn badges(&self, event: EventId) -> StoreResult<Vec<Badge>> {
        let rows = sqlx::query(
            "SELECT r.id, p.name AS person_name, f.name AS facility_name FROM registrations r \
             LEFT JOIN people p ON p.id = r.person_id \
             LEFT JOIN facilities f ON f.id = p.facility_id \
             WHERE r.event_id = $1 AND r.revoked = 0 ORDER BY p.name, r.id",
        )
        .bind(event.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Badge {
                    registration: parse(&row.try_get::<String, _>("id")?)?,
                    person_name: row.try_get("person_name")?,
                    facility_name: row.try_get("facility_name")?,
                })
            })
            .collect()
    }

    #[instrument(skip_all)]
    async fn attendance(&self, event: EventId) -> StoreResult<Option<Attendance>> {
        if !self.record_exists(RecordKind::Event, event.0).await? {
            return Ok(None);
        }
        let rows = sqlx::query(&format!(
            "SELECT COALESCE(s.person_id, r.person_id) AS person, MIN(s.scanned_at_ms) AS first_scan, \
                    COUNT(*) AS scans, MAX(s.clock_skewed) AS skewed, \
                    MAX(s.revoked_ticket) AS revoked_ticket \
             FROM scans s LEFT JOIN registrations r ON r.id = s.registration_id \
             WHERE {COUNTED} AND s.event_id = $1 \
             GROUP BY COALESCE(s.person_id, r.person_id) ORDER BY MIN(s.scanned_at_ms), 1",
        ))
        .bind(event.to_string())
        .fetch_all(&self.reader)
        .await?;
        let attendees = rows
            .iter()
            .map(|row| {
                Ok(Attendee {
                    person_id: row
                        .try_get::<Option<String>, _>("person")?
                        .map(|p| parse(&p))
                        .transpose()?,
                    first_scan_at_ms: row.try_get("first_scan")?,
                    scans: row.try_get("scans")?,
                    clock_skewed: row.try_get::<i64, _>("skewed")? != 0,
                    revoked_ticket: row.try_get::<i64, _>("revoked_ticket")? != 0,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Some(Attendance {
            event_id: event,
            attendees,
        }))
    }

    async fn facility_attendance(&self, facility: FacilityId) -> StoreResult<Vec<EventAttended>> {
        let rows = sqlx::query(&format!(
            "SELECT e.id, e.title, e.kind, e.starts_at, e.district, \
                    COUNT(DISTINCT p.id) AS people \
             FROM scans s LEFT JOIN registrations r ON r.id = s.registration_id \
             JOIN people p ON p.id = COALESCE(s.person_id, r.person_id) \
             JOIN events e ON e.id = s.event_id \
             WHERE {COUNTED} AND p.facility_id = $1 \
             GROUP BY e.id, e.title, e.kind, e.starts_at, e.district \
             ORDER BY e.starts_at DESC, e.id",
        ))
        .bind(facility.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(EventAttended {
                    event: EventRecord {
                        id: parse(&row.try_get::<String, _>("id")?)?,
                        title: row.try_get("title")?,
                        kind: row.try_get("kind")?,
                        starts_at: row.try_get("starts_at")?,
                        district: row.try_get("district")?,
                    },
                    people: row.try_get("people")?,
                })
            })
            .collect()
    }
}

/// The condition on a scan `s` that counts as attendance: not annulled. Its person is the
/// scan's, or (a scan accepted on a ticket's signature alone) its registration `r`'s.
const COUNTED: &str = "NOT EXISTS (SELECT 1 FROM annulments a WHERE a.scan_id = s.id)";

fn verifying_key(hex: &str) -> StoreResult<VerifyingKey> {
    let bytes: Option<[u8; 32]> = (0..64)
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .and_then(|v| v.try_into().ok());
    bytes
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("ticket public key {hex:?}")))
}
