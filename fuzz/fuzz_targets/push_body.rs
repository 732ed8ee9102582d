//! The sync push body decoder: any bytes a device may POST to `/api/v1/sync/push`.
//!
//! A body either fails to decode or decodes to a batch whose ops can be checked, planned
//! and re-encoded; the re-encoding decodes and encodes again to the same bytes and batch.
//! Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sachhon_shared::sequence::plan_push;
use sachhon_shared::wire::{decode_push, encode_push};

fuzz_target!(|data: &[u8]| {
    let Ok((author, ops)) = decode_push(data) else {
        return;
    };
    // What the server does with a decoded batch before it touches storage.
    for op in &ops {
        let _ = op.check();
    }
    let _ = plan_push(0, &ops);

    // Encoding is canonical (fields in key order), so compare from the first encoding on.
    let encoded = encode_push(author, &ops);
    let (again_author, again) = decode_push(&encoded)
        .unwrap_or_else(|e| panic!("a re-encoded push body does not decode: {e}"));
    assert_eq!(again_author, author);
    let reencoded = encode_push(author, &again);
    assert_eq!(reencoded, encoded, "a push body's CBOR encoding is not stable");
    let (_, third) = decode_push(&reencoded).expect("decodes");
    assert_eq!(third, again, "the push body changed in a CBOR round trip");
});
