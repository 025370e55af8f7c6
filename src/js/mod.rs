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
    js_error.set_name("ZephrSessionError");
    let status = error.status.map_or(JsValue::UNDEFINED, JsValue::from);
    convert::set(&js_error, "code", &JsValue::from_str(error.code.as_str()));
    convert::set(&js_error, "status", &status);
    js_error.into()
}

/// Shorthand for an `invalid_argument` error as a JavaScript value.
#[cold]
pub(crate) fn invalid_argument(message: String) -> JsValue {
    to_js_error(Error::new(ErrorCode::InvalidArgument, message))
}
