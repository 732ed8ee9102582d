//! The protocol's test vectors (`docs/sync-vectors/`) on the phone: what a server applied of
//! each push reaches the phone as a pull page, decoded and stored by the phone's own code, and
//! the phone's replica ends with the vector's state hash.

use super::trainer;
use crate::Options;
use sachhon_shared::vectors::{Outcome, Vector};
use sachhon_shared::wire::{decode_page, decode_push, ops::encode_ops, PageBuilder};
use std::path::PathBuf;

fn vectors() -> Vec<(String, Vector)> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/sync-vectors");
    let mut found: Vec<(String, Vector)> = std::fs::read_dir(&folder)
        .expect("the vectors folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("reads");
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            (
                name.unwrap_or_default(),
                serde_json::from_str(&text).expect("a vector"),
            )
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[tokio::test]
async fn a_phone_that_pulls_what_the_vectors_applied_has_their_state_hash() {
    let all = vectors();
    assert!(all.len() >= 16, "{} vectors", all.len());
    for (name, vector) in all {
        let home = tempfile::tempdir().expect("home");
        let device = trainer(home.path(), "http://127.0.0.1:9", Options::default()).await;
        for (i, push) in vector.pushes.iter().enumerate() {
            let refused: Vec<u64> = match &push.outcome {
                Outcome::Applied => Vec::new(),
                Outcome::Rejected { ops } => ops.iter().map(|op| op.seq).collect(),
                Outcome::Malformed | Outcome::Refused { .. } => continue,
            };
            let (author, ops) = decode_push(&push.bytes().expect("hex")).expect("decodes");
            let applied: Vec<_> = ops.iter().filter(|op| !refused.contains(&op.seq)).collect();
            let (actors, encoded) = encode_ops(author, applied);
            let mut page = PageBuilder::new();
            encoded
                .into_iter()
                .for_each(|op| page.op(&actors.to_bytes(), op));
            let bytes = page.finish(&i.to_string(), false, &[]);
            let page = decode_page(&bytes).expect("a page decodes");
            device.store.apply_page(&page).await.expect("applies");
        }
        assert_eq!(
            device.state_hash().await.expect("hash"),
            vector.state_hash,
            "{name}"
        );
    }
}
