//! The sync protocol: pushes, pulls, device clocks, the state hash. On SQL.

use super::*;
use crate::store::cursor;
use sachhon_shared::authority::Scope;
use sachhon_shared::wire::{PageBuilder, Rejection};
use sachhon_shared::Publication;
use std::collections::{BTreeSet, HashSet};

use crate::store::view::{Backfill, Cursor, Step, View};

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

/// About the most bytes of changes one pull page carries, whatever its op limit: a page ends
/// before the op that would pass it (a page always carries at least one op).
pub const PULL_PAGE_BYTES: usize = 2 * 1024 * 1024;

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

impl SqlStore {
    /// A page's bytes: its `next` cursor in this database's history, the viewer's last op the
    /// server holds (`acked`: a phone resends what a restored server lost), the ticket keys;
    /// and the two fields its answer's headers repeat.
    async fn finish_page(
        &self,
        viewer: &Author,
        mut page: PageBuilder,
        next: String,
        more: bool,
    ) -> StoreResult<Pulled> {
        let own_last: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM actors WHERE id = $1")
            .bind(viewer.actor.to_string())
            .fetch_optional(&self.reader)
            .await?;
        if let Some(own_last) = own_last.and_then(|seq| u64::try_from(seq).ok()) {
            page.acked(own_last);
        }
        let next = cursor::format(&self.history, &next);
        let body = page.finish(&next, more, &self.ticket_keys().await?);
        Ok(Pulled { body, next, more })
    }

