//! The protocol's test vectors (`docs/sync-vectors/`): every file passes on the reference
//! replica, and the files are exactly what the scenarios below make. After changing a scenario
//! (or the protocol), rewrite them with
//! `SACHHON_WRITE_VECTORS=1 cargo test -p sachhon-shared --test vectors`.

use sachhon_shared::doc::FieldValue;
use sachhon_shared::op::ScanStatus;
use sachhon_shared::questionnaire::Definition;
use sachhon_shared::replica::Replica;
use sachhon_shared::vectors::{self, Outcome, Push, RejectedOp, Vector};
use sachhon_shared::wire::cbor::{diagnostic, Writer};
use sachhon_shared::wire::encode_push;
use sachhon_shared::{ActorId, Annulment, Change, Op, Publication, RecordKind, ScanFact};
use serde_json::json;
use std::path::PathBuf;
use uuid::Uuid;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/sync-vectors")
}

/// A fixed, readable id: a UUID v7 shape with `n` at the end.
fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn actor(n: u128) -> ActorId {
    ActorId(id(0xa0 + n))
}

const PERSON: u128 = 0x10;

/// A scenario under construction: each actor's own replica (what it has seen) and the pushes.
struct Scenario {
    description: &'static str,
    server: bool,
    phones: Vec<(ActorId, Replica, u64)>,
    pushes: Vec<(Vec<u8>, Outcome)>,
}

impl Scenario {
    fn new(description: &'static str, server: bool) -> Self {
        Self {
            description,
            server,
            phones: (1..=3).map(|n| (actor(n), Replica::new(), 1)).collect(),
            pushes: Vec::new(),
        }
    }

    /// Phone `n` writes fields of a record as its next op.
    fn write(
        &mut self,
        n: usize,
        kind: RecordKind,
        record: Uuid,
        fields: &[(&str, FieldValue)],
    ) -> Op {
        let (actor, replica, seq) = &mut self.phones[n - 1];
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let op = replica.write(*actor, *seq, kind, record, fields);
        *seq += 1;
        op
    }

    /// Phone `n` records a fact as its next op.
    fn fact(&mut self, n: usize, kind: RecordKind, record: Uuid, change: Change) -> Op {
        let (actor, replica, seq) = &mut self.phones[n - 1];
        let op = Op {
            actor: *actor,
            seq: *seq,
            kind,
            record,
            change,
        };
        replica.absorb(std::slice::from_ref(&op));
        *seq += 1;
        op
    }

    /// Phone `n` receives others' ops (it has seen them from now on).
    fn sees(&mut self, n: usize, ops: &[Op]) {
        self.phones[n - 1].1.absorb(ops);
    }

    fn push(&mut self, ops: &[Op], outcome: Outcome) {
        self.pushes.push((encode_push(ops[0].actor, ops), outcome));
    }

    fn push_bytes(&mut self, body: Vec<u8>, outcome: Outcome) {
        self.pushes.push((body, outcome));
    }

    fn finish(self) -> Vector {
        let mut replica = Replica::new();
        let pushes = self
            .pushes
            .into_iter()
            .map(|(body, outcome)| {
                vectors::receive(&mut replica, &body);
                Push {
                    hex: body.iter().map(|b| format!("{b:02x}")).collect(),
                    diagnostic: diagnostic(&body),
                    outcome,
                }
            })
            .collect();
        Vector {
            description: self.description.into(),
            server: self.server,
            pushes,
            view: replica.view(),
            state_hash: replica.state_hash(),
        }
    }
}

fn new_person(name: &str) -> Vec<(&'static str, FieldValue)> {
    vec![
        ("name", json!(name)),
        ("facility_id", json!(null)),
        ("cp_staff", json!(true)),
        ("phone", json!(null)),
    ]
}

/// A push body written by hand: `{1: [author], 2: [op]}` with `op` as `write` makes it.
fn hand_push(author: ActorId, write: impl FnOnce(&mut Writer)) -> Vec<u8> {
    Writer::encoded(|w| {
        w.map(2);
        w.uint(1);
        w.array(1);
        w.bytes(author.0.as_bytes());
        w.uint(2);
        w.array(1);
        write(w);
    })
}

