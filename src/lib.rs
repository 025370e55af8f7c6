//! Reads a reader's Zephr-style session document and answers paywall
//! questions: how many free articles are left on a meter, whether the reader
//! may see an article, and why.
//!
//! The pure model and rules ([`Session`], [`Decision`], [`parse_date`]) are
//! plain Rust and run anywhere. On `wasm32`, the `js` module exports them to
//! JavaScript as `Session`, with the policy and the messages of the
//! package's `SessionClient`, whose lookups are JavaScript
//! (`src/js/client.js`) that calls the global `fetch`.
//!
//! This crate is an independent client of the documented session lookup; it
//! is not affiliated with Zephr or Zuora.

#![deny(missing_docs)]
// The crate names what it takes from `core` and `alloc`, on every target.
// The standard library is linked for the host (its tests and the server)
// and, with the `std` feature, for test harnesses on wasm32; the module
// itself is built without it and has the panic handler of `js::panic`.
#![no_std]

extern crate alloc;
#[cfg(any(not(target_arch = "wasm32"), feature = "std"))]
extern crate std;

// Declared first, so that every module can use its `text!` macro.
#[macro_use]
mod text;

// The cache and retry policies serve only the wasm client, but are plain Rust
// so that the host tests cover them.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod cache;
mod date;
mod error;
mod index;
pub mod json;
mod model;
mod read;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod retry;
mod rules;
mod url;

#[cfg(target_arch = "wasm32")]
pub mod js;

/// The allocator of the wasm module: about 3 KB smaller gzipped than the
/// standard library's dlmalloc.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use date::{parse_date, Timestamp};
pub use error::{Error, ErrorCode};
pub use model::{ContentIdTransform, Credit, Entitlement, Meter, Session, SessionEntry};
pub use rules::{Decision, Reason};
pub use url::{check_base_url, check_segment, encode_uri_component, is_absolute_url, lookup_url};
