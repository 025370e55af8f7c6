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

use wasm_bindgen::JsValue;

use crate::error::{Error, ErrorCode};

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
