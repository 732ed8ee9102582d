//! The sync protocol: pushes, pulls, device clocks, the state hash. On SQL.

use super::*;
use crate::store::cursor;
use sachhon_shared::authority::Scope;
use sachhon_shared::wire::{PageBuilder, Rejection};
use sachhon_shared::Publication;

#[async_trait]
impl SyncStore for SqlStore {
    #[instrument(skip_all, fields(actor = %author.actor, ops = ops.len()))]
    async fn push(
        &self,
        author: &Author,
        ops: &[Op],
        clock_offset_ms: Option<i64>,
    ) -> StoreResult<PushAck> {
        if let Some(foreign) = ops.iter().find(|op| op.actor != author.actor) {
            return Err(StoreError::Forbidden(format!(
                "op {} is of actor {}, but this token belongs to actor {}",
                foreign.seq, foreign.actor, author.actor
            )));
        }
        for op in ops {
            op.check_shape().map_err(|e| StoreError::Invalid {
                field: e.field().map(str::to_string),
                message: format!("op {}: {e}", op.seq),
            })?;
        }
        let mut tx = self.writer.begin().await?;
        let last = self.last_seq(&mut tx, author.actor).await?;
        let plan = plan_push(last, ops).map_err(|gap| StoreError::Gap {
            expected: gap.expected,
        })?;
        record_contact(&mut tx, author.actor, clock_offset_ms).await?;
        let received_at = now();
        let clock_skewed = self.clock_skewed(&mut tx, author.actor).await?;
        let context = ApplyContext::new(self.dialect, &received_at, clock_skewed);
        let writer = Writer::Device(author.principal);
        let new: Vec<&Op> = plan.new.iter().collect();
        preload(&mut tx, &context, &new).await?;
        let mut applied = Vec::with_capacity(plan.new.len());
        let mut rejected = Vec::new();
        for op in plan.new {
            match apply_change(&mut tx, &context, op, writer).await? {
                Applied::Into(placed) => applied.push((op, placed)),
                Applied::Rejected { field, message } => rejected.push(Rejection {
                    seq: op.seq,
                    record: op.record,
                    field,
                    message,
                }),
            }
        }
        finish(&mut tx, &context, &applied).await?;
        record_rejections(&mut tx, author.actor, &rejected, &received_at).await?;
        if !plan.new.is_empty() {
            self.set_last_seq(&mut tx, author.actor, plan.acked_through)
                .await?;
        }
        tx.commit().await?;
        Ok(PushAck {
            acked_through: plan.acked_through,
            applied: plan.new.len() as u64,
            rejected,
        })
    }

