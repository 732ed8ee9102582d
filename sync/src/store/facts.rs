//! The replica's immutable facts and check-in lookups: scans, annulments, the ticket key
//! ring, and what the registrations projection knows of a ticket. Each function runs inside
//! the caller's transaction.

use super::parse_uuid;
use crate::error::{Error, Result};
use sachhon_shared::op::ScanStatus;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::{ActorId, Annulment, EventId, PersonId, RegistrationId, ScanFact, ScanId};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;
use uuid::Uuid;

/// What the registrations projection knows of one registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KnownRegistration {
    /// The registered person.
    pub person: PersonId,
    /// The office revoked it.
    pub revoked: bool,
}

/// What the replica knows of one scan, for annulling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KnownScan {
    /// The person scanned: recorded with the scan, or resolved through its registration.
    pub person: Option<PersonId>,
    /// At least one annulment of it is known.
    pub annulled: bool,
}

/// How a fact already held is treated: pulled facts arrive again (ignored), local ones are new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Made on this phone now: a second row with the id is an error.
    Local,
    /// Pulled: a fact already held is left as it is.
    Pulled,
}

impl Origin {
    fn insert(self) -> &'static str {
        match self {
            Self::Local => "INSERT",
            Self::Pulled => "INSERT OR IGNORE",
        }
    }
}

/// A scan that has not been annulled (`s` is the scan's alias).
const NOT_ANNULLED: &str = "NOT EXISTS (SELECT 1 FROM annulments a WHERE a.scan_id = s.id)";

/// Stores a scan fact exactly as recorded.
pub(crate) async fn insert_scan(
    conn: &mut SqliteConnection,
    id: Uuid,
    fact: &ScanFact,
    actor: ActorId,
    origin: Origin,
) -> Result<()> {
    let sql = format!(
        "{} INTO scans (id, event_id, registration_id, person_id, operator, scanned_at_ms, \
         status, walk_in, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        origin.insert()
    );
    sqlx::query(&sql)
        .bind(id.to_string())
        .bind(fact.event.to_string())
        .bind(fact.registration.to_string())
        .bind(fact.person.map(|person| person.to_string()))
        .bind(fact.operator.as_deref())
        .bind(fact.scanned_at_ms)
        .bind(fact.status.as_str())
        .bind(fact.walk_in)
        .bind(actor.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores an annulment fact.
pub(crate) async fn insert_annulment(
    conn: &mut SqliteConnection,
    id: Uuid,
    annulment: &Annulment,
    actor: ActorId,
    origin: Origin,
) -> Result<()> {
    let sql = format!(
        "{} INTO annulments (id, scan_id, reason, actor_id) VALUES (?, ?, ?, ?)",
        origin.insert()
    );
    sqlx::query(&sql)
        .bind(id.to_string())
        .bind(annulment.scan.to_string())
        .bind(annulment.reason.as_deref())
        .bind(actor.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Every scan fact, rebuilt from its columns exactly as it was recorded.
pub(crate) async fn scans(conn: &mut SqliteConnection) -> Result<Vec<(Uuid, ScanFact)>> {
    let rows = sqlx::query(
        "SELECT id, event_id, registration_id, person_id, operator, scanned_at_ms, status, \
         walk_in FROM scans",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(scan_from_row).collect()
}

fn scan_from_row(row: &SqliteRow) -> Result<(Uuid, ScanFact)> {
    let id = parse_uuid(&row.try_get::<String, _>("id")?)?;
    let person: Option<String> = row.try_get("person_id")?;
    let status: String = row.try_get("status")?;
    let fact = ScanFact {
        event: parse_uuid(&row.try_get::<String, _>("event_id")?)?.into(),
        registration: parse_uuid(&row.try_get::<String, _>("registration_id")?)?.into(),
        person: person
            .as_deref()
            .map(parse_uuid)
            .transpose()?
            .map(Into::into),
        operator: row.try_get("operator")?,
        scanned_at_ms: row.try_get("scanned_at_ms")?,
        status: parse_status(&status)?,
        walk_in: row.try_get("walk_in")?,
    };
    Ok((id, fact))
}

/// Every annulment fact.
pub(crate) async fn annulments(conn: &mut SqliteConnection) -> Result<Vec<(Uuid, Annulment)>> {
    let rows = sqlx::query("SELECT id, scan_id, reason FROM annulments")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            let id = parse_uuid(&row.try_get::<String, _>("id")?)?;
            let annulment = Annulment {
                scan: parse_uuid(&row.try_get::<String, _>("scan_id")?)?.into(),
                reason: row.try_get("reason")?,
            };
            Ok((id, annulment))
        })
        .collect()
}

/// Replaces the ticket key ring with `keys`.
pub(crate) async fn replace_ticket_keys(
    conn: &mut SqliteConnection,
    keys: &[TicketKey],
) -> Result<()> {
    sqlx::query("DELETE FROM ticket_keys")
        .execute(&mut *conn)
        .await?;
    for key in keys {
        sqlx::query(
            "INSERT OR REPLACE INTO ticket_keys (id, public_key, retired) VALUES (?, ?, ?)",
        )
        .bind(&key.id)
        .bind(&key.public_key)
        .bind(key.retired)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The ticket key ring, retired keys included.
pub(crate) async fn ticket_keys(conn: &mut SqliteConnection) -> Result<Vec<TicketKey>> {
    let rows = sqlx::query("SELECT id, public_key, retired FROM ticket_keys ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(TicketKey {
                id: row.try_get("id")?,
                public_key: row.try_get("public_key")?,
                retired: row.try_get("retired")?,
            })
        })
        .collect()
}

/// How many keys the ring holds, retired ones included.
pub(crate) async fn count_ticket_keys(conn: &mut SqliteConnection) -> Result<u64> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_keys")
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// What the registrations projection knows of `registration`, if anything.
pub(crate) async fn registration(
    conn: &mut SqliteConnection,
    registration: RegistrationId,
) -> Result<Option<KnownRegistration>> {
    let row = sqlx::query("SELECT person_id, revoked FROM registrations WHERE id = ?")
        .bind(registration.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        Ok(KnownRegistration {
            person: parse_uuid(&row.try_get::<String, _>("person_id")?)?.into(),
            revoked: row.try_get("revoked")?,
        })
    })
    .transpose()
}

/// Whether a scan that still counts admitted `registration`, or (when known) `person`, to
/// `event`. A scan's person is the one it recorded, else its registration's.
pub(crate) async fn already_scanned(
    conn: &mut SqliteConnection,
    event: EventId,
    registration: RegistrationId,
    person: Option<PersonId>,
) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM scans s LEFT JOIN registrations r \
         ON r.id = s.registration_id WHERE s.event_id = ? AND (s.registration_id = ? \
         OR COALESCE(s.person_id, r.person_id) = ?) AND {NOT_ANNULLED})"
    );
    let found: bool = sqlx::query_scalar(&sql)
        .bind(event.to_string())
        .bind(registration.to_string())
        .bind(person.map(|person| person.to_string()))
        .fetch_one(&mut *conn)
        .await?;
    Ok(found)
}

