//! A pull page: `{1: [segment, …], 2: next, 3: more, 4: ticket keys, 5: arrived, 6: left,
//! 7: acked}` (docs/sync-protocol.md, "Pull"). The server writes it from stored bytes
//! ([`PageBuilder`]); a phone reads it in place ([`decode_page`]).

use super::cbor::{DecodeError, Reader, Token, Writer};
use super::ops::{read_segment, write_segment};
use super::state::read_state;
use crate::doc::Doc;
use crate::op::Op;
use crate::schema::RecordKind;
use crate::ticket::{hex, unhex, TicketKey};
use uuid::Uuid;

const SEGMENTS: u64 = 1;
const NEXT: u64 = 2;
const MORE: u64 = 3;
const TICKET_KEYS: u64 = 4;
const ARRIVED: u64 = 5;
const LEFT: u64 = 6;
const ACKED: u64 = 7;

/// One page of changes after a cursor, as a phone reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct PullPage {
    /// Ops of other actors that this device may see, in the server's commit order.
    pub ops: Vec<Op>,
    /// The cursor to ask from next time; opaque to the device.
    pub next: String,
    /// Whether more changes are waiting after `next`.
    pub more: bool,
    /// The public keys that sign tickets, including retired ones (marked), so that the phone
    /// replaces its key ring with this list.
    pub ticket_keys: Vec<TicketKey>,
    /// Records that entered this device's view in this page: their whole merged state, which
    /// the device merges, since it never received their earlier ops.
    pub arrived: Vec<Arrival>,
    /// Records that left this device's view in this page: the device drops them.
    pub left: Vec<Uuid>,
    /// The last sequence number of the caller's own ops that the server holds, when it says:
    /// a device that was acknowledged more knows the server lost some (a restore from a
    /// backup) and sends them again.
    pub acked: Option<u64>,
}

/// A record that entered a device's view, with its whole merged state.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrival {
    /// Its kind.
    pub kind: RecordKind,
    /// Its id.
    pub record: Uuid,
    /// Its merged document.
    pub state: Doc,
}

/// Builds a page from stored bytes: ops as stored with their batch's actor table, states as
/// stored; nothing is decoded.
#[derive(Default)]
pub struct PageBuilder {
    segments: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    arrived: Vec<Vec<u8>>,
    left: Vec<Uuid>,
    acked: Option<u64>,
}

impl PageBuilder {
    /// An empty page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an op's stored bytes, encoded against the actor table `actors` (stored bytes).
    /// Consecutive ops of one table share a segment.
    pub fn op(&mut self, actors: &[u8], op: Vec<u8>) {
        match self.segments.last_mut() {
            Some((table, ops)) if table.as_slice() == actors => ops.push(op),
            _ => self.segments.push((actors.to_vec(), vec![op])),
        }
    }

    /// Adds a record that entered the viewer's scope, with its stored state bytes.
    pub fn arrived(&mut self, kind: RecordKind, record: Uuid, state: &[u8]) {
        self.arrived.push(Writer::encoded(|w| {
            w.array(3);
            w.uint(u64::from(kind.code()));
            w.bytes(record.as_bytes());
            w.raw(state);
        }));
    }

    /// Adds a record that left the viewer's scope.
    pub fn left(&mut self, record: Uuid) {
        self.left.push(record);
    }

    /// Says which of the caller's own ops the server holds: all through `seq`.
    pub fn acked(&mut self, seq: u64) {
        self.acked = Some(seq);
    }

