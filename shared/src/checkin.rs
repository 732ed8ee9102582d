//! The verdict of a badge scan, decided offline on the phone from what its replica knows.

use crate::ids::{EventId, RegistrationId};
use crate::ticket::{verify, TicketKey};
use serde::Serialize;

/// What a scan decided (CONTRACT's status list, extended with `revoked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Admitted: the first scan of this person for this event that the phone knows of.
    Ok,
    /// Admitted again: this person was already scanned for this event on some replica whose
    /// scans this phone has (its own, or pulled).
    Duplicate,
    /// A valid ticket for another event.
    WrongEvent,
    /// Forged, damaged, or signed with an unknown or retired key.
    Invalid,
    /// A valid ticket whose registration the office revoked.
    Revoked,
}

impl Verdict {
    /// Whether the person is admitted (and a scan is recorded).
    pub fn admits(self) -> bool {
        matches!(self, Self::Ok | Self::Duplicate)
    }
}

/// What the phone's replica knows about the ticket's registration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Known {
    /// The office revoked the registration.
    pub revoked: bool,
    /// Its person was already scanned for the ticket's event, on this phone or on a replica
    /// whose scans this phone pulled.
    pub already_scanned: bool,
}

/// Judges a scanned ticket text for `event` from the ticket alone, as far as it can. A ticket
/// registered after the phone's last sync is unknown to the replica and is accepted on its
/// signature alone.
pub fn judge(text: &str, event: EventId, keys: &[TicketKey]) -> Judgement {
    match verify(text, keys) {
        Err(_) => Judgement::Decided(Verdict::Invalid),
        Ok(ticket) if ticket.event != event => Judgement::Decided(Verdict::WrongEvent),
        Ok(ticket) => Judgement::NeedsReplica(ticket.registration),
    }
}

/// The first step of a judgement: decided from the ticket alone, or needing what the replica
/// knows of the registration (then call [`decide`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// The ticket alone decides.
    Decided(Verdict),
    /// A valid ticket for this event; look the registration up.
    NeedsReplica(RegistrationId),
}

/// The verdict on a valid ticket for the scanning event, given what the replica knows.
pub fn decide(known: Known) -> Verdict {
    if known.revoked {
        Verdict::Revoked
    } else if known.already_scanned {
        Verdict::Duplicate
    } else {
        Verdict::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::{issue, Ticket};
    use ed25519_dalek::SigningKey;

    #[test]
    fn verdicts() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let keys = [TicketKey::of(&key.verifying_key(), false)];
        let (event, registration) = (EventId::new(), RegistrationId::new());
        let text = issue(
            Ticket {
                event,
                registration,
            },
            &key,
        );
        assert_eq!(
            judge(&text, event, &keys),
            Judgement::NeedsReplica(registration)
        );
        assert_eq!(
            judge(&text, EventId::new(), &keys),
            Judgement::Decided(Verdict::WrongEvent)
        );
        assert_eq!(
            judge("garbage", event, &keys),
            Judgement::Decided(Verdict::Invalid)
        );
        assert_eq!(decide(Known::default()), Verdict::Ok);
        let seen = Known {
            revoked: false,
            already_scanned: true,
        };
        assert_eq!(decide(seen), Verdict::Duplicate);
        let revoked = Known {
            revoked: true,
            already_scanned: true,
        };
        assert_eq!(decide(revoked), Verdict::Revoked);
        assert!(Verdict::Duplicate.admits() && !Verdict::Revoked.admits());
    }
}