    async fn record_contact(
        &self,
        actor: ActorId,
        clock_offset_ms: Option<i64>,
    ) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        record_contact(&mut conn, actor, clock_offset_ms).await
    }

    #[instrument(skip_all, fields(actor = %viewer.actor))]
    async fn pull(&self, viewer: &Author, after: &str, limit: u32) -> StoreResult<Pulled> {
        let after = cursor::start(after, &self.history)?;
        let sees_all = matches!(viewer.principal.role, Role::Trainer | Role::Office);
        let own = viewer
            .principal
            .facility
            .map(|f| Scope::Facility(f).to_key())
            .unwrap_or_default();
        // One statement, so that the page, the feed's end and the viewer's last acknowledged
        // op come from one snapshot. A row that moved a record out of the viewer's scope is
        // read too: the viewer drops it.
        let rows = sqlx::query(
            "WITH page AS (SELECT ops.cursor, ops.record_id, ops.op, ops.scope, ops.moved_from, \
                 op_batches.actors FROM ops JOIN op_batches ON op_batches.id = ops.batch \
                 WHERE ops.cursor > $1 AND ops.actor_id <> $2 \
                   AND ($3 = 1 OR ops.scope = 'public' OR ops.scope = $4 OR ops.moved_from = $4) \
                 ORDER BY ops.cursor LIMIT $5) \
             SELECT (SELECT MAX(cursor) FROM ops) AS feed_end, \
                    (SELECT last_seq FROM actors WHERE id = $2) AS own_last, page.* \
             FROM (SELECT 1) AS one \
             LEFT JOIN page ON 1 = 1 ORDER BY page.cursor",
        )
        .bind(after)
        .bind(viewer.actor.to_string())
        .bind(i64::from(sees_all))
        .bind(own)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.reader)
        .await?;
        let mut page = PageBuilder::new();
        let mut more = false;
        let (mut last, mut feed_end, mut bytes, mut taken) = (after, after, 0, 0);
        if let Some(row) = rows.first() {
            let own_last: Option<i64> = row.try_get("own_last")?;
            if let Some(own_last) = own_last.and_then(|seq| u64::try_from(seq).ok()) {
                page.acked(own_last);
            }
        }
        for row in &rows {
            feed_end = row.try_get::<Option<i64>, _>("feed_end")?.unwrap_or(after);
            let Some(cursor) = row.try_get::<Option<i64>, _>("cursor")? else {
                continue;
            };
            if taken == limit as usize {
                break;
            }
            let sees = |key: Option<&str>| {
                key.and_then(Scope::from_key)
                    .is_some_and(|scope| viewer.principal.may_read(scope))
            };
            let moved_from: Option<String> = row.try_get("moved_from")?;
            let now = sees(row.try_get::<Option<String>, _>("scope")?.as_deref());
            let record: Uuid = parse(&row.try_get::<String, _>("record_id")?)?;
            // A record that left this viewer's scope is sent as its id, without the op.
            let op: Option<Vec<u8>> = if now { row.try_get("op")? } else { None };
            bytes += op.as_ref().map_or(0, Vec::len);
            if bytes > PULL_PAGE_BYTES && taken > 0 {
                more = true;
                break;
            }
            taken += 1;
            last = cursor;
            let Some(op) = op else {
                page.left(record);
                continue;
            };
            if moved_from.is_some() && !sees(moved_from.as_deref()) {
                let state: Option<(String, Vec<u8>)> =
                    sqlx::query_as("SELECT kind, state FROM docs WHERE id = $1")
                        .bind(record.to_string())
                        .fetch_optional(&self.reader)
                        .await?;
                if let Some((kind, state)) = state {
                    let kind: RecordKind = kind.parse().map_err(StoreError::Corrupt)?;
                    let state =
                        Doc::wire_state(&state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    page.arrived(kind, record, state);
                }
            }
            let actors: Vec<u8> = row.try_get("actors")?;
            page.op(&actors, op);
        }
        more |= rows.len() > limit as usize;
        // A page that is not full ends the feed: jump past rows this viewer does not get
        // (its own, other facilities'), so an idle device does not rescan them.
        let next = cursor::format(&self.history, if more { last } else { last.max(feed_end) });
        let body = page.finish(&next, more, &self.ticket_keys().await?);
        Ok(Pulled { body, next, more })
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
            let doc = Doc::from_bytes(kind, &row.try_get::<Vec<u8>, _>("state")?)
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
        let publications =
            sqlx::query("SELECT record_id, id, version, definition FROM questionnaires")
                .fetch_all(&self.reader)
                .await?;
        for row in &publications {
            let publication = Publication {
                questionnaire: parse(&row.try_get::<String, _>("id")?)?,
                version: u32::try_from(row.try_get::<i64, _>("version")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                definition: serde_json::from_str(&row.try_get::<String, _>("definition")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            };
            hasher.add_publication(
                parse(&row.try_get::<String, _>("record_id")?)?,
                &publication,
            );
        }
        Ok(hasher.finish())
    }
}

/// About the most bytes of changes one pull page carries, whatever its op limit: a page ends
/// before the op that would pass it (a page always carries at least one op).
pub const PULL_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// How far a device clock may be off before its scans are flagged: five minutes.
pub const CLOCK_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// Records that `actor` reached the server now, and its clock offset when it reported one.
async fn record_contact(
    conn: &mut AnyConnection,
    actor: ActorId,
    clock_offset_ms: Option<i64>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE actors SET last_seen_ms = $1, clock_offset_ms = COALESCE($2, clock_offset_ms) \
         WHERE id = $3",
    )
    .bind(crate::time::unix_ms(time::OffsetDateTime::now_utc()))
    .bind(clock_offset_ms)
    .bind(actor.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps the ops refused one by one, so that nothing is dropped silently.
async fn record_rejections(
    conn: &mut AnyConnection,
    actor: ActorId,
    rejected: &[Rejection],
    received_at: &str,
) -> StoreResult<()> {
    for rejection in rejected {
        sqlx::query(
            "INSERT INTO rejected_ops (actor_id, seq, record_id, field, message, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (actor_id, seq) DO NOTHING",
        )
        .bind(actor.to_string())
        .bind(seq_to_db(rejection.seq)?)
        .bind(rejection.record.to_string())
        .bind(&rejection.field)
        .bind(&rejection.message)
        .bind(received_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
