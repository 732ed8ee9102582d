//! The sachhon field-device side: a local replica in SQLite, an outbox of local ops, the
//! push/pull client of the sync protocol, offline badge check-in (signed tickets judged
//! against the stored key ring and the replica; annulments) and offline questionnaire answers
//! (checked with the published definitions pulled from the server). The `sachhon-device`
//! binary is a thin layer over [`Device`]; apps and tests drive [`Device`] directly.
//!
//! Architecture invariants:
//! - every local action is one SQLite transaction: document states, outbox rows and the
//!   actor's next sequence number change together or not at all;
//! - an op leaves the outbox only once the server has acknowledged it (or has told, through a
//!   gap answer, that it already holds it);
//! - applying pulled ops is idempotent and the cursor moves in the transaction that applies
//!   its page (with the page's ticket key ring, when it carries one);
//! - a scan is judged and, when admitted, recorded in one transaction; a refused verdict
//!   changes nothing;
//! - an answer command is one op, queued only when every value passed its question's check;
//! - ops the server acknowledges but refuses leave the outbox in the transaction that
//!   records their rejection.

mod checkin;
mod client;
mod clock;
mod device;
mod error;
mod responses;
mod store;
mod sync;

pub use checkin::{AnnulResult, ScanResult};
pub use device::{Device, Options, Status, WalkIn};
pub use error::{Error, Result};
pub use responses::{LocalResponse, RejectedOp};
pub use sachhon_shared::checkin::Verdict;
pub use sachhon_shared::questionnaire::ResponseView;
pub use sachhon_shared::wire::Enrolment;
pub use store::DB_FILE;
pub use sync::{SyncReport, MAX_PUSH_BATCH};

#[cfg(test)]
mod tests;
