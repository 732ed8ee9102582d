//! Check-in on the phone, offline: a scanned ticket is judged against the replica's key ring
//! and registrations, and an admitted one is recorded as a scan fact; a recorded scan can be
//! annulled. Both run inside one local transaction ([`LocalTx`]); the caller commits only
//! when something was recorded.

use crate::error::{Error, Result};
use crate::store::LocalTx;
use sachhon_shared::authority::Scope;
use sachhon_shared::checkin::{self, Judgement, Known, Verdict};
use sachhon_shared::op::ScanStatus;
use sachhon_shared::ticket::{self, TicketKey};
use sachhon_shared::{Annulment, EventId, PersonId, RecordKind, RegistrationId, ScanFact, ScanId};
use serde::Serialize;
use uuid::Uuid;

/// What a badge scan decided, and what it recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ScanResult {
    /// The verdict: `ok` and `duplicate` admit (and record a scan), the others refuse.
    pub status: Verdict,
    /// The person, when the replica knows the ticket's registration.
    pub person_id: Option<PersonId>,
    /// The ticket's registration, when the ticket is genuine.
    pub registration_id: Option<RegistrationId>,
    /// The scan recorded, when the verdict admits.
    pub scan_id: Option<ScanId>,
}

impl ScanResult {
    /// Whether the person was admitted (and a scan queued).
    pub fn admitted(&self) -> bool {
        self.scan_id.is_some()
    }

    fn refused(
        status: Verdict,
        person_id: Option<PersonId>,
        registration_id: Option<RegistrationId>,
    ) -> Self {
        Self {
            status,
            person_id,
            registration_id,
            scan_id: None,
        }
    }
}

/// What an annulment recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AnnulResult {
    /// The new annulment fact (its record id).
    pub annulment_id: Uuid,
    /// The scan annulled.
    pub scan_id: ScanId,
}

/// A scan to judge and, if admitted, record.
#[derive(Clone, Debug)]
pub(crate) struct ScanRequest<'a> {
    /// The event the phone is checking people into.
    pub event: EventId,
    /// The ticket text read from the QR code.
    pub qr: &'a str,
    /// Who operates the phone.
    pub operator: Option<String>,
    /// The phone's clock.
    pub scanned_at_ms: i64,
}

/// Judges a ticket for the request's event and records an admitted scan.
pub(crate) async fn scan(tx: &mut LocalTx, request: ScanRequest<'_>) -> Result<ScanResult> {
    let keys = tx.ticket_keys().await?;
    match checkin::judge(request.qr, request.event, &keys) {
        Judgement::Decided(Verdict::WrongEvent) => wrong_event(tx, request.qr, &keys).await,
        Judgement::Decided(verdict) => Ok(ScanResult::refused(verdict, None, None)),
        Judgement::NeedsReplica(registration) => judge_known(tx, request, registration).await,
    }
}

/// A genuine ticket for another event: tells whose it is, when the replica knows.
async fn wrong_event(tx: &mut LocalTx, qr: &str, keys: &[TicketKey]) -> Result<ScanResult> {
    let registration = ticket::verify(qr, keys)
        .ok()
        .map(|ticket| ticket.registration);
    let person = match registration {
        Some(id) => tx.registration(id).await?.map(|known| known.person),
        None => None,
    };
    Ok(ScanResult::refused(
        Verdict::WrongEvent,
        person,
        registration,
    ))
}

/// A genuine ticket for this event: decided by what the replica knows of its registration.
async fn judge_known(
    tx: &mut LocalTx,
    request: ScanRequest<'_>,
    registration: RegistrationId,
) -> Result<ScanResult> {
    let known = tx.registration(registration).await?;
    let person = known.map(|known| known.person);
    let verdict = checkin::decide(Known {
        revoked: known.is_some_and(|known| known.revoked),
        already_scanned: tx
            .already_scanned(request.event, registration, person)
            .await?,
    });
    let Some(status) = scan_status(verdict) else {
        return Ok(ScanResult::refused(verdict, person, Some(registration)));
    };
    let scope = tx.person_scope(person).await?;
    require_write(tx, RecordKind::Scan, scope)?;
    let scan_id = ScanId::new();
    let fact = ScanFact {
        event: request.event,
        registration,
        person,
        operator: request.operator,
        scanned_at_ms: request.scanned_at_ms,
        status,
        walk_in: false,
    };
    tx.add_scan(scan_id.0, fact).await?;
    Ok(ScanResult {
        status: verdict,
        person_id: person,
        registration_id: Some(registration),
        scan_id: Some(scan_id),
    })
}

/// The recorded status of an admitting verdict; `None` for a refusal.
fn scan_status(verdict: Verdict) -> Option<ScanStatus> {
    match verdict {
        Verdict::Ok => Some(ScanStatus::Ok),
        Verdict::Duplicate => Some(ScanStatus::Duplicate),
        Verdict::WrongEvent | Verdict::Invalid | Verdict::Revoked => None,
    }
}

/// Annuls a scan the replica holds and has not seen annulled.
pub(crate) async fn annul(
    tx: &mut LocalTx,
    scan: ScanId,
    reason: Option<&str>,
) -> Result<AnnulResult> {
    let known = tx
        .scan(scan)
        .await?
        .ok_or_else(|| Error::NotFound(format!("scan {scan} is unknown to this replica")))?;
    if known.annulled {
        return Err(Error::Conflict(format!("scan {scan} is already annulled")));
    }
    let scope = tx.person_scope(known.person).await?;
    require_write(tx, RecordKind::Annulment, scope)?;
    let annulment_id = Uuid::now_v7();
    let reason = reason
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(str::to_string);
    tx.add_annulment(annulment_id, Annulment { scan, reason })
        .await?;
    Ok(AnnulResult {
        annulment_id,
        scan_id: scan,
    })
}

/// Refuses with [`Error::Forbidden`] when this device's role may not write the record.
pub(crate) fn require_write(tx: &LocalTx, kind: RecordKind, scope: Scope) -> Result<()> {
    let principal = tx.principal();
    if principal.may_write(kind, scope) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "a {} device may not create a {kind} record",
            principal.role
        )))
    }
}

/// The operator's name as recorded: trimmed; a blank name is refused.
pub(crate) fn operator_name(operator: Option<&str>) -> Result<Option<String>> {
    match operator.map(str::trim) {
        None => Ok(None),
        Some("") => Err(Error::Invalid("the operator's name is empty".into())),
        Some(name) => Ok(Some(name.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admitting_verdicts_are_recorded() {
        assert_eq!(scan_status(Verdict::Ok), Some(ScanStatus::Ok));
        assert_eq!(scan_status(Verdict::Duplicate), Some(ScanStatus::Duplicate));
        for verdict in [Verdict::WrongEvent, Verdict::Invalid, Verdict::Revoked] {
            assert_eq!(scan_status(verdict), None);
        }
    }

    #[test]
    fn operator_names_are_trimmed_and_blank_ones_refused() {
        assert_eq!(operator_name(None).ok(), Some(None));
        assert_eq!(
            operator_name(Some(" Lan ")).ok(),
            Some(Some("Lan".to_string()))
        );
        assert!(matches!(operator_name(Some("  ")), Err(Error::Invalid(_))));
    }
}
