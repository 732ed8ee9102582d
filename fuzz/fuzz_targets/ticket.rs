//! The ticket parser: any text a phone's camera may read from a QR code.
//!
//! Verifying arbitrary UTF-8 against a fixed one-key ring never panics, and a text that
//! verifies names a ticket that, issued again with the same key, verifies to itself.

#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use sachhon_shared::ticket::{issue, verify, TicketKey};
use std::sync::LazyLock;

/// The key the seed corpus's tickets are signed with.
static KEY: LazyLock<SigningKey> = LazyLock::new(|| SigningKey::from_bytes(&[7; 32]));
static KEYS: LazyLock<[TicketKey; 1]> =
    LazyLock::new(|| [TicketKey::of(&KEY.verifying_key(), false)]);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ticket) = verify(text, &*KEYS) else {
        return;
    };
    let reissued = issue(ticket, &KEY);
    assert_eq!(
        verify(&reissued, &*KEYS),
        Ok(ticket),
        "a re-issued ticket does not verify to itself: {text:?} -> {reissued:?}"
    );
});
