//! The JavaScript surface: `Session`, `SessionClient` and the `ZephrSessionError` shape.
//!
//! This layer only converts between JavaScript values and the pure model;
//! every rule lives in the plain-Rust modules.

use alloc::string::String;

mod client;
mod convert;
mod debug;
#[cfg(not(feature = "std"))]
mod panic;
mod session;
mod types;

pub use session::JsSession;

use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, Ordering};

use js_sys::{Function, Reflect, Symbol};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsValue;

use crate::error::{Error, ErrorCode};

#[wasm_bindgen]
extern "C" {
    /// Calls `zephrScheduleWarmUp`, a function of src/js/client.js in the
    /// glue's scope, which schedules [`warm_up`] with `setTimeout`. A Rust
    /// closure passed to `setTimeout` would add wasm-bindgen's closure code
    /// to the module and the glue. The exception is caught, so that a glue
    /// without the function (as in `wasm-pack test`) still loads.
    #[wasm_bindgen(js_name = zephrScheduleWarmUp, catch)]
    fn schedule_warm_up() -> Result<(), JsValue>;
}

/// Runs when the module is loaded, inside `init()` or the import of the
/// bundler and Node builds, and schedules [`warm_up`]. A page usually starts
/// its session lookup right after `init()` resolves, and the task then runs
/// while that request is on the network.
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    let _ = schedule_warm_up();
}

/// Parses a small document and has the quick paths of
/// `src/js/fast_paths.js` decide on it, once per page: in the task that
/// [`start`] schedules, or when the first request starts, whichever comes
/// first. V8 compiles each wasm function on its first call, which took about
/// 4 ms for the parser and the rules in headless Chromium 156 on a 2-core
/// machine, so this moves that work off the page's first call. The quick
/// paths define the method under the [`WARM_UP`] symbol; it calls their own
/// functions, so a page that wrapped `decide` gets no extra call.
pub(crate) fn warm_up() {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::Relaxed) {
        return;
    }
    let text = JsValue::from_str(EARLY_DOCUMENT);
    let Ok(session) = JsSession::parse(text, JsValue::UNDEFINED) else {
        return;
    };
    // The garbage collector frees the session, through the glue's
    // FinalizationRegistry.
    let session = JsValue::from(session);
    let method = Reflect::get(&session, &Symbol::for_(WARM_UP))
        .ok()
        .and_then(|method| method.dyn_into::<Function>().ok());
    if let Some(method) = method {
        let _ = method.call0(&session);
    }
}

/// A small document that reaches the parser's and the rules' main paths:
/// meters, credits, entitlements, dates and sessions.
const EARLY_DOCUMENT: &str = r#"{"tenantId":"t","authenticated":false,"v":1,"user_id":"",
"sessions":[{"session_id":"s","state":"anonymous","authenticated":false,
"startDate":"2026-12-01 09:15 AM UTC","expiryDate":"2026-12-31 23:00 PM UTC"}],
"access_model":{"meters":{"m":{"refreshTime":"2027-01-01 00:00:00","meterSize":5,
"remainingCredits":3,"contentIds":["a?x=1"],"contentIdTransform":"STRIP_PARAMS"}},
"credits":{"c":{"remainingCredits":1,"contentIds":["b"],"contentIdTransform":"NONE"}},
"delivered_entitlements":[{"id":"e","direct":false,"meteredBy":["m"],"creditedBy":["c"]}],
"granted_bundles":[],"jwt_bundles":[],"user_state":"anonymous"},
"last_updated":1796547600000,"test_groups":{"g":"A"},"second_party_data":{}}"#;

/// The key, in the global symbol registry, of the method of
/// `Session.prototype` that [`warm_up`] calls.
const WARM_UP: &str = "zephr-session.warm-up";

/// Converts an error into a JavaScript `Error` whose `name` is
/// `"ZephrSessionError"`, with `code` and `status` properties.
pub(crate) fn to_js_error(error: Error) -> JsValue {
    let js_error = js_sys::Error::new(&error.message);
    let status = error.status.map_or(JsValue::UNDEFINED, JsValue::from);
    // Each field is defined as an own, writable property, as assignment would
    // make it, but without reaching a setter or read-only property that a
    // page defined on `Error.prototype` or `Object.prototype`.
    let descriptor = convert::plain_object(
        r#"{"value":null,"writable":true,"enumerable":true,"configurable":true}"#,
    );
    let fields = [
        ("name", JsValue::from_str("ZephrSessionError")),
        ("code", JsValue::from_str(error.code.as_str())),
        ("status", status),
    ];
    for (key, value) in fields {
        convert::set(&descriptor, "value", &value);
        // Defining fails only on an object that is not extensible or a
        // property that is not configurable, and a new error has neither.
        let _ = js_sys::Reflect::define_property(&js_error, &convert::interned(key), &descriptor);
    }
    js_error.into()
}

/// Shorthand for an `invalid_argument` error as a JavaScript value.
#[cold]
pub(crate) fn invalid_argument(message: String) -> JsValue {
    to_js_error(Error::new(ErrorCode::InvalidArgument, message))
}

#[cfg(target_feature = "atomics")]
compile_error!(
    "the module keeps state in statics of `Local`, which assume one thread: build without atomics"
);

/// A value that the module keeps between calls, in a `static`. The module
/// is built without atomics, so it runs on one thread and no other thread
/// can reach the value. This replaces `thread_local!`, which needs the
/// standard library.
pub(crate) struct Local<T>(RefCell<T>);

// SAFETY: without atomics, wasm32 runs the module on one thread only (the
// build fails above otherwise), so the cell is never shared between threads.
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    /// Holds `value`.
    pub(crate) const fn new(value: T) -> Self {
        Local(RefCell::new(value))
    }

    /// Calls `f` with the cell, which `f` borrows as it needs.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&RefCell<T>) -> R) -> R {
        f(&self.0)
    }
}
