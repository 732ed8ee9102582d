//! The sync protocol v2 (docs/sync-protocol.md): its CBOR ([`cbor`]), ops and push bodies
//! ([`ops`]), field values ([`values`]), document states ([`state`]), pull pages ([`page`]),
//! and the JSON messages around them (enrolment, acknowledgements).

pub mod cbor;
pub mod ops;
pub mod page;
pub mod state;
pub mod values;

use crate::authority::Role;
use crate::ids::{ActorId, DeviceId, FacilityId};
use crate::ticket::TicketKey;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

pub use cbor::DecodeError;
pub use ops::{decode_push, decode_segment, encode_push, encode_segment};
pub use page::{decode_page, Arrival, PageBuilder, PullPage};

/// The media type of push and pull bodies.
pub const CBOR_MEDIA_TYPE: &str = "application/cbor";

/// Path of the push endpoint.
pub const PUSH_PATH: &str = "/api/v1/sync/push";
/// Path of the pull endpoint.
pub const PULL_PATH: &str = "/api/v1/sync/pull";
/// Path of the enrolment endpoint.
pub const ENROLL_PATH: &str = "/api/v1/enroll";

/// Header of a pull answer repeating the page's `next` cursor, so that a client can ask for
/// the next page before it has read (or decoded) this one.
pub const NEXT_HEADER: &str = "x-sachhon-next";
/// Header of a pull answer repeating the page's `more` (`true` or `false`).
pub const MORE_HEADER: &str = "x-sachhon-more";

/// Header by which a device reports its clock (milliseconds since the Unix epoch) on every
/// push and pull; the server records the offset and flags scans of a skewed device.
pub const DEVICE_TIME_HEADER: &str = "x-sachhon-device-time";

/// The server's acknowledgement, sent only after the batch committed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    /// Every op of this actor up to and including this sequence number is durable; the
    /// device may drop them from its outbox.
    pub acked_through: u64,
    /// How many ops of this batch were new (the rest had been applied before), rejected
    /// ones included.
    pub applied: u64,
    /// New ops the server refused one by one (an invalid answer): acknowledged, so that the
    /// device moves on, but not applied. The device records and shows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejection>,
}

/// The server's verdict on one refused op.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The op's sequence number (with the pushing actor, the op's identity).
    pub seq: u64,
    /// The record it changed.
    pub record: uuid::Uuid,
    /// The field at fault.
    pub field: String,
    /// Why.
    pub message: String,
}

/// The 409 answer to a push with a gap (a `problem+json` body carrying this field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncGap {
    /// The sequence number the server expects next from this actor.
    pub expected_seq: u64,
}

/// A device's enrolment request: the one-time token from the admin.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time enrolment token.
    pub token: String,
}

/// What a device learns at enrolment. Its `Debug` output hides the access token.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Serialize, Deserialize)]
pub struct Enrolment {
    /// The registered device.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub device_id: DeviceId,
    /// The new actor this enrolment writes under.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub actor_id: ActorId,
    /// The bearer token for sync requests from now on.
    pub access_token: String,
    /// The device's role.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    /// The facility of an enterprise device.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>, required = true))]
    pub facility_id: Option<FacilityId>,
    /// The public keys that sign tickets, for checking them offline.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub ticket_keys: Vec<TicketKey>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("device_id", &self.device_id)
            .field("actor_id", &self.actor_id)
            .field("access_token", &"<secret>")
            .field("role", &self.role)
            .field("facility_id", &self.facility_id)
            .field("ticket_keys", &self.ticket_keys)
            .finish()
    }
}

/// Appends the CBOR encoding of `value` to `out`.
pub fn write_cbor<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and every type in this crate serialises.
    ciborium::into_writer(value, out).expect("CBOR encoding into memory cannot fail");
}

/// The CBOR encoding of `value`.
pub fn to_cbor<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    write_cbor(value, &mut out);
    out
}

/// Decodes CBOR.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut rest = bytes;
    let value = ciborium::from_reader(&mut rest).map_err(|e| e.to_string())?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(format!(
            "{} bytes follow the CBOR item; a body is exactly one item",
            rest.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = to_cbor(&vec![1u32, 2, 3]);
        assert_eq!(from_cbor::<Vec<u32>>(&bytes), Ok(vec![1, 2, 3]));
        bytes.extend_from_slice(b"garbage");
        assert!(from_cbor::<Vec<u32>>(&bytes).is_err());
    }
}