/// What the replica knows of `scan`, if it holds it.
pub(crate) async fn scan(conn: &mut SqliteConnection, scan: ScanId) -> Result<Option<KnownScan>> {
    let sql = format!(
        "SELECT COALESCE(s.person_id, r.person_id) AS person, NOT {NOT_ANNULLED} AS annulled \
         FROM scans s LEFT JOIN registrations r ON r.id = s.registration_id WHERE s.id = ?"
    );
    let row = sqlx::query(&sql)
        .bind(scan.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        let person: Option<String> = row.try_get("person")?;
        Ok(KnownScan {
            person: person
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(Into::into),
            annulled: row.try_get("annulled")?,
        })
    })
    .transpose()
}

/// How many distinct people were admitted to `event` by scans that still count; a scan whose
/// person is unknown counts by its registration's person, or else by its registration.
pub(crate) async fn attendance(conn: &mut SqliteConnection, event: EventId) -> Result<u64> {
    let sql = format!(
        "SELECT COUNT(DISTINCT COALESCE(s.person_id, r.person_id, \
         'registration:' || s.registration_id)) FROM scans s LEFT JOIN registrations r \
         ON r.id = s.registration_id WHERE s.event_id = ? AND {NOT_ANNULLED}"
    );
    let count: i64 = sqlx::query_scalar(&sql)
        .bind(event.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

fn parse_status(text: &str) -> Result<ScanStatus> {
    [ScanStatus::Ok, ScanStatus::Duplicate]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| Error::Corrupt(format!("scan status {text:?}")))
}
