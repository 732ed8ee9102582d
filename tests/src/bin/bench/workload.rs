//! The offline workload: a trainer phone registers walk-ins while offline exactly as the app
//! does — a person document, a registration document and a scan fact, three real CRDT ops
//! with consecutive sequence numbers — and queues them as encoded push batches, compressed
//! with zstd as the phone's client sends them. Everything here happens before the clock starts.

use sachhon_shared::replica::Replica;
use sachhon_shared::wire::{encode_push, ops::encode_ops};
use sachhon_shared::{ActorId, EventId, Op};
use std::time::{SystemTime, UNIX_EPOCH};

/// Ops one walk-in makes: person, registration, scan.
pub const OPS_PER_WALK_IN: usize = 3;

/// The scope every walk-in op gets on the server: a person without a facility is staff-only,
/// and its registration and scan follow the person.
pub const WALK_IN_SCOPE: &str = "staff";

/// The zstd level of push bodies: the phone's (`PUSH_ZSTD_LEVEL` in sync/src/client.rs).
pub const PUSH_ZSTD_LEVEL: i32 = 3;

/// One encoded push request and the acknowledgement it must get.
pub struct Batch {
    /// The body as sent: the v2 push (CBOR), compressed with zstd at [`PUSH_ZSTD_LEVEL`].
    pub body: Vec<u8>,
    /// Bytes of the v2 push as encoded, before compression.
    pub encoded_bytes: usize,
    /// Ops in the batch (all new to the server).
    pub ops: u64,
    /// The `acked_through` the server must answer: the batch's last sequence number.
    pub acked_through: u64,
}

/// One op as the server's `ops` table stores it, for the plain-insert ceiling.
pub struct LogRow {
    /// `actor_id`.
    pub actor: String,
    /// `seq`.
    pub seq: i64,
    /// `batch`: the batch whose actor table the op is encoded against.
    pub batch: i64,
    /// `kind`.
    pub kind: &'static str,
    /// `record_id`.
    pub record: String,
    /// `op`: the op's v2 bytes, as the server stores them.
    pub op: Vec<u8>,
}

/// A phone's whole offline queue: encoded batches and the rows they become.
pub struct Outbox {
    /// The push requests, in order.
    pub batches: Vec<Batch>,
    /// The ops as log rows.
    pub rows: Vec<LogRow>,
}

/// The ops of a walk-in at each of `events`, in order, by `actor`: sequence numbers 1, 2, 3, …
pub fn walk_ins(actor: ActorId, events: &[EventId]) -> Vec<Op> {
    let mut replica = Replica::new();
    let mut ops = Vec::with_capacity(events.len() * OPS_PER_WALK_IN);
    let started_ms = now_ms();
    for (i, event) in events.iter().enumerate() {
        let next_seq = (i * OPS_PER_WALK_IN) as u64 + 1;
        let scanned_at_ms = started_ms + i as i64 * 20_000;
        ops.extend(walk_in(
            &mut replica,
            actor,
            *event,
            next_seq,
            i,
            scanned_at_ms,
        ));
    }
    ops
}

/// One walk-in: the three ops a phone makes when it registers and admits a newcomer.
fn walk_in(
    replica: &mut Replica,
    actor: ActorId,
    event: EventId,
    seq: u64,
    index: usize,
    scanned_at_ms: i64,
) -> Vec<Op> {
    sachhon_tests::raw::walk_in_ops(replica, actor, seq, event, &name(index), scanned_at_ms)
}

/// A plausible Vietnamese full name, different for consecutive walk-ins.
fn name(index: usize) -> String {
    const FAMILY: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi"];
    const MIDDLE: [&str; 5] = ["Văn", "Thị", "Minh", "Thanh", "Ngọc"];
    const GIVEN: [&str; 11] = [
        "An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Linh", "Mai", "Phúc", "Tâm",
    ];
    format!(
        "{} {} {}",
        FAMILY[index % FAMILY.len()],
        MIDDLE[index % MIDDLE.len()],
        GIVEN[index % GIVEN.len()]
    )
}

/// Splits a phone's ops into encoded, compressed push batches of at most `batch` ops, and
/// log rows.
pub fn outbox(ops: &[Op], batch: usize) -> anyhow::Result<Outbox> {
    let batches = ops
        .chunks(batch.max(1))
        .map(push_batch)
        .collect::<anyhow::Result<_>>()?;
    let rows = ops
        .chunks(batch.max(1))
        .enumerate()
        .flat_map(|(i, chunk)| {
            let (_, encoded) = encode_ops(chunk[0].actor, chunk);
            chunk.iter().zip(encoded).map(move |(op, bytes)| LogRow {
                actor: op.actor.to_string(),
                seq: i64::try_from(op.seq).unwrap_or(i64::MAX),
                batch: i as i64 + 1,
                kind: op.kind.as_str(),
                record: op.record.to_string(),
                op: bytes,
            })
        })
        .collect();
    Ok(Outbox { batches, rows })
}

/// One push request: `chunk` encoded as a v2 push and compressed as the phone compresses it
/// (`compress_push` in sync/src/client.rs: `zstd::bulk::compress` at level 3).
fn push_batch(chunk: &[Op]) -> anyhow::Result<Batch> {
    let encoded = encode_push(chunk[0].actor, chunk);
    let body = zstd::bulk::compress(&encoded, PUSH_ZSTD_LEVEL)
        .map_err(|e| anyhow::anyhow!("compressing a push body: {e}"))?;
    Ok(Batch {
        body,
        encoded_bytes: encoded.len(),
        ops: chunk.len() as u64,
        acked_through: chunk.last().map_or(0, |op| op.seq),
    })
}

/// Milliseconds since the Unix epoch (the phone's clock).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sachhon_shared::wire::decode_push;

    #[test]
    fn a_batch_body_is_the_zstd_of_the_v2_push() {
        let actor = ActorId::new();
        let ops = walk_ins(actor, &[EventId::new(); 4]);
        let outbox = outbox(&ops, 9).expect("encodes");
        assert_eq!(outbox.batches.len(), 2);
        assert_eq!(outbox.rows.len(), 12);
        let batch = &outbox.batches[0];
        let encoded = zstd::decode_all(batch.body.as_slice()).expect("zstd");
        assert_eq!(encoded, encode_push(actor, &ops[..9]));
        assert_eq!(batch.encoded_bytes, encoded.len());
        assert!(batch.body.len() < batch.encoded_bytes);
        let (author, decoded) = decode_push(&encoded).expect("a v2 push");
        assert_eq!((author, decoded.as_slice()), (actor, &ops[..9]));
        assert_eq!((batch.ops, batch.acked_through), (9, 9));
    }
}
