//! Applying a pulled page: its ops into documents and facts, its key ring, and the cursor,
//! in one transaction.

use super::docs::{drop_record, load_doc, save_doc};
use super::facts::{self, Origin};
use super::{questionnaires, Store, BEGIN_WRITE};
use crate::error::{Error, Result};
use sachhon_shared::replica::apply_fields;
use sachhon_shared::wire::PullPage;
use sachhon_shared::{Change, Doc, RecordKind};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use uuid::Uuid;

impl Store {
    /// Applies one pulled page and moves the cursor to its `next`, in one transaction: records
    /// that entered this device's view are merged whole, its ops applied, records that left
    /// it dropped (documents and facts); a non-empty `ticket_keys` replaces the key ring. Idempotent: an op applied
    /// before changes nothing.
    pub async fn apply_page(&self, page: &PullPage) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        // Load each document once per page, apply every op for it, write it once.
        let mut docs: HashMap<(RecordKind, Uuid), Doc> = HashMap::new();
        for arrival in &page.arrived {
            let mut doc = load_doc(&mut tx, arrival.kind, arrival.record)
                .await?
                .unwrap_or_default();
            doc.merge(arrival.state.clone());
            docs.insert((arrival.kind, arrival.record), doc);
        }
        for op in &page.ops {
            match &op.change {
                Change::Scan(fact) => {
                    facts::insert_scan(&mut tx, op.record, fact, op.actor, Origin::Pulled).await?;
                }
                Change::Annul(annulment) => {
                    facts::insert_annulment(
                        &mut tx,
                        op.record,
                        annulment,
                        op.actor,
                        Origin::Pulled,
                    )
                    .await?;
                }
                Change::Publish(publication) => {
                    questionnaires::insert_publication(&mut tx, op.record, publication).await?;
                }
                Change::Fields(_) => {
                    let doc = match docs.entry((op.kind, op.record)) {
                        Entry::Occupied(entry) => entry.into_mut(),
                        Entry::Vacant(entry) => {
                            let doc = load_doc(&mut tx, op.kind, op.record).await?;
                            entry.insert(doc.unwrap_or_default())
                        }
                    };
                    apply_fields(doc, op);
                }
            }
        }
        for ((kind, id), doc) in &docs {
            if !page.left.contains(id) {
                save_doc(&mut tx, *kind, *id, doc).await?;
            }
        }
        for id in &page.left {
            drop_record(&mut tx, *id).await?;
        }
        if !page.ticket_keys.is_empty() {
            facts::replace_ticket_keys(&mut tx, &page.ticket_keys).await?;
        }
        let updated = sqlx::query("UPDATE device SET cursor = ? WHERE id = 1")
            .bind(&page.next)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Err(Error::NotEnrolled);
        }
        tx.commit().await?;
        Ok(())
    }
}
