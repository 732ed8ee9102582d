//! Writes the seed corpus under `fuzz/corpus/<target>/`:
//! `cargo run --manifest-path fuzz/Cargo.toml --bin seed`.
//!
//! Push bodies are made the way a phone makes them (the walk-in of `tests/src/raw.rs`); ids
//! are fixed so that the seeds only change when the encoding does.

use ed25519_dalek::SigningKey;
use sachhon_shared::facility_csv;
use sachhon_shared::op::{ScanFact, ScanStatus};
use sachhon_shared::replica::Replica;
use sachhon_shared::ticket::{issue, verify, Ticket, TicketKey, PREFIX};
use sachhon_shared::wire::{to_cbor, PushRequest};
use sachhon_shared::{
    ActorId, Annulment, Change, EventId, Op, OpId, PersonId, RecordKind, RegistrationId, ScanId,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The phone time of the walk-in (2025-11-29), as in `tests/src/raw.rs`.
const SCANNED_AT_MS: i64 = 1_764_400_000_000;

fn id(n: u128) -> Uuid {
    // Version 7 layout, so the ids look like the ones phones make.
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write a seed");
    println!("{} ({} bytes)", dir.join(name).display(), bytes.len());
}

/// A walk-in as a phone makes it: person, registration, scan (three ops from `seq`).
fn walk_in(replica: &mut Replica, actor: ActorId, seq: u64, name: &str) -> Vec<Op> {
    let (event, person, registration) = (EventId(id(1)), PersonId(id(2)), RegistrationId(id(3)));
    let person_fields = vec![
        ("name".into(), json!(name)),
        ("facility_id".into(), Value::Null),
        ("cp_staff".into(), json!(false)),
    ];
    let registration_fields = vec![
        ("event_id".into(), json!(event.to_string())),
        ("person_id".into(), json!(person.to_string())),
    ];
    let fact = ScanFact {
        event,
        registration,
        person: Some(person),
        operator: None,
        scanned_at_ms: SCANNED_AT_MS,
        status: ScanStatus::Ok,
        walk_in: true,
    };
    let mut ops = vec![
        replica.write(actor, seq, RecordKind::Person, person.0, person_fields),
        replica.write(
            actor,
            seq + 1,
            RecordKind::Registration,
            registration.0,
            registration_fields,
        ),
        replica.scan(actor, seq + 2, id(4), fact),
    ];
    for (n, op) in ops.iter_mut().enumerate() {
        op.id = OpId(id(100 + seq as u128 + n as u128));
    }
    ops
}

/// Writes a push body whose ops all pass the server's checks.
fn write_push(dir: &Path, name: &str, ops: Vec<Op>) {
    for op in &ops {
        op.check().expect("a seed op passes the checks");
    }
    write(dir, name, &to_cbor(&PushRequest { ops }));
}

fn push_bodies(dir: &Path) {
    let actor = ActorId(id(50));
    let mut replica = Replica::new();
    let walk_in = walk_in(&mut replica, actor, 1, "Nguyễn Thị Hồng");
    write(
        dir,
        "walk_in.cbor",
        &to_cbor(&PushRequest {
            ops: walk_in.clone(),
        }),
    );
    write(
        dir,
        "empty.cbor",
        &to_cbor(&PushRequest { ops: Vec::new() }),
    );

    let facility = replica.write(
        actor,
        4,
        RecordKind::Facility,
        id(5),
        vec![
            ("name".into(), json!("Công ty May Việt Tiến")),
            ("tax_code".into(), json!("0301234567")),
            ("district".into(), json!("Quận Bình Thạnh")),
            ("sector".into(), json!("dệt may")),
            ("cp_potential".into(), json!(true)),
        ],
    );
    let annul = Op {
        id: OpId(id(200)),
        actor,
        seq: 5,
        kind: RecordKind::Annulment,
        record: id(6),
        change: Change::Annul(Annulment {
            scan: ScanId(id(4)),
            reason: Some("quét nhầm người".into()),
        }),
    };
    let mut facility = facility;
    facility.id = OpId(id(199));
    write_push(dir, "facility_and_annulment.cbor", vec![facility, annul]);
}

fn tickets(dir: &Path) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let ticket = Ticket {
        event: EventId(id(1)),
        registration: RegistrationId(id(3)),
    };
    let text = issue(ticket, &key);
    let keys = [TicketKey::of(&key.verifying_key(), false)];
    assert_eq!(verify(&text, &keys), Ok(ticket), "the valid seed verifies");
    write(dir, "valid.txt", text.as_bytes());

    // One character of the signed part changed: a forgery or a damaged print.
    let mut flipped: Vec<char> = text.chars().collect();
    let at = PREFIX.len() + 20;
    flipped[at] = if flipped[at] == 'A' { 'B' } else { 'A' };
    write(
        dir,
        "flipped.txt",
        flipped.into_iter().collect::<String>().as_bytes(),
    );

    let bare = text.strip_prefix(PREFIX).expect("the prefix");
    write(dir, "no_prefix.txt", bare.as_bytes());

    let other = issue(ticket, &SigningKey::from_bytes(&[9; 32]));
    write(dir, "unknown_key.txt", other.as_bytes());
}

fn csv_files(dir: &Path) {
    let valid = "name,tax_code,district,sector,cp_potential\n\
         Công ty May Việt Tiến,0301234567,Quận Bình Thạnh,dệt may,có\n\
         \"Xí nghiệp Giày Bình Tiên, cơ sở 2\",0302345678,Quận 6,da giày,không\n\
         Nhà máy Nhựa Rạng Đông,0303456789,Thủ Đức,nhựa,TRUE\n\
         Cơ sở In Hoa Sen,0304567890,Quận 3,in ấn,0\n";
    let lines = facility_csv::parse(valid).expect("the valid seed's header is accepted");
    let errors: Vec<_> = lines
        .iter()
        .filter_map(|line| line.as_ref().err())
        .collect();
    assert!(
        lines.len() == 4 && errors.is_empty(),
        "every line of the valid seed reads: {errors:?}"
    );
    write(dir, "valid.csv", valid.as_bytes());
    write(
        dir,
        "bad_lines.csv",
        "\u{feff}name,tax_code,district,sector,cp_potential\n\
         Thiếu cột,0305678901,Quận 7\n\
         Sai giá trị,0306789012,Quận 8,cơ khí,có lẽ\n\
         =HYPERLINK(\"x\"),0307890123,Quận 9,hoá chất,false\n\
         ,,,,1\n\
         \"Dấu ngoặc chưa đóng,0308901234,Quận 10,thực phẩm,yes\n"
            .as_bytes(),
    );
    write(
        dir,
        "wrong_header.csv",
        "tên,mã số thuế,quận,ngành,tiềm năng\nA,1,B,C,có\n".as_bytes(),
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, make) in [
        ("push_body", push_bodies as fn(&Path)),
        ("ticket", tickets),
        ("csv_import", csv_files),
    ] {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("create the corpus folder");
        make(&dir);
    }
}
