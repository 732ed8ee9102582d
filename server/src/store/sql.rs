//! The [`Store`] on SQL: SQLite by default, PostgreSQL for several processes. One body of
//! SQL serves both through sqlx's `Any` driver; [`Dialect`] holds the few differences.

use super::apply::{append_to_feed, apply_change, lock_doc, seq_to_db, ApplyContext};
use super::dialect::Dialect;
use super::{
    Attendance, Attendee, Author, Badge, EventRecord, FacilityRecord, NewDevice, RecordEdit,
    RegistrationRecord, Store, StoreError, StoreResult,
};
use async_trait::async_trait;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sachhon_shared::authority::{Principal, Role};
use sachhon_shared::hash::StateHasher;
use sachhon_shared::op::ScanStatus;
use sachhon_shared::sequence::plan_push;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::wire::{from_cbor, PullPage, PushAck};
use sachhon_shared::{
    ActorId, Annulment, Change, DeviceId, Doc, EventId, FacilityId, Op, OpId, PersonId, RecordKind,
    RegistrationId, ScanFact, ScanId,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};
use std::str::FromStr;
use tracing::instrument;
use uuid::Uuid;

/// The SQL store.
pub struct SqlStore {
    dialect: Dialect,
    writer: AnyPool,
    reader: AnyPool,
    server_actor: ActorId,
}

const SERVER_ACTOR_KEY: &str = "server_actor";

impl SqlStore {
    /// Connects, migrates, and makes sure the server's own actor exists.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let dialect = Dialect::of(url)?;
        let (writer, reader) = dialect.pools(url).await?;
        dialect.migrate(&writer).await?;
        let candidate = ActorId::new();
        // Several processes may start at once: the first insert wins, all read it back.
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(SERVER_ACTOR_KEY)
        .bind(candidate.to_string())
        .execute(&writer)
        .await?;
        let value: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(SERVER_ACTOR_KEY)
            .fetch_one(&writer)
            .await?;
        let server_actor: ActorId = parse(&value)?;
        sqlx::query(
            "INSERT INTO actors (id, enrolled_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(server_actor.to_string())
        .bind(now())
        .execute(&writer)
        .await?;
        Ok(Self {
            dialect,
            writer,
            reader,
            server_actor,
        })
    }

    /// Reads and locks an actor's last applied sequence number.
    async fn last_seq(&self, conn: &mut AnyConnection, actor: ActorId) -> StoreResult<u64> {
        let sql = format!(
            "SELECT last_seq FROM actors WHERE id = $1{}",
            self.dialect.for_update()
        );
        let last: i64 = sqlx::query_scalar(&sql)
            .bind(actor.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("actor"))?;
        u64::try_from(last).map_err(|_| StoreError::Corrupt(format!("last_seq {last}")))
    }

