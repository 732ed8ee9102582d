//! Writes the seed corpus under `fuzz/corpus/<target>/`:
//! `cargo run --manifest-path fuzz/Cargo.toml --bin seed`.
//!
//! Push bodies are the test vectors' (`docs/sync-vectors/`); tickets and CSV files are made
//! here, with fixed ids so that the seeds only change when an encoding does.

use ed25519_dalek::SigningKey;
use sachhon_shared::facility_csv;
use sachhon_shared::ticket::{issue, verify, Ticket, TicketKey, PREFIX};
use sachhon_shared::vectors::Vector;
use sachhon_shared::{EventId, RegistrationId};
use std::path::{Path, PathBuf};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    // Version 7 layout, so the ids look like the ones phones make.
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write a seed");
    println!("{} ({} bytes)", dir.join(name).display(), bytes.len());
}

/// The push bodies of the protocol's test vectors (`docs/sync-vectors/`), valid and not, one
/// seed each: `VECTOR-N.cbor` for the vector's push N.
fn push_bodies(dir: &Path) {
    let vectors = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/sync-vectors");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&vectors)
        .expect("the vectors folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("a vector");
        let vector: Vector = serde_json::from_str(&text).expect("a vector");
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        for (n, push) in vector.pushes.iter().enumerate() {
            let name = format!("{}-{n}.cbor", stem.clone().unwrap_or_default());
            write(dir, &name, &push.bytes().expect("hex"));
        }
    }
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
