//! Signed QR tickets (docs/tickets.md): the event and registration, signed with the server's
//! Ed25519 key, in 101 bytes written as 152 base45 characters after the prefix [`PREFIX`] —
//! QR alphanumeric mode, so the code fits version 7 at error-correction level M. Phones check
//! them offline. The prefix (like the EU digital certificates' `HC1:`) names the format and
//! keeps a ticket's text from starting with a space or a `-`, which base45 digits can be.

use crate::ids::{EventId, RegistrationId};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What every ticket's text begins with.
pub const PREFIX: &str = "SX1:";

/// The format version, the ticket's first byte.
pub const TICKET_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const SIGNED_LEN: usize = 1 + KEY_ID_LEN + 16 + 16;
const TICKET_LEN: usize = SIGNED_LEN + 64;

/// What a ticket says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// The event it admits to.
    pub event: EventId,
    /// The registration it belongs to (and through it, the person).
    pub registration: RegistrationId,
}

/// A public ticket key as phones receive it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketKey {
    /// The key id: the first four bytes of the SHA-256 of the public key, in hex.
    pub id: String,
    /// The Ed25519 public key, in hex.
    pub public_key: String,
    /// A retired key no longer admits anyone.
    pub retired: bool,
}

impl TicketKey {
    /// The public description of a verifying key.
    pub fn of(key: &VerifyingKey, retired: bool) -> Self {
        Self {
            id: hex(&key_id(key)),
            public_key: hex(key.as_bytes()),
            retired,
        }
    }

    fn verifying_key(&self) -> Option<VerifyingKey> {
        let bytes: [u8; 32] = unhex(&self.public_key)?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }
}

/// Why a ticket is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// Not base45, wrong length or version: damaged or not a ticket.
    #[error("not a sachhon ticket (damaged or foreign)")]
    Malformed,
    /// Signed with a key this replica does not know, or one that was retired.
    #[error("signed with an unknown or retired key")]
    UnknownKey,
    /// The signature does not match: forged or altered.
    #[error("the signature does not match (forged or altered)")]
    BadSignature,
}

/// The key id of a public key.
pub fn key_id(key: &VerifyingKey) -> [u8; KEY_ID_LEN] {
    let digest = Sha256::digest(key.as_bytes());
    let mut id = [0; KEY_ID_LEN];
    id.copy_from_slice(&digest[..KEY_ID_LEN]);
    id
}

/// Signs a ticket; returns the text the QR code carries.
pub fn issue(ticket: Ticket, key: &SigningKey) -> String {
    let mut bytes = Vec::with_capacity(TICKET_LEN);
    bytes.push(TICKET_VERSION);
    bytes.extend_from_slice(&key_id(&key.verifying_key()));
    bytes.extend_from_slice(ticket.event.0.as_bytes());
    bytes.extend_from_slice(ticket.registration.0.as_bytes());
    let signature = key.sign(&bytes);
    bytes.extend_from_slice(&signature.to_bytes());
    format!("{PREFIX}{}", base45::encode(&bytes))
}

/// Reads and verifies a ticket against the known keys.
pub fn verify(text: &str, keys: &[TicketKey]) -> Result<Ticket, TicketError> {
    let digits = text.strip_prefix(PREFIX).ok_or(TicketError::Malformed)?;
    // Not trimmed: a space is a base45 digit.
    let bytes = base45::decode(digits).map_err(|_| TicketError::Malformed)?;
    if bytes.len() != TICKET_LEN || bytes[0] != TICKET_VERSION {
        return Err(TicketError::Malformed);
    }
    let (signed, signature) = bytes.split_at(SIGNED_LEN);
    let id = hex(&signed[1..1 + KEY_ID_LEN]);
    let key = keys
        .iter()
        .find(|key| key.id == id && !key.retired)
        .and_then(TicketKey::verifying_key)
        .ok_or(TicketError::UnknownKey)?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| TicketError::Malformed)?;
    key.verify_strict(signed, &Signature::from_bytes(&signature))
        .map_err(|_| TicketError::BadSignature)?;
    let uuid = |range: std::ops::Range<usize>| {
        Uuid::from_slice(&signed[range]).map_err(|_| TicketError::Malformed)
    };
    let start = 1 + KEY_ID_LEN;
    Ok(Ticket {
        event: EventId(uuid(start..start + 16)?),
        registration: RegistrationId(uuid(start + 16..start + 32)?),
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn ticket() -> Ticket {
        Ticket {
            event: EventId::new(),
            registration: RegistrationId::new(),
        }
    }

    #[test]
    fn a_ticket_round_trips_and_fits_a_version_7_m_qr_code() {
        let (signing, t) = (key(7), ticket());
        let text = issue(t, &signing);
        assert_eq!(text.len(), PREFIX.len() + 152);
        assert!(text.starts_with(PREFIX));
        let alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        assert!(text.chars().all(|c| alphanumeric.contains(c)));
        let keys = [TicketKey::of(&signing.verifying_key(), false)];
        assert_eq!(verify(&text, &keys), Ok(t));
    }

    #[test]
    fn forged_damaged_and_unknown_tickets_are_told_apart() {
        let (signing, t) = (key(7), ticket());
        let keys = [TicketKey::of(&signing.verifying_key(), false)];
        let text = issue(t, &signing);
        // Change one character of the signed part (the event id): the signature fails.
        let mut forged: Vec<char> = text.chars().collect();
        forged[24] = if forged[24] == 'A' { 'B' } else { 'A' };
        let forged: String = forged.into_iter().collect();
        assert!(matches!(
            verify(&forged, &keys),
            Err(TicketError::BadSignature | TicketError::Malformed)
        ));
        assert_eq!(verify("HELLO", &keys), Err(TicketError::Malformed));
        assert_eq!(
            verify(&issue(t, &key(9)), &keys),
            Err(TicketError::UnknownKey)
        );
        let retired = [TicketKey::of(&signing.verifying_key(), true)];
        assert_eq!(verify(&text, &retired), Err(TicketError::UnknownKey));
    }
}

#[cfg(test)]
mod roundtrip {
    use super::*;

    #[test]
    fn every_ticket_verifies_whatever_its_key() {
        // Key ids vary the first digits; some keys make them begin with a space or a `-`,
        // which the prefix keeps from the start of the text.
        let (mut leading_space, mut leading_dash) = (false, false);
        for seed in 0..=255u8 {
            let key = SigningKey::from_bytes(&[seed; 32]);
            let keys = [TicketKey::of(&key.verifying_key(), false)];
            let t = Ticket {
                event: EventId::new(),
                registration: RegistrationId::new(),
            };
            let text = issue(t, &key);
            let digits = &text[PREFIX.len()..];
            leading_space |= digits.starts_with(' ');
            leading_dash |= digits.starts_with('-');
            assert!(text.starts_with(PREFIX), "{text:?}");
            assert_eq!(verify(&text, &keys), Ok(t), "{text:?}");
            assert_eq!(verify(digits, &keys), Err(TicketError::Malformed));
        }
        assert!(
            leading_space && leading_dash,
            "the sample covers digits that begin with a space and with a dash"
        );
    }
}
