//! The sync protocol: pushes, pulls, device clocks, the state hash. On SQL.

use super::*;
use crate::store::cursor;
use crate::store::view::{Cursor, Step};
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
        let cursor = Cursor::parse(cursor::of_history(after, &self.history)?).ok_or_else(|| {
            StoreError::Invalid {
                field: Some("after".into()),
                message: format!("{after:?} is not a cursor this server handed out"),
            }
        })?;
        let current = self.current_view(viewer).await?;
        // Only trainer devices have views: any other device follows the feed, whatever its
        // cursor says (a backfill is not filtered by role).
        let step = if viewer.principal.role == Role::Trainer {
            cursor.step(&current)
        } else {
            Step::Feed
        };
        match step {
            Step::Feed => self.feed(viewer, &cursor, &current, limit).await,
            Step::Leave { holds, next } => {
                let mut page = PageBuilder::new();
                for id in self.left_ids(&holds, &current).await? {
                    page.left(id);
                }
                self.finish_page(viewer, page, next.encode(), true).await
            }
            Step::Backfill { held, backfill } => {
                self.backfill(viewer, &cursor, &held, &backfill, limit)
                    .await
            }
        }
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
