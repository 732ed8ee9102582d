//! Pull pages on SQL: the feed after a cursor as a device's role and view see it, the history
//! that entered a view (a backfill), the records that left it. Pages are built from the stored
//! op bytes and batch tables, never decoded; each op-log row brings only what its page needs.

use super::*;
use crate::store::cursor;
use crate::store::view::{Backfill, Cursor, View};
use sachhon_shared::authority::Scope;
use sachhon_shared::wire::PageBuilder;
use std::collections::{BTreeSet, HashMap};

/// About the most bytes of changes one pull page carries, whatever its op limit: a page ends
/// before the op that would pass it (a page always carries at least one op).
pub const PULL_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// An op-log row of a feed page, as its viewer gets it.
struct FeedRow {
    /// Its position in the feed.
    cursor: i64,
    /// The batch whose actor table its op is encoded against.
    batch: i64,
    /// The op's stored bytes; none when its record left the viewer's scope.
    op: Option<Vec<u8>>,
    /// The record, when the viewer must hear of it beyond the op: it left the viewer's scope
    /// (no op), or it entered it (its state goes with the page).
    record: Option<String>,
    /// The person of a registration, for a viewer with a view, when the person's state goes
    /// with the page.
    person: Option<String>,
}

impl SqlStore {
    /// A page's bytes: its `next` cursor in this database's history, the viewer's last op the
    /// server holds (`acked`: a phone resends what a restored server lost), the ticket keys;
    /// and the two fields its answer's headers repeat.
    pub(super) async fn finish_page(
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
    pub(super) async fn current_view(&self, viewer: &Author) -> StoreResult<View> {
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
    pub(super) async fn feed(
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
        // Whether the viewer's role sees a scope ($3: it sees every scope; $4: its facility's).
        let sees = |column: &str| format!("($3 = 1 OR {column} = 'public' OR {column} = $4)");
        // Each row brings only what its page needs: a viewer that sees every scope and has no
        // view needs no record ids (this is most rows a server sends).
        let ids = match (sees_all, view) {
            (true, View::All) => String::new(),
            _ => format!(
                ", CASE WHEN NOT {now} OR (ops.moved_from IS NOT NULL AND NOT {was}) \
                     THEN ops.record_id END, {person}",
                now = sees("ops.scope"),
                was = sees("ops.moved_from"),
                // A registration of an assigned event brings its person whole when the person
                // has ops before this page: they were outside this view when they passed. (The
                // person's ops within this page are in it: this statement sees the
                // registration.)
                person = match view {
                    View::All => "NULL",
                    View::Events(_) => {
                        "CASE WHEN ops.kind = 'registration' THEN (SELECT r.person_id \
                         FROM registrations r WHERE r.id = ops.record_id AND EXISTS (SELECT 1 \
                         FROM ops p WHERE p.kind = 'person' AND p.record_id = r.person_id \
                         AND p.cursor <= $1)) END"
                    }
                },
            ),
        };
        // The feed's end is read first: every row at or below it was committed before the
        // page is read (cursor order is commit order), so a page that is not full may jump to
        // it. A row that moved a record out of the viewer's scope is read too, without its
        // op: the viewer drops the record.
        let feed_end: Option<i64> = sqlx::query_scalar("SELECT MAX(cursor) FROM ops")
            .fetch_one(&self.reader)
            .await?;
        let sql = format!(
            "SELECT ops.cursor, ops.batch, CASE WHEN {now} THEN ops.op END{ids} FROM ops \
             WHERE ops.cursor > $1 AND ops.actor_id <> $2 \
               AND ({now} OR ops.moved_from = $4) AND {visible} \
             ORDER BY ops.cursor LIMIT $5",
            now = sees("ops.scope"),
            visible = visible(view, "$1"),
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(viewer.actor.to_string())
            .bind(i64::from(sees_all))
            .bind(own)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.reader)
            .await?;
        let mut more = rows.len() > limit as usize;
        let mut bytes = 0;
        let mut page_rows = Vec::with_capacity(rows.len().min(limit as usize));
        let with_ids = !ids.is_empty();
        for row in rows.iter().take(limit as usize) {
            let op: Option<Vec<u8>> = row.try_get(2)?;
            bytes += op.as_ref().map_or(0, Vec::len);
            if bytes > PULL_PAGE_BYTES && !page_rows.is_empty() {
                more = true;
                break;
            }
            page_rows.push(FeedRow {
                cursor: row.try_get(0)?,
                batch: row.try_get(1)?,
                op,
                record: if with_ids { row.try_get(3)? } else { None },
                person: if with_ids { row.try_get(4)? } else { None },
            });
        }
        let last = page_rows.last().map_or(after, |row| row.cursor);
        let actors = self
            .actor_tables(
                page_rows
                    .iter()
                    .filter(|row| row.op.is_some())
                    .map(|row| row.batch),
            )
            .await?;
        // Records whose state goes with the page: those that entered the viewer's scope, and
        // the people of its registrations.
        let mut whole = BTreeSet::new();
        for row in page_rows.iter().filter(|row| row.op.is_some()) {
            for id in [&row.record, &row.person].into_iter().flatten() {
                whole.insert(parse::<Uuid>(id)?);
            }
        }
        let mut page = PageBuilder::new();
        for (record, (kind, state)) in self.states(&whole).await? {
            page.arrived(kind, record, &state);
        }
        for row in page_rows {
            match row.op {
                Some(op) => page.op(actor_table(&actors, row.batch)?, op),
                None => {
                    if let Some(record) = &row.record {
                        page.left(parse(record)?);
                    }
                }
            }
        }
        // A page that is not full ends the feed: jump past rows this viewer does not get
        // (its own, other facilities'), so an idle device does not rescan them.
        let next = if more {
            last
        } else {
            last.max(feed_end.unwrap_or(after))
        };
        let next = Cursor::at(next, view.clone());
        self.finish_page(viewer, page, next.encode(), more).await
    }

    /// A page of the history a device lacks after its view grew: the rows up to its cursor's
    /// position of records in the backfill's target view but not in the `held` one (its own
    /// included: it may have dropped them when they left its view).
    pub(super) async fn backfill(
        &self,
        viewer: &Author,
        cursor: &Cursor,
        held: &View,
        backfill: &Backfill,
        limit: u32,
    ) -> StoreResult<Pulled> {
        let sql = format!(
            "SELECT ops.cursor, ops.batch, ops.op FROM ops \
             WHERE ops.cursor > $1 AND ops.cursor <= $2 AND {} AND NOT ({}) \
             ORDER BY ops.cursor LIMIT $3",
            visible(&backfill.target, "$1"),
            visible(held, "$1")
        );
        let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(&sql)
            .bind(backfill.after)
            .bind(cursor.position)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.reader)
            .await?;
        let mut more = rows.len() > limit as usize;
        let mut bytes = 0;
        let mut taken = Vec::with_capacity(rows.len().min(limit as usize));
        for row in rows.into_iter().take(limit as usize) {
            bytes += row.2.len();
            if bytes > PULL_PAGE_BYTES && !taken.is_empty() {
                more = true;
                break;
            }
            taken.push(row);
        }
        let last = taken.last().map_or(backfill.after, |(cursor, ..)| *cursor);
        let actors = self
            .actor_tables(taken.iter().map(|(_, batch, _)| *batch))
            .await?;
        let mut page = PageBuilder::new();
        for (_, batch, op) in taken {
            page.op(actor_table(&actors, batch)?, op);
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

    /// The actor tables of some batches (stored bytes), read once per batch rather than with
    /// every op of it. A batch never changes once written, so a second statement is as good as
    /// the page's own snapshot.
    async fn actor_tables(
        &self,
        batches: impl Iterator<Item = i64>,
    ) -> StoreResult<HashMap<i64, Vec<u8>>> {
        let batches: BTreeSet<i64> = batches.collect();
        if batches.is_empty() {
            return Ok(HashMap::new());
        }
        // The ids are integers read from the op log, never caller text.
        let ids: Vec<String> = batches.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT id, actors FROM op_batches WHERE id IN ({})",
            ids.join(", ")
        );
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(&sql).fetch_all(&self.reader).await?;
        Ok(rows.into_iter().collect())
    }

    /// The ids of the records a device holding `holds` drops when its view is `keep`: the
    /// registrations, scans and annulments of events it no longer has, the people registered
    /// for none it keeps, and (from the whole view) facilities and responses.
    pub(super) async fn left_ids(&self, holds: &View, keep: &View) -> StoreResult<Vec<Uuid>> {
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

    /// The whole merged states the server holds of some records, as stored for the wire.
    async fn states(
        &self,
        records: &BTreeSet<Uuid>,
    ) -> StoreResult<Vec<(Uuid, (RecordKind, Vec<u8>))>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        // The ids are parsed UUIDs, never caller text.
        let ids: Vec<String> = records.iter().map(|id| format!("'{id}'")).collect();
        let sql = format!(
            "SELECT id, kind, state FROM docs WHERE id IN ({})",
            ids.join(", ")
        );
        let rows: Vec<(String, String, Vec<u8>)> =
            sqlx::query_as(&sql).fetch_all(&self.reader).await?;
        rows.into_iter()
            .map(|(id, kind, state)| {
                let kind: RecordKind = kind.parse().map_err(StoreError::Corrupt)?;
                let state = Doc::wire_state(&state)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?
                    .to_vec();
                Ok((parse(&id)?, (kind, state)))
            })
            .collect()
    }
}

/// The SQL condition (on `ops`) of the op-log rows of a view's records after the cursor
/// `after` (a parameter). For a view of events, the rows are found through indexes — the
/// public rows (`ops_public`), the events' rows (`ops_event`), the rows of the people
/// registered for them (`registrations_event_person`, `ops_person`) — so that a pull reads
/// the view, not the whole op log.
fn visible(view: &View, after: &str) -> String {
    let View::Events(events) = view else {
        return "(1 = 1)".into();
    };
    format!(
        "ops.cursor IN (SELECT cursor FROM ops WHERE scope = 'public' AND cursor > {after} \
         UNION ALL SELECT cursor FROM ops WHERE {} AND cursor > {after} \
         UNION ALL SELECT cursor FROM ops WHERE kind = 'person' AND cursor > {after} \
           AND record_id IN (SELECT v.person_id FROM registrations v WHERE {}))",
        in_events("event_id", events),
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

/// A batch's actor table among those read for a page.
fn actor_table(actors: &HashMap<i64, Vec<u8>>, batch: i64) -> StoreResult<&[u8]> {
    actors
        .get(&batch)
        .map(Vec::as_slice)
        .ok_or_else(|| StoreError::Corrupt(format!("op batch {batch} is missing")))
}
