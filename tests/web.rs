//! The `Session` class in headless Chromium, called from Rust: documents
//! built from JavaScript values, the errors of wrong argument types, and the
//! debug log of a parsed session.
//!
//! `SessionClient` is JavaScript (`src/js/client.js`); its tests are in
//! `tests/browser/client.test.mjs`.
#![cfg(target_arch = "wasm32")]
// A failed expectation in a test helper is a failed test, so panicking there is right.
#![allow(clippy::expect_used)]

use js_sys::{Function, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use zephr_session::js::JsSession;

wasm_bindgen_test_configure!(run_in_browser);

/// Parses JSON text written in a test.
fn json(text: &str) -> JsValue {
    match JSON::parse(text) {
        Ok(value) => value,
        Err(error) => panic!("test JSON {text} is invalid: {error:?}"),
    }
}

/// Reads `value[key]`.
fn property(value: &JsValue, key: &str) -> JsValue {
    match Reflect::get(value, &JsValue::from_str(key)) {
        Ok(property) => property,
        Err(error) => panic!("reading {key} failed: {error:?}"),
    }
}

/// Returns the `code` of a `ZephrSessionError`.
fn code(error: &JsValue) -> Option<String> {
    property(error, "code").as_string()
}

/// Returns the `message` of an error, or an empty string.
fn message(error: &JsValue) -> String {
    property(error, "message").as_string().unwrap_or_default()
}

// `capture_debug` replaces `console.debug` with a function that records
// each call's arguments as one line; the function it returns restores the
// original and returns the lines. The test runner also wraps the console,
// so the original is put back before any assertion runs.
#[wasm_bindgen(inline_js = r#"
export function capture_debug() {
  const original = console.debug;
  const lines = [];
  console.debug = (...parts) => { lines.push(parts.map(String).join(" ")); };
  return () => { console.debug = original; return lines; };
}
"#)]
extern "C" {
    fn capture_debug() -> Function;
}

#[wasm_bindgen_test]
fn parsed_session_does_not_log() {
    let session = JsSession::parse(
        JsValue::from_str(r#"{"access_model": {}}"#),
        JsValue::UNDEFINED,
    )
    .expect("valid document");
    let restore = capture_debug();
    session
        .decide(JsValue::from_str("article-1"), json("{}"))
        .expect("decide succeeds");
    let lines = restore
        .call0(&JsValue::NULL)
        .expect("restoring console.debug succeeds");
    let lines: Vec<String> = js_sys::Array::from(&lines)
        .iter()
        .map(|line| line.as_string().unwrap_or_default())
        .collect();
    assert!(lines.is_empty(), "{lines:?}");
}

#[wasm_bindgen_test]
fn session_from_json_gives_dates_and_round_trips() {
    let document = json(
        r#"{"sessions": [{"session_id": "s1", "expiryDate": "2025-02-08 02:29 PM UTC"}],
            "access_model": {"meters": {"m": {"refreshTime": "2024-06-01 00:00:00", "remainingCredits": 1}}},
            "future_field": {"kept": true}}"#,
    );
    let session =
        JsSession::from_json(document, json(r#"{"sessionId": "s1"}"#)).expect("an object");
    let current = session.current_session();
    let expiry: js_sys::Date = property(&current, "expiryDate").dyn_into().expect("a Date");
    assert_eq!(expiry.get_time(), 1_739_024_940_000.0);
    let meter = session.meter(JsValue::from_str("m")).expect("valid id");
    let refresh: js_sys::Date = property(&meter, "refreshTime").dyn_into().expect("a Date");
    assert_eq!(
        String::from(refresh.to_iso_string()),
        "2024-06-01T00:00:00.000Z"
    );
    let round_trip = JSON::stringify(&session.to_json()).expect("stringify");
    assert!(String::from(round_trip).contains(r#""future_field":{"kept":true}"#));
}

#[wasm_bindgen_test]
fn session_rejects_non_objects() {
    for text in ["[]", "\"text\"", "null", "{", ""] {
        let error = match JsSession::parse(JsValue::from_str(text), JsValue::UNDEFINED) {
            Ok(_) => panic!("{text:?} was accepted"),
            Err(error) => error,
        };
        assert_eq!(
            code(&error).as_deref(),
            Some("invalid_response"),
            "{text:?}"
        );
    }
    let error = match JsSession::parse(JsValue::from(1), JsValue::UNDEFINED) {
        Ok(_) => panic!("a number was accepted as text"),
        Err(error) => error,
    };
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    let error = match JsSession::from_json(JsValue::UNDEFINED, JsValue::UNDEFINED) {
        Ok(_) => panic!("undefined was accepted"),
        Err(error) => error,
    };
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
}

#[wasm_bindgen_test]
fn helpers_reject_wrong_argument_types() {
    let session = JsSession::parse(JsValue::from_str("{}"), JsValue::UNDEFINED).expect("an object");
    let error = session
        .remaining_credits(JsValue::from(1))
        .expect_err("a number is not an id");
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    let error = session
        .decide(JsValue::UNDEFINED, JsValue::UNDEFINED)
        .expect_err("missing id");
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    let error = session
        .decide(JsValue::from_str("a"), json(r#"{"entitlementId": 3}"#))
        .expect_err("a number is not an entitlement id");
    assert!(message(&error).contains("entitlementId"));
    let error = session
        .is_expired(JsValue::from_str("tomorrow"))
        .expect_err("not a date");
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    assert_eq!(
        session.remaining_credits(JsValue::from_str("nope")),
        Ok(None)
    );
}