    /// The context of a write by the server itself.
    fn server_context<'a>(&self, received_at: &'a str) -> ApplyContext<'a> {
        ApplyContext {
            dialect: self.dialect,
            received_at,
            clock_skewed: false,
        }
    }

    /// An op of the server's own actor.
    fn server_op(
        &self,
        seq: u64,
        kind: RecordKind,
        record: Uuid,
        change: Change,
    ) -> StoreResult<Op> {
        let op = Op {
            id: OpId::new(),
            actor: self.server_actor,
            seq,
            kind,
            record,
            change,
        };
        op.check().map_err(|e| StoreError::Invalid {
            field: None,
            message: e.to_string(),
        })?;
        Ok(op)
    }

    /// Whether the actor's last reported clock is off by more than the tolerance.
    async fn clock_skewed(&self, conn: &mut AnyConnection, actor: ActorId) -> StoreResult<bool> {
        let offset: Option<Option<i64>> =
            sqlx::query_scalar("SELECT clock_offset_ms FROM actors WHERE id = $1")
                .bind(actor.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        Ok(offset
            .flatten()
            .is_some_and(|o| o.abs() > CLOCK_TOLERANCE_MS))
    }

    async fn set_last_seq(
        &self,
        conn: &mut AnyConnection,
        actor: ActorId,
        seq: u64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE actors SET last_seq = $1 WHERE id = $2")
            .bind(seq_to_db(seq)?)
            .bind(actor.to_string())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Store for SqlStore {
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

    #[instrument(skip_all, fields(actor = %author.actor, ops = ops.len()))]
    async fn push(
        &self,
        author: &Author,
        ops: &[Op],
        clock_offset_ms: Option<i64>,
    ) -> StoreResult<PushAck> {
        if let Some(foreign) = ops.iter().find(|op| op.actor != author.actor) {
            return Err(StoreError::Forbidden(format!(
                "op {} is stamped by actor {}, but this token belongs to actor {}",
                foreign.id, foreign.actor, author.actor
            )));
        }
        for op in ops {
            op.check().map_err(|e| StoreError::Invalid {
                field: match &e {
                    sachhon_shared::op::OpError::Field(f) => Some(f.field().to_string()),
                    _ => None,
                },
                message: format!("op {} (seq {}): {e}", op.id, op.seq),
            })?;
        }
        let mut tx = self.writer.begin().await?;
        let last = self.last_seq(&mut tx, author.actor).await?;
        let plan = plan_push(last, ops).map_err(|gap| StoreError::Gap {
            expected: gap.expected,
        })?;
        if let Some(offset) = clock_offset_ms {
            record_clock(&mut tx, author.actor, offset).await?;
        }
        let received_at = now();
        let context = ApplyContext {
            dialect: self.dialect,
            received_at: &received_at,
            clock_skewed: self.clock_skewed(&mut tx, author.actor).await?,
        };
        let may_write = |kind, scope| author.principal.may_write(kind, scope);
        let mut applied = Vec::with_capacity(plan.new.len());
        for op in plan.new {
            let scope = apply_change(&mut tx, &context, op, may_write).await?;
            applied.push((op, scope));
        }
        append_to_feed(&mut tx, &context, &applied).await?;
        if !plan.new.is_empty() {
            self.set_last_seq(&mut tx, author.actor, plan.acked_through)
                .await?;
        }
        tx.commit().await?;
        Ok(PushAck {
            acked_through: plan.acked_through,
            applied: plan.new.len() as u64,
        })
    }

    #[instrument(skip_all, fields(actor = %viewer.actor))]
    async fn pull(&self, viewer: &Author, after: &str, limit: u32) -> StoreResult<PullPage> {
        let after = parse_cursor(after)?;
        let sees_all = matches!(viewer.principal.role, Role::Trainer | Role::Office);
        // One statement, so that the page and the feed's end come from one snapshot.
        let rows = sqlx::query(
            "WITH page AS (SELECT cursor, actor_id, seq, op_id, kind, record_id, change FROM ops \
                 WHERE cursor > $1 AND actor_id <> $2 AND ($3 = 1 OR scope = 'public' OR scope = $4) \
                 ORDER BY cursor LIMIT $5) \
             SELECT (SELECT MAX(cursor) FROM ops) AS feed_end, page.* FROM (SELECT 1) AS one \
             LEFT JOIN page ON 1 = 1 ORDER BY page.cursor",
        )
        .bind(after)
        .bind(viewer.actor.to_string())
        .bind(i64::from(sees_all))
        .bind(viewer.principal.facility.map(|f| f.to_string()).unwrap_or_default())
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.reader)
        .await?;
        let mut ops = Vec::with_capacity(rows.len());
        let (mut last, mut feed_end) = (after, after);
        for row in &rows {
            feed_end = row.try_get::<Option<i64>, _>("feed_end")?.unwrap_or(after);
            let Some(cursor) = row.try_get::<Option<i64>, _>("cursor")? else {
                continue;
            };
            if ops.len() == limit as usize {
                break;
            }
            ops.push(op_from_row(row)?);
            last = cursor;
        }
        let more = rows.len() > limit as usize;
        // A page that is not full ends the feed: jump past rows this viewer does not get
        // (its own, other facilities'), so an idle device does not rescan them.
        let next = if more { last } else { last.max(feed_end) };
        Ok(PullPage {
            ops,
            next: next.to_string(),
            more,
            ticket_keys: self.ticket_keys().await?,
        })
    }

    #[instrument(skip_all, fields(edits = edits.len()))]
    async fn write_as_server(&self, edits: &[RecordEdit]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let mut seq = self.last_seq(&mut tx, self.server_actor).await?;
        let received_at = now();
        let context = self.server_context(&received_at);
        let mut ops = Vec::with_capacity(edits.len());
        let mut scopes = Vec::with_capacity(edits.len());
        for edit in edits {
            // Each op is derived from the state that holds the previous one (an import may
            // edit one facility twice).
            let mut doc = match lock_doc(&mut tx, self.dialect, edit.kind, edit.id).await? {
                Some((kind, _, _)) if kind != edit.kind => {
                    return Err(StoreError::Conflict(format!(
                        "record {} is a {kind}",
                        edit.id
                    )))
                }
                Some((_, _, doc)) => doc,
                None => Doc::new(),
            };
            let field_ops = doc.set_all(self.server_actor, edit.fields.iter().cloned());
            seq += 1;
            let op = self.server_op(seq, edit.kind, edit.id, Change::Fields(field_ops))?;
            scopes.push(apply_change(&mut tx, &context, &op, |_, _| true).await?);
            ops.push(op);
        }
        let applied: Vec<_> = ops.iter().zip(scopes).collect();
        append_to_feed(&mut tx, &context, &applied).await?;
        self.set_last_seq(&mut tx, self.server_actor, seq).await?;
        tx.commit().await?;
        Ok(())
    }

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
        let op = self.server_op(
            seq,
            RecordKind::Annulment,
            id,
            Change::Annul(Annulment { scan, reason }),
        )?;
        let received_at = now();
        let context = self.server_context(&received_at);
        let scope = apply_change(&mut tx, &context, &op, |_, _| true).await?;
        append_to_feed(&mut tx, &context, &[(&op, scope)]).await?;
        self.set_last_seq(&mut tx, self.server_actor, seq).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn record_clock(&self, actor: ActorId, offset_ms: i64) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        record_clock(&mut conn, actor, offset_ms).await
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

    async fn event(&self, id: EventId) -> StoreResult<Option<EventRecord>> {
        let row = sqlx::query("SELECT title, kind, starts_at, district FROM events WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|row| {
            Ok(EventRecord {
                id,
                title: row.try_get("title")?,
                kind: row.try_get("kind")?,
                starts_at: row.try_get("starts_at")?,
                district: row.try_get("district")?,
            })
        })
        .transpose()
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

    async fn record_exists(&self, kind: RecordKind, id: Uuid) -> StoreResult<bool> {
        let found: Option<String> = sqlx::query_scalar("SELECT kind FROM docs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(found.as_deref() == Some(kind.as_str()))
    }

    async fn facility(&self, id: FacilityId) -> StoreResult<Option<FacilityRecord>> {
        let row = sqlx::query(
            "SELECT name, tax_code, district, sector, cp_potential FROM facilities WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(FacilityRecord {
                id,
                name: row.try_get("name")?,
                tax_code: row.try_get("tax_code")?,
                district: row.try_get("district")?,
                sector: row.try_get("sector")?,
                cp_potential: row.try_get::<i64, _>("cp_potential")? != 0,
            })
        })
        .transpose()
    }

    async fn facility_by_tax_code(&self, tax_code: &str) -> StoreResult<Option<FacilityId>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM facilities WHERE tax_code = $1 ORDER BY id LIMIT 1")
                .bind(tax_code)
                .fetch_optional(&self.reader)
                .await?;
        id.map(|id| parse(&id)).transpose()
    }

    #[instrument(skip_all)]
    async fn attendance(&self, event: EventId) -> StoreResult<Option<Attendance>> {
        if !self.record_exists(RecordKind::Event, event.0).await? {
            return Ok(None);
        }
        // Scans count unless annulled; a scan accepted on a ticket's signature alone carries
        // no person, whom its registration names.
        let rows = sqlx::query(
            "SELECT COALESCE(s.person_id, r.person_id) AS person, MIN(s.scanned_at_ms) AS first_scan, \
                    COUNT(*) AS scans, MAX(s.clock_skewed) AS skewed \
             FROM scans s LEFT JOIN registrations r ON r.id = s.registration_id \
             WHERE s.event_id = $1 \
               AND NOT EXISTS (SELECT 1 FROM annulments a WHERE a.scan_id = s.id) \
             GROUP BY COALESCE(s.person_id, r.person_id) ORDER BY MIN(s.scanned_at_ms), 1",
        )
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
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Some(Attendance {
            event_id: event,
            attendees,
        }))
    }

    #[instrument(skip_all)]
    async fn state_hash(&self) -> StoreResult<String> {
        let mut hasher = StateHasher::new();
        let docs = sqlx::query("SELECT id, kind, state FROM docs")
            .fetch_all(&self.reader)
            .await?;
        for row in &docs {
            let kind: RecordKind = row
                .try_get::<String, _>("kind")?
                .parse()
                .map_err(StoreError::Corrupt)?;
            let doc = Doc::from_bytes(&row.try_get::<Vec<u8>, _>("state")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            hasher.add_doc(kind, parse(&row.try_get::<String, _>("id")?)?, &doc);
        }
        let scans = sqlx::query(
            "SELECT id, event_id, registration_id, person_id, operator, scanned_at_ms, status, \
             walk_in FROM scans",
        )
        .fetch_all(&self.reader)
        .await?;
        for row in &scans {
            let fact = ScanFact {
                event: parse(&row.try_get::<String, _>("event_id")?)?,
                registration: parse(&row.try_get::<String, _>("registration_id")?)?,
                person: row
                    .try_get::<Option<String>, _>("person_id")?
                    .map(|p| parse::<PersonId>(&p))
                    .transpose()?,
                operator: row.try_get("operator")?,
                scanned_at_ms: row.try_get("scanned_at_ms")?,
                status: match row.try_get::<String, _>("status")?.as_str() {
                    "ok" => ScanStatus::Ok,
                    _ => ScanStatus::Duplicate,
                },
                walk_in: row.try_get::<i64, _>("walk_in")? != 0,
            };
            hasher.add_scan(parse(&row.try_get::<String, _>("id")?)?, &fact);
        }
        let annulments = sqlx::query("SELECT id, scan_id, reason FROM annulments")
            .fetch_all(&self.reader)
            .await?;
        for row in &annulments {
            let annulment = Annulment {
                scan: parse(&row.try_get::<String, _>("scan_id")?)?,
                reason: row.try_get("reason")?,
            };
            hasher.add_annulment(parse(&row.try_get::<String, _>("id")?)?, &annulment);
        }
        Ok(hasher.finish())
    }
}