    /// The view a device's pulls follow now: a trainer device with assignments sees the public
    /// records and its assigned events' records; every other device what its role may see.
    async fn current_view(&self, viewer: &Author) -> StoreResult<View> {
        if viewer.principal.role != Role::Trainer {
            return Ok(View::All);
        }
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT a.kind, CASE WHEN a.kind = 'event' THEN a.value ELSE e.id END AS event \
             FROM device_assignments a LEFT JOIN events e \
               ON a.kind = 'district' AND e.district = a.value \
             WHERE a.device_id = $1",
        )
        .bind(viewer.device.to_string())
        .fetch_all(&self.reader)
        .await?;
        if rows.is_empty() {
            return Ok(View::All);
        }
        let events = rows
            .into_iter()
            .filter_map(|(_, event)| event)
            .map(|event| parse::<Uuid>(&event))
            .collect::<StoreResult<BTreeSet<Uuid>>>()?;
        Ok(View::Events(events))
    }

    /// A page of the feed after the cursor, as the device's role and view see it.
    async fn feed(
        &self,
        viewer: &Author,
        cursor: &Cursor,
        view: &View,
        limit: u32,
    ) -> StoreResult<Pulled> {
        let after = cursor.position;
        let sees_all = matches!(viewer.principal.role, Role::Trainer | Role::Office);
        let own = viewer
            .principal
            .facility
            .map(|f| Scope::Facility(f).to_key())
            .unwrap_or_default();
        // One statement, so that the page and the feed's end come from one snapshot. A row
        // that moved a record out of the viewer's scope is read too: the viewer drops it.
        let sql = format!(
            "WITH page AS (SELECT ops.cursor, ops.kind, ops.record_id, ops.op, ops.scope, \
                 ops.moved_from, op_batches.actors FROM ops \
                 JOIN op_batches ON op_batches.id = ops.batch \
                 WHERE ops.cursor > $1 AND ops.actor_id <> $2 \
                   AND ($3 = 1 OR ops.scope = 'public' OR ops.scope = $4 OR ops.moved_from = $4) \
                   AND {} \
                 ORDER BY ops.cursor LIMIT $5) \
             SELECT (SELECT MAX(cursor) FROM ops) AS feed_end, page.* FROM (SELECT 1) AS one \
             LEFT JOIN page ON 1 = 1 ORDER BY page.cursor",
            visible(view)
        );
        let rows = sqlx::query(&sql)
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
        let mut people_sent = HashSet::new();
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
                self.send_state(&mut page, record).await?;
            }
            // A registration of an assigned event brings its person whole: the person's
            // earlier ops were outside this view when they passed.
            if *view != View::All && row.try_get::<String, _>("kind")? == "registration" {
                let person: Option<Option<String>> =
                    sqlx::query_scalar("SELECT person_id FROM registrations WHERE id = $1")
                        .bind(record.to_string())
                        .fetch_optional(&self.reader)
                        .await?;
                if let Some(person) = person.flatten() {
                    let person: Uuid = parse(&person)?;
                    if people_sent.insert(person) {
                        self.send_state(&mut page, person).await?;
                    }
                }
            }
            let actors: Vec<u8> = row.try_get("actors")?;
            page.op(&actors, op);
        }
        more |= rows.len() > limit as usize;
        // A page that is not full ends the feed: jump past rows this viewer does not get
        // (its own, other facilities'), so an idle device does not rescan them.
        let next = if more { last } else { last.max(feed_end) };
        let next = Cursor::at(next, view.clone());
        self.finish_page(viewer, page, next.encode(), more).await
    }

    /// A page of the history a device lacks after its view grew: the rows up to its cursor's
    /// position of records in the backfill's target view but not in the `held` one (its own
    /// included: it may have dropped them when they left its view).
    async fn backfill(
        &self,
        viewer: &Author,
        cursor: &Cursor,
        held: &View,
        backfill: &Backfill,
        limit: u32,
    ) -> StoreResult<Pulled> {
        let sql = format!(
            "SELECT ops.cursor, ops.op, op_batches.actors FROM ops \
             JOIN op_batches ON op_batches.id = ops.batch \
             WHERE ops.cursor > $1 AND ops.cursor <= $2 AND {} AND NOT ({}) \
             ORDER BY ops.cursor LIMIT $3",
            visible(&backfill.target),
            visible(held)
        );
        let rows = sqlx::query(&sql)
            .bind(backfill.after)
            .bind(cursor.position)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.reader)
            .await?;
        let mut page = PageBuilder::new();
        let (mut last, mut bytes, mut more) = (backfill.after, 0, rows.len() > limit as usize);
        for (taken, row) in rows.iter().take(limit as usize).enumerate() {
            let op: Vec<u8> = row.try_get("op")?;
            bytes += op.len();
            if bytes > PULL_PAGE_BYTES && taken > 0 {
                more = true;
                break;
            }
            last = row.try_get("cursor")?;
            let actors: Vec<u8> = row.try_get("actors")?;
            page.op(&actors, op);
        }
        let next = if more {
            Cursor {
                position: cursor.position,
                held: held.clone(),
                backfill: Some(Backfill {
                    after: last,
                    target: backfill.target.clone(),
                }),
            }
        } else {
            Cursor::at(cursor.position, backfill.target.clone())
        };
        // The feed continues after the backfill, so the page says there is more either way.
        self.finish_page(viewer, page, next.encode(), true).await
    }

    /// The ids of the records a device holding `holds` drops when its view is `keep`: the
    /// registrations, scans and annulments of events it no longer has, the people registered
    /// for none it keeps, and (from the whole view) facilities and responses.
    async fn left_ids(&self, holds: &View, keep: &View) -> StoreResult<Vec<Uuid>> {
        let View::Events(kept) = keep else {
            return Ok(Vec::new());
        };
        let kept_in = |column: &str| in_events(column, kept);
        let (event_gone, person_gone) = match holds {
            View::All => (
                format!("NOT ({})", kept_in("r.event_id")),
                format!(
                    "SELECT p.id FROM people p WHERE NOT EXISTS (SELECT 1 FROM registrations k \
                     WHERE k.person_id = p.id AND {})",
                    kept_in("k.event_id")
                ),
            ),
            View::Events(held) => {
                let gone: BTreeSet<Uuid> = held.difference(kept).copied().collect();
                (
                    in_events("r.event_id", &gone),
                    format!(
                        "SELECT DISTINCT r.person_id FROM registrations r WHERE {} \
                         AND NOT EXISTS (SELECT 1 FROM registrations k \
                         WHERE k.person_id = r.person_id AND {})",
                        in_events("r.event_id", &gone),
                        kept_in("k.event_id")
                    ),
                )
            }
        };
        let mut queries = vec![
            format!("SELECT r.id FROM registrations r WHERE {event_gone}"),
            format!("SELECT r.id FROM scans r WHERE {event_gone}"),
            format!(
                "SELECT a.id FROM annulments a LEFT JOIN scans r ON r.id = a.scan_id \
                 WHERE {event_gone}"
            ),
            person_gone,
        ];
        if *holds == View::All {
            queries.push("SELECT id FROM docs WHERE kind IN ('facility', 'response')".into());
        }
        let mut ids = Vec::new();
        for sql in queries {
            let found: Vec<Option<String>> =
                sqlx::query_scalar(&sql).fetch_all(&self.reader).await?;
            for id in found.into_iter().flatten() {
                ids.push(parse(&id)?);
            }
        }
        Ok(ids)
    }

    /// Adds a record's whole merged state to the page, when the server holds it.
    async fn send_state(&self, page: &mut PageBuilder, record: Uuid) -> StoreResult<()> {
        let state: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT kind, state FROM docs WHERE id = $1")
                .bind(record.to_string())
                .fetch_optional(&self.reader)
                .await?;
        if let Some((kind, state)) = state {
            let kind: RecordKind = kind.parse().map_err(StoreError::Corrupt)?;
            let state = Doc::wire_state(&state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            page.arrived(kind, record, state);
        }
        Ok(())
    }
}

/// The SQL condition (on `ops`) of the op-log rows of a view's records.
fn visible(view: &View) -> String {
    let View::Events(events) = view else {
        return "(1 = 1)".into();
    };
    format!(
        "(ops.scope = 'public' OR {} OR (ops.kind = 'person' AND EXISTS (SELECT 1 \
         FROM registrations v WHERE v.person_id = ops.record_id AND {})))",
        in_events("ops.event_id", events),
        in_events("v.event_id", events)
    )
}

/// The SQL condition that `column` holds one of `events`, false (never null) otherwise. The
/// ids are written into the statement: they are parsed UUIDs, never caller text.
fn in_events(column: &str, events: &BTreeSet<Uuid>) -> String {
    if events.is_empty() {
        return "(1 = 0)".into();
    }
    let ids: Vec<String> = events.iter().map(|id| format!("'{id}'")).collect();
    format!(
        "({column} IS NOT NULL AND {column} IN ({}))",
        ids.join(", ")
    )
}
