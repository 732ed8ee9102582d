//! The protocol's test vectors (`docs/sync-vectors/`): their file format, and the check of one
//! against [`Replica`], the reference implementation of the server's rules. The phone's and
//! the server's tests run the same files through their own code; so can any other client.

use crate::replica::Replica;
use crate::ticket::unhex;
use crate::wire::decode_push;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One vector: push bodies applied in order to an empty replica, what each must give, and the
/// merged view and state hash at the end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vector {
    /// What the vector shows.
    pub description: String,
    /// Whether devices may push these bodies to a server that holds nothing else (they need
    /// no registry records, questionnaires or registrations first).
    pub server: bool,
    /// The push bodies, in order.
    pub pushes: Vec<Push>,
    /// The merged view at the end, as [`Replica::view`] gives it.
    pub view: Vec<Value>,
    /// The state hash at the end.
    pub state_hash: String,
}

/// One push body and what it must give.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Push {
    /// The body, in hex.
    pub hex: String,
    /// The body in CBOR diagnostic notation (RFC 8949 §8), for reading.
    pub diagnostic: String,
    /// What a receiver must make of it.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What a receiver must make of a push body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// Every op is applied (or was applied before, for a replay).
    Applied,
    /// The body does not decode: refused whole (HTTP 400), nothing changes.
    Malformed,
    /// An op is malformed in its shape: refused whole (HTTP 422), nothing changes.
    Refused {
        /// The field at fault, when one is.
        field: Option<String>,
    },
    /// Some ops have invalid values: those are acknowledged but not applied (HTTP 200 with
    /// `rejected`); the others are applied.
    Rejected {
        /// The refused ops.
        ops: Vec<RejectedOp>,
    },
}

/// An op refused alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedOp {
    /// Its sequence number.
    pub seq: u64,
    /// The field at fault.
    pub field: String,
}

impl Push {
    /// The body's bytes.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        unhex(&self.hex).ok_or_else(|| format!("{:?} is not hex", self.hex))
    }
}

/// What the reference implementation makes of one push body, applying it to `replica`.
pub fn receive(replica: &mut Replica, body: &[u8]) -> Outcome {
    let Ok((author, ops)) = decode_push(body) else {
        return Outcome::Malformed;
    };
    if let Some(error) = ops.iter().find_map(|op| op.check_shape().err()) {
        return Outcome::Refused {
            field: error.field().map(str::to_string),
        };
    }
    let before = replica.rejections().len();
    if replica.receive(author, &ops).is_err() {
        // A gap: the vectors have none, and a receiver refuses it whole (HTTP 409).
        return Outcome::Refused { field: None };
    }
    let rejected: Vec<RejectedOp> = replica.rejections()[before..]
        .iter()
        .map(|(_, seq, field)| RejectedOp {
            seq: *seq,
            field: field.clone(),
        })
        .collect();
    if rejected.is_empty() {
        Outcome::Applied
    } else {
        Outcome::Rejected { ops: rejected }
    }
}

/// Runs a vector on a fresh [`Replica`]; the first difference, if any.
pub fn check(vector: &Vector) -> Result<(), String> {
    let mut replica = Replica::new();
    for (i, push) in vector.pushes.iter().enumerate() {
        let outcome = receive(&mut replica, &push.bytes()?);
        if outcome != push.outcome {
            return Err(format!(
                "push {i}: expected {:?}, got {outcome:?}",
                push.outcome
            ));
        }
    }
    if replica.view() != vector.view {
        return Err(format!(
            "view: expected {}, got {}",
            Value::from(vector.view.clone()),
            Value::from(replica.view())
        ));
    }
    let hash = replica.state_hash();
    if hash != vector.state_hash {
        return Err(format!(
            "state hash: expected {}, got {hash}",
            vector.state_hash
        ));
    }
    Ok(())
}