fn scenarios() -> Vec<(&'static str, Vector)> {
    let person = id(PERSON);
    let mut all = Vec::new();

    let mut s = Scenario::new("One op creates a person: four fields under one dot.", true);
    let create = s.write(1, RecordKind::Person, person, &new_person("Nguyễn Thị Lan"));
    s.push(&[create], Outcome::Applied);
    all.push(("01-one-op-writes-several-fields", s.finish()));

    let mut s = Scenario::new(
        "A later op of the same actor replaces the value it has seen.",
        true,
    );
    let create = s.write(1, RecordKind::Person, person, &new_person("Lan"));
    let rename = s.write(
        1,
        RecordKind::Person,
        person,
        &[("name", json!("Nguyễn Thị Lan"))],
    );
    s.push(&[create, rename], Outcome::Applied);
    all.push(("02-a-later-write-replaces", s.finish()));

    let conflict = |description, server| {
        let mut s = Scenario::new(description, server);
        let create = s.write(1, RecordKind::Person, person, &new_person("Lan"));
        s.sees(2, std::slice::from_ref(&create));
        let on_b = s.write(
            2,
            RecordKind::Person,
            person,
            &[("name", json!("Nguyễn Thị Lân"))],
        );
        let on_a = s.write(
            1,
            RecordKind::Person,
            person,
            &[("name", json!("Lan Nguyễn"))],
        );
        (s, create, on_a, on_b)
    };
    let (mut s, create, on_a, on_b) = conflict(
        "Two actors rename the person concurrently: both values are kept (a conflict).",
        true,
    );
    s.push(std::slice::from_ref(&create), Outcome::Applied);
    s.push(std::slice::from_ref(&on_b), Outcome::Applied);
    s.push(std::slice::from_ref(&on_a), Outcome::Applied);
    all.push(("03-concurrent-writes-conflict", s.finish()));

    let (mut s, create, on_a, on_b) = conflict(
        "The same ops as 03 in another order (B's rename before the op it has seen): the same \
         state.",
        true,
    );
    s.push(std::slice::from_ref(&on_b), Outcome::Applied);
    s.push(&[create, on_a], Outcome::Applied);
    all.push(("04-order-does-not-matter", s.finish()));

    let (mut s, create, on_a, on_b) = conflict(
        "After 03, a third actor that has seen both renames writes the name: one value again.",
        true,
    );
    s.sees(3, &[create.clone(), on_a.clone(), on_b.clone()]);
    let resolve = s.write(
        3,
        RecordKind::Person,
        person,
        &[("name", json!("Nguyễn Thị Lan"))],
    );
    s.push(std::slice::from_ref(&create), Outcome::Applied);
    s.push(std::slice::from_ref(&on_b), Outcome::Applied);
    s.push(std::slice::from_ref(&on_a), Outcome::Applied);
    s.push(std::slice::from_ref(&resolve), Outcome::Applied);
    all.push(("05-a-write-that-has-seen-both-resolves", s.finish()));

    let mut s = Scenario::new(
        "The same push twice: the replay is acknowledged and changes nothing.",
        true,
    );
    let create = s.write(1, RecordKind::Person, person, &new_person("Lan"));
    let edit = s.write(
        1,
        RecordKind::Person,
        person,
        &[("phone", json!("0909 123 456"))],
    );
    s.push(&[create.clone(), edit.clone()], Outcome::Applied);
    s.push(&[create, edit], Outcome::Applied);
    all.push(("06-a-replay-changes-nothing", s.finish()));

    let mut s = Scenario::new(
        "A questionnaire response: ids as 16 bytes, answers keyed by text, a whole number \
         written as 12.0 travels as the integer 12.",
        false,
    );
    let response = id(0x30);
    let answers = s.write(
        1,
        RecordKind::Response,
        response,
        &[
            ("$questionnaire", json!(id(0x31).to_string())),
            ("$version", json!(1)),
            ("$facility", json!(id(0x32).to_string())),
            ("$answered_at", json!("2026-11-30T02:00:00Z")),
            ("knows_cp", json!("yes")),
            ("topics", json!(["energy", "water"])),
            ("applies_cp", json!(true)),
            ("savings_pct", json!(8.5)),
            ("staff_count", json!(12.0)),
        ],
    );
    s.push(&[answers], Outcome::Applied);
    all.push(("07-response-answers", s.finish()));

    let mut s = Scenario::new(
        "A walk-in as a trainer's phone makes it: person, registration, scan; then the scan \
         is annulled. Scans and annulments are facts, merged by id.",
        false,
    );
    let (event, registration, scan) = (id(0x40), id(0x41), id(0x42));
    let walk_in = s.write(1, RecordKind::Person, person, &new_person("Bà Năm"));
    let registered = s.write(
        1,
        RecordKind::Registration,
        registration,
        &[
            ("event_id", json!(event.to_string())),
            ("person_id", json!(person.to_string())),
        ],
    );
    let scanned = s.fact(
        1,
        RecordKind::Scan,
        scan,
        Change::Scan(ScanFact {
            event: event.into(),
            registration: registration.into(),
            person: Some(person.into()),
            operator: Some("Chị Hoa".into()),
            scanned_at_ms: 1_764_400_000_000,
            status: ScanStatus::Ok,
            walk_in: true,
        }),
    );
    let annulled = s.fact(
        1,
        RecordKind::Annulment,
        id(0x43),
        Change::Annul(Annulment {
            scan: scan.into(),
            reason: Some("quét nhầm".into()),
        }),
    );
    s.push(&[walk_in, registered, scanned, annulled], Outcome::Applied);
    all.push(("08-walk-in-scan-and-annulment", s.finish()));

    let mut s = Scenario::new(
        "A published questionnaire version: a fact whose definition travels as JSON text.",
        false,
    );
    let definition: Definition = serde_json::from_value(json!({
        "title": {"vi": "Nhận thức SXSH", "en": "CP awareness"},
        "pass_mark": 2,
        "questions": [
            {"key": "knows_cp", "kind": "single_choice", "label": {"vi": "Biết SXSH?"},
             "choices": [{"key": "yes", "score": 2}, {"key": "no", "score": 0}]},
            {"key": "savings_pct", "kind": "number", "min": 0, "max": 100}
        ]
    }))
    .expect("a definition");
    let published = s.fact(
        1,
        RecordKind::Questionnaire,
        id(0x50),
        Change::Publish(Publication {
            questionnaire: id(0x31).into(),
            version: 1,
            definition,
        }),
    );
    s.push(&[published], Outcome::Applied);
    all.push(("09-publication", s.finish()));

    let mut s = Scenario::new(
        "A valid body followed by other bytes: refused whole, nothing changes.",
        true,
    );
    let create = s.write(1, RecordKind::Person, person, &new_person("Lan"));
    let mut body = encode_push(create.actor, &[create]);
    body.extend_from_slice(b"\x00");
    s.push_bytes(body, Outcome::Malformed);
    all.push(("10-malformed-trailing-bytes", s.finish()));

    let a = actor(1);
    let person_op = |w: &mut Writer, fields: &dyn Fn(&mut Writer)| {
        w.array(4);
        w.uint(1);
        w.uint(2);
        w.bytes(person.as_bytes());
        w.array(2);
        w.map(0);
        fields(w);
    };
    // Op 1 naming the person "Lan" with a context in which the author's own entry is `seen`.
    let named_in_context = |w: &mut Writer, seen: u64| {
        w.array(4);
        w.uint(1);
        w.uint(2);
        w.bytes(person.as_bytes());
        w.array(2);
        w.map(1);
        w.uint(0);
        w.uint(seen);
        w.map(1);
        w.uint(0);
        w.text("Lan");
    };
    let mut s = Scenario::new(
        "An id field (a person's facility_id, code 1) sent as text, not 16 bytes: malformed.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| {
            person_op(w, &|w| {
                w.map(1);
                w.uint(1);
                w.text(&id(0x20).to_string());
            })
        }),
        Outcome::Malformed,
    );
    all.push(("11-malformed-id-as-text", s.finish()));

    let mut s = Scenario::new(
        "A field code the person kind does not have (9): malformed.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| {
            person_op(w, &|w| {
                w.map(1);
                w.uint(9);
                w.text("?");
            })
        }),
        Outcome::Malformed,
    );
    all.push(("12-malformed-unknown-field-code", s.finish()));

    let mut s = Scenario::new("A push with an empty actor table: malformed.", true);
    s.push_bytes(
        Writer::encoded(|w| {
            w.map(2);
            w.uint(1);
            w.array(0);
            w.uint(2);
            w.array(0);
        }),
        Outcome::Malformed,
    );
    all.push(("13-malformed-empty-actor-table", s.finish()));

    let mut s = Scenario::new(
        "One op writes cp_staff (code 2) twice: refused whole, the field named.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| {
            person_op(w, &|w| {
                w.map(2);
                w.uint(2);
                w.bool(true);
                w.uint(2);
                w.bool(false);
            })
        }),
        Outcome::Refused {
            field: Some("cp_staff".into()),
        },
    );
    all.push(("14-refused-field-written-twice", s.finish()));

    let mut s = Scenario::new(
        "Op 1's context claims the actor's own op 5 was seen before it: refused whole.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| named_in_context(w, 5)),
        Outcome::Refused { field: None },
    );
    all.push(("15-refused-context-ahead", s.finish()));

    let mut s = Scenario::new(
        "Three ops; the second sets cp_staff to text and the third has a NUL in the name: \
         those two are acknowledged but not applied, the first is.",
        true,
    );
    let create = s.write(1, RecordKind::Person, person, &new_person("Lan"));
    let bad_flag = s.write(1, RecordKind::Person, person, &[("cp_staff", json!("có"))]);
    let bad_name = s.write(
        1,
        RecordKind::Person,
        person,
        &[("name", json!("La\u{0}n"))],
    );
    s.push(
        &[create, bad_flag, bad_name],
        Outcome::Rejected {
            ops: vec![
                RejectedOp {
                    seq: 2,
                    field: "cp_staff".into(),
                },
                RejectedOp {
                    seq: 3,
                    field: "name".into(),
                },
            ],
        },
    );
    all.push(("16-rejected-values", s.finish()));

    let mut s = Scenario::new(
        "A context entry with seq 0 (it names no op): malformed.",
        true,
    );
    s.push_bytes(hand_push(a, |w| named_in_context(w, 0)), Outcome::Malformed);
    all.push(("17-malformed-clock-entry-zero", s.finish()));

    let scan_op = |w: &mut Writer, operator: &str, scanned_at_ms: i64, status: u64| {
        w.array(4);
        w.uint(1);
        w.uint(5);
        w.bytes(id(0x42).as_bytes());
        w.array(7);
        w.bytes(id(0x40).as_bytes());
        w.bytes(id(0x41).as_bytes());
        w.null();
        w.text(operator);
        w.int(scanned_at_ms);
        w.uint(status);
        w.bool(false);
    };
    let mut s = Scenario::new(
        "A scan status other than 0 (ok) and 1 (duplicate): malformed.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| scan_op(w, "", 1_764_400_000_000, 2)),
        Outcome::Malformed,
    );
    all.push(("18-malformed-scan-status", s.finish()));

    let mut s = Scenario::new(
        "A scan made at 1970-01-01 (a phone whose clock was never set), with an empty operator \
         (allowed: the field is text or null): rejected for its time, before anything else.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| scan_op(w, "", 0, 0)),
        Outcome::Rejected {
            ops: vec![RejectedOp {
                seq: 1,
                field: "scanned_at_ms".into(),
            }],
        },
    );
    all.push(("19-rejected-scan-time", s.finish()));

    let mut s = Scenario::new(
        "A person op whose change is not [context, fields] (an empty array): malformed.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| {
            w.array(4);
            w.uint(1);
            w.uint(2);
            w.bytes(person.as_bytes());
            w.array(0);
        }),
        Outcome::Malformed,
    );
    all.push(("20-malformed-document-change", s.finish()));

    let mut s = Scenario::new(
        "A scan whose operator holds a NUL and whose time is 1970: the first failing item in \
         wire order, the operator, is named.",
        true,
    );
    s.push_bytes(
        hand_push(a, |w| scan_op(w, "Chị\u{0}Hoa", 0, 0)),
        Outcome::Rejected {
            ops: vec![RejectedOp {
                seq: 1,
                field: "operator".into(),
            }],
        },
    );
    all.push(("21-rejected-first-item-in-wire-order", s.finish()));
    all
}

#[test]
fn the_vectors_are_what_the_scenarios_make_and_pass() {
    let write = std::env::var_os("SACHHON_WRITE_VECTORS").is_some();
    for (name, vector) in scenarios() {
        vectors::check(&vector).unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = folder().join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&vector).expect("json") + "\n";
        if write {
            std::fs::write(&path, text).expect("writes");
        } else {
            let stored = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                stored, text,
                "{name}: out of date; rewrite with SACHHON_WRITE_VECTORS=1"
            );
        }
    }
}

#[test]
fn every_vector_file_passes() {
    let mut count = 0;
    for entry in std::fs::read_dir(folder()).expect("the vectors folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("reads");
            let vector: Vector = serde_json::from_str(&text).expect("a vector");
            vectors::check(&vector).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(count >= 21, "{count} vectors");
}
