//! The per-actor ordering rule of a push: already-seen ops are acknowledged again and change
//! nothing; the first new op must be the next expected number; no gaps inside a batch.
//!
//! The `crdts` map silently ignores an op whose dot is older than one it has seen, so an op
//! applied out of its actor's order would be lost forever. This rule prevents that.

use crate::op::Op;

/// How a push relates to what the server already holds from that actor.
#[derive(Debug, PartialEq)]
pub struct PushPlan<'a> {
    /// The ops not seen before, to apply in order.
    pub new: &'a [Op],
    /// The highest sequence number acknowledged once this batch commits.
    pub acked_through: u64,
}

/// A push that skips sequence numbers: refused whole; the device resends from `expected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// The sequence number expected next.
    pub expected: u64,
}

/// Splits a batch into ops seen before and new ones, given the highest sequence number
/// already applied for the actor (0 when none).
pub fn plan_push(last_seq: u64, ops: &[Op]) -> Result<PushPlan<'_>, Gap> {
    let first_new = ops.iter().position(|op| op.seq > last_seq);
    let new = first_new.map_or(&ops[ops.len()..], |i| &ops[i..]);
    let mut expected = last_seq + 1;
    for op in new {
        if op.seq != expected {
            return Err(Gap {
                expected: last_seq + 1,
            });
        }
        expected += 1;
    }
    // Ops before the first new one must not be out of order either.
    if ops[..first_new.unwrap_or(ops.len())]
        .windows(2)
        .any(|w| w[0].seq >= w[1].seq)
    {
        return Err(Gap {
            expected: last_seq + 1,
        });
    }
    Ok(PushPlan {
        new,
        acked_through: expected - 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ActorId, EventId, PersonId, RegistrationId};
    use crate::op::{Change, RecordKind, ScanFact, ScanStatus};

    fn op(seq: u64) -> Op {
        Op {
            actor: ActorId::new(),
            seq,
            kind: RecordKind::Scan,
            record: uuid::Uuid::now_v7(),
            change: Change::Scan(ScanFact {
                event: EventId::new(),
                registration: RegistrationId::new(),
                person: Some(PersonId::new()),
                operator: None,
                scanned_at_ms: 0,
                status: ScanStatus::Ok,
                walk_in: false,
            }),
        }
    }

    fn seqs(plan: &PushPlan<'_>) -> Vec<u64> {
        plan.new.iter().map(|op| op.seq).collect()
    }

    #[test]
    fn replayed_ops_are_acknowledged_again_and_skipped() {
        let ops: Vec<Op> = (1..=5).map(op).collect();
        let plan = plan_push(3, &ops).expect("no gap");
        assert_eq!(seqs(&plan), vec![4, 5]);
        assert_eq!(plan.acked_through, 5);
        let replay = plan_push(5, &ops).expect("no gap");
        assert!(replay.new.is_empty());
        assert_eq!(replay.acked_through, 5);
    }

    #[test]
    fn a_gap_is_refused_with_the_expected_number() {
        let ops: Vec<Op> = [4, 5, 7].into_iter().map(op).collect();
        assert_eq!(plan_push(3, &ops), Err(Gap { expected: 4 }));
        let late: Vec<Op> = [6, 7].into_iter().map(op).collect();
        assert_eq!(plan_push(3, &late), Err(Gap { expected: 4 }));
    }

    #[test]
    fn an_empty_push_acknowledges_what_is_held() {
        assert_eq!(plan_push(9, &[]).map(|p| p.acked_through), Ok(9));
    }
}
