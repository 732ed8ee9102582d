//! Property: any interleaving, duplication and partition of the ops of three actors, delivered
//! under the server's sequencing rule, leaves every replica with one state hash.

use proptest::prelude::*;
use sachhon_shared::op::{RecordKind, ScanFact, ScanStatus};
use sachhon_shared::replica::Replica;
use sachhon_shared::wire::{decode_push, encode_push};
use sachhon_shared::{ActorId, EventId, Op, PersonId, RegistrationId};
use serde_json::json;
use uuid::Uuid;

/// One step of one actor's offline work.
#[derive(Debug, Clone)]
enum Step {
    /// Edit a field of one of three shared person records.
    Edit {
        actor: usize,
        record: usize,
        field: usize,
        value: u8,
    },
    /// Scan one of three people (a fact with its own id).
    Scan { actor: usize, person: usize },
    /// The actor catches up with everything the others have sent so far.
    CatchUp { actor: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..3usize, 0..2usize, 0..4u8)
            .prop_map(|(actor, record, field, value)| Step::Edit { actor, record, field, value }),
        2 => (0..3usize, 0..3usize).prop_map(|(actor, person)| Step::Scan { actor, person }),
        1 => (0..3usize).prop_map(|actor| Step::CatchUp { actor }),
    ]
}

/// Runs the actors' offline work; returns each actor's ops in its own order and the actors'
/// replicas.
fn work(steps: &[Step]) -> (Vec<ActorId>, Vec<Vec<Op>>, Vec<Replica>) {
    let actors: Vec<ActorId> = (0..3).map(|_| ActorId::new()).collect();
    let records: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let event = EventId::new();
    let mut logs: Vec<Vec<Op>> = vec![Vec::new(); 3];
    let mut replicas: Vec<Replica> = vec![Replica::new(); 3];
    for step in steps {
        match *step {
            Step::Edit {
                actor,
                record,
                field,
                value,
            } => {
                let seq = logs[actor].len() as u64 + 1;
                // Valid values only: an invalid one is rejected by receivers (not by its writer).
                let (field, value) = match field {
                    0 => ("name", json!(format!("Tên {value}"))),
                    _ => ("cp_staff", json!(value % 2 == 0)),
                };
                let field = field.to_string();
                let op = replicas[actor].write(
                    actors[actor],
                    seq,
                    RecordKind::Person,
                    records[record],
                    vec![(field, value)],
                );
                logs[actor].push(op);
            }
            Step::Scan { actor, person } => {
                let seq = logs[actor].len() as u64 + 1;
                let fact = ScanFact {
                    event,
                    registration: RegistrationId::new(),
                    person: Some(PersonId(records[person])),
                    operator: None,
                    scanned_at_ms: 1_764_400_000_000 + seq as i64,
                    status: ScanStatus::Ok,
                    walk_in: false,
                };
                let op = replicas[actor].scan(actors[actor], seq, Uuid::now_v7(), fact);
                logs[actor].push(op);
            }
            Step::CatchUp { actor } => {
                for other in 0..3 {
                    replicas[actor]
                        .receive(actors[other], &logs[other])
                        .expect("a whole log has no gap");
                }
            }
        }
    }
    (actors, logs, replicas)
}

/// Delivers batches in the given shuffled order, each batch `copies` times and through the
/// wire (encoded as a v2 push body and decoded); a batch refused for a gap goes to the back of
/// the queue, as a device resends after a 409.
fn deliver(replica: &mut Replica, actors: &[ActorId], batches: Vec<(usize, Vec<Op>)>) {
    let mut queue: std::collections::VecDeque<_> = batches.into();
    let mut refusals_in_a_row = 0;
    while let Some((actor, batch)) = queue.pop_front() {
        let (author, sent) = decode_push(&encode_push(actors[actor], &batch)).expect("decodes");
        assert_eq!(
            (author, &sent),
            (actors[actor], &batch),
            "the wire keeps every op"
        );
        match replica.receive(author, &sent) {
            Ok(_) => refusals_in_a_row = 0,
            Err(_) => {
                queue.push_back((actor, batch));
                refusals_in_a_row += 1;
                assert!(
                    refusals_in_a_row <= queue.len() + 1,
                    "delivery cannot progress"
                );
            }
        }
    }
}

/// Cuts each actor's log into batches at the given points, duplicates some, and shuffles.
fn partition(
    logs: &[Vec<Op>],
    cuts: &[usize],
    keys: &[u64],
    copies: &[u8],
) -> Vec<(usize, Vec<Op>)> {
    let mut batches = Vec::new();
    for (actor, log) in logs.iter().enumerate() {
        let mut start = 0;
        for (i, cut) in cuts.iter().enumerate() {
            if start >= log.len() {
                break;
            }
            let end = (start + 1 + cut % 4).min(log.len());
            let times = 1 + copies[(actor + i) % copies.len()] % 3;
            for _ in 0..times {
                batches.push((actor, log[start..end].to_vec()));
            }
            start = end;
        }
        if start < log.len() {
            batches.push((actor, log[start..].to_vec()));
        }
    }
    let mut keyed: Vec<_> = batches
        .into_iter()
        .enumerate()
        .map(|(i, batch)| (keys[i % keys.len()].wrapping_mul(i as u64 + 1), batch))
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, batch)| batch).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_delivery_converges(
        steps in prop::collection::vec(step(), 1..40),
        cuts in prop::collection::vec(any::<usize>(), 1..20),
        orders in prop::collection::vec(prop::collection::vec(any::<u64>(), 1..30), 3),
        copies in prop::collection::vec(any::<u8>(), 1..10),
    ) {
        let (actors, logs, mut replicas) = work(&steps);
        let mut observers = vec![Replica::new(); 3];
        for (observer, keys) in observers.iter_mut().zip(&orders) {
            deliver(observer, &actors, partition(&logs, &cuts, keys, &copies));
        }
        for (replica, keys) in replicas.iter_mut().zip(orders.iter().rev()) {
            deliver(replica, &actors, partition(&logs, &cuts, keys, &copies));
        }
        let expected = observers[0].state_hash();
        let scans: usize = steps.iter().filter(|s| matches!(s, Step::Scan { .. })).count();
        for replica in observers.iter().chain(&replicas) {
            prop_assert_eq!(replica.state_hash(), expected.clone());
            prop_assert_eq!(replica.scan_count(), scans);
        }
    }
}
