//! The JavaScript surface: `Session`, `SessionClient` and the `ZephrSessionError` shape.
//!
//! This layer only converts between JavaScript values and the pure model;
//! every rule lives in the plain-Rust modules.

mod client;
mod convert;
mod debug;
mod panic;
mod platform;
mod registry;
mod request;
mod session;
mod types;

pub use client::SessionClient;
pub use session::JsSession;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsValue;

use crate::error::{Error, ErrorCode};

#[wasm_bindgen]
extern "C" {
    /// Calls the global `setTimeout` and catches its exception, so that a
    /// runtime without it cannot make loading the module fail.
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout_caught(handler: &JsValue, delay_ms: i32) -> Result<JsValue, JsValue>;
}

/// Runs when the module is loaded, inside `init()` or the import of the
/// bundler and Node builds. It schedules a task that compiles the parser and
/// the rules ([`request::compile_parser_early`]), so that the page's first
/// `Session.parse` and `decide` do not wait for V8 to compile each function
/// on its first call. A page usually starts its session lookup right after
/// `init()` resolves, and the task then runs while that request is on the
/// network.
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    let task = Closure::once_into_js(request::compile_parser_early);
    let _ = set_timeout_caught(&task, 0);
}

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
