//! In-crate tests: the offline replica, questionnaire answers, and sync against a small
//! in-process fake server that follows the protocol's rules (the real server is tested end to
//! end in `sachhon-tests`).

mod checkin;
mod fake_server;
mod migration;
mod offline;
mod online;
mod questionnaires;
mod tls;
mod vectors;

use crate::{Device, Enrolment, Options};
use ed25519_dalek::SigningKey;
use sachhon_shared::authority::Role;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::wire::PullPage;
use sachhon_shared::{ActorId, DeviceId};
use std::path::Path;

/// A ticket signing key made from a seed, as the server would hold it.
fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The public description of a signing key, as phones receive it.
fn public_key(key: &SigningKey, retired: bool) -> TicketKey {
    TicketKey::of(&key.verifying_key(), retired)
}

/// A pulled page of `ops` that moves the cursor to `next`, with a key ring.
fn page(ops: &[sachhon_shared::Op], next: &str, ticket_keys: &[TicketKey]) -> PullPage {
    PullPage {
        ops: ops.to_vec(),
        next: next.to_string(),
        more: false,
        ticket_keys: ticket_keys.to_vec(),
        arrived: Vec::new(),
        left: Vec::new(),
        acked: None,
    }
}

/// An enrolment made up locally, as a test server would hand it out.
fn enrolment(role: Role) -> Enrolment {
    let actor_id = ActorId::new();
    Enrolment {
        device_id: DeviceId::new(),
        actor_id,
        // The fake server takes the actor id as the bearer token.
        access_token: actor_id.to_string(),
        role,
        facility_id: None,
        ticket_keys: Vec::new(),
    }
}

/// A device in `home`, enrolled as a trainer with `server`.
async fn trainer(home: &Path, server: &str, options: Options) -> Device {
    let device = Device::open_with(home, options).await.expect("opens");
    device
        .install_enrolment(server, &enrolment(Role::Trainer))
        .await
        .expect("enrols");
    device
}
