//! The registry the administrator keeps, written under the server's own actor. On SQL.

use super::*;
use sachhon_shared::district::{District, DistrictKind};

#[async_trait]
impl RegistryStore for SqlStore {
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
            let mut doc = match load_doc(&mut tx, &context, edit.kind, edit.id).await? {
                Some((kind, _, _)) if kind != edit.kind => {
                    return Err(StoreError::Conflict(format!(
                        "record {} is a {kind}",
                        edit.id
                    )))
                }
                Some((_, _, doc)) => doc,
                None => Doc::new(),
            };
            seq += 1;
            let written = doc.write(self.server_actor, seq, edit.fields.iter().cloned());
            let op = self.server_op(seq, edit.kind, edit.id, Change::Fields(written))?;
            scopes.push(
                apply_change(&mut tx, &context, &op, Writer::Server)
                    .await?
                    .placed(&op)?,
            );
            ops.push(op);
        }
        let applied: Vec<_> = ops.iter().zip(scopes).collect();
        finish(&mut tx, &context, &applied).await?;
        self.set_last_seq(&mut tx, self.server_actor, seq).await?;
        tx.commit().await?;
        Ok(())
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

    async fn districts(&self) -> StoreResult<Vec<District>> {
        let rows = sqlx::query("SELECT name, kind FROM districts")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(District {
                    name: row.try_get("name")?,
                    kind: DistrictKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("district kind {kind:?}")))?,
                })
            })
            .collect()
    }

    async fn add_district(&self, district: &District) -> StoreResult<()> {
        let added = sqlx::query(
            "INSERT INTO districts (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&district.name)
        .bind(district.kind.as_str())
        .execute(&self.writer)
        .await?;
        if added.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "district \"{}\" is already listed",
                district.name
            )));
        }
        Ok(())
    }

    async fn seed_districts(&self, districts: &[District]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let listed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM districts")
            .fetch_one(&mut *tx)
            .await?;
        if listed == 0 {
            for district in districts {
                sqlx::query("INSERT INTO districts (name, kind) VALUES ($1, $2)")
                    .bind(&district.name)
                    .bind(district.kind.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
