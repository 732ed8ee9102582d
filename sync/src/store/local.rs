//! Local actions: one write transaction that edits the replica as this device's actor and
//! queues each change in the outbox with the next sequence number.

use super::docs::{load_doc, save_doc};
use super::enrolment::{read_enrolled, Enrolled};
use super::facts::{self, KnownRegistration, KnownScan, Origin};
use super::{questionnaires, to_i64, Store, BEGIN_WRITE};
use crate::error::{Error, Result};
use sachhon_shared::authority::{placement, Placement, Principal, Scope};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::records;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::wire;
use sachhon_shared::{
    Annulment, Change, Doc, EventId, Op, PersonId, Publication, QuestionnaireId, RecordKind,
    RegistrationId, ScanFact, ScanId,
};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

impl Store {
    /// Begins a local action: one write transaction that derives ops as this device's actor.
    pub async fn begin_local(&self) -> Result<LocalTx> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let enrolled = read_enrolled(&mut tx).await?.ok_or(Error::NotEnrolled)?;
        Ok(LocalTx { tx, enrolled })
    }
}

/// One local action in progress: edits are applied to the replica and queued in the outbox
/// with consecutive sequence numbers; nothing is visible until [`LocalTx::commit`].
pub(crate) struct LocalTx {
    tx: Transaction<'static, Sqlite>,
    enrolled: Enrolled,
}

impl LocalTx {
    /// This device as the authority rules see it.
    pub fn principal(&self) -> Principal {
        self.enrolled.principal()
    }

    /// Writes fields of a document (created if new), one op per field, each derived from the
    /// state holding the previous one, and queues them as one op.
    pub async fn set_fields(
        &mut self,
        kind: RecordKind,
        id: Uuid,
        fields: Vec<(&str, FieldValue)>,
    ) -> Result<()> {
        for (key, value) in &fields {
            records::check_field(kind, key, value).map_err(|e| Error::Invalid(e.to_string()))?;
        }
        let mut doc = load_doc(&mut self.tx, kind, id).await?.unwrap_or_default();
        // The same field rules as the server's, so that the server never has to refuse them.
        let principal = self.principal();
        if let Some((key, _)) = fields
            .iter()
            .find(|(key, _)| !principal.may_write_field(kind, key, doc.is_empty()))
        {
            return Err(Error::Forbidden(format!(
                "a {} device may not set {key} of this {kind}",
                principal.role
            )));
        }
        let edit = doc.write(self.enrolled.actor_id, self.enrolled.next_seq, fields);
        save_doc(&mut self.tx, kind, id, &doc).await?;
        self.enqueue(kind, id, Change::Fields(edit)).await
    }

    /// Records a new scan fact and queues it.
    pub async fn add_scan(&mut self, id: Uuid, fact: ScanFact) -> Result<()> {
        let actor = self.enrolled.actor_id;
        facts::insert_scan(&mut self.tx, id, &fact, actor, Origin::Local).await?;
        self.enqueue(RecordKind::Scan, id, Change::Scan(fact)).await
    }

    /// Records a new annulment fact and queues it.
    pub async fn add_annulment(&mut self, id: Uuid, annulment: Annulment) -> Result<()> {
        let actor = self.enrolled.actor_id;
        facts::insert_annulment(&mut self.tx, id, &annulment, actor, Origin::Local).await?;
        self.enqueue(RecordKind::Annulment, id, Change::Annul(annulment))
            .await
    }

    /// The ticket key ring.
    pub async fn ticket_keys(&mut self) -> Result<Vec<TicketKey>> {
        facts::ticket_keys(&mut self.tx).await
    }

    /// What the replica knows of a registration.
    pub async fn registration(&mut self, id: RegistrationId) -> Result<Option<KnownRegistration>> {
        facts::registration(&mut self.tx, id).await
    }

    /// Whether a scan that still counts admitted `registration` or `person` to `event`.
    pub async fn already_scanned(
        &mut self,
        event: EventId,
        registration: RegistrationId,
        person: Option<PersonId>,
    ) -> Result<bool> {
        facts::already_scanned(&mut self.tx, event, registration, person).await
    }

    /// What the replica knows of a scan.
    pub async fn scan(&mut self, id: ScanId) -> Result<Option<KnownScan>> {
        facts::scan(&mut self.tx, id).await
    }

    /// A document, if the replica holds it.
    pub async fn doc(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<Doc>> {
        load_doc(&mut self.tx, kind, id).await
    }

    /// The newest version of `questionnaire` this replica holds.
    pub async fn newest_publication(
        &mut self,
        questionnaire: QuestionnaireId,
    ) -> Result<Option<Publication>> {
        questionnaires::newest_publication(&mut self.tx, questionnaire).await
    }

    /// Version `version` of `questionnaire`, if this replica holds it.
    pub async fn publication(
        &mut self,
        questionnaire: QuestionnaireId,
        version: u64,
    ) -> Result<Option<Publication>> {
        questionnaires::publication(&mut self.tx, questionnaire, version).await
    }

    /// The scope of records about `person`: their facility's when the replica knows it,
    /// otherwise programme staff's.
    pub async fn person_scope(&mut self, person: Option<PersonId>) -> Result<Scope> {
        let Some(person) = person else {
            return Ok(Scope::Staff);
        };
        let doc = load_doc(&mut self.tx, RecordKind::Person, person.0).await?;
        Ok(
            match doc.map(|doc| placement(RecordKind::Person, person.0, &doc)) {
                Some(Placement::In(scope)) => scope,
                _ => Scope::Staff,
            },
        )
    }

    async fn enqueue(&mut self, kind: RecordKind, record: Uuid, change: Change) -> Result<()> {
        let op = Op {
            actor: self.enrolled.actor_id,
            seq: self.enrolled.next_seq,
            kind,
            record,
            change,
        };
        op.check().map_err(|e| Error::Invalid(e.to_string()))?;
        sqlx::query("INSERT INTO outbox (seq, op) VALUES (?, ?)")
            .bind(to_i64(op.seq)?)
            .bind(wire::encode_segment(op.actor, std::slice::from_ref(&op)))
            .execute(&mut *self.tx)
            .await?;
        self.enrolled.next_seq += 1;
        Ok(())
    }

    /// Abandons the action: nothing of it is kept.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Commits the action: state, outbox and the next sequence number together.
    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("UPDATE device SET next_seq = ? WHERE id = 1")
            .bind(to_i64(self.enrolled.next_seq)?)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
