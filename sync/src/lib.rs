//! The sachhon field-device side: a local replica in SQLite, an outbox of local ops, and the
//! push/pull client of the sync protocol. The `sachhon-device` binary is a thin layer over
//! [`Device`]; apps and tests drive [`Device`] directly.
//!
//! Architecture invariants:
//! - every local action is one SQLite transaction: document states, outbox rows and the
//!   actor's next sequence number change together or not at all;
//! - an op leaves the outbox only once the server has acknowledged it (or has told, through a
//!   gap answer, that it already holds it);
//! - applying pulled ops is idempotent and the cursor moves in the transaction that applies
//!   its page.

mod client;
mod device;
mod error;
mod store;
mod sync;

pub use device::{Device, Options, Status, WalkIn};
pub use error::{Error, Result};
pub use sachhon_shared::wire::Enrolment;
pub use store::DB_FILE;
pub use sync::{SyncReport, MAX_PUSH_BATCH};

#[cfg(test)]
mod tests;
