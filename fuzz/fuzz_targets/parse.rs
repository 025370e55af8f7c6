//! Feeds raw bytes to `Session::from_slice` and, when they are UTF-8, to
//! `Session::parse`, and checks every invariant of the result: no panic,
//! counts that match the document, decisions that match a second
//! implementation of the access rules, and a document that round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/invariants.rs"]
mod invariants;

fuzz_target!(|bytes: &[u8]| {
    invariants::check_bytes(bytes);
});
