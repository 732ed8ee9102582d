//! The sync push body decoder: any bytes a device may POST to `/api/v1/sync/push`.
//!
//! A body either fails to decode or decodes to a batch whose ops can be checked, planned
//! and re-encoded; the re-encoding decodes to the same batch and encodes to the same bytes.
//! Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sachhon_shared::sequence::plan_push;
use sachhon_shared::wire::{from_cbor, to_cbor, PushRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = from_cbor::<PushRequest>(data) else {
        return;
    };
    // What the server does with a decoded batch before it touches storage.
    for op in &request.ops {
        let _ = op.check();
    }
    let _ = plan_push(0, &request.ops);

    let encoded = to_cbor(&request);
    let again: PushRequest = from_cbor(&encoded)
        .unwrap_or_else(|e| panic!("a re-encoded push body does not decode: {e}"));
    if again != request {
        // `PushRequest` is `PartialEq` only: a NaN in a questionnaire definition is never
        // equal to itself. The Debug forms print NaN alike, so they must still agree.
        assert_eq!(
            format!("{again:?}"),
            format!("{request:?}"),
            "the push body changed in a CBOR round trip"
        );
    }
    assert_eq!(
        to_cbor(&again),
        encoded,
        "a push body's CBOR encoding is not stable"
    );
});
