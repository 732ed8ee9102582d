//! Credentials: admin tokens, devices, enrolments.

use super::StoreResult;
use async_trait::async_trait;
use sachhon_shared::authority::{Principal, Role};
use sachhon_shared::{ActorId, DeviceId, EventId, FacilityId};
use serde::Serialize;

/// A device to register.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// A human name ("Trainer phone 3").
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The facility of an enterprise device.
    pub facility: Option<FacilityId>,
}

/// An authenticated device enrolment: who is pushing or pulling.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    /// The enrolment's actor id.
    pub actor: ActorId,
    /// The registered device.
    pub device: DeviceId,
    /// Role and facility, for the authority rules.
    pub principal: Principal,
}

/// The events a trainer device is assigned, by id and by district (every event of a listed
/// district). A trainer device with assignments pulls only their events' records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Assignments {
    /// Events assigned by id.
    pub events: Vec<EventId>,
    /// Districts whose events are all assigned.
    pub districts: Vec<String>,
}

impl Assignments {
    /// Whether nothing is assigned (the device sees everything its role may).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.districts.is_empty()
    }
}

/// Credentials: admin tokens, devices, enrolments.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Whether any stored admin token exists.
    async fn has_admin_token(&self) -> StoreResult<bool>;
    /// Stores the hash of a new admin token.
    async fn add_admin_token(&self, token_hash: &str) -> StoreResult<()>;
    /// Whether this hash is a stored admin token.
    async fn is_admin_token(&self, token_hash: &str) -> StoreResult<bool>;
    /// Registers a device with a first one-time enrolment token.
    async fn create_device(
        &self,
        device: &NewDevice,
        enrolment_hash: &str,
    ) -> StoreResult<DeviceId>;
    /// Replaces a device's pending enrolment token with a new one.
    async fn renew_enrolment_token(&self, device: DeviceId, token_hash: &str) -> StoreResult<()>;
    /// Consumes a one-time enrolment token and creates a new actor with its access token.
    async fn enroll(
        &self,
        enrolment_hash: &str,
        actor: ActorId,
        access_hash: &str,
    ) -> StoreResult<(DeviceId, Principal)>;
    /// Revokes a device: every token of it stops working at once.
    async fn revoke_device(&self, device: DeviceId) -> StoreResult<()>;
    /// A device's assignments; [`StoreError::NotFound`](super::StoreError) for an unknown
    /// device.
    async fn assignments(&self, device: DeviceId) -> StoreResult<Assignments>;
    /// Replaces a trainer device's assignments: 404 for an unknown device, invalid for
    /// another role, an unknown event or a district against the text rule.
    async fn set_assignments(
        &self,
        device: DeviceId,
        assignments: &Assignments,
    ) -> StoreResult<Assignments>;
    /// The enrolment an access token belongs to, unless revoked.
    async fn author_by_token(&self, access_hash: &str) -> StoreResult<Option<Author>>;
}
