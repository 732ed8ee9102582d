//! The sync protocol: pushes, pulls, device clocks, the state hash.

use super::devices::Author;
use super::StoreResult;
use async_trait::async_trait;
use sachhon_shared::wire::PushAck;
use sachhon_shared::{ActorId, Op};

/// A pull page, encoded, with the two fields a client needs before reading it.
#[derive(Clone, Debug)]
pub struct Pulled {
    /// The page as the protocol sends it.
    pub body: Vec<u8>,
    /// Its `next` cursor.
    pub next: String,
    /// Its `more`.
    pub more: bool,
}

/// How far a device clock may be off before its scans are flagged: five minutes.
pub const CLOCK_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// The sync protocol: pushes, pulls, device clocks, the state hash.
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// Applies a batch of the author's ops in one transaction and acknowledges after commit;
    /// records the contact first, with the device's clock offset (device − server, ms) when it
    /// reported one.
    async fn push(
        &self,
        author: &Author,
        ops: &[Op],
        clock_offset_ms: Option<i64>,
    ) -> StoreResult<PushAck>;
    /// Records that an enrolment reached the server now (a pull), with its clock offset
    /// (device − server, ms) when it reported one.
    async fn record_contact(&self, actor: ActorId, clock_offset_ms: Option<i64>)
        -> StoreResult<()>;
    /// A page of other actors' changes after `after` that `viewer` may see, encoded as the
    /// protocol sends it (built from the ops' stored bytes), telling the viewer the last of
    /// its own ops the server holds.
    async fn pull(&self, viewer: &Author, after: &str, limit: u32) -> StoreResult<Pulled>;
    /// The canonical hash of every document and scan, as replicas compute it.
    async fn state_hash(&self) -> StoreResult<String>;
}
