//! Domain types, CRDT documents and sync wire types shared by the sachhon phone client
//! (`sachhon-sync`) and the server (`sachhon-server`).
//!
//! Architecture invariant: this crate does no I/O and has no async code. The same functions
//! run on the phone and on the server, so both compute the same merged state.

pub mod authority;
pub mod checkin;
pub mod district;
pub mod doc;
pub mod facility_csv;
pub mod hash;
pub mod ids;
pub mod indicators;
pub mod op;
pub mod questionnaire;
pub mod records;
pub mod replica;
pub mod schema;
pub mod sequence;
pub mod text;
pub mod ticket;
pub mod timestamp;
pub mod vectors;
pub mod vietnamese;
pub mod wire;

pub use doc::{Doc, Edit};
pub use ids::*;
pub use op::{Annulment, Change, Op, Publication, RecordKind, ScanFact};
