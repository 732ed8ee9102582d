//! The facility CSV import: any UTF-8 text an admin may upload.
//!
//! Parsing either refuses the header or yields one result per data line; nothing panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sachhon_shared::facility_csv::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(lines) = parse(text) {
        // Each line's error is what the admin sees; render it as the API would.
        for line in lines {
            if let Err(error) = line {
                let _ = error.to_string();
            }
        }
    }
});
