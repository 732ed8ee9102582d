//! In-crate tests: the offline replica, and sync against a small in-process fake server that
//! follows the protocol's rules (the real server is tested end to end in `sachhon-tests`).

mod fake_server;
mod offline;
mod online;

use crate::{Device, Enrolment, Options};
use sachhon_shared::authority::Role;
use sachhon_shared::{ActorId, DeviceId};
use std::path::Path;

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