/// Reads a pull cursor: empty for the start, else the op-log position handed out before.
fn parse_cursor(text: &str) -> StoreResult<i64> {
    if text.is_empty() {
        return Ok(0);
    }
    text.parse().map_err(|_| StoreError::Invalid {
        field: Some("after".into()),
        message: format!("{text:?} is not a cursor this server handed out"),
    })
}

/// How far a device clock may be off before its scans are flagged: five minutes.
pub const CLOCK_TOLERANCE_MS: i64 = 5 * 60 * 1000;

async fn record_clock(conn: &mut AnyConnection, actor: ActorId, offset_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE actors SET clock_offset_ms = $1 WHERE id = $2")
        .bind(offset_ms)
        .bind(actor.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

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

fn op_from_row(row: &AnyRow) -> StoreResult<Op> {
    let change: Vec<u8> = row.try_get("change")?;
    Ok(Op {
        id: parse::<OpId>(&row.try_get::<String, _>("op_id")?)?,
        actor: parse(&row.try_get::<String, _>("actor_id")?)?,
        seq: u64::try_from(row.try_get::<i64, _>("seq")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        kind: row
            .try_get::<String, _>("kind")?
            .parse()
            .map_err(StoreError::Corrupt)?,
        record: parse(&row.try_get::<String, _>("record_id")?)?,
        change: from_cbor(&change).map_err(StoreError::Corrupt)?,
    })
}

fn principal(row: &AnyRow) -> StoreResult<Principal> {
    let role: String = row.try_get("role")?;
    let facility: Option<String> = row.try_get("facility_id")?;
    Ok(Principal {
        role: role.parse().map_err(StoreError::Corrupt)?,
        facility: facility.map(|f| parse::<FacilityId>(&f)).transpose()?,
    })
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

fn parse<T: FromStr>(text: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(format!("{text:?}: {e}")))
}

/// The current time as an RFC 3339 UTC string.
pub fn now() -> String {
    crate::time::rfc3339(time::OffsetDateTime::now_utc())
}
