//! Helpers shared by the browser tests: the mock lookup's URL, JSON values,
//! properties of JavaScript objects, and the requests the mock received.
// Each test file uses a different part of this module.
#![allow(dead_code)]

use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

/// The URL of the mock lookup, which the test command starts and passes in
/// `ZEPHR_MOCK_URL` at build time.
pub fn mock_url() -> &'static str {
    match option_env!("ZEPHR_MOCK_URL") {
        Some(url) => url,
        None => panic!("ZEPHR_MOCK_URL is not set; run the tests with scripts/test.sh"),
    }
}

/// Parses JSON text written in a test.
pub fn json(text: &str) -> JsValue {
    match JSON::parse(text) {
        Ok(value) => value,
        Err(error) => panic!("test JSON {text} is invalid: {error:?}"),
    }
}

/// Reads `value[key]`.
pub fn property(value: &JsValue, key: &str) -> JsValue {
    match Reflect::get(value, &JsValue::from_str(key)) {
        Ok(property) => property,
        Err(error) => panic!("reading {key} failed: {error:?}"),
    }
}

/// The `code` of a `ZephrSessionError`.
pub fn code(error: &JsValue) -> Option<String> {
    property(error, "code").as_string()
}

/// The `status` of a `ZephrSessionError`.
pub fn status(error: &JsValue) -> Option<f64> {
    property(error, "status").as_f64()
}

/// The `message` of an error, or an empty string.
pub fn message(error: &JsValue) -> String {
    property(error, "message").as_string().unwrap_or_default()
}

/// Returns the raw paths of every lookup the mock received so far.
pub async fn requested_paths() -> Vec<String> {
    let url = format!("{}/__requests", mock_url());
    let response = match gloo_net::http::Request::get(&url).send().await {
        Ok(response) => response,
        Err(error) => panic!("the mock did not answer /__requests: {error}"),
    };
    let text = match response.text().await {
        Ok(text) => text,
        Err(error) => panic!("the mock sent no text for /__requests: {error}"),
    };
    let paths: js_sys::Array = json(&text).unchecked_into();
    paths.iter().filter_map(|path| path.as_string()).collect()
}