    /// The page's bytes.
    pub fn finish(self, next: &str, more: bool, ticket_keys: &[TicketKey]) -> Vec<u8> {
        Writer::encoded(|w| {
            let optional = usize::from(!self.arrived.is_empty())
                + usize::from(!self.left.is_empty())
                + usize::from(self.acked.is_some());
            w.map(4 + optional);
            w.uint(SEGMENTS);
            w.array(self.segments.len());
            for (actors, ops) in &self.segments {
                let ops: Vec<&[u8]> = ops.iter().map(Vec::as_slice).collect();
                write_segment(w, actors, &ops);
            }
            w.uint(NEXT);
            w.text(next);
            w.uint(MORE);
            w.bool(more);
            w.uint(TICKET_KEYS);
            w.array(ticket_keys.len());
            for key in ticket_keys {
                w.array(3);
                w.text(&key.id);
                w.bytes(&unhex(&key.public_key).unwrap_or_default());
                w.bool(key.retired);
            }
            if !self.arrived.is_empty() {
                w.uint(ARRIVED);
                w.array(self.arrived.len());
                self.arrived.iter().for_each(|a| w.raw(a));
            }
            if !self.left.is_empty() {
                w.uint(LEFT);
                w.array(self.left.len());
                self.left.iter().for_each(|id| w.bytes(id.as_bytes()));
            }
            if let Some(seq) = self.acked {
                w.uint(ACKED);
                w.uint(seq);
            }
        })
    }
}

/// Reads a page, its ops straight from the bytes.
pub fn decode_page(bytes: &[u8]) -> Result<PullPage, DecodeError> {
    let mut page = PullPage {
        ops: Vec::new(),
        next: String::new(),
        more: false,
        ticket_keys: Vec::new(),
        arrived: Vec::new(),
        left: Vec::new(),
        acked: None,
    };
    let mut required = [SEGMENTS, NEXT, MORE, TICKET_KEYS].to_vec();
    Reader::whole(bytes, |r| {
        r.message("page", |r, key| {
            required.retain(|k| *k != key);
            match key {
                SEGMENTS => r.array("page.segments", |r, i| {
                    read_segment(r, &mut page.ops)
                        .map_err(|e| e.within(&format!("page.segments[{i}]")))
                })?,
                NEXT => page.next = r.text("page.next")?,
                MORE => page.more = r.bool("page.more")?,
                TICKET_KEYS => r.array("page.ticket_keys", |r, _| {
                    page.ticket_keys
                        .push(read_ticket_key(r, "page.ticket_keys")?);
                    Ok(())
                })?,
                ARRIVED => r.array("page.arrived", |r, _| {
                    page.arrived.push(read_arrival(r, "page.arrived")?);
                    Ok(())
                })?,
                LEFT => r.array("page.left", |r, _| {
                    page.left.push(r.uuid("page.left")?);
                    Ok(())
                })?,
                ACKED => page.acked = Some(r.uint("page.acked")?),
                // A later minor version's field: ignored.
                _ => {
                    r.skip("page")?;
                }
            }
            Ok(())
        })
    })?;
    if let Some(key) = required.first() {
        return Err(DecodeError::new("page", format!("no key {key}")));
    }
    Ok(page)
}

/// Reads a ticket key: `[id, public key (32 bytes), retired]`.
fn read_ticket_key(r: &mut Reader, at: &str) -> Result<TicketKey, DecodeError> {
    r.array_of(3, at, |r| {
        let id = r.text(at)?;
        let public_key = match r.token(at)? {
            Token::Bytes(bytes) if bytes.len() == 32 => hex(&bytes),
            _ => return Err(DecodeError::new(at, "a key is 32 bytes")),
        };
        Ok(TicketKey {
            id,
            public_key,
            retired: r.bool(at)?,
        })
    })
}

/// Reads an arrival: `[kind, record, state]`.
fn read_arrival(r: &mut Reader, at: &str) -> Result<Arrival, DecodeError> {
    r.array_of(3, at, |r| {
        let code = r.uint(at)?;
        let kind = RecordKind::from_code(code)
            .filter(|kind| kind.is_document())
            .ok_or_else(|| DecodeError::new(at, format!("no document kind {code}")))?;
        Ok(Arrival {
            kind,
            record: r.uuid(at)?,
            state: read_state(kind, r, at)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_says_which_of_the_callers_ops_the_server_holds_only_when_told() {
        let silent = decode_page(&PageBuilder::new().finish("7", false, &[])).expect("decodes");
        assert_eq!((silent.next.as_str(), silent.acked), ("7", None));
        let mut page = PageBuilder::new();
        page.acked(41);
        let told = decode_page(&page.finish("7", true, &[])).expect("decodes");
        assert_eq!((told.acked, told.more), (Some(41), true));
    }
}
