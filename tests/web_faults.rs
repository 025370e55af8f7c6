//! The client against a faulty network in headless Chromium: broken and
//! slow bodies, redirects, wrong content and oversized documents, served
//! by the mock lookup in `tests/mock/server.mjs`.
#![cfg(target_arch = "wasm32")]
// A failed expectation in a test helper is a failed test, so panicking there is right.
#![allow(clippy::expect_used)]

use js_sys::JSON;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use zephr_session::js::{JsSession, SessionClient};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/browser.rs"]
mod browser;

use browser::*;

fn client(site: &str, extra_options: &str) -> SessionClient {
    let options = format!(
        r#"{{"baseUrl": "{}", "site": "{site}", "retries": 0, "cache": "none" {extra_options}}}"#,
        mock_url()
    );
    SessionClient::new(JSON::parse(&options).expect("valid JSON")).expect("valid client options")
}

async fn fetch(client: &SessionClient, session_id: &str) -> Result<JsSession, JsValue> {
    client
        .fetch(&JsValue::from_str(session_id), &JsValue::UNDEFINED)
        .await
}

async fn fetch_error(site: &str, extra_options: &str) -> JsValue {
    match fetch(&client(site, extra_options), "fault").await {
        Ok(_) => panic!("the lookup on site {site} was expected to fail"),
        Err(error) => error,
    }
}

#[wasm_bindgen_test]
async fn reset_mid_body_is_network_error() {
    let error = fetch_error("reset-body", "").await;
    console_log!("reset mid-body: {}", message(&error));
    assert_eq!(code(&error).as_deref(), Some("network"));
    assert_eq!(property(&error, "status"), JsValue::UNDEFINED);
}

#[wasm_bindgen_test]
async fn trickling_body_times_out() {
    let started = js_sys::Date::now();
    let error = fetch_error("trickle", r#", "timeoutMs": 1500"#).await;
    let elapsed = js_sys::Date::now() - started;
    console_log!("a body at one byte a second timed out after {elapsed} ms");
    assert_eq!(code(&error).as_deref(), Some("timeout"));
    assert!(elapsed >= 1400.0, "{elapsed} ms");
}

#[wasm_bindgen_test]
async fn html_page_is_invalid_response() {
    let error = fetch_error("not-json", "").await;
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert_eq!(property(&error, "status").as_f64(), Some(200.0));
    assert!(message(&error).contains("text/html"), "{}", message(&error));
    assert!(
        message(&error).contains("check that baseUrl"),
        "{}",
        message(&error)
    );
}

#[wasm_bindgen_test]
async fn plain_text_is_invalid_response() {
    let error = fetch_error("plain", "").await;
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert!(
        message(&error).contains("text/plain"),
        "{}",
        message(&error)
    );
}

#[wasm_bindgen_test]
async fn empty_body_is_invalid_response() {
    let error = fetch_error("empty", "").await;
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert_eq!(property(&error, "status").as_f64(), Some(200.0));
    assert!(
        message(&error).contains("empty body"),
        "{}",
        message(&error)
    );
}

#[wasm_bindgen_test]
async fn no_content_is_invalid_response() {
    let error = fetch_error("no-content", "").await;
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert_eq!(property(&error, "status").as_f64(), Some(204.0));
}

#[wasm_bindgen_test]
async fn oversized_body_stops_at_max_bytes() {
    let error = fetch_error("big-20000", r#", "maxBytes": 4096"#).await;
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert!(
        message(&error).contains("maxBytes (4096 bytes)"),
        "{}",
        message(&error)
    );
}

#[wasm_bindgen_test]
async fn body_within_max_bytes_is_read() {
    let session = fetch(&client("big-20000", r#", "maxBytes": 30000"#), "fits")
        .await
        .expect("a document under maxBytes is read");
    assert!(session.warnings().is_empty());
}

#[wasm_bindgen_test]
async fn default_max_bytes_is_one_mebibyte() {
    let error = fetch_error("big-1100000", "").await;
    assert!(
        message(&error).contains("maxBytes (1048576 bytes)"),
        "{}",
        message(&error)
    );
    fetch(&client("big-1000000", ""), "fits")
        .await
        .expect("a document of about 1 MB is read");
}

#[wasm_bindgen_test]
async fn redirect_to_cors_origin_is_followed() {
    let session = fetch(&client("redirect-cors", ""), "moved")
        .await
        .expect("a redirect to an origin that allows CORS is followed");
    let path = session
        .session_variable(JsValue::from_str("path"))
        .expect("key is valid");
    assert_eq!(path.as_string().as_deref(), Some("/v4/sessions/ok/moved"));
}

#[wasm_bindgen_test]
async fn redirect_without_cors_is_network_error() {
    let error = fetch_error("redirect-no-cors", "").await;
    assert_eq!(code(&error).as_deref(), Some("network"));
    assert!(message(&error).contains("CORS"), "{}", message(&error));
}

#[wasm_bindgen_test]
async fn redirect_loop_is_network_error() {
    let error = fetch_error("redirect-loop", "").await;
    assert_eq!(code(&error).as_deref(), Some("network"));
}

#[wasm_bindgen_test]
async fn module_answers_after_failures() {
    let _ = fetch_error("not-json", "").await;
    let bad = JsSession::parse(JsValue::from_str("{"), JsValue::UNDEFINED);
    assert!(bad.is_err());
    let session = fetch(&client("ok", ""), "after-failure")
        .await
        .expect("the next lookup succeeds");
    assert_eq!(
        session.remaining_credits(JsValue::from_str("monthly-free")),
        Ok(Some(2.0))
    );
}
